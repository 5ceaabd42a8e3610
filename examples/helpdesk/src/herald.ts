// Herald's wiring, the only file that knows which store, runner and channels run: MemoryStore and the in-process
// runner by default; with REDIS_URL, RedisStore and BullMQ, the web process only enqueuing and holding sockets,
// and a worker process delivering. Everything else in the app just calls `herald.notify`.

import { createBullMQRunner } from '@herald/bullmq';
import { type AnyChannel, type Authenticate, type Clock, createHerald, type Herald } from '@herald/core';
import { createEmailChannel } from '@herald/email';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { createRealtimePublisher, createWebSocketGateway, type WebSocketGateway } from '@herald/websocket';
import { createWhatsAppChannel } from '@herald/whatsapp';
import { Redis } from 'ioredis';
import { allNotifications } from './notifications';
import { resolveRecipients } from './users';

/** This app's namespace for its Redis keys, queues and pub/sub channels, so apps sharing a Redis never cross. */
const namespace = 'helpdesk';

/** Where the providers are: the local stand-ins by default (see providers.ts), real ones in production. */
export interface ProviderSettings {
  smtp: { host: string; port: number };
  whatsapp: { graphBaseUrl: string; phoneNumberId: string; accessToken: string };
}

export interface HeraldWiringOptions {
  /** `web` creates notifications and holds the sockets; `worker` (BullMQ only) delivers. */
  role: 'web' | 'worker';
  providers: ProviderSettings;
  /** Set: RedisStore + BullMQ. Unset: MemoryStore + the in-process runner. */
  redisUrl?: string | undefined;
  /** The web process's session check, for the gateway. */
  authenticate?: Authenticate;
  /** Injectable for tests (escalations, SLA timers, retries). */
  clock?: Clock;
}

export interface HeraldWiring {
  herald: Herald;
  /** The realtime gateway (web role): hand it upgrades to `/realtime`. */
  gateway: WebSocketGateway | undefined;
  close(): Promise<void>;
}

export function createHeraldWiring(options: HeraldWiringOptions): HeraldWiring {
  const { providers, redisUrl, role } = options;
  const redis = redisUrl === undefined ? undefined : new Redis(redisUrl, { maxRetriesPerRequest: null });
  const delivery: AnyChannel[] = [
    createEmailChannel({
      smtp: { ...providers.smtp, ignoreTLS: true },
      from: 'Helpdesk <desk@helpdesk.test>',
    }),
    createWhatsAppChannel(providers.whatsapp),
  ];
  const gateway =
    role === 'web'
      ? createWebSocketGateway({
          authenticate: options.authenticate ?? (() => null),
          ...(redis === undefined ? {} : { redis, namespace }),
        })
      : undefined;
  const realtime =
    gateway?.channel ?? (redis === undefined ? undefined : createRealtimePublisher({ redis, namespace }));
  if (realtime === undefined) throw new Error('A worker needs REDIS_URL.');

  const herald = createHerald({
    store: redis === undefined ? new MemoryStore() : new RedisStore({ redis, namespace }),
    channels: [realtime, ...delivery],
    notifications: [...allNotifications],
    resolveRecipients,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(redis === undefined
      ? {}
      : { runner: createBullMQRunner({ connection: redis, namespace, worker: role === 'worker' }) }),
  });
  return {
    herald,
    gateway,
    async close() {
      await herald.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
