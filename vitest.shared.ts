// Shared vitest settings for every project: `@herald/*` imports resolve to each package's source,
// so tests never need a build first. Under `npm run test:compat`, the peers it names resolve from the folder
// it installed their other major into.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
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

/** `HERALD_COMPAT_PACKAGES`, set by test:compat: `{ "ioredis": "<folder with ioredis 5 installed>" }`. */
function compatFolders(): Record<string, string> {
  const raw = process.env.HERALD_COMPAT_PACKAGES;
  return raw ? (JSON.parse(raw) as Record<string, string>) : {};
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const folders = compatFolders();

export default defineConfig({
  resolve: { alias: sourceAliases() },
  plugins: [
    {
      name: 'herald-compat-packages',
      enforce: 'pre',
      // Resolved as if imported from the compat folder, so its package's own exports map and dependencies apply.
      async resolveId(source, importer, options) {
        const folder = folders[packageNameOf(source)];
        // Installed packages keep their own dependencies; only Herald's files are redirected.
        if (folder === undefined || importer?.includes('/node_modules/')) return null;
        const resolved = await this.resolve(source, join(folder, 'package.json'), { ...options, skipSelf: true });
        // test:compat checks this log: a run in which nothing resolved from the folder tested nothing.
        if (resolved) appendFileSync(join(folder, 'resolved.log'), `${source}\t${resolved.id}\n`);
        return resolved;
      },
    },
  ],
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // test:compat's runs leave the type tests out (HERALD_TYPECHECK=off): what tsc says does not depend on the
    // runtime, and npm test runs them.
    typecheck: {
      enabled: process.env.HERALD_TYPECHECK !== 'off',
      include: ['src/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
