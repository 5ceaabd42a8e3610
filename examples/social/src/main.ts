// `npm start`: the social network on http://localhost:3000 (PORT to change it). Without REDIS_URL everything runs
// in this process; with it, this process serves the page and a worker process (src/worker.ts) delivers. Push goes
// to a local stand-in for FCM, so every push is visible without a Firebase project.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDevtoolsHandler } from '@herald/devtools';
import { createFcmPeer } from '@herald/test-peers/fcm';
import { createTestClock } from '@herald/testing';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { createSocialApp } from './app';
import { uninstalledTokens, users } from './domain';
import { createSocialHerald, type PushBatch, registerDevices } from './herald';
import { bundleInboxElement } from './inbox-bundle';
import { notifications } from './notifications';
import { createSessions } from './session';

const redisUrl = process.env.REDIS_URL;
const port = Number(process.env.PORT ?? 3000);
// Tests close reaction digests by moving this clock through POST /api/test/clock instead of waiting.
const testClock = process.env.SOCIAL_TEST_CLOCK === '1' ? createTestClock(Date.now()) : undefined;

const fcmPeer = await createFcmPeer({ projectId: 'ooumph-local' });
for (const token of uninstalledTokens) fcmPeer.deadTokens.add(token);

let app: Hono | undefined;
const server = createAdaptorServer({
  fetch: (request) => (app ? app.fetch(request) : new Response('Starting', { status: 503 })),
}) as Server;
const sessions = createSessions((id) => users.some((user) => user.id === id));
const pushBatches: PushBatch[] = [];
const removedDevices: { userId: string; token: string; reason: string }[] = [];
const wiring = createSocialHerald({
  role: redisUrl ? 'web' : 'all',
  redisUrl,
  messaging: fcmPeer.createMessaging(),
  clock: testClock,
  server,
  authenticate: sessions.authenticate,
  onPushBatch: (batch) => {
    pushBatches.push(batch);
    console.log(
      `push batch: ${batch.recipients} recipients, ${batch.messages} devices, ${batch.sendEachCalls} sendEach`,
    );
  },
});
const { herald } = wiring;
herald.on('device.removed', ({ device, reason }) => {
  removedDevices.push({ userId: device.userId, token: device.token, reason });
  console.log(`device removed: ${device.token} of ${device.userId} (${reason})`);
});
await registerDevices(herald);
// The developer page: every push the FCM stand-in received, each notification's deliveries, template previews.
// Development only: it refuses to run under NODE_ENV=production, so the app leaves it out there.
const devtools =
  process.env.NODE_ENV === 'production'
    ? undefined
    : createDevtoolsHandler({ herald, definitions: [...notifications], push: fcmPeer });
app = createSocialApp({
  herald,
  sessions,
  inboxScript: await bundleInboxElement(),
  pushBatches,
  removedDevices,
  testClock,
  mount: (routes) => {
    if (!devtools) return;
    routes.get('/dev', (c) => devtools(c.req.raw));
    routes.all('/dev/*', (c) => devtools(c.req.raw));
  },
}) as unknown as Hono;

let worker: ChildProcess | undefined;
if (redisUrl) {
  const address = { projectId: fcmPeer.projectId, port: fcmPeer.port, ca: fcmPeer.ca };
  worker = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=herald-source', fileURLToPath(new URL('./worker.ts', import.meta.url))],
    { stdio: 'inherit', env: { ...process.env, FCM_PEER: JSON.stringify(address) } },
  );
}

server.listen(port, '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  const mode = redisUrl ? 'RedisStore + BullMQ, worker process started' : 'MemoryStore + in-process runner';
  console.log(`Ooumph on http://localhost:${address.port} (${mode})`);
});

async function shutdown(): Promise<void> {
  worker?.kill('SIGTERM');
  devtools?.close();
  await wiring.close();
  server.close();
  await fcmPeer.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
