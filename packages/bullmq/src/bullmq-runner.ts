// The durable runner: every delivery is a BullMQ job, so deliveries, retries and scheduled sends survive a
// restart, and workers in any number of processes share the work. A queue per channel kind carries that
// kind's provider rate limit as the queue's limiter.

import { type ChannelKind, ConfigurationError, HeraldError, type Logger, type Runner } from '@herald/core';
import {
  type DeliveryExecutor,
  type DeliveryTask,
  type EnqueueOptions,
  namespaceSetting,
  type RunnerHooks,
  silentLogger,
  type TaskOutcome,
} from '@herald/core/spec';
import {
  type ConnectionOptions,
  DelayedError,
  type Job,
  type KeepJobs,
  Queue,
  QueueEvents,
  type RateLimiterOptions,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type DeliveryJobResult, formatFailure, jobResult, parseFailure, RetryLaterError } from './job-outcome';
import { createTaskBatcher } from './task-batcher';

/** Worker options Herald leaves to you (lock and stall tuning, metrics); the rest it sets itself. */
export type BullMQWorkerOptions = Omit<
  WorkerOptions,
  'connection' | 'prefix' | 'concurrency' | 'limiter' | 'settings' | 'autorun' | 'name'
>;

export interface BullMQRunnerSettings {
  /** Redis connection options or an ioredis client, as BullMQ takes them. */
  connection: ConnectionOptions;
  /**
   * Keeps this deployment's queues apart from others on the same Redis (default `herald`): each channel kind gets
   * the queue `<namespace>.<kind>`. The same value as the store's, the gateway's and the publisher's `namespace`;
   * producers and workers must agree on it.
   */
  namespace?: string;
  /** BullMQ's own key prefix (default `bull`, BullMQ's default, so dashboards find the queues). */
  prefix?: string;
  /** Jobs each kind's worker runs at once in this process (default 64). */
  concurrency?: number;
  /** Per-kind limiter, overriding the one made from the channel's `capabilities.ratePerSecond`. */
  limiter?: Partial<Record<ChannelKind, RateLimiterOptions>>;
  /** Whether this process works on jobs (default true). `false` makes a producer only, e.g. an API server. */
  worker?: boolean;
  /**
   * The kinds this process works on. When omitted, the worker starts on the kinds of its Herald's channels
   * (and `inApp`) at once, and takes up every other kind any producer uses (producers list their kinds in Redis),
   * so each worker process must register every channel.
   */
  kinds?: ChannelKind[];
  /** How often a worker looks for kinds it has not seen yet (default 5,000 ms). */
  discoveryIntervalMs?: number;
  /** Settle this process's deliveries when a worker elsewhere finishes them, through QueueEvents (default true). */
  settleFromEvents?: boolean;
  /** Options for the workers (e.g. `lockDuration`, `stalledInterval`, `maxStalledCount`). */
  workerOptions?: BullMQWorkerOptions;
  /** Completed jobs are removed at once by default: the delivery record is the history. */
  removeOnComplete?: boolean | number | KeepJobs;
  /** Failed jobs are kept a week by default, for inspection. */
  removeOnFail?: boolean | number | KeepJobs;
  /** Approximate length the event stream of each queue is trimmed to (default 100,000). */
  eventsMaxLength?: number;
  /** Jobs per `addBulk` call (default 1,000). */
  addChunkSize?: number;
  /**
   * The clock the Herald that uses this runner is on, when it is given one (`createHerald({ clock })`): a task
   * due at `runAt` on that clock becomes a job delayed by `runAt - clock.now()`. Default: the system clock.
   */
  clock?: { now(): number };
  logger?: Logger;
}

export interface BullMQRunner extends Runner {
  /** The BullMQ queue name used for a kind. */
  queueName(kind: ChannelKind): string;
  /** The queue of a kind (made on first use), for inspection and dashboards. */
  queue(kind: ChannelKind): Queue<DeliveryTask, DeliveryJobResult>;
  /** This process's worker for a kind, once it works on that kind. */
  worker(kind: ChannelKind): Worker<DeliveryTask, DeliveryJobResult> | undefined;
  /** Kinds this process works on. */
  workingKinds(): ChannelKind[];
}

