/**
 * The Sink conformance kit against NetScalerSink over HTTP to the NITRO simulator. Foreign objects are a member
 * bound by a named server inside the pool and an administrator's own servicegroup; writes are counted from the
 * simulator's request log.
 */
import { describeSinkConformance } from '@nitrox/core/conformance';
import { sink, simulator } from './helpers.js';
import { NetScalerSink } from '../src/netscaler-sink.js';

describeSinkConformance('NetScalerSink (NITRO simulator)', {
  async setup({ allowEmpty }) {
    const sim = await simulator();
    const s = sink(sim, { allowEmpty });
    const snapshot = () => JSON.stringify([sim.state.members('web').filter((m) => m.startsWith('10.9.9.9')), sim.state.members('admin-pool')]);
    let before = '';
    return {
      sink: s,
      key: 'web',
      writes: () => sim.requestLog.writes().length,
      async addForeign() {
        sim.state.addServer({ name: 'backup-web', ipaddress: '10.9.9.9' });
        sim.state.bindMember({ servicegroupname: 'web', servername: 'backup-web', port: 80, weight: 7 });
        sim.state.addServicegroup({ servicegroupname: 'admin-pool', servicetype: 'HTTP', comment: 'the admin' });
        sim.state.bindMember({ servicegroupname: 'admin-pool', ip: '192.0.2.1', port: 80 });
        before = snapshot();
      },
      foreignIntact: async () => before !== '' && snapshot() === before,
      async teardown() {
        await s.stop();
        await sim.close();
      },
    };
  },
  async failing() {
    const s = new NetScalerSink({ client: { url: 'http://127.0.0.1:1', username: 'u', password: 'p', timeoutMs: 2_000 }, lbvserver: 'vs-web' });
    return { sink: s, key: 'web', writes: () => 0, addForeign: async () => {}, foreignIntact: async () => true, teardown: () => s.stop() };
  },
});
