/**
 * The Sink conformance checks as plain async functions over a harness: a second identical apply makes no
 * write; apply makes the pool equal to the complete desired set; what the sink does not own is never touched;
 * an empty set is held unless the sink allows it; failures are `SinkError`s with `retryable`; observe reports
 * what apply wrote. `describeSinkConformance` runs them as vitest tests.
 */
import type { Backend, BackendSet } from '../load-balancer.js';
import { isNitroxError } from '../errors.js';
import type { Sink } from '../sink.js';
import { type Check, expectThat, withUnhandledRejections } from './check-support.js';

/** One sink under test, fresh for every check. */
export interface SinkSubject {
  /** The sink. */
  readonly sink: Sink<BackendSet>;
  /** The key (pool) the checks apply to. */
  readonly key: string;
  /** Write requests the peer has received so far. */
  writes(): number | Promise<number>;
  /** Put into the peer something the sink does not own (a foreign member of the pool `key`, which exists then; a foreign pool). */
  addForeign(): Promise<void>;
  /** Whether what `addForeign` put there is unchanged. */
  foreignIntact(): Promise<boolean>;
  /** Release the peer. */
  teardown(): Promise<void>;
}

/** How to build a subject; the kit calls it once per check. */
export interface SinkHarness {
  /** A sink over a fresh (or reset) peer; `allowEmpty` is the sink's empty-set policy. */
  setup(options: { readonly allowEmpty: boolean }): Promise<SinkSubject>;
  /** A subject whose peer fails every request (unreachable, or answering errors); its errors must be `SinkError`s. */
  failing?(): Promise<SinkSubject>;
  /** Members of the desired sets: addresses the peer accepts. @defaultValue 192.0.2.1 … 192.0.2.4, port 80 */
  readonly members?: readonly Backend[];
}

const defaultMembers: readonly Backend[] = [1, 2, 3, 4].map((i) => ({ address: `192.0.2.${i}`, port: 80 }));

const ids = (set: BackendSet | undefined) => (set?.members ?? []).map((m) => `${m.address}:${m.port}`).sort();

/** The Sink conformance checks for `harness`. */
export function sinkChecks(harness: SinkHarness): Check[] {
  const [a, b, c, d] = (harness.members ?? defaultMembers) as [Backend, Backend, Backend, Backend];
  const set = (key: string, ...members: Backend[]): BackendSet => ({ name: key, members });
  const run = (allowEmpty: boolean, body: (s: SinkSubject) => Promise<void>) => async () => {
    const subject = await harness.setup({ allowEmpty });
    try {
      await withUnhandledRejections(() => body(subject));
    } finally {
      await subject.teardown();
    }
  };
  const checks: Check[] = [
    {
      name: 'a second identical apply makes no write',
      run: run(false, async (s) => {
        const first = await s.sink.apply(s.key, set(s.key, a, b));
        expectThat(first.writes > 0, `writes for a new pool, got ${first.writes}`);
        const before = await s.writes();
        const second = await s.sink.apply(s.key, set(s.key, a, b));
        const after = await s.writes();
        expectThat(second.writes === 0 && after === before, `0 writes for an identical apply, got ${second.writes} reported and ${after - before} seen by the peer`);
      }),
    },
    {
      name: 'apply makes the pool equal to the complete desired set',
      run: run(false, async (s) => {
        await s.sink.apply(s.key, set(s.key, a, b, c));
        const result = await s.sink.apply(s.key, set(s.key, b, d));
        const seen = ids(await s.sink.observe(s.key));
        expectThat(JSON.stringify(seen) === JSON.stringify(ids(set(s.key, b, d))), `the pool to hold exactly ${ids(set(s.key, b, d)).join(', ')}, got ${seen.join(', ')}`);
        expectThat(result.added === 1 && result.removed === 2, `1 added and 2 removed reported, got ${result.added} and ${result.removed}`);
      }),
    },
    {
      name: 'what the sink does not own is never touched',
      run: run(true, async (s) => {
        await s.sink.apply(s.key, set(s.key, a, b));
        await s.addForeign();
        await s.sink.apply(s.key, set(s.key, c));
        await s.sink.apply(s.key, set(s.key));
        await s.sink.apply(s.key, undefined);
        expectThat(await s.foreignIntact(), 'foreign objects unchanged after applies and an emptied pool');
      }),
    },
    {
      name: 'an empty desired set is held unless the sink allows it',
      run: run(false, async (s) => {
        await s.sink.apply(s.key, set(s.key, a, b));
        await s.sink.apply(s.key, set(s.key));
        await s.sink.apply(s.key, undefined);
        const held = ids(await s.sink.observe(s.key));
        expectThat(held.length === 2, `the pool held at 2 members by a sink without allowEmpty, got ${held.join(', ') || 'none'}`);
      }),
    },
    {
      name: 'an allowed empty set empties the pool',
      run: run(true, async (s) => {
        await s.sink.apply(s.key, set(s.key, a, b));
        await s.sink.apply(s.key, set(s.key));
        const left = ids(await s.sink.observe(s.key));
        expectThat(left.length === 0, `an empty pool with allowEmpty, got ${left.join(', ')}`);
      }),
    },
    {
      name: 'observe reports what apply wrote, weights included',
      run: run(false, async (s) => {
        const desired = set(s.key, { ...a, weight: 3 }, b);
        await s.sink.apply(s.key, desired);
        const seen = await s.sink.observe(s.key);
        expectThat(JSON.stringify(ids(seen)) === JSON.stringify(ids(desired)), `observe to show ${ids(desired).join(', ')}, got ${ids(seen).join(', ')}`);
        const weighted = seen?.members.find((m) => m.address === a.address && m.port === a.port);
        expectThat(weighted?.weight === 3, `the applied weight 3 observed, got ${String(weighted?.weight)}`);
      }),
    },
  ];
  const failing = harness.failing?.bind(harness);
  if (failing) {
    checks.push({
      name: 'failures are SinkErrors that say whether to retry',
      run: async () => {
        const subject = await failing();
        try {
          await withUnhandledRejections(async () => {
            const error = await subject.sink.apply(subject.key, set(subject.key, a)).then(
              () => undefined,
              (err: unknown) => err,
            );
            expectThat(isNitroxError(error) && error.code === 'NITROX_SINK', `a SinkError (code NITROX_SINK), got ${String(error)}`);
            expectThat(typeof (error as { retryable?: unknown }).retryable === 'boolean', 'a boolean retryable on the error');
          });
        } finally {
          await subject.teardown();
        }
      },
    });
  }
  return checks;
}
