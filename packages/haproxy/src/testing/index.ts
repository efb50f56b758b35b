/**
 * @nitrox/haproxy/testing: start a real HAProxy on loopback for tests and benchmarks.
 */
export { freePort, type HaproxyProcess, startHaproxy, type StartHaproxyOptions, type TestBackend } from './haproxy-process.js';
