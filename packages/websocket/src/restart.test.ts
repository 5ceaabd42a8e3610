// A gateway process killed (SIGKILL) and restarted while items keep coming from a worker: every client
// reconnects and shows every item exactly once, in order. Real processes, RedisStore, real redis-server.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHerald, defineNotification } from '@herald/core';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createHeraldClient, type HeraldClient } from './client';
import { createRealtimePublisher } from './realtime-publisher';
import { waitUntil } from './test-support';

const redisUrl = process.env.HERALD_TEST_REDIS_URL;
if (!redisUrl) throw new Error('HERALD_TEST_REDIS_URL is not set: run through the root vitest config');

const gatewayScript = fileURLToPath(new URL('./test-gateway-process.ts', import.meta.url));

const update = defineNotification({
  type: 'ticket.updated',
  schema: z.object({ n: z.number() }),
  channels: { inApp: ({ payload }) => ({ title: `update ${payload.n}`, body: '' }) },
});

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startGatewayProcess(port: number, namespace: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=herald-source', gatewayScript], {
    env: { ...process.env, GATEWAY_PORT: String(port), GATEWAY_REDIS_URL: redisUrl, GATEWAY_NAMESPACE: namespace },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway process exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return child;
}

describe('gateway process restart', () => {
  it('clients reconnect to a restarted gateway and catch up on everything, once and in order', async () => {
    const namespace = `test-${randomUUID()}`;
    const port = await freePort();
    let gatewayProcess = await startGatewayProcess(port, namespace);

    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    cleanups.push(() => redis.quit());
    const worker = createHerald({
      store: new RedisStore({ redis, namespace }),
      channels: [createRealtimePublisher({ redis, namespace })],
    });
    cleanups.push(() => worker.close());

    const users = Array.from({ length: 10 }, (_, index) => `user-${index}`);
    const clients = users.map((userId) => {
      const shown: number[] = [];
      const client: HeraldClient = createHeraldClient({
        url: `ws://127.0.0.1:${port}/realtime`,
        token: `user:${userId}`,
        WebSocket,
        reconnect: { baseMs: 50, capMs: 400 },
      });
      client.on('notification', ({ item }) => shown.push(item.position));
      cleanups.push(async () => client.close());
      return { client, shown };
    });
    await waitUntil(() => clients.every(({ client }) => client.getSnapshot().status === 'open'), 20_000);

    let n = 0;
    const notifyAll = async (count: number) => {
      const reports = [];
      for (let index = 0; index < count; index++) {
        reports.push(await (await worker.notify(update, { to: users, payload: { n: n++ } })).settled);
      }
      return reports;
    };

    await notifyAll(5);
    gatewayProcess.kill('SIGKILL');
    await new Promise((resolve) => gatewayProcess.once('exit', resolve));
    await waitUntil(() => clients.every(({ client }) => client.getSnapshot().status === 'reconnecting'));

    // Nobody is connected anywhere: the worker's deliveries are queued, and wait in the store.
    const whileDown = await notifyAll(5);
    expect(whileDown.every((report) => report.queued === users.length)).toBe(true);

    gatewayProcess = await startGatewayProcess(port, namespace);
    await waitUntil(() => clients.every(({ client }) => client.getSnapshot().status === 'open'), 20_000);
    await notifyAll(5);

    const expected = Array.from({ length: n }, (_, index) => index + 1);
    await waitUntil(() => clients.every(({ shown }) => shown.length >= n), 20_000);
    for (const { shown } of clients) expect(shown).toEqual(expected);
  }, 60_000);
});
