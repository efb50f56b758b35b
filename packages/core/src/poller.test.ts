import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError, type NitroxError } from './errors.js';
import { type PollResult, Poller, type PollerOptions } from './poller.js';

type Fetch = PollerOptions<string>['fetch'];

function setup(fetch: Fetch, options: Partial<PollerOptions<string>> = {}) {
  const clock = new VirtualClock();
  const calls: { at: number; token: string | undefined }[] = [];
  const poller = new Poller<string>({
    fetch: (token, signal) => {
      calls.push({ at: clock.now(), token });
      return fetch(token, signal);
    },
    intervalMs: 1_000,
    minIntervalMs: 100,
    maxIntervalMs: 8_000,
    jitter: 0,
    clock,
    random: () => 0.5,
    ...options,
  });
  const values: string[] = [];
  const errors: NitroxError[] = [];
  poller.on('value', (v) => values.push(v));
  poller.on('error', (e) => errors.push(e));
  const gaps = (): number[] => calls.slice(1).map((c, i) => c.at - (calls[i] as { at: number }).at);
  return { clock, poller, calls, values, errors, gaps };
}

describe('Poller', () => {
  it('fetches conditionally: passes the last token back and emits only changes', async () => {
    let version = 1;
    const { clock, poller, calls, values } = setup(async (token) =>
      token === `v${version}` ? { changed: false } : { changed: true, value: `state${version}`, token: `v${version}` },
    );
    const seen: string[] = [];
    const sub = poller.values$.subscribe((v) => seen.push(v));
    poller.start();
    await clock.advance(2_500);
    version = 2;
    await clock.advance(10_000);
    await poller.stop();
    sub.unsubscribe();
    expect(values).toEqual(['state1', 'state2']);
    expect(seen).toEqual(values);
    expect(calls[0]?.token).toBeUndefined();
    expect(calls[1]?.token).toBe('v1');
    expect(calls.at(-1)?.token).toBe('v2');
    expect(poller.stats.changes).toBe(2);
    expect(poller.stats.unchanged).toBe(calls.length - 2);
  });

  it('grows the interval toward maxIntervalMs while unchanged and shrinks it toward minIntervalMs after changes', async () => {
    let changing = false;
    let n = 0;
    const { clock, poller, gaps } = setup(async () => (changing ? { changed: true, value: String(n++) } : { changed: false }));
    poller.start();
    await clock.advance(60_000);
    const quiet = gaps();
    expect(quiet.slice(0, 4)).toEqual([1_500, 2_250, 3_375, 5_062.5]);
    expect(quiet.at(-1)).toBe(8_000);
    changing = true;
    await clock.advance(20_000);
    expect(gaps().slice(-3)).toEqual([100, 100, 100]);
    expect(poller.stats.intervalMs).toBe(100);
    await poller.stop();
  });

  it('adds jitter to each wait', async () => {
    const { clock, poller, gaps } = setup(async () => ({ changed: false }), { jitter: 0.2, random: () => 1, growFactor: 1 });
    poller.start();
    await clock.advance(5_000);
    expect(gaps()).toEqual([1_200, 1_200, 1_200, 1_200]);
    await poller.stop();
  });

  it('trigger polls soon, coalesced, and never sooner than minIntervalMs after the last poll', async () => {
    const { clock, poller, calls } = setup(async () => ({ changed: false }), { growFactor: 1 });
    poller.start();
    await clock.advance(10);
    expect(calls.map((c) => c.at)).toEqual([0]);
    poller.trigger();
    poller.trigger();
    poller.trigger();
    await clock.advance(200);
    expect(calls.map((c) => c.at)).toEqual([0, 100]); // one poll, held back to minIntervalMs
    await clock.advance(500);
    poller.trigger();
    await clock.advance(0);
    expect(calls.map((c) => c.at)).toEqual([0, 100, 710]); // long enough since the last poll: at once
    await clock.advance(1_000);
    expect(calls.map((c) => c.at)).toEqual([0, 100, 710, 1_710]); // regular schedule resumes
    expect(poller.stats.triggers).toBe(4);
    await poller.stop();
  });

  it('a trigger during a fetch in flight polls once more after it', async () => {
    let release: (r: PollResult<string>) => void = () => {};
    const { clock, poller, calls } = setup(() => new Promise((r) => (release = r)), { growFactor: 1 });
    poller.start();
    await clock.advance(10);
    poller.trigger();
    poller.trigger();
    await clock.advance(50);
    release({ changed: false });
    await clock.advance(100);
    expect(calls.map((c) => c.at)).toEqual([0, 100]);
    release({ changed: false });
    await poller.stop();
  });

  it('counts errors, backs off exponentially up to maxIntervalMs, never stops, and recovers', async () => {
    let failing = true;
    const { clock, poller, gaps, errors, values } = setup(async () => {
      if (failing) throw new Error('503 from orchestrator');
      return { changed: true, value: 'ok' };
    });
    poller.start();
    await clock.advance(40_000);
    expect(gaps().slice(0, 4)).toEqual([2_000, 4_000, 8_000, 8_000]);
    expect(errors[0]?.code).toBe('NITROX_SOURCE');
    expect(errors[0]?.message).toContain('503');
    expect(poller.stats.consecutiveErrors).toBe(errors.length);
    failing = false;
    await clock.advance(10_000);
    expect(values[0]).toBe('ok');
    expect(poller.stats.consecutiveErrors).toBe(0);
    expect(poller.stats.errors).toBe(errors.length);
    await poller.stop();
  });

  it('reports a malformed result as an error and goes on', async () => {
    const { clock, poller, errors, calls } = setup(async () => ({ nope: 1 }) as unknown as PollResult<string>);
    poller.start();
    await clock.advance(5_000);
    expect(errors[0]?.code).toBe('NITROX_MALFORMED_EVENT');
    expect(calls.length).toBeGreaterThan(1);
    await poller.stop();
  });

  it('stop aborts the fetch in flight and polls no more', async () => {
    let aborted = false;
    const { clock, poller, calls } = setup(
      (_token, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
    );
    poller.start();
    await clock.advance(10);
    await poller.stop();
    expect(aborted).toBe(true);
    await clock.advance(100_000);
    expect(calls).toHaveLength(1);
    expect(poller.stats.errors).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('validates its options eagerly', () => {
    const fetch: Fetch = async () => ({ changed: false });
    expect(() => new Poller({ fetch, minIntervalMs: 0 })).toThrow(/minIntervalMs/);
    expect(() => new Poller({ fetch, intervalMs: 100_000 })).toThrow(/intervalMs/);
    expect(() => new Poller({ fetch, jitter: -1 })).toThrow(ConfigError);
  });
});