/** The executor decides when to stop retrying; BullMQ's own bound is only a backstop. */
const ATTEMPTS_BOUND = 1_000_000;
/** Unexpected processor errors (the executor never throws by contract) get a few spaced retries. */
const UNEXPECTED_ERROR_RETRIES = 10;
const DEFAULT_MAX_STALLED_COUNT = 10;
const BACKOFF_TYPE = 'herald';
const ADD_CHUNKS_IN_FLIGHT = 4;
const kindPattern = /^[A-Za-z][A-Za-z0-9]*$/;
// 'paused' is what bullmq 5 reports for jobs of a paused queue; bullmq 6 reports them as 'waiting'.
const withdrawable = new Set(['delayed', 'waiting', 'prioritized', 'paused']);
/** How long close() waits for a connection still being set up before closing it anyway (Redis unreachable). */
const SETUP_WAIT_MS = 2_000;

/**
 * Resolves once `target`'s connections are set up, or after SETUP_WAIT_MS. BullMQ 5 leaves an unhandled rejection
 * ("Connection is closed") when a connection is closed while its setup (connect, then a version check) is still in
 * flight, which a host's Node turns into a crash; BullMQ 6 does not. So close() lets setup finish first.
 */
function untilSetUp(target: { waitUntilReady(): Promise<unknown> }): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SETUP_WAIT_MS);
  });
  const ready = target.waitUntilReady().then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([ready, waited]).finally(() => clearTimeout(timer));
}

/** A provider rate as a BullMQ limiter: whole jobs per window. */
export function limiterForRate(ratePerSecond: number): RateLimiterOptions {
  if (ratePerSecond >= 1) return { max: Math.floor(ratePerSecond), duration: 1_000 };
  return { max: 1, duration: Math.ceil(1_000 / ratePerSecond) };
}

/** Delivery ids end in `.<kind>`; a cancel from any process can find the queue from the id alone. */
function kindOfDeliveryId(deliveryId: string): ChannelKind | undefined {
  const kind = deliveryId.slice(deliveryId.lastIndexOf('.') + 1);
  return kindPattern.test(kind) ? (kind as ChannelKind) : undefined;
}

interface IoredisLike {
  isCluster?: boolean;
  options?: { maxRetriesPerRequest?: number | null; redisOptions?: { maxRetriesPerRequest?: number | null } };
  duplicate(...args: unknown[]): Redis;
  quit(): Promise<unknown>;
}

function isClient(connection: ConnectionOptions): connection is ConnectionOptions & IoredisLike {
  return typeof (connection as { duplicate?: unknown }).duplicate === 'function';
}

/**
 * BullMQ's workers and event listeners block on Redis and refuse a client whose `maxRetriesPerRequest` is set
 * (the setting the storage README recommends for RedisStore). For such a client, a single Redis's options are
 * handed to BullMQ with `maxRetriesPerRequest: null`, so BullMQ makes (and closes) connections of its own; a
 * Cluster gets a duplicate made for blocking, closed with the runner. A client already fit for blocking is used as is.
 */
function blockingConnection(connection: ConnectionOptions): { connection: ConnectionOptions; derived?: IoredisLike } {
  if (!isClient(connection)) return { connection };
  const options = connection.isCluster ? connection.options?.redisOptions : connection.options;
  if (options === undefined || options.maxRetriesPerRequest === null) return { connection };
  if (!connection.isCluster) return { connection: { ...options, maxRetriesPerRequest: null } as ConnectionOptions };
  const derived = connection.duplicate(undefined, {
    redisOptions: { ...options, maxRetriesPerRequest: null },
  }) as unknown as IoredisLike;
  return { connection: derived as unknown as ConnectionOptions, derived };
}

function registryClient(connection: ConnectionOptions): Redis {
  const client = connection as { duplicate?: () => Redis };
  if (typeof client.duplicate === 'function') return client.duplicate();
  // ioredis 6's `replyMapping: 'resp3'` would change the reply shapes read here; the default keeps v5's.
  const { replyMapping: _replyMapping, ...options } = connection as RedisOptions & { replyMapping?: unknown };
  return new Redis({ ...options, maxRetriesPerRequest: null });
}

interface Lane {
  queue: Queue<DeliveryTask, DeliveryJobResult>;
  /** Ready once the kind is listed in Redis and, when settling from events, QueueEvents listens. */
  producing?: Promise<void> | undefined;
  events?: QueueEvents;
  worker?: Worker<DeliveryTask, DeliveryJobResult>;
}

