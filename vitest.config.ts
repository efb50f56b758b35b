import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@nitrox/source'] },
  ssr: { resolve: { conditions: ['@nitrox/source'] } },
  test: {
    projects: ['packages/*', 'examples', 'examples/plugin-file-sink'],
  },
});
