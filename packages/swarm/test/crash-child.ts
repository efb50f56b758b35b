/** Starts a 1-node testbed running one service task, prints its directory, and waits to be killed (the crash test's victim). */
import { SwarmTestbed, waitFor } from '../src/testing/index.js';

const tb = await SwarmTestbed.start({ nodes: 1 });
await tb.createHttpService({ name: 'victim', replicas: 1 });
// Leave a real container behind (process, shim, rootfs mount, sandbox namespace), not just an idle daemon.
await waitFor(async () => ((await tb.manager.docker.listContainers()).length > 0 ? true : undefined), { timeoutMs: 60_000, what: 'victim container' });
console.log(JSON.stringify({ dir: tb.directory }));
setInterval(() => {}, 60_000);
