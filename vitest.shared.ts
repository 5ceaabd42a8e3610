// Shared vitest settings for every project: `@herald/*` imports resolve to each package's source,
// so tests never need a build first.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

function sourceAliases(): { find: string; replacement: string }[] {
  const aliases: { find: string; replacement: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string | Record<string, unknown>>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target !== 'object' || typeof target['herald-source'] !== 'string') continue;
      aliases.push({
        find: subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
        replacement: resolve(root, 'packages', dir, target['herald-source']),
      });
    }
  }
  // Longest first, so `@herald/storage/redis` wins over `@herald/storage`.
  return aliases.sort((a, b) => b.find.length - a.find.length);
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
