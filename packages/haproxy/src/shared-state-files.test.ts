import { expect, it } from 'vitest';
import { ServerStateFile } from './server-state-file.js';
import { acquireStateFile, releaseStateFile } from './shared-state-files.js';

it('gives every user of a path the same file until the last one releases it', () => {
  const create = () => new ServerStateFile('/nonexistent/shared.state');
  const first = acquireStateFile('/nonexistent/shared.state', create);
  const second = acquireStateFile('/nonexistent/shared.state', create);
  expect(second).toBe(first);
  expect(acquireStateFile('/nonexistent/other.state', () => new ServerStateFile('/nonexistent/other.state'))).not.toBe(first);
  releaseStateFile(first);
  expect(acquireStateFile('/nonexistent/shared.state', create)).toBe(first);
  releaseStateFile(first);
  releaseStateFile(first);
  const fresh = acquireStateFile('/nonexistent/shared.state', create);
  expect(fresh).not.toBe(first);
  // A stale instance released again changes nothing for the current one.
  releaseStateFile(first);
  expect(acquireStateFile('/nonexistent/shared.state', create)).toBe(fresh);
});
