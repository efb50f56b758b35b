import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from './controller-options.js';
import { isNitroxError, SinkError } from './errors.js';
import { requeueAfterOf, withRequeueAfter } from './requeue-error.js';
import type { ApplyResult, Sink } from './sink.js';
import { sinkReconciler } from './sink-reconciler.js';

const ctx = (signal = new AbortController().signal): ReconcileContext => ({ signal, reason: 'change', attempt: 1 });

function memorySink(fail?: () => unknown) {
  const state = new Map<string, string>();
  const applies: [string, string | undefined][] = [];
  const sink: Sink<string> = {
    async observe(key) {
      return state.get(key);
    },
    async apply(key, desired): Promise<ApplyResult> {
      applies.push([key, desired]);
      const error = fail?.();
      if (error !== undefined) throw error;
      const had = state.get(key);
      if (desired === undefined) state.delete(key);
      else state.set(key, desired);
      const changed = had !== desired;
      return {
        added: had === undefined && desired !== undefined ? 1 : 0,
        updated: had !== undefined && desired !== undefined && changed ? 1 : 0,
        removed: had !== undefined && desired === undefined ? 1 : 0,
        writes: changed ? 1 : 0,
      };
    },
  };
  return { sink, state, applies };
}

describe('sinkReconciler', () => {
  it('applies the desired value, and removes the key when it is deleted', async () => {
    const { sink, state, applies } = memorySink();
    const results: [string, ApplyResult][] = [];
    const reconcile = sinkReconciler(sink, { onApplied: (key, result) => results.push([key, result]) });
    expect(await reconcile('a', { key: 'a', version: 1, value: 'x' }, ctx())).toBeUndefined();
    await reconcile('a', { key: 'a', version: 1, value: 'x' }, ctx());
    await reconcile('a', undefined, ctx());
    expect(applies).toEqual([
      ['a', 'x'],
      ['a', 'x'],
      ['a', undefined],
    ]);
    expect(state.size).toBe(0);
    expect(results.map(([, r]) => r.writes)).toEqual([1, 0, 1]);
  });

  it('asks for a requeue after every apply when requeueAfterMs is set', async () => {
    const { sink } = memorySink();
    const reconcile = sinkReconciler(sink, { requeueAfterMs: 30_000 });
    expect(await reconcile('a', undefined, ctx())).toEqual({ requeueAfterMs: 30_000 });
    expect(() => sinkReconciler(sink, { requeueAfterMs: -5 })).toThrow(RangeError);
  });

  it('wraps foreign errors in a SinkError without copying their message, keeping a requeue delay', async () => {
    const secret = 'password=hunter2';
    const { sink } = memorySink(() => withRequeueAfter(new Error(`login failed: ${secret}`), 1_500));
    const reconcile = sinkReconciler(sink);
    const error = await reconcile('pool-a', undefined, ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(isNitroxError(error) && error.retryable).toBe(true);
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect((error as Error).message).toContain('pool-a');
    expect(requeueAfterOf(error)).toBe(1_500);
  });

  it('rethrows Nitrox errors and errors after abort unchanged', async () => {
    const original = new SinkError('nitro said no', { status: 409, peerCode: 273 });
    const reconcile = sinkReconciler(memorySink(() => original).sink);
    await expect(reconcile('a', undefined, ctx())).rejects.toBe(original);
    const aborted = new AbortController();
    aborted.abort();
    const abortError = new Error('aborted');
    const reconcile2 = sinkReconciler(memorySink(() => abortError).sink);
    await expect(reconcile2('a', undefined, ctx(aborted.signal))).rejects.toBe(abortError);
  });
});
