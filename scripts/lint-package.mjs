#!/usr/bin/env node
// Part of each package's `lint:package` (after its build): compares the tarball `npm pack` would publish with
// what the package's entry points import, and what its tests import with what it declares. It fails when
//   - a file an entry point reaches (imports followed file to file, source maps included) is left out of the
//     tarball, or does not exist — the `files` rule that dropped @herald/testing's src/test-channel.ts;
//   - a shipped file imports a package that is neither a dependency nor a peer dependency;
//   - the tarball holds code no entry point reaches — a test helper or fixture shipped by mistake;
//   - a source that is not shipped (a test, a fixture) imports a package neither it nor the repository root declares.
// Usage: `node scripts/lint-package.mjs [package folder]` (default: the current folder).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const codeFile = /\.(?:[cm]?js|[cm]?tsx?)$/;
const checkedInTarball = /\.(?:[cm]?js|[cm]?tsx?|map)$/;
const builtins = new Set(builtinModules);

/** The paths `npm pack` would put in the tarball, relative to the package folder. */
export function packedFiles(packageDir) {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [report] = JSON.parse(output);
  return new Set(report.files.map((file) => toPosix(file.path)));
}

/**
 * Every problem with the package in `packageDir`, one sentence each; none means it passes.
 * `packed` is the tarball's file list (default: asked of `npm pack`); `rootDevDependencies` are the tools the
 * repository root provides to every package's tests (default: read from the workspace root, if any).
 */
export function checkPackage(packageDir, options = {}) {
  const dir = path.resolve(packageDir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const packed = options.packed ?? packedFiles(dir);
  const rootDevDependencies = options.rootDevDependencies ?? workspaceRootDevDependencies(dir);
  const problems = [];
  const reached = new Set(['package.json']);
  const queue = [];

  const reach = (file, via) => {
    if (reached.has(file)) return;
    reached.add(file);
    if (!existsSync(path.join(dir, file))) {
      problems.push(`${via} points at ${file}, which does not exist (was the package built?).`);
      return;
    }
    if (!packed.has(file)) {
      problems.push(`${via} needs ${file}, which the tarball leaves out: check "files" in package.json.`);
    }
    if (codeFile.test(file)) queue.push(file);
  };

  for (const { target, via } of entryPoints(manifest)) {
    const file = toPosix(path.posix.normalize(target));
    if (file.includes('*')) {
      const pattern = new RegExp(`^${file.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.+')}$`);
      const matches = [...packed].filter((packedFile) => pattern.test(packedFile));
      if (matches.length === 0) problems.push(`${via} matches no file in the tarball.`);
      for (const match of matches) reach(match, via);
    } else {
      reach(file, via);
    }
  }

  const shippedDependencies = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  // Source maps last, so a missing file is reported by the import that needs it where there is one.
  const mapped = [];
  while (queue.length > 0 || mapped.length > 0) {
    if (queue.length === 0) {
      const { source, via } = mapped.shift();
      reach(source, via);
      continue;
    }
    const file = queue.shift();
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const specifier of importsOf(text)) {
      if (isRelative(specifier)) {
        const resolved = resolveRelative(dir, file, specifier);
        if (resolved === undefined) problems.push(`${file} imports "${specifier}", which does not exist.`);
        else reach(resolved, `${file} (import "${specifier}")`);
      } else {
        const name = packageName(specifier);
        if (name !== undefined && !shippedDependencies.has(name)) {
          problems.push(
            `${file} imports "${specifier}", but ${name} is not in dependencies or peerDependencies: installs of the package will not have it.`,
          );
        }
      }
    }
    for (const source of sourceMapSources(dir, file, text)) mapped.push({ source, via: `${file}'s source map` });
  }

  for (const file of [...packed].sort()) {
    if (checkedInTarball.test(file) && !reached.has(file)) {
      problems.push(
        `The tarball ships ${file}, which no entry point reaches: a test helper or fixture? Name it *.fixture.ts (left out by "files") or import it.`,
      );
    }
  }

  const declared = new Set([
    ...shippedDependencies,
    ...Object.keys(manifest.devDependencies ?? {}),
    ...rootDevDependencies,
  ]);
  for (const file of sourceFiles(dir)) {
    if (packed.has(file)) continue;
    for (const specifier of importsOf(readFileSync(path.join(dir, file), 'utf8'))) {
      const name = isRelative(specifier) ? undefined : packageName(specifier);
      if (name !== undefined && !declared.has(name)) {
        problems.push(
          `${file} imports "${specifier}", but ${name} is declared neither by the package (devDependencies) nor by the repository root.`,
        );
      }
    }
  }
  return problems;
}

