/** Starts a 1-node testbed, prints its directory, and waits to be killed (the crash test's victim). */
import { SwarmTestbed } from '../src/testing/index.js';

const tb = await SwarmTestbed.start({ nodes: 1 });
console.log(JSON.stringify({ dir: tb.directory }));
setInterval(() => {}, 60_000);
