// The tarball check against small packages made for each case in a temporary folder, packed by the real `npm pack`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPackage } from './lint-package.mjs';

const folders = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Writes a package: `manifest` merged over a name and version, and `files` as path → content. */
function makePackage(manifest, files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-lint-package-'));
  folders.push(dir);
  const full = { name: 'lint-package-case', version: '1.0.0', type: 'module', ...manifest };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(full, null, 2)}\n`);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

// The shape @herald/testing had: a shipped index re-exporting a public file that a rule for private ones dropped.
const testingLike = {
  'src/index.ts': "export * from './test-channel';\nexport * from './wait-until';\n",
  'src/test-channel.ts': 'export const createTestChannel = (): string => "channel";\n',
  'src/wait-until.ts': 'export const waitUntil = (): void => {};\n',
  'src/test-channel.test.ts': "import { expect } from 'vitest';\nimport { createTestChannel } from './test-channel';\n",
  'src/channel.fixture.ts':
    "import { createTestChannel } from './test-channel';\nexport const channel = createTestChannel();\n",
};
const sourceEntry = { exports: { '.': './src/index.ts' } };

describe('lint-package', () => {
  it('fails when a files rule drops a file that a shipped entry point imports', () => {
    const files = ['src', '!src/**/*.test.ts', '!src/**/*.fixture.ts', '!src/**/test-*'];
    const dir = makePackage({ ...sourceEntry, files }, testingLike);
    expect(checkPackage(dir, { rootDevDependencies: ['vitest'] })).toEqual([
      'src/index.ts (import "./test-channel") needs src/test-channel.ts, which the tarball leaves out: check "files" in package.json.',
    ]);
  });

  it('passes when only tests and *.fixture.ts files are left out', () => {
    const dir = makePackage(
      { ...sourceEntry, files: ['src', '!src/**/*.test.ts', '!src/**/*.fixture.ts'] },
      testingLike,
    );
    expect(checkPackage(dir, { rootDevDependencies: ['vitest'] })).toEqual([]);
  });

  it('fails when the tarball ships code no entry point reaches, such as a fixture', () => {
    const dir = makePackage({ ...sourceEntry, files: ['src', '!src/**/*.test.ts'] }, testingLike);
    expect(checkPackage(dir, { rootDevDependencies: ['vitest'] })).toEqual([
      expect.stringContaining('The tarball ships src/channel.fixture.ts, which no entry point reaches'),
    ]);
  });

  it('follows built files and their source maps, and says when an entry point was never built', () => {
    const files = {
      'dist/index.js': "export * from './chunk.js';\n//# sourceMappingURL=index.js.map\n",
      'dist/index.js.map': JSON.stringify({ version: 3, sources: ['../src/index.ts'], mappings: '' }),
      'dist/chunk.js': 'export const value = 1;\n',
      'src/index.ts': 'export const value = 1;\n',
    };
    const exports = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };
    const dir = makePackage({ exports, files: ['dist/index.js', 'dist/index.js.map'] }, files);
    expect(checkPackage(dir, { rootDevDependencies: [] })).toEqual([
      'exports["."]["types"] points at dist/index.d.ts, which does not exist (was the package built?).',
      'dist/index.js (import "./chunk.js") needs dist/chunk.js, which the tarball leaves out: check "files" in package.json.',
      'dist/index.js\'s source map needs src/index.ts, which the tarball leaves out: check "files" in package.json.',
    ]);
  });

  it('fails when shipped code imports a package installs will not have, or a test one nobody declares', () => {
    const files = {
      'src/index.ts':
        "import leftPad from 'left-pad';\nimport { z } from 'zod';\nimport { readFileSync } from 'node:fs';\nexport { leftPad, readFileSync, z };\n",
      'src/index.test.ts': "import { it } from 'vitest';\nimport { Redis } from 'ioredis';\nimport { z } from 'zod';\n",
    };
    const manifest = {
      ...sourceEntry,
      files: ['src', '!src/**/*.test.ts'],
      dependencies: { zod: '^4.0.0' },
      devDependencies: { 'left-pad': '^1.3.0' },
    };
    const dir = makePackage(manifest, files);
    expect(checkPackage(dir, { rootDevDependencies: ['vitest'] })).toEqual([
      'src/index.ts imports "left-pad", but left-pad is not in dependencies or peerDependencies: installs of the package will not have it.',
      'src/index.test.ts imports "ioredis", but ioredis is declared neither by the package (devDependencies) nor by the repository root.',
    ]);
  });
});
