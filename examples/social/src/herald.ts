// Herald's wiring, the only file that knows how notifications travel: in-app over the WebSocket gateway, push over
// FCM (firebase-admin's `sendEach`, up to 500 messages a call). Without REDIS_URL: MemoryStore and the in-process
// runner in one process. With it: RedisStore and BullMQ, a worker process (src/worker.ts) delivering.
import type { Server } from 'node:http';
import { createBullMQRunner } from '@herald/bullmq';
import { type AnyChannel, type Authenticate, type Clock, createHerald, type Herald } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { createFcmChannel } from '@herald/fcm';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { createRealtimePublisher, createWebSocketGateway, type WebSocketGateway } from '@herald/websocket';
import type { Messaging } from 'firebase-admin/messaging';
import { Redis } from 'ioredis';
import { users } from './domain';
import { notifications } from './notifications';

/** One `sendBatch` of the push channel: how many recipients and how many messages (one per device). */
export interface PushBatch {
  at: string;
  recipients: number;
  messages: number;
  /** firebase-admin `sendEach` calls it took (at most 500 messages each). */
  sendEachCalls: number;
}

export interface SocialHeraldSettings {
  /** `web` notifies and holds the sockets; `worker` only delivers (REDIS_URL only); `all` does both. */
  role: 'all' | 'web' | 'worker';
  redisUrl?: string | undefined;
  /** firebase-admin's Messaging: here aimed at the local FCM peer. */
  messaging: Messaging;
  clock?: Clock | undefined;
  server?: Server;
  authenticate?: Authenticate;
  onPushBatch?: (batch: PushBatch) => void;
}

export interface SocialHerald {
  herald: Herald;
  gateway: WebSocketGateway | undefined;
  close(): Promise<void>;
}

/** The push channel, reporting each batch to the send log (the seed kept the same counts per batch). */
function withBatchLog(channel: Channel<'push'>, onBatch: ((batch: PushBatch) => void) | undefined): Channel<'push'> {
  const sendBatch = channel.sendBatch;
  if (!onBatch || !sendBatch) return channel;
  return {
    ...channel,
    send: (request) => channel.send(request),
    async sendBatch(requests) {
      const results = await sendBatch.call(channel, requests);
      const messages = requests.reduce((sum, request) => sum + (request.recipient.pushTokens?.length ?? 0), 0);
      onBatch({
        at: new Date().toISOString(),
        recipients: requests.length,
        messages,
        sendEachCalls: Math.ceil(messages / 500),
      });
      return results;
    },
  };
}

/** This app's namespace for its Redis keys, queues and pub/sub channels, so apps sharing a Redis never cross. */
const namespace = 'social';

export function createSocialHerald(settings: SocialHeraldSettings): SocialHerald {
  const { role, redisUrl } = settings;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: null }) : undefined;
  if (role !== 'all' && !redis) throw new Error(`The ${role} role needs REDIS_URL.`);

  let gateway: WebSocketGateway | undefined;
  let realtime: AnyChannel;
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
  const push = withBatchLog(createFcmChannel({ messaging: settings.messaging }), settings.onPushBatch);

  const herald = createHerald({
    store: redis
      ? new RedisStore({ redis, namespace })
      : new MemoryStore(settings.clock ? { clock: settings.clock } : {}),
    channels: [realtime, push],
    notifications: [...notifications],
    // Registered devices are merged in by Herald; users without any are skipped by the push channel, saying why.
    resolveRecipients: (ids) =>
      users.filter((user) => ids.includes(user.id)).map((user) => ({ id: user.id, name: user.name })),
    ...(redis ? { runner: createBullMQRunner({ connection: redis, namespace, worker: role === 'worker' }) } : {}),
    ...(settings.clock ? { clock: settings.clock } : {}),
  });

  return {
    herald,
    gateway,
    async close() {
      await herald.close();
      redis?.disconnect();
    },
  };
}

/** Registers every seeded phone (apps do this at each start; registering again changes nothing). */
export async function registerDevices(herald: Herald): Promise<void> {
  for (const user of users) {
    for (const token of user.devices) await herald.devices.register(user.id, { token, platform: 'android' });
  }
}
