// A new app, made the way a team would make one: every public package packed with `npm pack`, installed from the
// tarballs beside today's majors of the peers (`bullmq@6 ioredis@6 zod@4`); then the root README's example, as it
// is written, compiled under strict TypeScript and run against a real Redis and SMTP server.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRedisUrl } from '@herald/test-peers/redis';
import { startSmtpPeer } from '@herald/test-peers/smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilerOptions, planSnippets } from '../readme-snippets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, '.tmp', 'compat', 'fresh-app');
const app = path.join(work, 'app');
/** The host's peers, at today's majors. */
const peers = ['bullmq@6', 'ioredis@6', 'zod@4'];

function npm(args, cwd) {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${output}`);
  return output;
}

/**
 * npm's warnings: ERESOLVE, peer conflicts, engines, deprecations — anything it prints as `npm warn` — but for npm
 * 11's notice that it did not run install scripts it was not told to allow (BullMQ's msgpackr-extract has one): that
 * is npm's script policy speaking about any package with such a script, not about the dependency tree.
 */
function warningsIn(output) {
  return output
    .split('\n')
    .filter((line) => /^npm warn/i.test(line.trim()) && !/^npm warn install-scripts\b/i.test(line.trim()));
}

function publicPackages() {
  return readdirSync(path.join(root, 'packages'))
    .map((name) => path.join('packages', name))
    .filter((dir) => !JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')).private);
}

/** The root README's example: its first TypeScript block (with the blocks that continue it). */
function readmeExample() {
  const [example] = planSnippets(root, ['README.md']).filter((module) => module.skipped === undefined);
  if (!example) throw new Error('README.md has no TypeScript example');
  return example;
}

// What the README assumes the app already has (`<!-- snippet: assumes db -->`), here for real.
const assumed = `import type { Recipient } from '@herald/core';

const users: Recipient[] = [
  { id: 'ana', name: 'Ana', email: 'ana@fresh-app.test' },
  { id: 'ben', name: 'Ben', email: 'ben@fresh-app.test' },
];

export const db = {
  users: { findMany: async (ids: readonly string[]): Promise<Recipient[]> => users.filter((user) => ids.includes(user.id)) },
};
`;

// After the example: report what it did, then let the process end.
const epilogue = `
console.log(JSON.stringify({ report, inbox: (await herald.inbox.list('ben')).items.map((item) => item.title), unread: await herald.inbox.unreadCount('ben') }));
await herald.close();
await redis.quit();
`;

let installOutput = '';
let devOutput = '';

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'tarballs'), { recursive: true });
  mkdirSync(path.join(app, 'src'), { recursive: true });
  const packed = JSON.parse(
    npm(
      [
        'pack',
        '--json',
        '--pack-destination',
        path.join(work, 'tarballs'),
        ...publicPackages().flatMap((dir) => ['--workspace', dir]),
      ],
      root,
    ).replace(/^[^[]*/s, ''),
  );
  const tarballs = packed.map((entry) => path.join(work, 'tarballs', entry.filename));
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: 'herald-fresh-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  installOutput = npm(['install', '--no-audit', '--no-fund', ...tarballs, ...peers], app);
  devOutput = npm(['install', '--no-audit', '--no-fund', '--save-dev', 'typescript@~5.9.0', '@types/node@^20'], app);
}, 600_000);

describe('a fresh app on the packed packages and today’s majors', () => {
  let smtp;
  afterAll(async () => {
    await smtp?.close();
  });

  it(`installs them with ${peers.join(' ')} without a warning`, () => {
    expect(warningsIn(installOutput)).toEqual([]);
    expect(warningsIn(devOutput)).toEqual([]);
  });

  it('ends with one copy of each peer, of zod and of every Herald package', () => {
    const nodes = JSON.parse(npm(['query', ':is(#ioredis, #bullmq, #zod, #nodemailer, [name^="@herald/"])'], app));
    const copies = {};
    for (const node of nodes) {
      copies[node.name] ??= [];
      copies[node.name].push(`${node.version} at ${node.location}`);
    }
    for (const [name, found] of Object.entries(copies)) expect(found, name).toHaveLength(1);
    expect(Object.keys(copies).sort()).toEqual(
      expect.arrayContaining(['@herald/bullmq', '@herald/core', '@herald/storage', 'bullmq', 'ioredis', 'zod']),
    );
    const major = (name) => Number(nodes.find((node) => node.name === name).version.split('.')[0]);
    expect([major('bullmq'), major('ioredis'), major('zod')]).toEqual([6, 6, 4]);
  });

  it("compiles the root README's example under strict TypeScript", () => {
    const example = readmeExample();
    const names = [...new Set(example.blocks.flatMap((block) => block.marker.assumes))];
    expect(names, 'what the README example assumes, which this test defines for real').toEqual(['db']);
    writeFileSync(path.join(app, 'src', 'readme-assumed.ts'), assumed);
    writeFileSync(path.join(app, 'src', 'main.ts'), `${example.source}${epilogue}`);
    const {
      noEmit: _noEmit,
      moduleDetection: _detection,
      lib,
      target,
      module,
      moduleResolution,
      ...strict
    } = compilerOptions;
    const tsconfig = {
      compilerOptions: {
        ...strict,
        target: 'es2022',
        lib: ['es2023'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    };
    writeFileSync(path.join(app, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    const tsc = spawnSync(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], {
      encoding: 'utf8',
    });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
    expect(existsSync(path.join(app, 'dist', 'main.js'))).toBe(true);
  });

  it('runs it: Ben gets his inbox item and his email, Ana (the actor) nothing', async () => {
    smtp = await startSmtpPeer();
    // Not spawnSync: the SMTP peer answers from this process's event loop.
    const run = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(app, 'dist', 'main.js')],
        {
          cwd: app,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, REDIS_URL: testRedisUrl(), SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) },
        },
        (error, stdout, stderr) => resolve({ status: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const outcome = JSON.parse(run.stdout.trim().split('\n').at(-1));
    expect(outcome.report).toMatchObject({ sent: 2, failed: 0 });
    expect(outcome.inbox).toEqual(['Ticket assigned']);
    expect(outcome.unread).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
    expect(smtp.received.map((mail) => mail.envelopeTo)).toEqual([['ben@fresh-app.test']]);
    expect(smtp.received[0].parsed.subject).toBe('Assigned: Printer on fire');
  });
});
