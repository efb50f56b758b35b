import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConflictError,
  ExpiredError,
  isNitroxError,
  MalformedEventError,
  NitroxError,
  SinkError,
  SourceError,
} from './errors.js';

describe('errors', () => {
  it('carry stable codes, names and retryability', () => {
    const cases: [NitroxError, string, boolean][] = [
      [new ExpiredError(), 'NITROX_EXPIRED', true],
      [new ConflictError('a', 1, 2), 'NITROX_CONFLICT', false],
      [new SourceError('down', { status: 503 }), 'NITROX_SOURCE', true],
      [new SinkError('bad', { status: 599, peerCode: 278, retryable: false }), 'NITROX_SINK', false],
      [new ConfigError('sinks[0].url', 'expected a URL'), 'NITROX_CONFIG', false],
      [new MalformedEventError('not an object'), 'NITROX_MALFORMED_EVENT', false],
    ];
    for (const [error, code, retryable] of cases) {
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(error.name).toBe(error.constructor.name);
      expect(error).toBeInstanceOf(NitroxError);
      expect(isNitroxError(error)).toBe(true);
    }
  });

  it('keep peer details and the cause', () => {
    const cause = new Error('socket hang up');
    const error = new SinkError('NITRO add failed', { status: 409, peerCode: 273, cause });
    expect(error.status).toBe(409);
    expect(error.peerCode).toBe(273);
    expect(error.cause).toBe(cause);
  });

  it('name the offending path in configuration errors', () => {
    const error = new ConfigError('mappings[2].sink', 'unknown sink "ns2"');
    expect(error.message).toBe('mappings[2].sink: unknown sink "ns2"');
    expect(error.path).toBe('mappings[2].sink');
  });

  it('are recognised across copies by their brand, and plain errors are not', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('nitrox.error')]: true, code: 'NITROX_SINK' });
    expect(isNitroxError(foreign)).toBe(true);
    expect(isNitroxError(new Error('x'))).toBe(false);
    expect(isNitroxError(null)).toBe(false);
    expect(isNitroxError('NITROX_SINK')).toBe(false);
  });
});
