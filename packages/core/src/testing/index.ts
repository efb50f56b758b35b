/**
 * @nitrox/core/testing: helpers for tests of controllers built on the core, shared by the adapters' own tests.
 */
export { seededRandom } from './seeded-random.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
