// An inApp channel for processes without sockets (workers, API servers): it publishes inbox items and read
// state to Redis, and the gateways on other processes push them to their sockets.

import { randomUUID } from 'node:crypto';
import { DeliveryError, type HeraldEvents, type Logger } from '@herald/core';
import { type Channel, type SendResult, silentLogger } from '@herald/core/spec';
import { DEFAULT_REDIS_PREFIX, publishRelayMessage, type RealtimeRedis, readRelayMessage } from './redis-relay';

export interface RealtimePublisherSettings {
  /** An ioredis client (only `publish` is used). */
  redis: Pick<RealtimeRedis, 'publish'>;
  /** The gateways' `redisPrefix` (default `herald:realtime:`). */
  prefix?: string;
  logger?: Logger;
}

export function createRealtimePublisher(settings: RealtimePublisherSettings): Channel<'inApp'> {
  const prefix = settings.prefix ?? DEFAULT_REDIS_PREFIX;
  const logger = settings.logger ?? silentLogger;
  const origin = randomUUID();
  const redis = settings.redis as RealtimeRedis;

  return {
    specificationVersion: 'v1',
    kind: 'inApp',
    id: 'websocket',
    async send(request): Promise<SendResult> {
      if (request.signal.aborted) {
        throw new DeliveryError('UNAVAILABLE', 'The websocket delivery was aborted', { cause: request.signal.reason });
      }
      const item = request.inboxItem;
      if (!item) {
        return { status: 'skipped', reason: 'No stored inbox item: the websocket channel announces inbox items' };
      }
      const receivers = await publishRelayMessage(redis, prefix, { kind: 'item', origin, item }, logger);
      // No process holds a socket of this user: they get the item by replay when they connect.
      return (receivers ?? 0) > 0
        ? { status: 'sent' }
        : { status: 'queued', detail: 'user offline; replayed on connect' };
    },
    attach(herald) {
      const onRead = (event: HeraldEvents['inbox.read']): void => {
        void publishRelayMessage(redis, prefix, readRelayMessage(origin, event), logger);
      };
      const onUnread = (event: HeraldEvents['inbox.unread']): void => {
        void publishRelayMessage(
          redis,
          prefix,
          { kind: 'unread', origin, userId: event.userId, ids: event.ids, unread: event.unread },
          logger,
        );
      };
      herald.on('inbox.read', onRead);
      herald.on('inbox.unread', onUnread);
      return () => {
        herald.off('inbox.read', onRead);
        herald.off('inbox.unread', onUnread);
      };
    },
    async close() {},
  };
}
