// An inApp channel for processes without sockets (workers, API servers): it publishes inbox items and read
// state to Redis, and the gateways on other processes push them to their sockets.

import { randomUUID } from 'node:crypto';
import type { Logger } from '@herald/core';
import { type Channel, namespaceSetting, silentLogger } from '@herald/core/spec';
import { createNamespaceCheck, type NamespaceReader } from './namespace-registry';
import { createRealtimeChannel } from './realtime-channel';
import type { RealtimeRedis } from './redis-relay';

export interface RealtimePublisherSettings {
  /**
   * An ioredis client. `publish` carries the messages; `zrangebyscore`, when the client has it, checks now and then
   * that gateways listen on this namespace.
   */
  redis: Pick<RealtimeRedis, 'publish'> & Partial<NamespaceReader>;
  /** The gateways' `namespace` (default `herald`). A publisher whose namespace no gateway uses logs a warning. */
  namespace?: string;
  logger?: Logger;
}

export function createRealtimePublisher(settings: RealtimePublisherSettings): Channel<'inApp'> {
  const namespace = namespaceSetting(settings, 'createRealtimePublisher', ['prefix']);
  const logger = settings.logger ?? silentLogger;
  return createRealtimeChannel({
    redis: settings.redis,
    namespace,
    namespaceCheck: createNamespaceCheck(settings.redis, namespace, logger),
    origin: randomUUID(),
    logger,
  });
}