/** Each file the manifest names as a way in, with where it is named (`exports["./spec"].import.types`). */
function entryPoints(manifest) {
  const entries = [];
  const add = (target, via) => {
    if (typeof target === 'string' && target.startsWith('./')) entries.push({ target: target.slice(2), via });
    else if (typeof target === 'string') entries.push({ target, via });
  };
  for (const field of ['main', 'module', 'types', 'typings']) add(manifest[field], `"${field}"`);
  if (typeof manifest.browser === 'string') add(manifest.browser, '"browser"');
  if (typeof manifest.bin === 'string') add(manifest.bin, '"bin"');
  else for (const [name, target] of Object.entries(manifest.bin ?? {})) add(target, `bin["${name}"]`);
  const walk = (value, via) => {
    if (typeof value === 'string') add(value, via);
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        walk(item, Array.isArray(value) ? `${via}[${key}]` : `${via}[${JSON.stringify(key)}]`);
      }
    }
  };
  if (typeof manifest.exports === 'string') add(manifest.exports, '"exports"');
  else if (manifest.exports) {
    for (const [key, item] of Object.entries(manifest.exports)) {
      walk(item, key.startsWith('.') ? `exports[${JSON.stringify(key)}]` : `exports.${key}`);
    }
  }
  return entries;
}

/** Module specifiers a JS, TS or declaration file imports, requires, re-exports or references. */
function importsOf(text) {
  const info = ts.preProcessFile(text, true, true);
  return [...info.importedFiles, ...info.referencedFiles].map((reference) => reference.fileName);
}

function isRelative(specifier) {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
}

/** The package a bare specifier names, or undefined for Node built-ins. */
function packageName(specifier) {
  if (specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(specifier.split('/')[0])) {
    return undefined;
  }
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Resolves a relative import the way bundlers and TypeScript do; a declaration file prefers declarations. */
function resolveRelative(dir, from, specifier) {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const swaps = [
    [/\.js$/, ['.ts', '.tsx', '.d.ts']],
    [/\.mjs$/, ['.mts', '.d.mts']],
    [/\.cjs$/, ['.cts', '.d.cts']],
  ];
  let candidates = [base];
  for (const [pattern, replacements] of swaps) {
    if (pattern.test(base)) candidates.push(...replacements.map((extension) => base.replace(pattern, extension)));
  }
  const extensions = ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'];
  candidates.push(...extensions.map((extension) => base + extension));
  candidates.push(...extensions.map((extension) => `${base}/index${extension}`));
  if (/\.d\.[cm]?ts$/.test(from)) {
    candidates = [...candidates.filter((file) => /\.d\.[cm]?ts$/.test(file)), ...candidates];
  }
  return candidates.find((file) => {
    const full = path.join(dir, file);
    return existsSync(full) && statSync(full).isFile();
  });
}

/** The package files a file's source map (`//# sourceMappingURL=`) names as its sources, the map included. */
function sourceMapSources(dir, file, text) {
  const match = /\/[/*][#@] sourceMappingURL=([^\s*]+)/.exec(text.slice(-1_000));
  if (!match || match[1].startsWith('data:')) return [];
  const mapFile = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]));
  const found = [mapFile];
  const full = path.join(dir, mapFile);
  if (!existsSync(full)) return found;
  const map = JSON.parse(readFileSync(full, 'utf8'));
  const root = map.sourceRoot ?? '';
  for (const source of map.sources ?? []) {
    // esbuild names a CJS chunk's own output by its absolute path; anything else absolute is outside the package.
    const resolved = path.isAbsolute(source)
      ? toPosix(path.relative(dir, source))
      : path.posix.normalize(path.posix.join(path.posix.dirname(mapFile), root, source));
    // Sources outside the package (bundled from elsewhere) are not the tarball's to ship.
    if (!resolved.startsWith('../') && !path.posix.isAbsolute(resolved)) found.push(resolved);
  }
  return found;
}

/** Every code file under src/, relative to the package folder. */
function sourceFiles(dir) {
  const files = [];
  const walk = (relative) => {
    const full = path.join(dir, relative);
    if (!existsSync(full)) return;
    for (const entry of readdirSync(full, { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(child);
      else if (entry.isFile() && codeFile.test(entry.name)) files.push(child);
    }
  };
  walk('src');
  return files;
}

/** The devDependencies of the npm workspace root above `dir`: the tools every package's tests may use. */
function workspaceRootDevDependencies(dir) {
  for (let current = path.dirname(dir); current !== path.dirname(current); current = path.dirname(current)) {
    const file = path.join(current, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (manifest.workspaces) return Object.keys(manifest.devDependencies ?? {});
  }
  return [];
}

function toPosix(file) {
  return file.split(path.sep).join('/');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? '.');
  const problems = checkPackage(dir);
  const name = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
  if (problems.length > 0) {
    console.error(`${name}: ${problems.length} problem(s) with the package's tarball or imports:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  console.log(`${name}: the tarball holds every file its entry points import, and nothing they do not.`);
}
