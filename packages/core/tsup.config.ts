import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', spec: 'src/spec/index.ts', 'store-kit': 'src/store-kit/index.ts' },
  format: ['esm', 'cjs'],
  // One copy of each module across entry points, in both formats: an error class from `@herald/core/spec`
  // is the same class as the one from `@herald/core`.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
