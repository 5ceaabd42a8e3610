#!/usr/bin/env node
// `npm test`: installs the system packages the tests need (when root and they are missing: redis-server,
// chromium, openssl, postgresql), builds, typechecks, lints the code and the published packages, then runs every
// vitest project.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { recordExit, writeFailureReport } from './test-reports.mjs';

process.env.TURBO_TELEMETRY_DISABLED ??= '1';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(command, args, options = {}) {
  console.log(`\n> ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<major>/bin. */
function hasPostgres() {
  if (process.env.HERALD_POSTGRES_BIN) return existsSync(`${process.env.HERALD_POSTGRES_BIN}/initdb`);
  const root = '/usr/lib/postgresql';
  const installed = existsSync(root) && readdirSync(root).some((major) => existsSync(`${root}/${major}/bin/initdb`));
  return installed || has('initdb');
}

function ensureSystemPackages() {
  const wanted = [
    { command: 'redis-server', pkg: 'redis-server', why: 'RedisStore, BullMQ and multi-node gateway tests' },
    { command: 'chromium', pkg: 'chromium', why: 'the browser test of the WebSocket client' },
    { command: 'openssl', pkg: 'openssl', why: 'test certificates for the FCM peer' },
    { command: 'initdb', pkg: 'postgresql', why: 'PostgresStore and the Postgres realtime relay', check: hasPostgres },
  ];
  const missing = wanted.filter((entry) => !(entry.check ?? (() => has(entry.command)))());
  if (missing.length === 0) return;
  if (!isRoot) {
    for (const entry of missing) {
      console.error(
        `Missing ${entry.command}, needed for ${entry.why}: install it with "sudo apt-get install -y ${entry.pkg}".`,
      );
    }
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update'], { env }) !== 0) process.exit(1);
  if (
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing.map((entry) => entry.pkg)], { env }) !== 0
  ) {
    console.error(`Could not install ${missing.map((entry) => entry.pkg).join(', ')} with apt-get.`);
    process.exit(1);
  }
}

ensureSystemPackages();

const steps = [
  ['npx', ['turbo', 'run', 'build', 'typecheck', 'lint:package', '--output-logs=errors-only']],
  ['npx', ['biome', 'check', '.']],
];
for (const [command, args] of steps) {
  if (run(command, args) !== 0) {
    const message = `"${[command, ...args].join(' ')}" failed.`;
    console.error(`\n${message}`);
    // CI sums the reports: a step that fails before vitest runs still counts as a failure.
    if (process.env.HERALD_TEST_JSON) writeFailureReport(process.env.HERALD_TEST_JSON, message);
    process.exit(1);
  }
}

const json = process.env.HERALD_TEST_JSON;
const reporterArgs = json ? ['--reporter=default', '--reporter=json', `--outputFile.json=${json}`] : [];
if (json) mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
const status = run('npx', ['vitest', 'run', ...reporterArgs]);
if (json && !recordExit(json, status)) writeFailureReport(json, `vitest exited with ${status} and wrote no report`);
process.exit(status);
