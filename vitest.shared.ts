import { defineConfig } from 'vitest/config';

/** Settings every package's test project shares: sibling packages resolve to their TypeScript source. */
export default defineConfig({
  resolve: { conditions: ['@nitrox/source'] },
  ssr: { resolve: { conditions: ['@nitrox/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
