// One fault against notify(), at every step boundary at once: a child process starts one notification per
// boundary and recovery path, each stops at its boundary, and once all have stopped the fault strikes — the child
// is SIGKILLed, or the redis-server is killed (and restarted 1.5 s later) or stalled past the store's timeout while
// the child goes on. Then each notification is completed by a retry with its idempotency key, or by the outbox
// relay alone, and must end with the invariant.
import { RedisStore } from '@herald/storage/redis';
import type { RedisServer } from '@herald/test-peers/redis';
import { testRedisUrl } from '@herald/test-peers/redis';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type Boundary,
  boundaryNames,
  connectionFor,
  type HeraldProcessConfig,
  type LaneConfig,
  type NotifyOutcome,
  type NotifyRequest,
  type Recovery,
  recipientsOf,
  type ToParent,
  uniqueName,
} from './chaos.fixture';
import {
  type HeraldProcess,
  type InvariantSubject,
  isStalled,
  readerOf,
  startHeraldProcess,
} from './processes.fixture';

export type Fault = 'process killed' | 'redis-server killed' | 'redis-server stalled';
export type RunnerName = 'bullmq' | 'in-process';

/**
 * Recipients per notification. The default keeps the suite quick; `HERALD_CHAOS_RECIPIENTS=1010` puts every
 * boundary in the second of two dispatch chunks, after a first chunk written and handed over whole.
 */
export const RECIPIENTS = Number(process.env.HERALD_CHAOS_RECIPIENTS ?? 40);

/** The dispatch lease and relay interval of the processes here: short, so the relay takes over within seconds. */
export const LEASE_MS = 1_000;
export const RELAY_INTERVAL_MS = 300;
/**
 * RedisStore's timeoutMs while the fault strikes: past it when Redis is stalled (DEBUG SLEEP lasts STALL_SECONDS),
 * else Herald's default; and outside that window, long enough that load alone never stops a notification.
 */
const STALL_TIMEOUT_MS = 500;
const STALL_SECONDS = 1.2;
const DEFAULT_TIMEOUT_MS = 10_000;
const PATIENT_TIMEOUT_MS = 60_000;
/** How long Redis stays down when killed. */
const DOWN_MS = 1_500;

export interface Case {
  boundary: Boundary;
  recovery: Recovery;
  idempotencyKey: string;
  recipients: string[];
  /** Learnt when the child stops at the boundary. */
  notificationId: string;
  /** The first attempt's outcome; `killed` when its process died at the boundary. */
  first: NotifyOutcome | 'killed';
  /** The retry's outcome (retry path only). */
  retry?: NotifyOutcome;
}

export interface Scenario {
  cases: Case[];
  subject(found: Case): InvariantSubject;
  close(): Promise<void>;
}

function request(found: Pick<Case, 'recovery' | 'idempotencyKey' | 'recipients'>, attempt: number): NotifyRequest {
  return {
    recovery: found.recovery,
    idempotencyKey: found.idempotencyKey,
    recipients: found.recipients.length,
    attempt,
  };
}

function isOutcome(idempotencyKey: string, attempt: number) {
  return (message: ToParent): message is Extract<ToParent, { type: 'outcome' }> =>
    message.type === 'outcome' && message.idempotencyKey === idempotencyKey && message.attempt === attempt;
}

