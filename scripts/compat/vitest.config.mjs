// The fresh-app test (test:compat's `fresh-app` run): its own config, so `npm test` and the Node runs leave it out.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineConfig({
    root: fileURLToPath(new URL('.', import.meta.url)),
    test: {
      name: 'fresh-app',
      include: ['fresh-app.test.mjs'],
      globalSetup: [fileURLToPath(new URL('../../internal/test-peers/src/vitest-global-setup.ts', import.meta.url))],
    },
  }),
);
