// An inApp channel for processes without sockets (workers, API servers): it publishes inbox items and read
// state through a relay (Redis pub/sub, or Postgres LISTEN / NOTIFY), and the gateways on other processes push them
// to their sockets.

import { randomUUID } from 'node:crypto';
import type { Logger } from '@herald/core';
import {
  type Channel,
  ConfigurationError,
  namespaceSetting,
  type RealtimeRelay,
  silentLogger,
} from '@herald/core/spec';
import type { NamespaceReader } from './namespace-registry';
import { createRealtimeChannel } from './realtime-channel';
import { createRedisRelay, type RealtimeRedis } from './redis-relay';

export interface RealtimePublisherSettings {
  /**
   * An ioredis client. `publish` carries the messages; `zrangebyscore`, when the client has it, checks now and then
   * that gateways listen on this namespace.
   */
  redis?: Pick<RealtimeRedis, 'publish'> & Partial<NamespaceReader>;
  /** The gateways' `namespace` (default `herald`). A publisher whose namespace no gateway uses logs a warning. */
  namespace?: string;
  /** Or any realtime relay, e.g. `createPostgresRelay` from @herald/postgres: the one the gateways use. */
  relay?: Pick<RealtimeRelay, 'publish'>;
  logger?: Logger;
}

export function createRealtimePublisher(settings: RealtimePublisherSettings): Channel<'inApp'> {
  const namespace = namespaceSetting(settings, 'createRealtimePublisher', ['prefix']);
  const logger = settings.logger ?? silentLogger;
  const relay =
    settings.relay ??
    (settings.redis ? createRedisRelay({ redis: settings.redis as RealtimeRedis, namespace, logger }) : undefined);
  if (!relay)
    throw new ConfigurationError('createRealtimePublisher needs a relay or a redis client to publish through');
  return createRealtimeChannel({ relay, origin: randomUUID(), logger });
}
