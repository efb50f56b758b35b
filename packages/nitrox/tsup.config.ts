import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared.js';

export default defineConfig([
  libraryBuild({ index: 'src/index.ts' }),
  // The command: ESM only, keeps the #! line of src/bin.ts.
  { entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false, sourcemap: true, target: 'node20' },
]);
