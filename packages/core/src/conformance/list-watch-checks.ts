/**
 * The ListWatch conformance checks as plain async functions over a harness the adapter's author writes: each
 * check sets up a fresh subject, drives changes through the harness (on the real peer or a simulator), and
 * throws when the adapter breaks the contract — a list that is not a stable snapshot, a watch that replays the
 * listed state or reorders changes, a resume that replays, no `ExpiredError` for a revision out of history, a
 * stream that does not end on abort, an untyped error, an unhandled rejection. `describeListWatchConformance`
 * runs them as vitest tests; the plain form lets the kit's own tests prove that it fails a broken adapter.
 */
import { isNitroxError } from '../errors.js';
import type { ListResult, ListWatch, WatchEvent } from '../list-watch.js';
import { waitFor } from '../testing/wait-for.js';
import { type Check, checkFailure, expectThat, nextWithin, withUnhandledRejections } from './check-support.js';

/** One adapter under test, fresh for every check. */
export interface ListWatchSubject<T> {
  /** The adapter. Started and ready to list when `setup` resolves. */
  readonly listWatch: ListWatch<T>;
  /** Create the object `name` in the peer (it must appear under key `keyOf(name)`). */
  create(name: string): Promise<void>;
  /** Change the object `name` so the adapter reports it modified. */
  update(name: string): Promise<void>;
  /** Delete the object `name`. */
  remove(name: string): Promise<void>;
  /** Push the peer's history past `revision`, so that a watch from it must fail with `ExpiredError`. */
  expire(revision: string): Promise<void>;
  /** The key an object `name` appears under. @defaultValue `name` */
  keyOf?(name: string): string;
  /** Stop the adapter and release the peer. */
  teardown(): Promise<void>;
}

/** How to build a subject; the kit calls it once per check. */
export interface ListWatchHarness<T> {
  setup(): Promise<ListWatchSubject<T>>;
  /** A ListWatch of the same adapter whose peer fails or is unreachable; its errors must be `SourceError`s. */
  failing?(): ListWatch<T>;
  /**
   * For an adapter that retries failures itself and reports them (an `error` event) instead of rejecting `list`:
   * run one against a failing or unreachable peer and return the first error it reports.
   */
  reportedError?(): Promise<{ readonly error: unknown; stop(): Promise<void> }>;
  /** The adapter sends bookmarks on a quiet watch (within `timeoutMs`): check them, and resuming from one. */
  readonly bookmarks?: boolean;
  /** Longest wait for one expected change or list. @defaultValue 10_000 */
  readonly timeoutMs?: number;
}

type Event = WatchEvent<unknown>;

async function listed<T>(s: ListWatchSubject<T>, keys: readonly string[], absent: readonly string[], timeoutMs: number): Promise<ListResult<T>> {
  return waitFor(
    async () => {
      const result = await s.listWatch.list(AbortSignal.timeout(timeoutMs));
      const have = new Set(result.items.map((i) => i.key));
      return keys.every((k) => have.has(k)) && absent.every((k) => !have.has(k)) ? result : undefined;
    },
    { timeoutMs, what: `list to show ${keys.join(', ') || 'nothing'}${absent.length ? ` without ${absent.join(', ')}` : ''}` },
  );
}

/** Read changes (not bookmarks) from `iterator` until `count` arrived. */
async function changes(iterator: AsyncIterator<Event>, count: number, timeoutMs: number, bookmarks: Event[] = []): Promise<Event[]> {
  const out: Event[] = [];
  while (out.length < count) {
    const next = await nextWithin(iterator, timeoutMs, `change ${out.length + 1} of ${count}`);
    if (next.done) throw checkFailure(`the watch ended after ${out.length} of ${count} expected changes`);
    if (next.value.type === 'bookmark') bookmarks.push(next.value);
    else out.push(next.value);
  }
  return out;
}

const describeEvent = (e: Event) => (e.type === 'bookmark' ? `bookmark@${e.revision}` : `${e.type} ${e.item.key}`);

