#!/usr/bin/env node
// `npm run test:compat [name…]` and `npm run test:node24`: the runs of ./matrix.mjs. Peers and Node binaries come
// from the npm registry into .tmp/compat (kept between runs, reinstalled when a run's specs change). Each run
// writes a vitest JSON report to $HERALD_TEST_REPORTS/<name>.json (default .tmp/test-reports), a failing one
// when its setup fails, so .ci/run counts every run in its closing line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordExit, writeFailureReport } from '../test-reports.mjs';
import { runs } from './matrix.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = path.join(root, '.tmp', 'compat');
const reports = path.resolve(process.env.HERALD_TEST_REPORTS ?? path.join(root, '.tmp', 'test-reports'));
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const register = pathToFileURL(path.join(root, 'scripts', 'compat', 'register.mjs')).href;

function log(line) {
  console.log(`\n[test:compat] ${line}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status ?? 1;
}

/** Installs `dependencies` into `folder` unless the same ones are already there. */
function install(folder, dependencies) {
  const manifest = `${JSON.stringify({ private: true, dependencies }, null, 2)}\n`;
  const stamp = path.join(folder, 'installed.json');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === manifest) return;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), manifest);
  const specs = Object.entries(dependencies).map(([name, range]) => `${name}@${range}`);
  log(`installing ${specs.join(' ')} into ${path.relative(root, folder)}`);
  const status = run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], {
    cwd: folder,
  });
  if (status !== 0) throw new Error(`npm install ${specs.join(' ')} failed in ${folder}`);
  writeFileSync(stamp, manifest);
}

function installedVersion(folder, name) {
  const file = path.join(folder, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

/** A Node binary of the given major, from the npm registry's node-<platform>-<arch> package. */
function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const platform = { win32: 'win', darwin: 'darwin', linux: 'linux' }[process.platform] ?? process.platform;
  const name = `node-${platform}-${process.arch}`;
  const folder = path.join(scratch, `node-${major}`);
  install(folder, { [name]: `^${major}.0.0` });
  const binary = path.join(folder, 'node_modules', name, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(binary)) throw new Error(`${name}@${major} has no binary at ${binary}`);
  return binary;
}

/** Runs one entry of the matrix; true when everything in it passed. */
function runEntry(entry) {
  const report = path.join(reports, `${entry.name}.json`);
  rmSync(report, { force: true });
  log(`${entry.name}: ${entry.summary}`);
  let node;
  const folders = {};
  const folder = path.join(scratch, entry.name);
  try {
    node = entry.node === undefined ? process.execPath : nodeBinary(entry.node);
    if (entry.install) {
      install(folder, entry.install);
      rmSync(path.join(folder, 'resolved.log'), { force: true });
      for (const name of entry.resolve ?? Object.keys(entry.install)) {
        const version = installedVersion(folder, name);
        if (version === undefined) throw new Error(`${name} is not installed in ${folder}`);
        folders[name] = folder;
        log(`${entry.name}: ${name}@${version}`);
      }
    }
  } catch (error) {
    console.error(error);
    writeFailureReport(report, `${entry.name}: setup failed: ${error.message}`);
    return false;
  }

  const args = [vitest, 'run'];
  if (entry.config) args.push('--config', entry.config);
  for (const project of entry.projects ?? []) args.push('--project', project);
  args.push(...(entry.files ?? []));
  args.push('--reporter=default', '--reporter=json', `--outputFile.json=${report}`);
  // The Node binary first on PATH, so processes the tests start (`node`, npm's shebang) run on it too.
  // Type tests do not depend on the runtime or on a peer's code (their types are the workspace's): npm test runs
  // them once.
  const env = {
    ...process.env,
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
    HERALD_TYPECHECK: 'off',
  };
  if (Object.keys(folders).length > 0) {
    env.HERALD_COMPAT_PACKAGES = JSON.stringify(folders);
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${register}`.trim();
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`${entry.name}: vitest on Node ${version}`);
  const status = run(node, args, { cwd: root, env });
  if (!recordExit(report, status)) {
    writeFailureReport(report, `${entry.name}: vitest exited with ${status} and wrote no report`);
    return false;
  }
  if (Object.keys(folders).length > 0) {
    // A run whose tests never imported the installed major tested nothing about it.
    const logFile = path.join(folder, 'resolved.log');
    const resolved = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const unused = Object.keys(folders).filter((name) => !resolved.split('\n').some((line) => line.startsWith(name)));
    if (unused.length > 0) {
      writeFailureReport(
        path.join(reports, `${entry.name}.resolution.json`),
        `${entry.name}: no test imported ${unused.join(', ')} from ${folder}`,
      );
      console.error(`[test:compat] ${entry.name}: no test imported ${unused.join(', ')} from the compat folder.`);
      return false;
    }
  }
  return status === 0;
}

function build() {
  log('building the packages (the fresh app installs their packed tarballs)');
  return run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
  });
}

const names = process.argv.slice(2);
const unknown = names.filter((name) => !runs.some((entry) => entry.name === name));
if (unknown.length > 0) {
  console.error(`Unknown run(s): ${unknown.join(', ')}. Known: ${runs.map((entry) => entry.name).join(', ')}.`);
  process.exit(2);
}
const selected =
  names.length > 0 ? runs.filter((entry) => names.includes(entry.name)) : runs.filter((e) => e.inCompat !== false);
mkdirSync(reports, { recursive: true });
const started = Date.now();
const outcomes = [];
let built = false;
for (const entry of selected) {
  const began = Date.now();
  let passed;
  if (entry.needsBuild && !built && build() !== 0) {
    writeFailureReport(path.join(reports, `${entry.name}.json`), `${entry.name}: the build failed`);
    passed = false;
  } else {
    built ||= Boolean(entry.needsBuild);
    passed = runEntry(entry);
  }
  outcomes.push({ name: entry.name, passed, seconds: Math.round((Date.now() - began) / 1000) });
}
console.log('\n[test:compat] results:');
for (const outcome of outcomes) {
  console.log(`  ${outcome.passed ? 'pass' : 'FAIL'}  ${outcome.name} (${outcome.seconds} s)`);
}
console.log(`[test:compat] ${Math.round((Date.now() - started) / 1000)} s in all`);
process.exit(outcomes.every((outcome) => outcome.passed) ? 0 : 1);
