// Herald's wiring, the only file that knows how notifications travel. Without REDIS_URL: MemoryStore and the
// in-process runner, in one process. With it: RedisStore and BullMQ — the web process enqueues and holds the
// sockets, a worker process (src/worker.ts) delivers, and in-app items reach the sockets through Redis.
import type { Server } from 'node:http';
import { createBullMQRunner } from '@herald/bullmq';
import { type Authenticate, type Clock, createHerald, type Herald } from '@herald/core';
import { createEmailChannel } from '@herald/email';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { createRealtimePublisher, createWebSocketGateway, type WebSocketGateway } from '@herald/websocket';
import { Redis } from 'ioredis';
import { users } from './domain';
import { notifications } from './notifications';

export interface TasksHeraldSettings {
  /** `web` notifies and holds the sockets; `worker` only delivers (REDIS_URL only); `all` does both in one process. */
  role: 'all' | 'web' | 'worker';
  redisUrl?: string | undefined;
  /** Where email goes: the local SMTP sink, or your server. */
  smtp: { host: string; port: number };
  /** A clock the tests move (`TASKS_TEST_CLOCK=1`); the wall clock otherwise. */
  clock?: Clock | undefined;
  /** The page's server (web and all): the WebSocket gateway shares it. */
  server?: Server;
  authenticate?: Authenticate;
}

export interface TasksHerald {
  herald: Herald;
  gateway: WebSocketGateway | undefined;
  clock: Clock;
  close(): Promise<void>;
}

const hourMs = 3_600_000;

const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** This app's namespace for its Redis keys, queues and pub/sub channels, so apps sharing a Redis never cross. */
const namespace = 'tasks';

export function createTasksHerald(settings: TasksHeraldSettings): TasksHerald {
  const { role, redisUrl } = settings;
  const clock = settings.clock ?? wallClock;
  // BullMQ needs `maxRetriesPerRequest: null` on the connections it blocks on.
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: null }) : undefined;
  if (role !== 'all' && !redis) throw new Error(`The ${role} role needs REDIS_URL.`);

  let gateway: WebSocketGateway | undefined;
  let realtime: ReturnType<typeof createRealtimePublisher> | WebSocketGateway['channel'];
  if (role === 'worker') {
    realtime = createRealtimePublisher({ redis: redis as Redis, namespace });
  } else {
    if (!settings.server || !settings.authenticate)
      throw new Error('The web process needs its server and authenticate.');
    gateway = createWebSocketGateway({
      server: settings.server,
      path: '/realtime',
      authenticate: settings.authenticate,
      ...(redis ? { redis, namespace } : {}),
    });
    realtime = gateway.channel;
  }

  const email = createEmailChannel({
    smtp: { ...settings.smtp, ignoreTLS: true },
    from: 'Field office <office@tasks.example>',
  });

  const herald = createHerald({
    store: redis ? new RedisStore({ redis, namespace }) : new MemoryStore({ clock }),
    channels: [realtime, email],
    notifications: [...notifications],
    resolveRecipients: (ids) => users.filter((user) => ids.includes(user.id)),
    ...(redis ? { runner: createBullMQRunner({ connection: redis, namespace, worker: role === 'worker' }) } : {}),
    clock,
    // The test clock jumps days at a time; an hourly relay pass is plenty for one process and keeps that quick.
    ...(settings.clock ? { relay: { intervalMs: hourMs } } : {}),
  });

  return {
    herald,
    gateway,
    clock,
    async close() {
      await herald.close();
      redis?.disconnect();
    },
  };
}

/** Read items older than this are pruned (what the seed's daily cleanup did). */
export const pruneReadAfterMs = 30 * 24 * hourMs;

/** Prunes read items past 30 days once a day, on Herald's clock (so a test can move it). */
export function schedulePruning(herald: Herald, clock: Clock, onPruned: (removed: number) => void): () => void {
  let timer = clock.setTimeout(run, 24 * hourMs);
  let stopped = false;
  function run(): void {
    void herald.inbox
      .prune({ readBefore: new Date(clock.now() - pruneReadAfterMs) })
      .then(onPruned, () => onPruned(-1))
      .finally(() => {
        if (!stopped) timer = clock.setTimeout(run, 24 * hourMs);
      });
  }
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
