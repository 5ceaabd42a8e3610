import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['react', '@herald/inbox-element'],
  // Hooks and effects run on the client: React Server Components import these as client references.
  banner: { js: "'use client';" },
});
