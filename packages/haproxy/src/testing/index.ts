/**
 * @nitrox/haproxy/testing: start a real HAProxy on loopback, real HTTP backends and a client loop, for tests
 * and benchmarks.
 */
export { freePort, type HaproxyProcess, startHaproxy, type StartHaproxyOptions, type TestBackend } from './haproxy-process.js';
export { type HttpBackend, httpGet, startHttpBackends, type TrafficCounts, type TrafficLoop, trafficLoop } from './http-backends.js';
