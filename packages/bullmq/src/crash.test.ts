// A real crash: the process that notified is SIGKILLed mid-way through its deliveries, and a new process
// finishes them. Nothing may be lost; a pager message may go out twice (sent, then killed before the record
// said so); an in-app item never shows twice, because the realtime channel is idempotent by inbox item id.
import type { DeliveryRecord } from '@herald/core';
import { deliveryPages } from '@herald/core/store-kit';
import { RedisStore } from '@herald/storage/redis';
import { type RedisServer, startRedisServer } from '@herald/test-peers/redis';
import { waitUntil } from '@herald/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, spawnChild, uniqueName } from './bullmq.fixture';
import type { ChildConfig } from './worker-process.fixture';

const RECIPIENTS = 1_000;

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
});

afterAll(async () => {
  await closeAll();
  await redis?.quit();
  await server?.stop();
});

async function allDeliveries(store: RedisStore, notificationId: string): Promise<DeliveryRecord[]> {
  const records: DeliveryRecord[] = [];
  for await (const page of deliveryPages(store, { notificationId, limit: 100 })) records.push(...page.records);
  return records;
}

async function pendingCount(store: RedisStore, notificationId: string): Promise<number> {
  const page = await store.listDeliveries({ notificationId, status: 'pending', limit: 100 });
  return page.records.length;
}

function parse(lines: string[]): { deliveryId: string; role: string; at: number }[] {
  return lines.map((line) => {
    const [deliveryId = '', role = '', at = '0'] = line.split(' ');
    return { deliveryId, role, at: Number(at) };
  });
}

describe('a process killed mid-delivery', () => {
  it('loses nothing: a new worker process finishes every delivery, and in-app items never repeat', async () => {
    const config: ChildConfig = {
      role: 'notify',
      redisUrl: server.url,
      namespace: uniqueName('crash'),
      runKey: uniqueName('run'),
      sendDelayMs: 10,
      concurrency: 16,
      recipients: RECIPIENTS,
      scheduleDelayMs: 2_000,
    };
    const store = new RedisStore({ redis, namespace: config.namespace });
    const sendCount = async (): Promise<number> =>
      (await redis.llen(`${config.runKey}:sends:pager`)) + (await redis.llen(`${config.runKey}:sends:inApp`));

    const first = spawnChild(config);
    await first.ready;
    // notify() has returned: every delivery is a job in Redis. Kill once some, not all, have gone out.
    await waitUntil('the first sends', async () => (await sendCount()) >= 50, { timeoutMs: 20_000 });
    first.process.kill('SIGKILL');
    await first.exited;
    const sentBeforeKill = await sendCount();
    expect(sentBeforeKill).toBeLessThan(2 * RECIPIENTS);

    const notificationId = (await redis.get(`${config.runKey}:notification`)) as string;
    const scheduled = JSON.parse((await redis.get(`${config.runKey}:scheduled`)) as string) as {
      id: string;
      at: number;
    };
    expect(await pendingCount(store, scheduled.id)).toBe(2);

    const second = spawnChild({ ...config, role: 'worker' });
    await second.ready;
    await waitUntil(
      'every delivery to be final',
      async () => (await pendingCount(store, notificationId)) === 0 && (await pendingCount(store, scheduled.id)) === 0,
      { timeoutMs: 45_000 },
    );
    second.process.kill('SIGTERM');
    await second.exited;

    const records = await allDeliveries(store, notificationId);
    expect(records).toHaveLength(2 * RECIPIENTS);
    expect(records.filter((record) => record.status !== 'sent')).toEqual([]);
    const scheduledRecords = await allDeliveries(store, scheduled.id);
    expect(scheduledRecords.map((record) => record.status)).toEqual(['sent', 'sent']);

    const pagerSends = parse(await redis.lrange(`${config.runKey}:sends:pager`, 0, -1));
    const inAppSends = parse(await redis.lrange(`${config.runKey}:sends:inApp`, 0, -1));
    const inAppCalls = Number(await redis.get(`${config.runKey}:calls:inApp`));
    const expected = (kind: string, id: string, count: number): string[] =>
      Array.from({ length: count }, (_, index) => `${id}.${index.toString(36)}.${kind}`);
    const pagerIds = new Set(pagerSends.map((send) => send.deliveryId));
    const inAppIds = new Set(inAppSends.map((send) => send.deliveryId));
    for (const id of [...expected('pager', notificationId, RECIPIENTS), `${scheduled.id}.0.pager`]) {
      expect(pagerIds.has(id), id).toBe(true);
    }
    for (const id of [...expected('inApp', notificationId, RECIPIENTS), `${scheduled.id}.0.inApp`]) {
      expect(inAppIds.has(id), id).toBe(true);
    }
    const pagerDuplicates = pagerSends.length - pagerIds.size;
    const inAppDuplicates = inAppSends.length - inAppIds.size;
    console.log(
      `crash test: ${sentBeforeKill} sends before SIGKILL; pager ${pagerSends.length} sends for ${pagerIds.size} deliveries ` +
        `(${pagerDuplicates} duplicates); inApp ${inAppSends.length} items shown for ${inAppIds.size} deliveries ` +
        `(${inAppDuplicates} duplicates; ${inAppCalls - inAppIds.size} repeated sends absorbed by the item id)`,
    );
    expect(inAppDuplicates).toBe(0);
    expect(new Set(pagerSends.map((send) => send.role))).toEqual(new Set(['notify', 'worker']));

    // The scheduled notification outlived the process that scheduled it and went out from the new one, when due.
    const scheduledSends = [...pagerSends, ...inAppSends].filter((send) => send.deliveryId.startsWith(scheduled.id));
    expect(scheduledSends.map((send) => send.role)).toEqual(['worker', 'worker']);
    for (const send of scheduledSends) expect(send.at).toBeGreaterThanOrEqual(scheduled.at);
    console.log(
      `crash test: scheduled notification sent ${Math.max(...scheduledSends.map((send) => send.at)) - scheduled.at} ms after it was due`,
    );
  }, 60_000);
});
