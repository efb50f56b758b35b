import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls < 3 ? (calls === 1 ? undefined : false) : `after ${calls}`));
    expect(value).toBe('after 3');
  });

  it('treats a throwing probe as not yet, and names its last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still 4 members');
        },
        { timeoutMs: 30, intervalMs: 5, what: '6 members' },
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for 6 members: still 4 members/);
  });

  it('awaits async probes', async () => {
    await expect(waitFor(async () => true)).resolves.toBe(true);
  });
});
