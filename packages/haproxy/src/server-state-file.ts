/**
 * A `server-state-file` that Nitrox keeps current, so that any reload of HAProxy (by anyone, at any time)
 * starts the new worker with the members already in place. HAProxy reads such a file before it handles
 * traffic (`load-server-state-from-file`) and restores each named server's state, weight and port — and, for a
 * server declared with a host name and `init-addr last,…`, its address (HAProxy 2.6 src/server_state.c keeps
 * the file's address as the server's "last" address, which only the `init-addr` chain of a server with a host
 * name applies). The file holds the `show servers state <backend>` lines of every backend written through it,
 * in HAProxy's own format (version `1`, the `#` header, one line per server); it is rewritten atomically
 * (temporary file + rename), in the background, whenever what a reload restores changed: address, port,
 * state, weight or ids.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { HaproxyLogger } from './sink-options.js';

/** Counters of a {@link ServerStateFile}. */
export interface ServerStateFileStats {
  /** Times the file was written. */
  writes: number;
  /** Failed writes and unusable replies (logged; the next change writes again). */
  errors: number;
}

/** What a reload restores from a line, joined: a change here means the file must be rewritten. */
const restoredColumns = ['be_id', 'srv_id', 'srv_name', 'srv_addr', 'srv_op_state', 'srv_admin_state', 'srv_uweight', 'srv_iweight', 'srv_port', 'srv_fqdn'];

interface BackendLines {
  /** The lines as HAProxy printed them. */
  readonly lines: readonly string[];
  /** The restored columns of every line, to compare. */
  readonly key: string;
}

/**
 * The server-state file of one HAProxy, shared by every sink that writes to it.
 *
 * @example
 * ```ts
 * const file = new ServerStateFile('/var/lib/haproxy/nitrox.state');
 * file.update('be_web', reply); // reply: HAProxy's answer to `show servers state be_web`
 * await file.flush();            // the file holds it now
 * ```
 */
export class ServerStateFile {
  /** Counters. */
  readonly stats: ServerStateFileStats = { writes: 0, errors: 0 };
  private readonly backends = new Map<string, BackendLines>();
  private readonly warned = new Set<string>();
  private header = '';
  private writing: Promise<void> | undefined;
  private dirty = false;

  /**
   * @param path - where HAProxy reads it (`server-state-file`, or a backend's `server-state-file-name`)
   * @param logger - where failed writes and non-restorable slots are reported
   */
  constructor(
    readonly path: string,
    private readonly logger: HaproxyLogger = { info: () => {}, warn: () => {} },
  ) {}

  /**
   * Record `backend`'s servers from HAProxy's reply to `show servers state <backend>`; when what a reload
   * would restore changed, schedule a rewrite of the file. The write runs in the background (an apply never
   * waits on the disk: a rename on ext4 took up to ~40 ms under load here); writes are serialized and
   * coalesced, so the file always ends with the latest state ({@link flush} waits for it). A reply that is not
   * a state dump, or a failed write, is counted and logged, never thrown: HAProxy itself is already right,
   * only a reload before the next good write would miss the change (and the sink's re-apply repairs that).
   */
  update(backend: string, reply: string): void {
    const lines = reply.split('\n').filter((l) => l !== '');
    const header = lines[1];
    const columns = header?.startsWith('# ') && lines[0] === '1' ? header.slice(2).split(' ') : [];
    const ix = restoredColumns.map((c) => columns.indexOf(c));
    if (header === undefined || columns.length === 0 || ix.some((i) => i < 0)) {
      this.stats.errors++;
      this.logger.warn({ backend, reply: reply.slice(0, 200) }, 'haproxy server-state file not updated: unexpected servers state reply');
      return;
    }
    const servers = lines.slice(2);
    const key = servers.map((l) => ix.map((i) => l.split(' ')[i]).join(' ')).join('\n');
    this.warnIfNotRestorable(backend, servers, columns.indexOf('srv_fqdn'), columns.indexOf('srv_name'));
    if (this.backends.get(backend)?.key === key && this.header === header) return;
    this.header = header;
    this.backends.set(backend, { lines: servers, key });
    if (this.writing) this.dirty = true;
    else this.writing = this.writeLoop();
  }

  /** Resolve once the file holds every update recorded so far. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeLoop(): Promise<void> {
    do {
      this.dirty = false;
      await this.write(this.content());
    } while (this.dirty);
    this.writing = undefined;
  }

  private content(): string {
    const names = [...this.backends.keys()].sort();
    return ['1', this.header, ...names.flatMap((n) => this.backends.get(n)?.lines ?? []), ''].join('\n');
  }

  private async write(content: string): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, content);
      await rename(tmp, this.path);
      this.stats.writes++;
    } catch (err) {
      this.stats.errors++;
      this.logger.warn({ path: this.path, err: err instanceof Error ? err.message : String(err) }, 'could not write the haproxy server-state file');
    }
  }

  /** A server without a host name (`srv_fqdn` "-") gets its configured address back on a reload, not the file's. */
  private warnIfNotRestorable(backend: string, servers: readonly string[], fqdnAt: number, nameAt: number): void {
    if (this.warned.has(backend)) return;
    const literal = servers.map((l) => l.split(' ')).filter((f) => f[fqdnAt] === '-');
    if (literal.length === 0) return;
    this.warned.add(backend);
    this.logger.warn(
      { backend, servers: literal.slice(0, 3).map((f) => f[nameAt]) },
      'haproxy restores no address from the state file for servers declared by IP: declare the slots with a host name and "init-addr last,<ip>"',
    );
  }
}
