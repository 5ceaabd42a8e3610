// An inApp channel for processes without sockets (workers, API servers): it publishes inbox items and read
// state through a relay (Redis pub/sub, or Postgres LISTEN / NOTIFY), and the gateways on other processes push them
// to their sockets.

import { randomUUID } from 'node:crypto';
import type { Logger } from '@herald/core';
import { type Channel, ConfigurationError, type RealtimeRelay, silentLogger } from '@herald/core/spec';
import { createRealtimeChannel } from './realtime-channel';
import { createRedisRelay, type RealtimeRedis } from './redis-relay';

export interface RealtimePublisherSettings {
  /** An ioredis client (only `publish` is used). */
  redis?: Pick<RealtimeRedis, 'publish'>;
  /** The gateways' `redisPrefix` (default `herald:realtime:`). */
  prefix?: string;
  /** Or any realtime relay, e.g. `createPostgresRelay` from @herald/postgres: the one the gateways use. */
  relay?: Pick<RealtimeRelay, 'publish'>;
  logger?: Logger;
}

export function createRealtimePublisher(settings: RealtimePublisherSettings): Channel<'inApp'> {
  const logger = settings.logger ?? silentLogger;
  const relay =
    settings.relay ??
    (settings.redis
      ? createRedisRelay({ redis: settings.redis as RealtimeRedis, prefix: settings.prefix, logger })
      : undefined);
  if (!relay)
    throw new ConfigurationError('createRealtimePublisher needs a relay or a redis client to publish through');
  return createRealtimeChannel({ relay, origin: randomUUID(), logger });
}