/** The ListWatch conformance checks for `harness`. */
export function listWatchChecks<T>(harness: ListWatchHarness<T>): Check[] {
  const timeoutMs = harness.timeoutMs ?? 10_000;
  const run = (body: (s: ListWatchSubject<T>, key: (name: string) => string) => Promise<void>) => async () => {
    const subject = await harness.setup();
    const key = (name: string) => subject.keyOf?.(name) ?? name;
    try {
      await withUnhandledRejections(() => body(subject, key));
    } finally {
      await subject.teardown();
    }
  };
  const checks: Check[] = [
    {
      name: 'list returns a consistent snapshot with its revision',
      run: run(async (s, key) => {
        await s.create('conf-a');
        await s.create('conf-b');
        const first = await listed(s, [key('conf-a'), key('conf-b')], [], timeoutMs);
        expectThat(typeof first.revision === 'string' && first.revision !== '', `a non-empty string revision, got ${JSON.stringify(first.revision)}`);
        const keys = first.items.map((i) => i.key);
        expectThat(new Set(keys).size === keys.length, `unique keys in a list, got ${keys.join(', ')}`);
        const again = await s.listWatch.list(AbortSignal.timeout(timeoutMs));
        expectThat(again.revision === first.revision, `the same revision from a second list without changes, got ${first.revision} then ${again.revision}`);
        expectThat(JSON.stringify(again.items) === JSON.stringify(first.items), 'the same items from a second list without changes');
      }),
    },
    {
      name: 'watch from the listed revision yields only later changes, in order',
      run: run(async (s, key) => {
        await s.create('conf-x');
        const { revision } = await listed(s, [key('conf-x')], [], timeoutMs);
        const abort = new AbortController();
        const iterator = s.listWatch.watch(revision, abort.signal)[Symbol.asyncIterator]();
        try {
          // One change at a time, each visible before the next, so any adapter's order is defined.
          await s.create('conf-y');
          await listed(s, [key('conf-y')], [], timeoutMs);
          await s.update('conf-y');
          await s.remove('conf-x');
          await listed(s, [key('conf-y')], [key('conf-x')], timeoutMs);
          const got = await changes(iterator, 3, timeoutMs);
          const seen = got.map(describeEvent);
          expectThat(
            JSON.stringify(seen) === JSON.stringify([`added ${key('conf-y')}`, `modified ${key('conf-y')}`, `deleted ${key('conf-x')}`]),
            `exactly the changes after the listed revision, in order: added, modified ${key('conf-y')}, deleted ${key('conf-x')}; got ${seen.join(', ')}`,
          );
        } finally {
          abort.abort();
          await iterator.return?.();
        }
      }),
    },
    {
      name: 'a watch resumed from the revision of the last event seen replays nothing',
      run: run(async (s, key) => {
        const { revision } = await listed(s, [], [], timeoutMs);
        const abort = new AbortController();
        const first = s.listWatch.watch(revision, abort.signal)[Symbol.asyncIterator]();
        const bookmarks: Event[] = [];
        let resumeFrom: string;
        try {
          await s.create('conf-r1');
          const [added] = await changes(first, 1, timeoutMs, bookmarks);
          resumeFrom = (added as Event).revision;
          for (const b of bookmarks) expectThat(typeof b.revision === 'string' && b.revision !== '', 'a revision on every bookmark');
        } finally {
          abort.abort();
          await first.return?.();
        }
        const again = new AbortController();
        const second = s.listWatch.watch(resumeFrom, again.signal)[Symbol.asyncIterator]();
        try {
          await s.create('conf-r2');
          const [next] = await changes(second, 1, timeoutMs);
          expectThat(next?.type === 'added' && next.item.key === key('conf-r2'), `only the change after the resume point, got ${next ? describeEvent(next) : 'nothing'}`);
        } finally {
          again.abort();
          await second.return?.();
        }
      }),
    },
    {
      name: 'a watch from a revision out of history fails with ExpiredError',
      run: run(async (s) => {
        const { revision } = await listed(s, [], [], timeoutMs);
        await s.expire(revision);
        const abort = new AbortController();
        const iterator = s.listWatch.watch(revision, abort.signal)[Symbol.asyncIterator]();
        try {
          let error: unknown;
          try {
            for (;;) {
              const next = await nextWithin(iterator, timeoutMs, 'ExpiredError');
              if (next.done) break;
            }
          } catch (err) {
            error = err;
          }
          expectThat(isNitroxError(error) && error.code === 'NITROX_EXPIRED', `an ExpiredError (code NITROX_EXPIRED), got ${String(error ?? 'the stream ending')}`);
        } finally {
          abort.abort();
        }
      }),
    },
    {
      name: 'aborting the signal ends the watch promptly',
      run: run(async (s) => {
        const { revision } = await listed(s, [], [], timeoutMs);
        const abort = new AbortController();
        const iterator = s.listWatch.watch(revision, abort.signal)[Symbol.asyncIterator]();
        const pending = iterator.next().then(
          (r) => (r.done ? 'done' : 'event'),
          (err: unknown) => (err instanceof Error && err.name === 'AbortError') || isNitroxError(err) ? 'aborted' : `error ${String(err)}`,
        );
        abort.abort();
        let outcome = await Promise.race([pending, new Promise<string>((r) => setTimeout(() => r('still open'), timeoutMs).unref())]);
        // A change that raced the abort may still be delivered; the stream must end right after it.
        if (outcome === 'event') outcome = await nextWithin(iterator, timeoutMs, 'end of stream').then((r) => (r.done ? 'done' : 'event'), () => 'aborted');
        expectThat(outcome === 'done' || outcome === 'aborted', `the stream to end (or reject with AbortError) after abort, got ${outcome}`);
      }),
    },
  ];
  if (harness.bookmarks) {
    checks.push({
      name: 'a quiet watch receives bookmarks, and a watch resumed from one replays nothing',
      run: run(async (s, key) => {
        const { revision } = await listed(s, [], [], timeoutMs);
        const abort = new AbortController();
        const first = s.listWatch.watch(revision, abort.signal)[Symbol.asyncIterator]();
        let bookmark: Event | undefined;
        try {
          await s.create('conf-b1');
          await changes(first, 1, timeoutMs);
          while (!bookmark) {
            const next = await nextWithin(first, timeoutMs, 'a bookmark on a quiet watch');
            if (next.done) throw checkFailure('expected a bookmark before the watch ended');
            if (next.value.type === 'bookmark') bookmark = next.value;
            else throw checkFailure(`expected no change on a quiet watch, got ${describeEvent(next.value)}`);
          }
          expectThat(bookmark.revision !== '', 'a revision on the bookmark');
        } finally {
          abort.abort();
          await first.return?.();
        }
        const again = new AbortController();
        const second = s.listWatch.watch(bookmark.revision, again.signal)[Symbol.asyncIterator]();
        try {
          await s.create('conf-b2');
          const [next] = await changes(second, 1, timeoutMs);
          expectThat(next?.type === 'added' && next.item.key === key('conf-b2'), `only the change after the bookmark, got ${next ? describeEvent(next) : 'nothing'}`);
        } finally {
          again.abort();
          await second.return?.();
        }
      }),
    });
  }
  const failing = harness.failing?.bind(harness);
  if (failing) {
    checks.push({
      name: 'errors are typed SourceErrors',
      run: async () =>
        withUnhandledRejections(async () => {
              const error = await failing().list(AbortSignal.timeout(timeoutMs)).then(
            () => undefined,
            (err: unknown) => err,
          );
          expectThat(isNitroxError(error) && error.code === 'NITROX_SOURCE', `a SourceError (code NITROX_SOURCE) from list against a failing peer, got ${String(error)}`);
          expectThat(typeof (error as { retryable?: unknown }).retryable === 'boolean', 'a boolean retryable on the error');
        }),
    });
  }
  const reportedError = harness.reportedError?.bind(harness);
  if (reportedError) {
    checks.push({
      name: 'errors it reports while retrying are typed SourceErrors',
      run: async () =>
        withUnhandledRejections(async () => {
          const { error, stop } = await reportedError();
          try {
            expectThat(isNitroxError(error) && error.code === 'NITROX_SOURCE', `a SourceError (code NITROX_SOURCE) reported against a failing peer, got ${String(error)}`);
            expectThat(typeof (error as { retryable?: unknown }).retryable === 'boolean', 'a boolean retryable on the error');
          } finally {
            await stop();
          }
        }),
    });
  }
  return checks;
}
