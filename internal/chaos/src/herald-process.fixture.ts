// One Herald process of the fault suite, run as a child (`node --conditions=herald-source --import tsx`). It
// serves one Herald per lane (a store prefix, and for BullMQ a queue), notifies what the parent asks over IPC and
// reports each outcome. Only the child is instrumented, never the product: its store and runner are wrapped so
// that a notification given a boundary stops there, tells the parent, and waits — to be SIGKILLed, or released
// into a Redis that was killed or stalled meanwhile. The channels record every send in a Redis the faults never
// touch (the "provider"), so the parent sees each send, a killed process's included.
import { createBullMQRunner } from '@herald/bullmq';
import { createHerald, DispatchIncompleteError, type Herald, type Runner, type Store } from '@herald/core';
import type { Channel, DeliveryTask, SendResult } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
// The in-process runner is what createHerald makes when given none; it is not exported, so the suite takes it from
// the source to wrap the very same runner.
import { createInProcessRunner } from '../../../packages/core/src/in-process-runner.ts';
import {
  type Boundary,
  boundaries,
  connectionFor,
  DISPATCH_CHUNK,
  type HeraldProcessConfig,
  type InstrumentedMethod,
  incidentOpened,
  type LaneConfig,
  logKeys,
  type NotifyOutcome,
  type NotifyRequest,
  type Recovery,
  recipientsOf,
  type ToChild,
  type ToParent,
} from './chaos.fixture';

const config = JSON.parse(process.env.HERALD_CHAOS_PROCESS ?? '{}') as HeraldProcessConfig;

function tell(message: ToParent): void {
  process.send?.(message);
}

// The store's client as the storage README recommends it: bounded retries and quick reconnects, so a call fails
// while Redis is down instead of waiting for it in the offline queue.
const storeRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
storeRedis.on('error', () => undefined);
const provider = new Redis(config.providerUrl, { maxRetriesPerRequest: null });

// --- stopping at a boundary -------------------------------------------------------------------------------

interface Stop {
  boundary: Boundary;
  /** The call, counted per notification, to stop at: the one for the last chunk of recipients. */
  call: number;
  calls: number;
  done: boolean;
}

/** Stops by idempotency key; notification ids are learnt from the claim. */
const stops = new Map<string, Stop>();
const keyOfNotification = new Map<string, string>();
const notificationOfKey = new Map<string, string>();
/** Between `release` and `calm`: the store takes `faultTimeoutMs`. */
let isFaultWindow = false;
let release!: () => void;
const released = new Promise<void>((resolve) => {
  release = resolve;
});

/** The stop due at this call of `method` for the notification, if any (each stop happens once). */
function stopAt(notificationId: string | undefined, method: InstrumentedMethod): Stop | undefined {
  const key = notificationId === undefined ? undefined : keyOfNotification.get(notificationId);
  const stop = key === undefined ? undefined : stops.get(key);
  if (!stop || stop.done || boundaries[stop.boundary].method !== method) return undefined;
  stop.calls += 1;
  if (stop.calls !== stop.call) return undefined;
  stop.done = true;
  return stop;
}

async function wait(stop: Stop, notificationId: string): Promise<void> {
  const idempotencyKey = keyOfNotification.get(notificationId) as string;
  tell({ type: 'paused', idempotencyKey, boundary: stop.boundary, notificationId });
  await released;
}

/** Runs a batch call with a possible stop before, after, or between its two halves. */
async function around<T>(
  method: InstrumentedMethod,
  notificationId: string | undefined,
  batch: T[],
  run: (part: T[]) => Promise<unknown[] | undefined>,
): Promise<unknown[] | undefined> {
  const stop = stopAt(notificationId, method);
  if (!stop || notificationId === undefined) return run(batch);
  const at = boundaries[stop.boundary].at;
  if (at === 'before') {
    await wait(stop, notificationId);
    return run(batch);
  }
  if (at === 'after') {
    const result = await run(batch);
    await wait(stop, notificationId);
    return result;
  }
  const half = Math.ceil(batch.length / 2);
  const first = await run(batch.slice(0, half));
  await wait(stop, notificationId);
  const second = await run(batch.slice(half));
  return first && second ? [...first, ...second] : undefined;
}

