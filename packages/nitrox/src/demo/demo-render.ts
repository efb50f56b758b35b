/**
 * Terminal output of the demo: act headers, the desired-versus-actual table per pool, convergence lines and
 * the final summary. Colours and the live waiting line are used only on a TTY (and never with NO_COLOR), so
 * the same output reads well in a CI log.
 */
import { formatDuration } from '@nitrox/plugin';

/** Result of one act. */
export interface ActResult {
  readonly title: string;
  readonly converged: boolean;
  readonly latencyMs: number;
  /** NITRO requests made between the act and convergence. */
  readonly calls: number;
  /** Of which writes. */
  readonly writes: number;
}

/** One pool's state. */
export interface PoolState {
  readonly pool: string;
  readonly desired: readonly string[];
  readonly actual: readonly string[];
  readonly converged: boolean;
}

/** Writes the demo's output. */
export class DemoRenderer {
  readonly #out: NodeJS.WritableStream;
  readonly #tty: boolean;
  readonly #color: boolean;
  #liveShown = false;

  constructor(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv) {
    this.#out = out;
    this.#tty = (out as { isTTY?: boolean }).isTTY === true;
    this.#color = this.#tty && env.NO_COLOR === undefined;
  }

  #c(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Plain line. */
  line(text = ''): void {
    this.#clearLive();
    this.#out.write(`${text}\n`);
  }

  /** The banner. */
  banner(kubeUrl: string, nitroUrl: string, opsUrl: string): void {
    this.line(this.#c('1', 'Nitrox demo: Kubernetes → NetScaler, over real HTTP on loopback'));
    this.line(`  Kubernetes API simulator  ${kubeUrl}`);
    this.line(`  NITRO simulator           ${nitroUrl}`);
    this.line(`  live dashboard            ${opsUrl}/`);
    this.line(`  metrics / health          ${opsUrl}/metrics  ${opsUrl}/readyz`);
    this.line();
  }

  /** Header of an act. */
  act(index: number, total: number, title: string, point: string): void {
    this.line(`${this.#c('1;36', `▶ ${index}/${total}`)} ${this.#c('1', title)}`);
    this.line(this.#c('2', `  ${point}`));
  }

  /** While waiting: one line rewritten in place (TTY only). */
  live(pools: readonly PoolState[], elapsedMs: number): void {
    if (!this.#tty) return;
    const parts = pools.map((p) => `${p.pool} ${p.actual.length}/${p.desired.length}${p.converged ? ' ✓' : ''}`);
    this.#out.write(`\r\x1b[2K  … ${formatDuration(elapsedMs)}  ${parts.join('   ')}`);
    this.#liveShown = true;
  }

  #clearLive(): void {
    if (this.#liveShown) this.#out.write('\r\x1b[2K');
    this.#liveShown = false;
  }

  /** The desired-versus-actual table, with what changed since `before`. */
  pools(pools: readonly PoolState[], before: ReadonlyMap<string, readonly string[]>): void {
    for (const p of pools) {
      const prev = new Set(before.get(p.pool) ?? []);
      const now = new Set(p.actual);
      const added = p.actual.filter((m) => !prev.has(m));
      const removed = [...prev].filter((m) => !now.has(m));
      const delta = [
        ...added.map((m) => this.#c('32', `+${m}`)),
        ...removed.map((m) => this.#c('31', `-${m}`)),
      ].join(' ');
      const mark = p.converged ? this.#c('32', '✓') : this.#c('31', '✗');
      this.line(
        `    ${p.pool.padEnd(10)} desired ${String(p.desired.length).padStart(2)}  actual ${String(p.actual.length).padStart(2)}  ${mark}  ${delta}`,
      );
    }
  }

  /** The convergence line of an act. */
  result(r: ActResult): void {
    if (r.converged) {
      this.line(
        `  ${this.#c('32', '✓ converged')} in ${formatDuration(r.latencyMs)} with ${r.calls} NITRO call${r.calls === 1 ? '' : 's'} (${r.writes} write${r.writes === 1 ? '' : 's'})`,
      );
    } else {
      this.line(`  ${this.#c('31', '✗ did not converge')} within ${formatDuration(r.latencyMs)} (${r.calls} NITRO calls)`);
    }
    this.line();
  }

  /** The final table. */
  summary(results: readonly ActResult[], counters: Readonly<Record<string, number>>, totalMs: number): void {
    this.line(this.#c('1', 'Summary'));
    const width = Math.max(...results.map((r) => r.title.length), 10);
    for (const r of results) {
      const mark = r.converged ? this.#c('32', '✓') : this.#c('31', '✗');
      this.line(
        `  ${mark} ${r.title.padEnd(width)}  ${formatDuration(r.latencyMs).padStart(7)}  ${String(r.calls).padStart(3)} calls  ${String(r.writes).padStart(3)} writes`,
      );
    }
    this.line();
    this.line(`  ${Object.entries(counters).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    const ok = results.every((r) => r.converged);
    this.line(
      ok
        ? this.#c('1;32', `  every pool converged after every act (${formatDuration(totalMs)} in all)`)
        : this.#c('1;31', `  ${results.filter((r) => !r.converged).length} act(s) did not converge`),
    );
  }
}
