import { describe, expect, it } from 'vitest';
import { checkWriteReply, failureOf, HaproxyError } from './errors.js';

describe('HAProxy replies', () => {
  it.each([
    ['No such backend.', 'no-such-backend', false],
    ['Backend must use a dynamic load balancing to support dynamic servers.', 'static-algorithm', false],
    ['No such server.', 'no-such-server', true],
    ['Already exists a server with the same name in backend.', 'already-exists', true],
    ['Only servers in maintenance mode can be deleted.', 'not-in-maintenance', true],
    ['Server still has connections attached to it, cannot remove it.', 'has-connections', true],
    ['Permission denied', 'permission-denied', false],
    ['Unknown command, but maybe one of the following ones is a better match:', 'unknown-command', false],
  ] as const)('%j is %s (retryable %s)', (reply, failure, retryable) => {
    expect(failureOf(reply)).toEqual({ failure, retryable });
    const err = (() => {
      try {
        checkWriteReply('set server be/s state ready', reply);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HaproxyError);
    expect(err).toMatchObject({ code: 'NITROX_SINK', peerCode: failure, retryable });
  });
  it('takes the known success replies as success and anything else as an error', () => {
    for (const ok of ['New server registered.', 'Server deleted.', '', "IP changed from '0.0.0.0' to '127.0.0.1', port changed from '+0' to '18502' by 'stats socket command'"]) {
      expect(() => checkWriteReply('x', ok)).not.toThrow();
    }
    expect(() => checkWriteReply('x', 'something new')).toThrow(expect.objectContaining({ peerCode: 'unexpected-reply', retryable: false }));
  });
});
