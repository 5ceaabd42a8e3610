// A worker process for the end-to-end benchmark: works on the queues named in BENCH_E2E_WORKER until SIGTERM.
import { createBullMQRunner } from '@herald/bullmq';
import { createHerald } from '@herald/core';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { connectionFor, noopChannel, realtimeChannel, ticketAssigned } from './e2e';

const { url, namespace, concurrency } = JSON.parse(process.env.BENCH_E2E_WORKER ?? '{}') as {
  url: string;
  namespace: string;
  concurrency: number;
};
const redis = new Redis(url, { maxRetriesPerRequest: null });
const herald = createHerald({
  store: new RedisStore({ redis, namespace }),
  channels: [noopChannel, realtimeChannel],
  notifications: [ticketAssigned],
  runner: createBullMQRunner({
    connection: connectionFor(url),
    namespace,
    concurrency,
    kinds: ['inApp', 'e2eNoop'],
    settleFromEvents: false,
  }),
});
process.on('SIGTERM', () => {
  void herald.close().then(() => redis.quit().then(() => process.exit(0)));
});
// Reported once BullMQ's workers are connected, so the timed run does not include start-up.
await new Promise((resolve) => setTimeout(resolve, 300));
process.stdout.write('ready\n');
