import { describe, expect, it } from 'vitest';
import { humanDuration, tableRequest } from './simulator-table.js';

describe('simulator Table output', () => {
  it('writes ages as the API server printers do', () => {
    const s = 1000;
    expect([0, 5 * s, 119 * s, 150 * s, 600 * s, 3 * 3600 * s, 9 * 3600 * s, 50 * 3600 * s, 400 * 86400 * s, 800 * 86400 * s].map(humanDuration)).toEqual([
      '0s', '5s', '119s', '2m30s', '10m', '3h', '9h', '2d2h', '400d', '2y70d',
    ]);
  });

  it("recognises kubectl's Accept header and the includeObject values", () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(tableRequest(accept, new URLSearchParams())).toEqual({ apiVersion: 'meta.k8s.io/v1', includeObject: 'Metadata' });
    expect(tableRequest('application/json;as=Table;v=v1beta1;g=meta.k8s.io', new URLSearchParams('includeObject=Object'))).toEqual({ apiVersion: 'meta.k8s.io/v1beta1', includeObject: 'Object' });
    expect(tableRequest('application/json', new URLSearchParams())).toBeUndefined();
    expect(() => tableRequest(accept, new URLSearchParams('includeObject=All'))).toThrow(/includeObject/);
  });
});
