// A producer-only process for the memory test, run as a child with --expose-gc: BullMQ runner with `worker: false`
// and `settleFromEvents: false` over RedisStore. It notifies 2,000 times and reports its heap after 200 and after
// 2,000 notifies, each after a full collection.
import { createBullMQRunner } from '@herald/bullmq';
import { createHerald } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { connectionFor, incidentOpened, recipientsOf } from './chaos.fixture';

export interface ProducerMemoryConfig {
  redisUrl: string;
  namespace: string;
  notifies: number;
  warmUp: number;
  recipients: number;
}

export interface ProducerMemoryReport {
  heapAfterWarmUp: number;
  heapAfterAll: number;
  notifyMs: number;
}

const config = JSON.parse(process.env.HERALD_CHAOS_MEMORY ?? '{}') as ProducerMemoryConfig;
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('Run this process with --expose-gc');

// Never called here (this process only produces): registered so notify() knows the kinds are served.
const unused = (kind: 'inApp' | 'pager'): Channel<typeof kind> => ({
  specificationVersion: 'v1',
  kind,
  id: `unused-${kind}`,
  send: async () => {
    throw new Error('a producer-only process never sends');
  },
});

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
const herald = createHerald({
  store: new RedisStore({ redis, namespace: config.namespace }),
  channels: [unused('inApp'), unused('pager')],
  notifications: [incidentOpened],
  runner: createBullMQRunner({
    connection: connectionFor(config.redisUrl),
    prefix: 'hbq',
    namespace: config.namespace,
    worker: false,
    settleFromEvents: false,
  }),
});

async function heapAfterCollection(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect?.();
  }
  return process.memoryUsage().heapUsed;
}

const IN_FLIGHT = 8;
let next = 0;
async function notifyUpTo(count: number): Promise<void> {
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await herald.notify(incidentOpened, {
        to: recipientsOf(`${config.namespace}:${index}`, config.recipients),
        payload: { title: `incident ${index}` },
        idempotencyKey: `${config.namespace}:${index}`,
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

const started = performance.now();
await notifyUpTo(config.warmUp);
const heapAfterWarmUp = await heapAfterCollection();
await notifyUpTo(config.notifies);
const notifyMs = performance.now() - started;
const heapAfterAll = await heapAfterCollection();
process.send?.({ heapAfterWarmUp, heapAfterAll, notifyMs } satisfies ProducerMemoryReport);
await herald.close();
redis.disconnect();
