// `npm start`: the task manager on http://localhost:3000 (PORT to change it). Without REDIS_URL everything runs
// in this process; with it, this process serves the page and a worker process (src/worker.ts) delivers.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDevtoolsHandler } from '@herald/devtools';
import { startSmtpPeer } from '@herald/test-peers/smtp';
import { createTestClock } from '@herald/testing';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { createTasksApp } from './app';
import { users } from './domain';
import { createTasksHerald, schedulePruning } from './herald';
import { bundleInboxElement } from './inbox-bundle';
import { notifications } from './notifications';
import { createSessions } from './session';

const redisUrl = process.env.REDIS_URL;
const port = Number(process.env.PORT ?? 3000);
// Tests move time through POST /api/test/clock instead of waiting an hour for a deadline warning.
const testClock = process.env.TASKS_TEST_CLOCK === '1' ? createTestClock(Date.now()) : undefined;

// The local SMTP sink stands in for a mail provider; its mail shows on /dev.
const smtpPeer = process.env.SMTP_HOST ? undefined : await startSmtpPeer();
const smtp = smtpPeer
  ? { host: smtpPeer.host, port: smtpPeer.port }
  : { host: process.env.SMTP_HOST as string, port: Number(process.env.SMTP_PORT ?? 25) };

let app: Hono | undefined;
const server = createAdaptorServer({
  fetch: (request) => (app ? app.fetch(request) : new Response('Starting', { status: 503 })),
}) as Server;
const sessions = createSessions((id) => users.some((user) => user.id === id));
const wiring = createTasksHerald({
  role: redisUrl ? 'web' : 'all',
  redisUrl,
  smtp,
  clock: testClock,
  server,
  authenticate: sessions.authenticate,
});
const { herald, clock } = wiring;
// The developer page: every email the SMTP sink received, each notification's deliveries, template previews.
// Development only: it refuses to run under NODE_ENV=production, so the app leaves it out there.
const devtools =
  process.env.NODE_ENV === 'production'
    ? undefined
    : createDevtoolsHandler({ herald, definitions: [...notifications], ...(smtpPeer ? { mail: smtpPeer } : {}) });
app = createTasksApp({
  herald,
  clock,
  testClock,
  sessions,
  inboxScript: await bundleInboxElement(),
  mount: (routes) => {
    if (!devtools) return;
    routes.get('/dev', (c) => devtools(c.req.raw));
    routes.all('/dev/*', (c) => devtools(c.req.raw));
  },
}) as unknown as Hono;
const stopPruning = schedulePruning(herald, clock, (removed) => {
  if (removed !== 0) console.log(`pruned ${removed} read notifications older than 30 days`);
});

let worker: ChildProcess | undefined;
if (redisUrl) {
  worker = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=herald-source', fileURLToPath(new URL('./worker.ts', import.meta.url))],
    {
      stdio: 'inherit',
      env: { ...process.env, SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) },
    },
  );
}

server.listen(port, '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  const mode = redisUrl ? 'RedisStore + BullMQ, worker process started' : 'MemoryStore + in-process runner';
  console.log(`Field tasks on http://localhost:${address.port} (${mode})`);
});

async function shutdown(): Promise<void> {
  stopPruning();
  devtools?.close();
  worker?.kill('SIGTERM');
  await wiring.close();
  server.close();
  await smtpPeer?.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
