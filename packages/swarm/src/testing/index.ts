/**
 * @nitrox/swarm/testing: a real Docker Swarm in network namespaces for integration tests (needs root,
 * dockerd, busybox-static, iproute2), and a condition-wait helper.
 */
export { EngineProxy } from './engine-proxy.js';
export { type KilledTask, killTask, taskListedRunning } from './testbed-faults.js';
export { SwarmTestbed, type SwarmTestbedOptions, type TestbedNode } from './swarm-testbed.js';
export type { TestServiceOptions } from './testbed-service.js';
export { testbedImage } from './testbed-image.js';
export { waitFor, type WaitForOptions } from '@nitrox/core/testing';
