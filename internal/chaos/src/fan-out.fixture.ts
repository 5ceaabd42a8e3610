// One notify() to a huge fan-out, run as a child so its memory is its own: RedisStore or MemoryStore, with a
// producer-only BullMQ runner (the deliveries become jobs, counted here, not run). It reports how long notify
// took, how far RSS rose above where it started, the longest the event loop was held (a 10 ms ticker), and what
// it checked afterwards.
import { createBullMQRunner } from '@herald/bullmq';
import { createHerald, type Store } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { connectionFor, incidentOpened, KINDS, recipientsOf } from './chaos.fixture';

export interface FanOutConfig {
  store: 'redis' | 'memory';
  redisUrl: string;
  namespace: string;
  recipients: number;
}

export interface FanOutReport {
  notifyMs: number;
  rssGrowthMiB: number;
  heapGrowthMiB: number;
  longestStallMs: number;
  deliveryCount: number;
  status: string | undefined;
  /** Waiting jobs per kind. */
  jobs: Record<string, number>;
  /** Sampled recipients whose inbox or unread count is not exactly one item. */
  wrongInboxes: string[];
  /** Sampled delivery ids with no record, or a record that is not pending. */
  wrongRecords: string[];
  sampled: number;
}

const config = JSON.parse(process.env.HERALD_CHAOS_FAN_OUT ?? '{}') as FanOutConfig;

const unused = (kind: 'inApp' | 'pager'): Channel<typeof kind> => ({
  specificationVersion: 'v1',
  kind,
  id: `unused-${kind}`,
  send: async () => {
    throw new Error('a producer-only process never sends');
  },
});

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
const store: Store =
  config.store === 'redis'
    ? new RedisStore({ redis, namespace: config.namespace, timeoutMs: 30_000 })
    : new MemoryStore();
const runner = createBullMQRunner({
  connection: connectionFor(config.redisUrl),
  prefix: 'hbq',
  namespace: config.namespace,
  worker: false,
  settleFromEvents: false,
});
// A registered realtime channel makes in-app deliveries jobs too: 2 per recipient.
const herald = createHerald({
  store,
  runner,
  relay: false,
  channels: [unused('inApp'), unused('pager')],
  notifications: [incidentOpened],
});
const to = recipientsOf('fan', config.recipients);

const rssAtStart = process.memoryUsage.rss();
const heapAtStart = process.memoryUsage().heapUsed;
let rssPeak = rssAtStart;
let heapPeak = heapAtStart;
let longestStallMs = 0;
let last = performance.now();
let ticks = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  longestStallMs = Math.max(longestStallMs, now - last - 10);
  last = now;
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  if (++ticks % 10 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
}, 10);

const started = performance.now();
const result = await herald.notify(incidentOpened, { to, payload: { title: 'Region down' } });
const notifyMs = performance.now() - started;
clearInterval(ticker);

const jobs: Record<string, number> = {};
for (const kind of KINDS) jobs[kind] = await runner.queue(kind).getWaitingCount();
const wrongInboxes: string[] = [];
const sampledIds: string[] = [];
const step = Math.max(1, Math.floor(config.recipients / 500));
for (let index = 0; index < config.recipients; index += step) {
  const userId = to[index] as string;
  const [page, count] = await Promise.all([store.listInbox(userId), store.unreadCount(userId)]);
  if (page.items.length !== 1 || page.items[0]?.notificationId !== result.id || count.total !== 1) {
    wrongInboxes.push(userId);
  }
  for (const kind of KINDS) sampledIds.push(`${result.id}.${index.toString(36)}.${kind}`);
}
const records = new Map((await store.getDeliveries(sampledIds)).map((record) => [record.id, record]));
const wrongRecords = sampledIds.filter((id) => records.get(id)?.status !== 'pending');

process.send?.({
  notifyMs: Math.round(notifyMs),
  rssGrowthMiB: Math.round((rssPeak - rssAtStart) / 2 ** 20),
  heapGrowthMiB: Math.round((heapPeak - heapAtStart) / 2 ** 20),
  longestStallMs: Math.round(longestStallMs),
  deliveryCount: result.deliveryCount,
  status: (await store.getNotification(result.id))?.status,
  jobs,
  wrongInboxes: wrongInboxes.slice(0, 10),
  wrongRecords: wrongRecords.slice(0, 10),
  sampled: sampledIds.length / KINDS.length,
} satisfies FanOutReport);
await herald.close();
redis.disconnect();