/** A store that behaves as the given one, but stops where it is told to. */
function instrumentStore(patient: Store, hurried: Store): Store {
  // `store` passes every call through (to the hurried store while the fault strikes); `wrapper` stops.
  const store = delegateTo(patient, () => (isFaultWindow ? hurried : patient));
  const wrapper = { ...store };
  wrapper.beginNotification = async (record, options) => {
    if (record.idempotencyKey !== undefined && stops.has(record.idempotencyKey)) {
      keyOfNotification.set(record.id, record.idempotencyKey);
      notificationOfKey.set(record.idempotencyKey, record.id);
    }
    const stop = stopAt(record.id, 'beginNotification');
    if (stop) await wait(stop, record.id);
    return store.beginNotification(record, options);
  };
  wrapper.getPreferences = async (userIds) => {
    // Recipients are `<idempotencyKey>/<index>`: the first names the notification.
    const first = userIds[0];
    const notificationId =
      first === undefined ? undefined : notificationOfKey.get(first.slice(0, first.lastIndexOf('/')));
    const stop = stopAt(notificationId, 'getPreferences');
    if (stop && notificationId !== undefined) await wait(stop, notificationId);
    return store.getPreferences(userIds);
  };
  wrapper.insertInboxItems = async (items) =>
    (await around('insertInboxItems', items[0]?.notificationId, items, (part) =>
      store.insertInboxItems(part),
    )) as Awaited<ReturnType<Store['insertInboxItems']>>;
  wrapper.createDeliveries = async (records) => {
    await around('createDeliveries', records[0]?.notificationId, records, async (part) => {
      await store.createDeliveries(part);
      return [];
    });
  };
  wrapper.markNotificationDispatched = async (id) => {
    const stop = stopAt(id, 'markNotificationDispatched');
    if (stop) await wait(stop, id);
    await store.markNotificationDispatched(id);
  };
  return wrapper;
}

/** A runner that behaves as the given one, logs every hand-over to the provider Redis, and stops when told. */
function instrumentRunner(runner: Runner): Runner {
  const log = async (tasks: DeliveryTask[]): Promise<void> => {
    if (tasks.length > 0) {
      await provider.rpush(logKeys.handed(config.runKey), ...tasks.map((task) => `${task.deliveryId} ${config.role}`));
    }
  };
  return {
    ...runner,
    async enqueue(tasks, options) {
      await around('enqueue', tasks[0]?.notificationId, tasks, async (part) => {
        await runner.enqueue(part, options);
        await log(part);
        return [];
      });
    },
  };
}

/**
 * A plain object calling through to the methods of `current()` (shaped as `shape`; the store class keeps private
 * fields, so no prototype tricks).
 */
function delegateTo<T extends object>(shape: T, current: () => T): T {
  const wrapper: Record<string, unknown> = {};
  for (let proto: object | null = shape; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in wrapper) continue;
      const value = (shape as Record<string, unknown>)[name];
      wrapper[name] =
        typeof value === 'function'
          ? (...args: unknown[]) => {
              const target = current() as Record<string, (...args: unknown[]) => unknown>;
              return (target[name] as (...args: unknown[]) => unknown).apply(target, args);
            }
          : value;
    }
  }
  return wrapper as T;
}

// --- channels that record to the provider Redis -------------------------------------------------------------

// Appends once per key, atomically: the realtime channel shows an item once, as a client that drops items it
// already holds does.
const appendOnce = `if redis.call('SET', KEYS[1], '1', 'NX') then return redis.call('RPUSH', KEYS[2], ARGV[1]) end return 0`;

const pager: Channel<'pager'> = {
  specificationVersion: 'v1',
  kind: 'pager',
  id: 'recording-pager',
  async send(request): Promise<SendResult> {
    await provider.rpush(logKeys.sends(config.runKey, 'pager'), `${request.deliveryId} ${config.role}`);
    return { status: 'sent' };
  },
};

const realtime: Channel<'inApp'> = {
  specificationVersion: 'v1',
  kind: 'inApp',
  id: 'recording-realtime',
  async send(request): Promise<SendResult> {
    const itemId = request.inboxItem?.id ?? `missing-item:${request.deliveryId}`;
    await provider.rpush(logKeys.inAppCalls(config.runKey), `${request.deliveryId} ${config.role} ${itemId}`);
    await provider.eval(
      appendOnce,
      2,
      logKeys.shown(config.runKey, itemId),
      logKeys.sends(config.runKey, 'inApp'),
      `${request.deliveryId} ${config.role} ${itemId}`,
    );
    return { status: 'sent' };
  },
};

