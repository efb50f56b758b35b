/**
 * The Sink conformance kit against HaproxySink over a real `haproxy -db`. Writes are counted on the wire
 * (every command the client sends that is not a `show`); the foreign objects are a dynamic server without the
 * sink's prefix in the pool's backend and an administrator's configured server in another backend.
 */
import { describeSinkConformance } from '@nitrox/core/conformance';
import { HaproxySink } from '../src/haproxy-sink.js';
import { RuntimeApiClient } from '../src/runtime-api-client.js';
import { startHaproxy } from '../src/testing/index.js';

/** A client that counts the write commands it sends. */
class CountingClient extends RuntimeApiClient {
  writes = 0;
  override send(commands: readonly string[]): Promise<string[]> {
    this.writes += commands.filter((c) => !c.startsWith('show ')).length;
    return super.send(commands);
  }
}

describeSinkConformance('HaproxySink (real HAProxy 2.6)', {
  async setup({ allowEmpty }) {
    const hp = await startHaproxy({ backends: [{ name: 'web' }, { name: 'admin-pool', lines: ['server admin1 192.0.2.1:80 weight 7'] }] });
    const client = new CountingClient({ socket: hp.socket });
    const sink = new HaproxySink({ client, allowEmpty, drainTimeoutMs: 1_000, restartCheckIntervalMs: 0 });
    const admin = new RuntimeApiClient({ socket: hp.socket });
    const snapshot = async () => {
      const [web = '', pool = ''] = await admin.send(['show servers state web', 'show servers state admin-pool']);
      // Columns that the sink could change: name, address, op and admin state, weight, port (not the timers).
      const keep = (reply: string, name: string) =>
        reply
          .split('\n')
          .filter((l) => l.split(' ')[3] === name)
          .map((l) => l.split(' ').filter((_, i) => [3, 4, 6, 7, 18].includes(i)).join(' '));
      return JSON.stringify([keep(web, 'backup-web'), keep(pool, 'admin1')]);
    };
    let before = '';
    return {
      sink,
      key: 'web',
      writes: () => client.writes,
      async addForeign() {
        await admin.send(['add server web/backup-web 192.0.2.9:80 weight 7', 'set server web/backup-web state ready']);
        before = await snapshot();
      },
      foreignIntact: async () => before !== '' && before.includes('backup-web') && (await snapshot()) === before,
      async teardown() {
        await sink.stop();
        await admin.close();
        await client.close();
        await hp.stop();
      },
    };
  },
  async failing() {
    const sink = new HaproxySink({ client: { socket: '/nonexistent/nitrox-haproxy.sock', timeoutMs: 2_000 }, restartCheckIntervalMs: 0 });
    return { sink, key: 'web', writes: () => 0, addForeign: async () => {}, foreignIntact: async () => true, teardown: () => sink.stop() };
  },
});
