// A Herald worker process for the timing tests, run as a child: `node --conditions=herald-source --import tsx`.
// It works on its queues, optionally notifies (bursts, a digest event, an escalation), and logs each send to Redis,
// so the parent sees every send, including those of a child it SIGKILLed.
import { createHerald, type Runner } from '@herald/core';
import type { Channel, SendRequest, SendResult } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { connectionFor, ticketAssigned } from './bullmq.fixture';
import { createBullMQRunner } from './bullmq-runner';
import {
  type LoggedSend,
  ticketDigested,
  ticketEscalated,
  ticketThrottled,
  type WorkflowChildConfig,
} from './workflows.fixture';

const config = JSON.parse(process.env.HERALD_WORKFLOW_CHILD ?? '{}') as WorkflowChildConfig;
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const never = new Promise<never>(() => undefined);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function logging<K extends 'letter' | 'pager'>(kind: K): Channel<K> {
  return {
    specificationVersion: 'v1',
    kind,
    id: `list-${kind}`,
    async send(request: SendRequest<{ subject?: string; text: string }>): Promise<SendResult> {
      if (config.hang?.includes(kind)) {
        await redis.rpush(`${config.runKey}:entered:${kind}`, request.deliveryId);
        return never;
      }
      const send: LoggedSend = {
        deliveryId: request.deliveryId,
        role: config.role,
        text: request.content.text,
        at: Date.now(),
        ...(request.content.subject === undefined ? {} : { subject: request.content.subject }),
      };
      await redis.rpush(`${config.runKey}:sends:${kind}`, JSON.stringify(send));
      return { status: 'sent' };
    },
  } as Channel<K>;
}

if (config.startOn !== undefined) {
  while ((await redis.exists(config.startOn)) === 0) await pause(5);
}

let runner: Runner = createBullMQRunner({
  connection: connectionFor(config.redisUrl),
  prefix: 'hbq',
  namespace: config.namespace,
  concurrency: 8,
  discoveryIntervalMs: 100,
  // Short locks, so the jobs of a killed process are found stalled and run again within seconds.
  workerOptions: { lockDuration: 1_500, stalledInterval: 500 },
});
if (config.stallDigestHandOver) {
  const inner = runner;
  runner = {
    ...inner,
    async enqueue(tasks, options) {
      if (!tasks.some((task) => task.digestId !== undefined)) return inner.enqueue(tasks, options);
      await redis.set(`${config.runKey}:stalled`, tasks.map((task) => task.deliveryId).join(' '));
      return never;
    },
  };
}

const digested = ticketDigested(config.digestWindowMs);
const herald = createHerald({
  store: new RedisStore({ redis, namespace: config.namespace }),
  channels: [logging('letter'), logging('pager')],
  notifications: [ticketAssigned, digested, ticketEscalated, ticketThrottled],
  retry: { baseDelayMs: 10, maxDelayMs: 100 },
  // A dispatch a killed process left part-way is taken over a second after its last word.
  relay: { leaseMs: 1_000, intervalMs: 300 },
  runner,
});
process.stdout.write('started\n');

if (config.waitFor !== undefined) {
  while ((await redis.exists(config.waitFor)) === 0) await pause(5);
}
const notifying: Promise<unknown>[] = [];
for (const title of config.digestEvents ?? []) {
  notifying.push(herald.notify(digested, { to: 'ana', actor: config.role, payload: { ticketId: 't-1', title } }));
}
for (let index = 0; index < (config.throttled ?? 0); index++) {
  const title = `${config.role}-${index}`;
  notifying.push(herald.notify(ticketThrottled, { to: 'ana', payload: { ticketId: 't-1', title } }));
}
if (config.escalateTo !== undefined) {
  notifying.push(
    herald.notify(ticketEscalated, { to: config.escalateTo, payload: { ticketId: 't-2', title: 'Printer on fire' } }),
  );
}
await Promise.all(notifying);
process.stdout.write('ready\n');
