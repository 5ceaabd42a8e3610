// A Herald process for the multi-process tests, run as a child: `node --conditions=herald-source --import tsx`.
// Role `worker` works on whatever producers enqueue; role `notify` also notifies, then keeps working until killed.
// Its channels append each send to Redis lists, so the parent sees every send, including those of a killed child.
import { createHerald } from '@herald/core';
import type { Channel, SendRequest, SendResult } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { connectionFor, ticketAssigned } from './bullmq.fixture';
import { createBullMQRunner } from './bullmq-runner';

export interface ChildConfig {
  role: 'worker' | 'notify';
  redisUrl: string;
  namespace: string;
  /** Keys of this run: `<runKey>:sends:<kind>` lists, `<runKey>:ids` for the notify role's notification ids. */
  runKey: string;
  /** Time each send takes, so a kill lands mid-way. */
  sendDelayMs: number;
  concurrency: number;
  recipients: number;
  /** For the notify role: also schedule a notification to `scheduled-user` this far ahead. */
  scheduleDelayMs?: number;
}

const config = JSON.parse(process.env.HERALD_TEST_CHILD ?? '{}') as ChildConfig;
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Appends once per inbox item, atomically: the realtime channel is idempotent by item id, as a socket
// gateway is when clients drop items they already hold.
const appendOnce = `if redis.call('SET', KEYS[1], '1', 'NX') then return redis.call('RPUSH', KEYS[2], ARGV[1]) end return 0`;

const pager: Channel<'pager'> = {
  specificationVersion: 'v1',
  kind: 'pager',
  id: 'list-pager',
  async send(request: SendRequest<{ text: string }>): Promise<SendResult> {
    // Accepted at once, answered later: a kill in between leaves a sent message with a pending record.
    await pause(1);
    await redis.rpush(`${config.runKey}:sends:pager`, `${request.deliveryId} ${config.role} ${Date.now()}`);
    await pause(config.sendDelayMs);
    return { status: 'sent' };
  },
};

const realtime: Channel<'inApp'> = {
  specificationVersion: 'v1',
  kind: 'inApp',
  id: 'list-realtime',
  async send(request): Promise<SendResult> {
    await pause(1);
    await redis.incr(`${config.runKey}:calls:inApp`);
    const itemId = request.inboxItem?.id ?? request.deliveryId;
    await redis.eval(
      appendOnce,
      2,
      `${config.runKey}:seen:${itemId}`,
      `${config.runKey}:sends:inApp`,
      `${request.deliveryId} ${config.role} ${Date.now()}`,
    );
    await pause(config.sendDelayMs);
    return { status: 'sent' };
  },
};

const herald = createHerald({
  store: new RedisStore({ redis, namespace: config.namespace }),
  channels: [pager, realtime],
  notifications: [ticketAssigned],
  retry: { baseDelayMs: 10, maxDelayMs: 100 },
  runner: createBullMQRunner({
    connection: connectionFor(config.redisUrl),
    prefix: 'hbq',
    namespace: config.namespace,
    concurrency: config.concurrency,
    discoveryIntervalMs: 100,
    // Short locks, so jobs of a killed process are found stalled and run again within seconds.
    workerOptions: { lockDuration: 1_500, stalledInterval: 500 },
  }),
});

process.on('SIGTERM', () => {
  void herald.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

if (config.role === 'notify') {
  const recipients = Array.from({ length: config.recipients }, (_, index) => `user-${index}`);
  const result = await herald.notify(ticketAssigned, { to: recipients, payload: { title: 'Outage' } });
  await redis.set(`${config.runKey}:notification`, result.id);
  if (config.scheduleDelayMs !== undefined) {
    const scheduled = await herald.notify(ticketAssigned, {
      to: 'scheduled-user',
      payload: { title: 'Later' },
      delayMs: config.scheduleDelayMs,
    });
    await redis.set(
      `${config.runKey}:scheduled`,
      JSON.stringify({ id: scheduled.id, at: Date.parse(scheduled.scheduledFor ?? '') }),
    );
  }
}
process.stdout.write('ready\n');