export async function runFaultScenario(options: {
  server: RedisServer;
  runner: RunnerName;
  fault: Fault;
}): Promise<Scenario> {
  const { server, runner, fault } = options;
  const tag = uniqueName(`${runner}-${fault.replace(/ /g, '-')}`);
  const runKey = `chaos:${tag}`;
  const lanes = (relayHere: boolean): LaneConfig[] =>
    (['retry', 'relay'] as const).map((recovery) => ({
      recovery,
      namespace: `${tag}-${recovery}`,
      relay: relayHere && recovery === 'relay',
    }));
  const base: Omit<HeraldProcessConfig, 'role' | 'worker' | 'lanes'> = {
    redisUrl: server.url,
    providerUrl: testRedisUrl(),
    runKey,
    runner,
    storeTimeoutMs: PATIENT_TIMEOUT_MS,
    faultTimeoutMs: fault === 'redis-server stalled' ? STALL_TIMEOUT_MS : DEFAULT_TIMEOUT_MS,
    leaseMs: LEASE_MS,
    intervalMs: RELAY_INTERVAL_MS,
    // Where Redis dies, short locks, so a job lost with it runs again within seconds (BullMQ's defaults: 30 s and
    // up to 60 s more). A SIGKILL of the notifier leaves the worker alone: BullMQ's own locks, which load never lapses.
    ...(fault === 'process killed' ? {} : { workerLockMs: 3_000 }),
  };
  const processes: HeraldProcess[] = [];
  const start = async (role: string, worker: boolean, relayHere: boolean): Promise<HeraldProcess> => {
    const started = await startHeraldProcess({ ...base, role, worker, lanes: lanes(relayHere) });
    processes.push(started);
    return started;
  };

  // Started side by side: the notifier; for the BullMQ runner a worker process, which no fault here kills; for a
  // SIGKILL, the process that completes what the notifier left (retrying the retry lane's keys; its relay runs for
  // the relay lane only) — already running, as another instance of the app would be.
  const [notifier, recoverer] = await Promise.all([
    start('notifier', false, true),
    fault === 'process killed' ? start('recoverer', false, true) : undefined,
    runner === 'bullmq' ? start('worker', true, false) : undefined,
  ]);

  const cases: Case[] = [];
  for (const recovery of ['retry', 'relay'] as const) {
    for (const boundary of boundaryNames) {
      const idempotencyKey = `${tag}:${recovery}:${boundary.replace(/ /g, '-')}`;
      cases.push({
        boundary,
        recovery,
        idempotencyKey,
        recipients: recipientsOf(idempotencyKey, RECIPIENTS),
        notificationId: '',
        first: 'killed',
      });
    }
  }
  notifier.tell({
    type: 'notify',
    requests: cases.map((found) => ({ ...request(found, 1), boundary: found.boundary })),
  });
  for (const found of cases) {
    const paused = await notifier.waitFor(
      `${found.idempotencyKey} to stop at ${found.boundary}`,
      (message) =>
        (message.type === 'paused' && message.idempotencyKey === found.idempotencyKey) ||
        isOutcome(found.idempotencyKey, 1)(message),
    );
    if (paused.type !== 'paused') {
      throw new Error(`${found.idempotencyKey} ended before its boundary: ${JSON.stringify(paused)}`);
    }
    found.notificationId = paused.notificationId;
  }

  if (fault === 'process killed') {
    await notifier.kill();
  } else {
    if (fault === 'redis-server killed') {
      await server.kill();
      notifier.tell({ type: 'release' });
      await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
      await server.restart();
    } else {
      const debug = new Redis(server.url, { maxRetriesPerRequest: null });
      const slept = debug.call('DEBUG', 'SLEEP', String(STALL_SECONDS));
      // Released only once the server is asleep, so every child's next call meets the stall.
      const giveUpAt = Date.now() + 5_000;
      while (!(await isStalled(server.port))) {
        if (Date.now() > giveUpAt) throw new Error('redis-server did not stall');
      }
      notifier.tell({ type: 'release' });
      await slept;
      debug.disconnect();
    }
    for (const found of cases) {
      const { outcome } = await notifier.waitFor(
        `${found.idempotencyKey}'s first attempt to end`,
        isOutcome(found.idempotencyKey, 1),
      );
      found.first = outcome;
    }
    notifier.tell({ type: 'calm' });
  }

  const retried = cases.filter((found) => found.recovery === 'retry');
  const retrier = recoverer ?? notifier;
  retrier.tell({ type: 'notify', requests: retried.map((found) => request(found, 2)) });
  for (const found of retried) {
    const { outcome } = await retrier.waitFor(
      `${found.idempotencyKey}'s retry to end`,
      isOutcome(found.idempotencyKey, 2),
    );
    found.retry = outcome;
  }

  const reader = new Redis(server.url);
  const provider = new Redis(testRedisUrl());
  const stores = new Map(
    lanes(false).map((lane) => [lane.recovery, new RedisStore({ redis: reader, namespace: lane.namespace })]),
  );
  const readers = new Map([...stores].map(([recovery, store]) => [recovery, readerOf(store)]));
  const queues = new Map<string, Queue>();
  const jobState = async (recovery: Recovery, deliveryId: string): Promise<string> => {
    const name = `${tag}-${recovery}.${deliveryId.slice(deliveryId.lastIndexOf('.') + 1)}`;
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: connectionFor(server.url), prefix: 'hbq' });
      queues.set(name, queue);
    }
    const job = await queue.getJob(deliveryId);
    const state = await queue.getJobState(deliveryId);
    return `job ${state}${job ? `, ${job.attemptsMade} attempts made, ${job.stalledCounter ?? 0} stalls${job.failedReason ? `, ${job.failedReason}` : ''}` : ''}`;
  };
  return {
    cases,
    subject(found) {
      return {
        store: stores.get(found.recovery) as RedisStore,
        reader: readers.get(found.recovery) as ReturnType<typeof readerOf>,
        provider,
        runKey,
        notificationId: found.notificationId,
        recipients: found.recipients,
        ...(runner === 'bullmq' ? { whereIs: (deliveryId: string) => jobState(found.recovery, deliveryId) } : {}),
      };
    },
    async close() {
      await Promise.all(processes.map((started) => started.close()));
      await Promise.all([...readers.values()].map((herald) => herald.close()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      reader.disconnect();
      provider.disconnect();
    },
  };
}
