import { defineProject } from 'vitest/config';

// The repository's own tooling (the tarball check); it packs small packages with npm, hence the timeout.
export default defineProject({ test: { name: 'scripts', include: ['*.test.mjs'], testTimeout: 30_000 } });
