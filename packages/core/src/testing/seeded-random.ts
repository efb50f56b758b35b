/** A seeded pseudo-random stream for tests, fault schedules and examples, so a failing run replays exactly. */

/**
 * The mulberry32 generator: numbers in [0, 1), the same sequence for the same seed.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * if (random() < 0.05) dropThisMessage();
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
