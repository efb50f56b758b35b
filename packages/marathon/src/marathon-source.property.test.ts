import { VirtualClock } from '@nitrox/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarathonSource } from './marathon-source.js';
import type { MarathonEvent } from './marathon-types.js';
import { InMemoryMarathon } from './testing/in-memory-marathon.js';

const appIds = ['/a', '/b', '/c'] as const;
const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'];

interface Step {
  readonly app: (typeof appIds)[number];
  /** undefined = delete the app. */
  readonly hosts: readonly string[] | undefined;
  /** Delivery delay of each event of this change, in ms; lost events have `lost` set. */
  readonly deliveries: readonly { readonly delayMs: number; readonly lost: boolean }[];
  readonly gapMs: number;
}

const step = (lossy: boolean): fc.Arbitrary<Step> =>
  fc.record({
    app: fc.constantFrom(...appIds),
    hosts: fc.option(fc.subarray(hosts), { nil: undefined, freq: 5 }),
    deliveries: fc.array(
      fc.record({ delayMs: fc.integer({ min: 0, max: 2_000 }), lost: lossy ? fc.boolean() : fc.constant(false) }),
      { minLength: 1, maxLength: 3 },
    ),
    gapMs: fc.integer({ min: 0, max: 400 }),
  });

function eventsOf(s: Step): MarathonEvent[] {
  if (s.hosts === undefined) return [{ eventType: 'app_terminated_event', appId: s.app }];
  return [
    { eventType: 'status_update_event', appId: s.app, taskStatus: 'TASK_RUNNING' },
    { eventType: 'instance_changed_event', runSpecId: s.app, condition: 'Running' },
    { eventType: 'api_post_event', appDefinition: { id: s.app } },
  ];
}

async function run(steps: readonly Step[], lossy: boolean): Promise<void> {
  const clock = new VirtualClock();
  const fake = new InMemoryMarathon();
  fake.setApp('/a', ['10.0.0.1']);
  const source = new MarathonSource({
    client: fake,
    clock,
    random: () => 0.5,
    debounceMs: 100,
    maxWaitMs: 1_000,
    maxAppFetches: 1,
    snapshotIntervalMs: lossy ? 10_000 : 0,
    idleTimeoutMs: 1_000_000,
  });
  source.start();
  await clock.flush();
  for (const s of steps) {
    if (s.hosts === undefined) fake.apps.delete(s.app);
    else fake.setApp(s.app, s.hosts);
    const events = eventsOf(s);
    s.deliveries.forEach((d, i) => {
      const event = events[i % events.length] as MarathonEvent;
      if (!d.lost) clock.setTimeout(() => fake.emit(event), d.delayMs);
    });
    await clock.advance(s.gapMs);
  }
  await clock.advance(lossy ? 15_000 : 4_000);
  for (const id of appIds) {
    const truth = fake.apps.get(id)?.tasks.map((t) => `${t.host}:${t.ports?.[0]}`).sort();
    const pool = source.get(id)?.value.members.map((m) => `${m.address}:${m.port}`).sort();
    expect(pool, `pool of ${id}`).toEqual(truth);
  }
  await source.stop();
}

describe('MarathonSource under reordered, delayed, duplicated and lost events', () => {
  it('always ends on the true pools when every change is announced (any order, any delay)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step(false), { maxLength: 15 }), (steps) => run(steps, false)),
      { numRuns: 100 },
    );
  });

  it('ends on the true pools after the periodic snapshot when events are lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step(true), { maxLength: 15 }), (steps) => run(steps, true)),
      { numRuns: 60 },
    );
  });
});