// --- one Herald per lane ------------------------------------------------------------------------------------

function runnerFor(lane: LaneConfig): Runner {
  if (config.runner === 'in-process') return createInProcessRunner({ concurrency: 32 });
  return createBullMQRunner({
    connection: connectionFor(config.redisUrl),
    prefix: 'hbq',
    namespace: lane.namespace,
    worker: config.worker,
    settleFromEvents: false,
    concurrency: 32,
    discoveryIntervalMs: 200,
    ...(config.workerLockMs === undefined
      ? {}
      : { workerOptions: { lockDuration: config.workerLockMs, stalledInterval: 1_000 } }),
  });
}

const heralds = new Map<Recovery, Herald>();
for (const lane of config.lanes) {
  const store = (timeoutMs: number): RedisStore =>
    new RedisStore({ redis: storeRedis, namespace: lane.namespace, timeoutMs });
  const herald = createHerald({
    store: instrumentStore(store(config.storeTimeoutMs), store(config.faultTimeoutMs ?? config.storeTimeoutMs)),
    runner: instrumentRunner(runnerFor(lane)),
    channels: [pager, realtime],
    notifications: [incidentOpened],
    // Two attempts only: a delivery that meets a store fault must be tried again until the store can record it,
    // whatever its attempts, or its record would stay pending for good.
    retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
    relay: lane.relay
      ? {
          leaseMs: config.leaseMs,
          intervalMs: config.intervalMs,
          ...(config.relayBatchSize === undefined ? {} : { batchSize: config.relayBatchSize }),
        }
      : false,
  });
  herald.on('notification.resumed', ({ notificationId }) => {
    void provider.rpush(logKeys.resumed(config.runKey), `${notificationId} ${config.role}`);
  });
  heralds.set(lane.recovery, herald);
}

async function notify(request: NotifyRequest): Promise<void> {
  const herald = heralds.get(request.recovery);
  if (!herald) throw new Error(`This process serves no ${request.recovery} lane`);
  if (request.boundary !== undefined) {
    const method = boundaries[request.boundary].method;
    const perChunk = method === 'insertInboxItems' || method === 'createDeliveries' || method === 'enqueue';
    // The claim, and the first chunk's first read, happen once; the others stop in the last chunk.
    const call = perChunk ? Math.max(1, Math.ceil(request.recipients / DISPATCH_CHUNK)) : 1;
    stops.set(request.idempotencyKey, { boundary: request.boundary, call, calls: 0, done: false });
  } else {
    // A retry never stops.
    const stop = stops.get(request.idempotencyKey);
    if (stop) stop.done = true;
  }
  let outcome: NotifyOutcome;
  try {
    const result = await herald.notify(incidentOpened, {
      to: recipientsOf(request.idempotencyKey, request.recipients),
      payload: { title: request.idempotencyKey },
      idempotencyKey: request.idempotencyKey,
    });
    outcome = {
      status: 'resolved',
      id: result.id,
      resumed: result.resumed,
      deduplicated: result.deduplicated,
      deliveryCount: result.deliveryCount,
    };
  } catch (error) {
    const thrown = error as { code?: unknown; message?: unknown; notificationId?: unknown };
    outcome = {
      status: 'threw',
      code: typeof thrown.code === 'string' ? thrown.code : 'UNKNOWN',
      message: String(thrown.message ?? error),
      isDispatchIncomplete: DispatchIncompleteError.is(error),
      ...(typeof thrown.notificationId === 'string' ? { notificationId: thrown.notificationId } : {}),
    };
  }
  tell({ type: 'outcome', idempotencyKey: request.idempotencyKey, attempt: request.attempt, outcome });
}

process.on('message', (message: ToChild) => {
  if (message.type === 'notify') for (const request of message.requests) void notify(request);
  else if (message.type === 'release') {
    isFaultWindow = true;
    release();
  } else if (message.type === 'calm') isFaultWindow = false;
  else if (message.type === 'close') {
    void (async () => {
      await Promise.all([...heralds.values()].map((herald) => herald.close()));
      storeRedis.disconnect();
      provider.disconnect();
      process.exit(0);
    })();
  }
});

tell({ type: 'ready' });
