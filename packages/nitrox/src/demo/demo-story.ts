/**
 * The demo's script: the acts of the story and the convergence check after each. An act changes the world
 * (or breaks the network, or the NetScaler), then the demo waits until every pool on the NITRO simulator holds
 * exactly the members the world says it must, and records how long that took and how many NITRO requests it
 * cost. The acts are the failure modes the design is built for: bursts, node health, lost watches, expired
 * revisions, a killed session and drift made by hand.
 */
import type { KubeSimulator } from '@nitrox/kubernetes/testing';
import type { NitroSimulator } from '@nitrox/netscaler/testing';
import type { DemoWorld } from './demo-world.js';

/** What an act can touch. */
export interface StoryContext {
  readonly world: DemoWorld;
  readonly kube: KubeSimulator;
  readonly nitro: NitroSimulator;
  /** Pool name of each demo service. */
  readonly pools: Readonly<Record<'web' | 'api', string>>;
}

/** One act of the story. */
export interface Act {
  /** What happens, in a few words. */
  readonly title: string;
  /** Why it matters, one line. */
  readonly point: string;
  /** Make it happen. */
  run(ctx: StoryContext): void;
}

/** The acts, in order (the initial sync is act 0, played by the demo itself). */
export const story: readonly Act[] = [
  {
    title: 'scale web from 4 to 6 pods',
    point: 'a burst of pod and endpoint events is coalesced into one apply of the complete set',
    run: ({ world }) => world.scaleWeb(6),
  },
  {
    title: 'node-2 goes NotReady',
    point: 'NodePort pools keep only Ready nodes that run a ready pod of the service',
    run: ({ world }) => world.setNodeReady('node-2', false),
  },
  {
    title: 'every watch connection drops, and web scales to 5 meanwhile',
    point: 'the informers reconnect with backoff and resume from their last revision: nothing is missed',
    run: ({ world, kube }) => {
      kube.faults.dropWatches();
      world.scaleWeb(5);
    },
  },
  {
    title: 'watches drop again, node-2 recovers, and the history is compacted',
    point: 'resuming fails with 410 Expired: the informer relists and emits only the real differences',
    run: ({ world, kube }) => {
      kube.faults.dropWatches();
      world.setNodeReady('node-2', true);
      kube.faults.expireHistory();
    },
  },
  {
    title: 'the NetScaler kills every session, and web scales to 7',
    point: 'the sink sees "session expired" (444), logs in once again and retries the request',
    run: ({ world, nitro }) => {
      nitro.faults.killSessions();
      world.scaleWeb(7);
    },
  },
  {
    title: 'someone deletes a web member on the NetScaler by hand',
    point: 'nothing changed in Kubernetes: the periodic resync reads the pool and repairs the drift',
    run: ({ nitro, pools }) => {
      const sg = nitro.state.servicegroups.get(pools.web);
      const victim = sg ? [...sg.members.values()][0] : undefined;
      if (!sg || !victim) throw new Error(`pool ${pools.web} has no member to delete`);
      nitro.state.unbindMember(pools.web, { ip: victim.ip, port: String(victim.port) });
    },
  },
];

/** Desired (from the world) and actual (from the NITRO simulator) members of each pool. */
export function poolStates(ctx: StoryContext): { pool: string; desired: string[]; actual: string[]; converged: boolean }[] {
  return (['web', 'api'] as const).map((svc) => {
    const pool = ctx.pools[svc];
    const desired = ctx.world.expected(svc);
    const actual = ctx.nitro.state.members(pool);
    return { pool, desired, actual, converged: sameMembers(desired, actual) };
  });
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
