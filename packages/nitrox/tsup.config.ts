import { defineConfig } from 'tsup';

// One ESM build of the library and the command together, so the chunks they share (the commands, loaded on
// demand) are emitted once; the CommonJS library on its own (the command is ESM only: it keeps the #! line of
// src/bin.ts and uses top-level await). Plain tsup options; `npm run build` empties dist first.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    splitting: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
  },
  { entry: { index: 'src/index.ts' }, format: ['cjs'], dts: { entry: { index: 'src/index.ts' } }, clean: false, sourcemap: true, target: 'node20' },
]);
