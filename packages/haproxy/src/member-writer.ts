/**
 * Carries out a {@link MemberPlan} over the Runtime API in the order that keeps traffic flowing: new members
 * are created and made ready first, then weights and revivals, and only then are surplus servers drained,
 * waited for (bounded by `drainTimeoutMs`), put in maintenance and, in dynamic mode, deleted. Commands of one
 * phase are pipelined (with `drainFirst: false`: maintenance, wait, delete); every reply is checked, and the first failure is thrown after the phase completes.
 * With a server-state file, each phase's batch ends with `show servers state <backend>` and the file is
 * rewritten (in the background) after each phase, so a reload at any point restores what HAProxy held a moment before.
 */
import { sleep } from '@nitrox/core';
import { checkWriteReply } from './errors.js';
import type { MemberPlan } from './member-plan.js';
import { serverName } from './member-plan.js';
import type { ResolvedHaproxySinkOptions } from './sink-options.js';
import { draining, inMaintenance, parseSessions } from './server-state.js';
import { checkName, checkWeight, formatEndpoint, checkAddress, checkPort } from './validation.js';

/** Counts of one written plan. */
export interface WriteCounts {
  added: number;
  updated: number;
  removed: number;
  writes: number;
}

/** Writes the plan of one backend. */
export class MemberWriter {
  readonly counts: WriteCounts = { added: 0, updated: 0, removed: 0, writes: 0 };
  private firstError: unknown;

  constructor(
    private readonly options: ResolvedHaproxySinkOptions,
    private readonly backend: string,
    private readonly signal?: AbortSignal,
  ) {
    checkName('backend', backend);
  }

  /**
   * Write `plan`: adds, in-place changes, then removals.
   * @throws the first failed command's HaproxyError, after every phase that could run has run
   */
  async write(plan: MemberPlan): Promise<WriteCounts> {
    const be = this.backend;
    const adds: string[] = [];
    const added: string[] = [];
    for (const { member, weight, slot } of plan.add) {
      if (slot) {
        const target = `${be}/${checkName('server', slot.name)}`;
        added.push(target);
        adds.push(`set server ${target} addr ${checkAddress(member.address)} port ${checkPort(member.port)}`);
        if (slot.weight !== weight) adds.push(`set server ${target} weight ${checkWeight(weight)}`);
        adds.push(`set server ${target} state ready`);
      } else {
        const target = `${be}/${checkName('server', serverName(this.options.serverPrefix, member))}`;
        added.push(target);
        adds.push(`add server ${target} ${formatEndpoint(member.address, member.port)} weight ${checkWeight(weight)}${this.options.check ? ' check' : ''}`);
        adds.push(`set server ${target} state ready`);
        if (this.options.check) adds.push(`enable health ${target}`);
      }
    }
    for (const change of plan.change) {
      const target = `${be}/${checkName('server', change.server)}`;
      if (change.weight !== undefined) adds.push(`set server ${target} weight ${checkWeight(change.weight)}`);
      if (change.ready) adds.push(`set server ${target} state ready`);
    }
    const { failedTargets } = await this.run(adds);
    this.counts.added += added.filter((t) => !failedTargets.has(t)).length;
    this.counts.updated += plan.change.filter((c) => !failedTargets.has(`${be}/${c.server}`)).length;
    if (plan.remove.length > 0) await this.remove(plan.remove);
    if (this.firstError !== undefined) throw this.firstError;
    return this.counts;
  }

  private async remove(servers: MemberPlan['remove']): Promise<void> {
    const be = this.backend;
    const names = servers.map((s) => checkName('server', s.name));
    const live = servers.filter((s) => !inMaintenance(s));
    const wait = this.options.drainTimeoutMs > 0 && live.length > 0;
    const final: string[] = [];
    if (this.options.drainFirst) {
      // drain → wait → maint → del: 3 commands, sticky sessions may finish on the server too.
      if (wait) {
        await this.run(live.filter((s) => !draining(s)).map((s) => `set server ${be}/${s.name} state drain`));
        await this.waitForSessions(live.map((s) => s.name));
      }
      final.push(...live.map((s) => `set server ${be}/${s.name} state maint`));
    } else {
      // maint → wait → del: 2 commands; maintenance takes no new request but lets those in flight finish.
      const maint = await this.run(live.map((s) => `set server ${be}/${s.name} state maint`));
      if (wait && this.options.mode === 'dynamic') await this.waitForSessions(live.filter((s) => !maint.failedTargets.has(`${be}/${s.name}`)).map((s) => s.name));
    }
    if (this.options.mode === 'dynamic') final.push(...names.map((n) => `del server ${be}/${n}`));
    const result = await this.run(final, true);
    // A server that still has connections after the bounded wait is forced out: its sessions are shut down.
    const stuck = [...result.busyTargets];
    if (stuck.length > 0) {
      await this.run(stuck.flatMap((t) => [`shutdown sessions server ${t}`, `del server ${t}`]));
    }
    const failed = new Set([...result.failedTargets].filter((t) => !result.busyTargets.has(t)));
    this.counts.removed += names.filter((n) => !failed.has(`${be}/${n}`)).length;
  }

  private async waitForSessions(names: readonly string[]): Promise<void> {
    const { clock, drainTimeoutMs, drainPollMs, client } = this.options;
    const deadline = clock.now() + drainTimeoutMs;
    for (;;) {
      const [reply = ''] = await client.send([`show stat ${this.backend} 4 -1`]);
      const sessions = parseSessions(reply, this.backend);
      if (names.every((n) => (sessions.get(n) ?? 0) === 0)) return;
      if (clock.now() >= deadline) return;
      await sleep(clock, Math.min(drainPollMs, Math.max(0, deadline - clock.now())), this.signal);
    }
  }

  /** Send write commands pipelined; record the first failure. `tolerateBusy`: "still has connections" is returned, not recorded. */
  private async run(commands: readonly string[], tolerateBusy = false): Promise<{ failedTargets: Set<string>; busyTargets: Set<string> }> {
    const failedTargets = new Set<string>();
    const busyTargets = new Set<string>();
    if (commands.length === 0) return { failedTargets, busyTargets };
    this.signal?.throwIfAborted();
    this.counts.writes += commands.length;
    // With a state file, the backend's state is read in the same round trip and the file kept current.
    const stateFile = this.options.stateFile;
    const replies = await this.options.client.send(stateFile ? [...commands, `show servers state ${this.backend}`] : commands);
    stateFile?.update(this.backend, replies[commands.length] ?? '');
    commands.forEach((command, i) => {
      const target = / ([^ ]+\/[^ ]+)/.exec(command)?.[1] ?? '';
      try {
        checkWriteReply(command, replies[i] ?? '');
      } catch (err) {
        failedTargets.add(target);
        if (tolerateBusy && (err as { peerCode?: string }).peerCode === 'has-connections') busyTargets.add(target);
        else this.firstError ??= err;
      }
    });
    return { failedTargets, busyTargets };
  }
}
