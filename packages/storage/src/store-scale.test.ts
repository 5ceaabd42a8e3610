// Both stores at the size of one large notification: 200,000 recipients × 2 kinds, written as one insert of
// 200,000 inbox items and one create of 400,000 delivery records through the store kit, which checks each batch
// whole and hands the store chunks of 500. Checks the counts, and prints what it cost the process: peak RSS growth
// and the longest event-loop stall.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChannelKind, DeliveryRecord, Store } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store';
import { RedisStore } from './redis';

const RECIPIENTS = 200_000;
const KINDS = ['inApp', 'email' as ChannelKind] as const;

const url = process.env.HERALD_TEST_REDIS_URL;
if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through the root vitest config.');
const namespace = `test-store-scale-${Math.random().toString(36).slice(2, 10)}`;
const prefix = `${namespace}:`;
const redis = new Redis(url, { maxRetriesPerRequest: 1 });
afterAll(async () => {
  await redis.quit();
});

function notification(label: string): { items: NewInboxItem[]; records: DeliveryRecord[]; id: string } {
  const id = `scale-${label}-${Math.random().toString(36).slice(2, 10)}`;
  const createdAt = new Date().toISOString();
  const items: NewInboxItem[] = new Array(RECIPIENTS);
  const records: DeliveryRecord[] = new Array(RECIPIENTS * KINDS.length);
  for (let index = 0; index < RECIPIENTS; index++) {
    const userId = `${id}-user-${index}`;
    items[index] = {
      id: `${id}.${index}`,
      userId,
      notificationId: id,
      type: 'ticket.assigned',
      title: 'Ticket assigned',
      body: 'Printer on fire',
      url: '/tickets/T-1',
      createdAt,
    };
    KINDS.forEach((kind, offset) => {
      records[index * KINDS.length + offset] = {
        id: `${id}.${index}.${kind}`,
        notificationId: id,
        type: 'ticket.assigned',
        recipientId: userId,
        kind,
        status: 'pending',
        attempts: 0,
        ...(kind === 'inApp' ? { inboxItemId: `${id}.${index}` } : {}),
        createdAt,
        updatedAt: createdAt,
      };
    });
  }
  return { items, records, id };
}

interface Cost {
  /** Growth of the resident set: what the machine saw (it never shrinks back, so run a store alone for it). */
  rssGrowthMiB: number;
  /** Growth of JavaScript heap and buffers: what the call itself held at its peak. */
  heapGrowthMiB: number;
  longestStallMs: number;
  seconds: number;
}

// A full collection before each measurement, so the baseline holds nothing an earlier test left for the collector.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs the writes while sampling RSS and the event loop's delay. */
async function measure(run: () => Promise<void>): Promise<Cost> {
  collectGarbage();
  const held = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.external + usage.arrayBuffers;
  const start = process.memoryUsage();
  let peak = start.rss;
  let peakHeld = held(start);
  const sample = (): void => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.rss);
    peakHeld = Math.max(peakHeld, held(usage));
  };
  const sampler = setInterval(sample, 10);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  try {
    await run();
  } finally {
    delay.disable();
    clearInterval(sampler);
  }
  sample();
  const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    rssGrowthMiB: mebibytes(peak - start.rss),
    heapGrowthMiB: mebibytes(peakHeld - held(start)),
    longestStallMs: Math.round(delay.max / 1e5) / 10,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function writeOneNotification(name: string, store: Store): Promise<{ id: string; cost: Cost }> {
  const { items, records, id } = notification(name);
  const cost = await measure(async () => {
    const stored = await store.insertInboxItems(items);
    expect(stored).toHaveLength(RECIPIENTS);
    expect(stored.every((item, index) => item.position === 1 && item.id === items[index]!.id)).toBe(true);
    await store.createDeliveries(records);
  });
  console.log(
    `${name}: ${RECIPIENTS.toLocaleString('en')} items + ${records.length.toLocaleString('en')} delivery records in ${cost.seconds} s; ` +
      `peak RSS growth ${cost.rssGrowthMiB} MiB (heap and buffers ${cost.heapGrowthMiB} MiB), ` +
      `longest event-loop stall ${cost.longestStallMs} ms`,
  );
  for (const index of [0, 99_999, RECIPIENTS - 1]) {
    const userId = `${id}-user-${index}`;
    expect(await store.lastPosition(userId)).toBe(1);
    expect(await store.unreadCount(userId)).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
    expect((await store.listDeliveries({ recipientId: userId })).records.map((record) => record.kind).sort()).toEqual([
      'email',
      'inApp',
    ]);
  }
  expect(await store.getDeliveries([`${id}.${RECIPIENTS - 1}.email`, `${id}.0.inApp`])).toEqual([
    records[records.length - 1],
    records[0],
  ]);
  return { id, cost };
}

describe('200,000 recipients × 2 kinds through the store kit', () => {
  it('MemoryStore stores every item and record, each once', async () => {
    const store = new MemoryStore();
    const { id } = await writeOneNotification('MemoryStore', store);
    let listed = 0;
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await store.listDeliveries({ notificationId: id, limit: 100, ...(cursor ? { cursor } : {}) });
      listed += page.records.length;
      cursor = page.nextCursor;
    }
    expect(listed).toBe(RECIPIENTS * KINDS.length);
  }, 90_000);

  it('RedisStore stores every item and record, each once, and indexes each once', async () => {
    const store = new RedisStore({ redis, namespace, timeoutMs: 30_000 });
    const { id } = await writeOneNotification('RedisStore', store);
    // Walking 4,000 pages over the network would measure paging; the index sizes say the same in one call each.
    expect(await redis.zcard(`${prefix}{n:${id}}:deliveries`)).toBe(RECIPIENTS * KINDS.length);
    expect(await redis.zcard(`${prefix}deliveries`)).toBe(RECIPIENTS * KINDS.length);
  }, 90_000);
});