export function createBullMQRunner(settings: BullMQRunnerSettings): BullMQRunner {
  if (!settings || typeof settings !== 'object' || settings.connection === undefined) {
    throw new ConfigurationError(
      'createBullMQRunner needs a connection: pass { connection: { host, port } } or an ioredis client.',
    );
  }
  const baseName = namespaceSetting(settings, 'createBullMQRunner', ['queueName']);
  const prefix = settings.prefix ?? 'bull';
  const concurrency = Math.max(1, Math.floor(settings.concurrency ?? 64));
  const isWorker = settings.worker ?? true;
  const settleFromEvents = settings.settleFromEvents ?? true;
  const discoveryIntervalMs = Math.max(100, settings.discoveryIntervalMs ?? 5_000);
  const addChunkSize = Math.max(1, Math.floor(settings.addChunkSize ?? 1_000));
  const eventsMaxLength = Math.max(1_000, Math.floor(settings.eventsMaxLength ?? 100_000));
  const logger = settings.logger ?? silentLogger;
  const clock = settings.clock ?? { now: () => Date.now() };
  const { connection } = settings;
  // Made on first use (a producer-only runner never blocks), closed with the runner.
  let blocking: { connection: ConnectionOptions; derived?: IoredisLike } | undefined;
  const blockingFor = (): ConnectionOptions => {
    blocking ??= blockingConnection(connection);
    return blocking.connection;
  };
  const registryKey = `${prefix}:${baseName}:kinds`;

  let executor: DeliveryExecutor | undefined;
  let hooks: RunnerHooks | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let discoveryTimer: ReturnType<typeof setInterval> | undefined;
  let registry: Redis | undefined;
  const lanes = new Map<ChannelKind, Lane>();
  /** Tasks this process enqueued and has not seen settle: what QueueEvents are matched against. */
  const awaiting = new Map<string, DeliveryTask>();

  const queueName = (kind: ChannelKind): string => `${baseName}.${kind}`;

  function redis(): Redis {
    registry ??= registryClient(connection);
    return registry;
  }

  function lane(kind: ChannelKind): Lane {
    let found = lanes.get(kind);
    if (!found) {
      const queue = new Queue<DeliveryTask, DeliveryJobResult>(queueName(kind), {
        connection,
        prefix,
        streams: { events: { maxLen: eventsMaxLength } },
        defaultJobOptions: {
          attempts: ATTEMPTS_BOUND,
          backoff: { type: BACKOFF_TYPE },
          removeOnComplete: settings.removeOnComplete ?? true,
          removeOnFail: settings.removeOnFail ?? { age: 7 * 24 * 3600 },
        },
      });
      queue.on('error', (error) => logger.error('herald: BullMQ queue error', { kind, error }));
      found = { queue };
      lanes.set(kind, found);
    }
    return found;
  }

  function settle(task: DeliveryTask, outcome: Extract<TaskOutcome, { final: true }>): void {
    awaiting.delete(task.deliveryId);
    hooks?.onSettled(task, outcome);
  }

  function listen(kind: ChannelKind, lastEventId: string): QueueEvents {
    const events = new QueueEvents(queueName(kind), { connection: blockingFor(), prefix, lastEventId });
    events.on('error', (error) => logger.error('herald: BullMQ queue events error', { kind, error }));
    events.on('completed', ({ jobId, returnvalue }) => {
      const task = awaiting.get(jobId);
      if (!task) return;
      const result = returnvalue as unknown as DeliveryJobResult | null;
      if (!result || typeof result.status !== 'string') return;
      settle(
        task,
        result.error
          ? { final: true, status: result.status, error: result.error }
          : { final: true, status: result.status },
      );
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const task = awaiting.get(jobId);
      if (!task) return;
      settle(task, { final: true, status: 'failed', error: parseFailure(failedReason) });
    });
    return events;
  }

  /** First enqueue of a kind in this process: list the kind for workers, and start listening for outcomes. */
  function producing(kind: ChannelKind): Promise<void> {
    const found = lane(kind);
    found.producing ??= (async () => {
      await redis().sadd(registryKey, kind);
      if (!settleFromEvents) return;
      // Read the stream from its current end, so no outcome of a job added from now on can be missed.
      const eventsKey = `${prefix}:${queueName(kind)}:events`;
      const last = await redis().xrevrange(eventsKey, '+', '-', 'COUNT', 1);
      const lastEventId = last[0]?.[0] ?? '0-0';
      const events = listen(kind, lastEventId);
      found.events = events;
      await events.waitUntilReady();
    })();
    return found.producing.catch((error: unknown) => {
      found.producing = undefined;
      throw error;
    });
  }

  function backoff(attemptsMade: number, _type?: string, error?: Error): number {
    if (error instanceof RetryLaterError) return error.retryInMs;
    if (attemptsMade > UNEXPECTED_ERROR_RETRIES) return -1;
    return Math.min(60_000, 1_000 * 2 ** Math.max(0, attemptsMade - 1));
  }

  function startWorker(kind: ChannelKind): void {
    if (closed || !executor) return;
    const found = lane(kind);
    if (found.worker) return;
    const batcher = createTaskBatcher(executor, executor.batchSize(kind));
    const rate = executor.ratePerSecond(kind);
    const limiter = settings.limiter?.[kind] ?? (rate === undefined || rate <= 0 ? undefined : limiterForRate(rate));
    const process = async (job: Job<DeliveryTask, DeliveryJobResult>, token?: string): Promise<DeliveryJobResult> => {
      // A stalled job that runs again keeps its attemptsMade: the same attempt, and the executor's record
      // check keeps a delivery that was already sent from going out twice.
      const task: DeliveryTask = { ...job.data, attempt: job.attemptsMade + 1 };
      const outcome = await batcher.run(task);
      if (!outcome.final && 'deferUntil' in outcome) {
        // Not due yet (quiet hours, a digest still open): back to delayed without using up an attempt.
        // BullMQ times jobs by the system clock; `deferUntil` is on Herald's.
        const waitMs = Math.max(0, Math.ceil(outcome.deferUntil - clock.now()));
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
      if (!outcome.final) throw new RetryLaterError(outcome.retryInMs, outcome.error);
      settle(task, outcome);
      // The executor has already marked the record failed; the job must not be retried.
      if (outcome.status === 'failed') throw new UnrecoverableError(formatFailure(outcome.error));
      return jobResult(task, outcome);
    };
    const worker = new Worker<DeliveryTask, DeliveryJobResult>(queueName(kind), process, {
      maxStalledCount: DEFAULT_MAX_STALLED_COUNT,
      ...settings.workerOptions,
      connection: blockingFor(),
      prefix,
      concurrency,
      ...(limiter ? { limiter } : {}),
      settings: { backoffStrategy: backoff },
    });
    worker.on('error', (error) => logger.error('herald: BullMQ worker error', { kind, error }));
    worker.on('failed', (job, error) => {
      if (error instanceof RetryLaterError) {
        logger.debug('herald: delivery job will run again', { jobId: job?.id, retryInMs: error.retryInMs });
      } else if (!(error instanceof UnrecoverableError)) {
        logger.error('herald: delivery job threw unexpectedly', { jobId: job?.id, error });
      }
    });
    found.worker = worker;
    logger.debug('herald: BullMQ worker started', { queue: queueName(kind), concurrency, limiter });
  }

  async function discover(): Promise<void> {
    const kinds = (await redis().smembers(registryKey)) as ChannelKind[];
    for (const kind of kinds) if (kindPattern.test(kind)) startWorker(kind);
  }

  return {
    specificationVersion: 'v1',
    id: 'bullmq',
    capabilities: {
      executesHere: isWorker,
      // Outcomes of deliveries run elsewhere reach this process only through QueueEvents.
      settlesHere: settleFromEvents || (isWorker && settings.kinds === undefined),
    },
    queueName,
    queue: (kind) => lane(kind).queue,
    worker: (kind) => lanes.get(kind)?.worker,
    workingKinds: () => [...lanes].filter(([, found]) => found.worker).map(([kind]) => kind),

    async start(givenExecutor, givenHooks) {
      executor = givenExecutor;
      hooks = givenHooks;
      if (!isWorker) return;
      if (settings.kinds) {
        for (const kind of settings.kinds) startWorker(kind);
        return;
      }
      // The kinds this Herald delivers start at once; discovery adds kinds other producers use.
      for (const kind of givenExecutor.kinds()) startWorker(kind);
      await discover();
      discoveryTimer = setInterval(() => {
        discover().catch((error: unknown) => logger.warn('herald: BullMQ kind discovery failed', { error }));
      }, discoveryIntervalMs);
      discoveryTimer.unref?.();
    },

    async enqueue(tasks: DeliveryTask[], options: EnqueueOptions = {}) {
      if (closed) throw new HeraldError('CLOSED', 'The BullMQ runner is closed: it accepts no new deliveries.');
      if (!executor) throw new HeraldError('NOT_STARTED', 'The runner was not started: pass it to createHerald first.');
      if (tasks.length === 0) return;
      const delay = options.runAt === undefined ? 0 : Math.max(0, Math.ceil(options.runAt - clock.now()));
      const byKind = new Map<ChannelKind, DeliveryTask[]>();
      for (const task of tasks) {
        const group = byKind.get(task.kind);
        if (group) group.push(task);
        else byKind.set(task.kind, [task]);
      }
      await Promise.all(
        [...byKind].map(async ([kind, group]) => {
          await producing(kind);
          // A worker in this process takes up a kind as soon as it is used here, not at the next discovery.
          if (isWorker && !settings.kinds) startWorker(kind);
          if (settleFromEvents) for (const task of group) awaiting.set(task.deliveryId, task);
          const { queue } = lane(kind);
          try {
            const chunks: DeliveryTask[][] = [];
            for (let start = 0; start < group.length; start += addChunkSize) {
              chunks.push(group.slice(start, start + addChunkSize));
            }
            // A few chunks in flight keep the connection busy while Redis runs the previous one.
            let next = 0;
            const addChunks = async (): Promise<void> => {
              while (next < chunks.length) {
                const chunk = chunks[next++] as DeliveryTask[];
                // jobId = deliveryId: adding a delivery that is already queued is a no-op in BullMQ.
                await queue.addBulk(
                  chunk.map((task) => ({
                    name: task.type,
                    data: task,
                    opts: delay > 0 ? { jobId: task.deliveryId, delay } : { jobId: task.deliveryId },
                  })),
                );
              }
            };
            await Promise.all(Array.from({ length: Math.min(ADD_CHUNKS_IN_FLIGHT, chunks.length) }, addChunks));
          } catch (error) {
            for (const task of group) awaiting.delete(task.deliveryId);
            throw error;
          }
        }),
      );
    },

    async reschedule(deliveryIds: string[], runAt: number) {
      if (closed) throw new HeraldError('CLOSED', 'The BullMQ runner is closed: it cannot reschedule deliveries.');
      const moved: string[] = [];
      await Promise.all(
        deliveryIds.map(async (deliveryId) => {
          const kind = kindOfDeliveryId(deliveryId);
          if (kind === undefined) return;
          const job = await lane(kind).queue.getJob(deliveryId);
          if (!job || !(await job.isDelayed())) return;
          await job.changeDelay(Math.max(0, Math.ceil(runAt - clock.now())));
          moved.push(deliveryId);
        }),
      );
      return moved;
    },

    async cancel(deliveryIds: string[]) {
      if (closed) throw new HeraldError('CLOSED', 'The BullMQ runner is closed: it cannot withdraw deliveries.');
      const withdrawn: string[] = [];
      await Promise.all(
        deliveryIds.map(async (deliveryId) => {
          const kind = kindOfDeliveryId(deliveryId);
          const candidates = kind === undefined ? [...lanes.keys()] : [kind];
          for (const candidate of candidates) {
            const { queue } = lane(candidate);
            const state = await queue.getJobState(deliveryId);
            if (state === 'unknown') continue;
            // A job already running is not withdrawn (its lock makes remove() refuse it anyway).
            if (withdrawable.has(state) && (await queue.remove(deliveryId)) === 1) {
              awaiting.delete(deliveryId);
              withdrawn.push(deliveryId);
            }
            return;
          }
        }),
      );
      return withdrawn;
    },

    close() {
      closing ??= (async () => {
        closed = true;
        if (discoveryTimer) clearInterval(discoveryTimer);
        const all = [...lanes.values()];
        await Promise.all(
          all.flatMap((found) => [found.queue, found.events, found.worker]).map((part) => part && untilSetUp(part)),
        );
        // Workers first: close() waits for the jobs they are running, whose outcomes may still settle here.
        await Promise.all(all.map((found) => found.worker?.close()));
        await Promise.all(all.map((found) => found.producing?.catch(() => undefined)));
        await Promise.all(all.flatMap((found) => [found.events?.close(), found.queue.close()]));
        await registry?.quit().catch(() => undefined);
        await blocking?.derived?.quit().catch(() => undefined);
      })();
      return closing;
    },
  };
}
