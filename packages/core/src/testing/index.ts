/**
 * @nitrox/core/testing: helpers for tests of controllers built on the core, shared by the adapters' own tests.
 */
export { waitFor, type WaitForOptions } from './wait-for.js';
