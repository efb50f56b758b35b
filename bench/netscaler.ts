/**
 * NetScalerSink against the NITRO simulator over loopback HTTP: 1,000 servicegroups of 20 members each.
 * Phases: converge from empty; a pass with nothing changed; a pass that replaces 2 members and re-weights
 * 1 in every servicegroup; a scale-down 20 → 10. For each: NITRO requests and write requests per changed
 * member, and time to converge. Targets: at most one write per changed member (fewer with bulk), zero
 * writes when nothing changed. Adds (`PUT` of an array), weight changes and removals (`POST ?action=unbind`)
 * are all bulk, so a phase costs about one write per kind of change per servicegroup. The fourth argument picks
 * the add form: `put` (default), `fallback` (the simulator refuses arrays: one refused array, then one `PUT` per
 * member) or `post` (`bindMethod: 'post'`, one `POST` per member).
 * Run: `npx tsx bench/netscaler.ts [servicegroups] [members] [put|fallback|post]` (defaults 1000 20 put).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendSet } from '../packages/core/src/load-balancer.js';

// Sibling packages resolve to their TypeScript source only under the `@nitrox/source` condition; re-run
// with it when started as plain `npx tsx bench/netscaler.ts`.
if (!process.execArgv.some((a) => a.includes('@nitrox/source'))) {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}

const { NetScalerSink } = await import('../packages/netscaler/src/index.js');
const { startNitroSimulator } = await import('../packages/netscaler/src/testing/index.js');

const groups = Number(process.argv[2] ?? 1000);
const size = Number(process.argv[3] ?? 20);
const mode = process.argv[4] ?? 'put';
if (mode !== 'put' && mode !== 'fallback' && mode !== 'post') throw new Error(`unknown add form ${mode}`);
const parallel = 16; // applies in flight (a controller's concurrency); the client caps HTTP requests at maxConcurrent
const maxConcurrent = 8;

const sim = await startNitroSimulator({
  username: 'nsroot',
  password: 'bench-secret',
  bulkBindingAdds: mode === 'fallback' ? 'refuse' : 'accept',
});
sim.state.addLbvserver({ name: 'vs-bench', servicetype: 'HTTP', ipv46: '10.255.0.1', port: 80 });
const sink = new NetScalerSink({
  client: { url: sim.url, username: 'nsroot', password: 'bench-secret', maxConcurrent },
  lbvserver: 'vs-bench',
  bindMethod: mode === 'post' ? 'post' : 'put',
});
await sink.start();

const ip = (g: number, m: number): string => `10.${Math.floor(g / 250)}.${g % 250}.${m + 1}`;
function desired(g: number, phase: 'base' | 'changed' | 'down'): BackendSet {
  const members = [];
  const count = phase === 'down' ? size / 2 : size;
  for (let m = 0; m < count; m++) {
    // 'changed': members 0 and 1 replaced by two new addresses; member 2 re-weighted.
    const index = phase === 'changed' && m < 2 ? size + 100 + m : m;
    members.push({ address: ip(g, index), port: 8080, ...(phase === 'changed' && m === 2 ? { weight: 40 } : {}) });
  }
  return { name: `app-${g}`, members };
}

interface PhaseResult {
  phase: string;
  changedMembers: number;
  requests: number;
  writes: number;
  writesPerChangedMember: number | null;
  requestsPerChangedMember: number | null;
  ms: number;
  appliesPerSecond: number;
}

async function phase(name: string, kind: 'base' | 'changed' | 'down'): Promise<PhaseResult> {
  sim.requestLog.clear();
  let changed = 0;
  let writes = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < groups) {
        const g = next++;
        const r = await sink.apply(`app-${g}`, desired(g, kind));
        changed += r.added + r.updated + r.removed;
        writes += r.writes;
      }
    }),
  );
  const ms = performance.now() - start;
  const requests = sim.requestLog.entries.length;
  const logWrites = sim.requestLog.writes().length;
  if (logWrites !== writes) throw new Error(`sink counted ${writes} writes, simulator saw ${logWrites}`);
  const result = {
    phase: name,
    changedMembers: changed,
    requests,
    writes,
    writesPerChangedMember: changed === 0 ? null : +(writes / changed).toFixed(3),
    requestsPerChangedMember: changed === 0 ? null : +(requests / changed).toFixed(3),
    ms: Math.round(ms),
    appliesPerSecond: Math.round((groups / ms) * 1000),
  };
  console.log(
    `${name.padEnd(22)} changed=${String(changed).padStart(6)} requests=${String(requests).padStart(6)} writes=${String(writes).padStart(6)}` +
      ` writes/changed=${result.writesPerChangedMember ?? '-'} requests/changed=${result.requestsPerChangedMember ?? '-'} time=${result.ms} ms`,
  );
  return result;
}

console.log(`NetScalerSink: ${groups} servicegroups x ${size} members, adds ${mode}, ${parallel} applies in parallel, maxConcurrent ${maxConcurrent}`);
const phases = [
  await phase('converge from empty', 'base'),
  await phase('nothing changed', 'base'),
  await phase('replace 2, reweight 1', 'changed'),
  await phase('nothing changed again', 'changed'),
  await phase('scale down to 10', 'down'),
];
await sink.stop();
await sim.close();

const unchanged = phases.filter((p) => p.changedMembers === 0);
const changedPhases = phases.filter((p) => p.changedMembers > 0);
const targets = {
  zeroWritesWhenUnchanged: unchanged.every((p) => p.writes === 0),
  atMostOneWritePerChangedMember: changedPhases.every((p) => (p.writesPerChangedMember ?? 0) <= 1),
};
console.log('targets:', targets);
const out = { benchmark: 'netscaler', groups, membersPerGroup: size, addForm: mode, parallel, maxConcurrent, phases, targets };
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, mode === 'put' ? 'netscaler.json' : `netscaler-${mode}.json`), `${JSON.stringify(out, null, 2)}\n`);
// The targets hold the default form to account; `fallback` and `post` add one member per request by design,
// so creating 1,000 servicegroups (2 writes each) pushes their first phase just past one write per member.
if (mode === 'put' && (!targets.zeroWritesWhenUnchanged || !targets.atMostOneWritePerChangedMember)) process.exitCode = 1;
