// An inApp channel for processes without sockets (workers, API servers): it publishes inbox items and read
// state to Redis, and the gateways on other processes push them to their sockets.

import { randomUUID } from 'node:crypto';
import type { Logger } from '@herald/core';
import { type Channel, silentLogger } from '@herald/core/spec';
import { createRealtimeChannel } from './realtime-channel';
import { DEFAULT_REDIS_PREFIX, type RealtimeRedis } from './redis-relay';

export interface RealtimePublisherSettings {
  /** An ioredis client (only `publish` is used). */
  redis: Pick<RealtimeRedis, 'publish'>;
  /** The gateways' `redisPrefix` (default `herald:realtime:`). */
  prefix?: string;
  logger?: Logger;
}

export function createRealtimePublisher(settings: RealtimePublisherSettings): Channel<'inApp'> {
  return createRealtimeChannel({
    redis: settings.redis,
    prefix: settings.prefix ?? DEFAULT_REDIS_PREFIX,
    origin: randomUUID(),
    logger: settings.logger ?? silentLogger,
  });
}
