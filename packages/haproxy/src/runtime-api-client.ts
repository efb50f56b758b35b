/**
 * A client of HAProxy's Runtime API (the `stats socket`), over a unix socket or `ipv4@host:port`. Two ways
 * to talk: `persistent` keeps one interactive (`prompt`) session and pipelines commands on it (a reply ends
 * where the next `> ` prompt begins); `per-command` opens one connection per command and reads until HAProxy
 * closes it. bench/haproxy.ts measures both; persistent is the default (see docs/haproxy.md for the figures).
 * Every line is checked by `checkCommand` before it is written: nothing but one printable line goes out.
 */
import { connect, type Socket } from 'node:net';
import { HaproxyError } from './errors.js';
import { checkCommand } from './validation.js';

/** How commands reach HAProxy. */
export type SessionMode = 'persistent' | 'per-command';

/** Options of a {@link RuntimeApiClient}. */
export interface RuntimeApiClientOptions {
  /** The admin socket: a unix socket path, or `ipv4@127.0.0.1:9999` (also `127.0.0.1:9999`). */
  readonly socket: string;
  /** One pipelined interactive session, or one connection per command. @defaultValue `'persistent'` */
  readonly session?: SessionMode;
  /** Deadline of one command (or one pipelined batch). @defaultValue 5_000 */
  readonly timeoutMs?: number;
}

/** Commands sent so far, by result. */
export interface RuntimeApiStats {
  ok: number;
  error: number;
  /** Connections opened. */
  connections: number;
}

interface Pending {
  readonly command: string;
  resolve(reply: string): void;
  reject(err: Error): void;
}

interface Session {
  readonly socket: Socket;
  buffer: string;
  readonly pending: Pending[];
}

function endpointOf(socket: string): { path: string } | { host: string; port: number } {
  const m = /^(?:ipv4@)?(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(socket);
  return m ? { host: m[1] as string, port: Number(m[2]) } : { path: socket };
}

function connectionError(command: string, err: unknown): HaproxyError {
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'EACCES') return new HaproxyError('permission-denied', command, 'permission denied on the admin socket', { retryable: false, cause: err });
  const text = err instanceof Error ? err.message : String(err);
  return new HaproxyError('connection', command, text, { retryable: true, cause: err });
}

/** A Runtime API client: `send` writes commands and returns HAProxy's replies in order. */
export class RuntimeApiClient {
  /** Commands sent so far, by result. */
  readonly stats: RuntimeApiStats = { ok: 0, error: 0, connections: 0 };
  private readonly mode: SessionMode;
  private readonly timeoutMs: number;
  private readonly endpoint: { path: string } | { host: string; port: number };
  private session: Session | undefined;
  private closed = false;

  constructor(options: RuntimeApiClientOptions) {
    this.endpoint = endpointOf(options.socket);
    this.mode = options.session ?? 'persistent';
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Send `commands` and return the replies, one per command, trimmed of the closing empty line.
   * @throws HaproxyError (`connection`, retryable) when the socket fails or the deadline passes
   */
  async send(commands: readonly string[]): Promise<string[]> {
    for (const c of commands) checkCommand(c);
    if (this.closed) throw new HaproxyError('connection', commands[0] ?? '', 'client closed', { retryable: false });
    let replies: string[];
    if (this.mode === 'persistent') replies = await this.pipelined(commands);
    else {
      // In order: a server must exist before it is made ready.
      replies = [];
      for (const c of commands) replies.push(await this.oneShot(c));
    }
    return replies.map((r) => r.replace(/\n+$/, ''));
  }

  /**
   * Let the next `send` open a new session; the current one ends after its pending replies (`quit`). A session
   * stays with the process that accepted it: after a master-worker reload, the old worker keeps answering it with
   * its own (stale) state, so the sink renews the session at every apply.
   */
  renew(): void {
    const session = this.session;
    this.session = undefined;
    if (session && !session.socket.destroyed) session.socket.end('quit\n');
  }

  /**
   * Send one command on a connection of its own, whatever the mode: it reaches the current process.
   * @throws HaproxyError (`connection`, retryable) when the socket fails or the deadline passes
   */
  async probe(command: string): Promise<string> {
    checkCommand(command);
    return (await this.oneShot(command)).replace(/\n+$/, '');
  }

  /** Close the session. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.session) this.drop(this.session, new HaproxyError('connection', '', 'client closed', { retryable: false }));
  }

  private open(): Socket {
    this.stats.connections++;
    return 'path' in this.endpoint ? connect(this.endpoint.path) : connect(this.endpoint.port, this.endpoint.host);
  }

  private oneShot(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = this.open();
      let reply = '';
      const timer = setTimeout(() => socket.destroy(new Error(`no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        reply += chunk;
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        this.stats.error++;
        reject(connectionError(command, err));
      });
      socket.on('close', (hadError) => {
        clearTimeout(timer);
        if (hadError) return;
        this.stats.ok++;
        resolve(reply);
      });
      socket.end(`${command}\n`);
    });
  }

  private pipelined(commands: readonly string[]): Promise<string[]> {
    const session = this.session ?? this.startSession();
    const replies = commands.map(
      (command) =>
        new Promise<string>((resolve, reject) => {
          session.pending.push({ command, resolve, reject });
        }),
    );
    const timer = setTimeout(() => {
      this.drop(session, new HaproxyError('connection', commands[0] ?? '', `no reply within ${this.timeoutMs} ms`, { retryable: true }));
    }, this.timeoutMs);
    session.socket.write(commands.map((c) => `${c}\n`).join(''));
    return Promise.all(replies).finally(() => clearTimeout(timer));
  }

  private startSession() {
    const socket = this.open();
    socket.setEncoding('utf8');
    const session: Session = { socket, buffer: '', pending: [] };
    // The reply to `prompt` itself is empty; it is consumed like any other.
    session.pending.push({ command: 'prompt', resolve: () => {}, reject: () => {} });
    socket.write('prompt\n');
    socket.on('data', (chunk: string) => {
      session.buffer += chunk;
      for (let end = session.buffer.indexOf('\n> '); end >= 0; end = session.buffer.indexOf('\n> ')) {
        const reply = session.buffer.slice(0, end + 1);
        session.buffer = session.buffer.slice(end + 3);
        const next = session.pending.shift();
        if (!next) continue;
        this.stats.ok++;
        next.resolve(reply);
      }
    });
    const fail = (err: unknown) => this.drop(session, connectionError(session.pending[0]?.command ?? '', err ?? new Error('connection closed by haproxy')));
    socket.on('error', fail);
    socket.on('close', () => fail(undefined));
    this.session = session;
    return session;
  }

  private drop(session: Session, error: HaproxyError): void {
    if (this.session === session) this.session = undefined;
    for (const p of session.pending.splice(0)) {
      if (p.command !== 'prompt') this.stats.error++;
      p.reject(error);
    }
    session.socket.destroy();
  }
}
