// Carries realtime events between processes over Redis pub/sub: one channel per user, subscribed only by the
// processes where that user has an open socket, so PUBLISH's answer says how many such processes got it.
// Pub/sub is lossy; the gateway repairs what is lost by position (see gateway-connection.ts).

import type { HeraldEvents, Logger } from '@herald/core';
import {
  namespaceSetting,
  type RealtimeRelay,
  type RealtimeRelayMessage,
  type RealtimeRelaySubscription,
} from '@herald/core/spec';
import { announceNamespace, createNamespaceCheck } from './namespace-registry';

/** What the gateway needs of an ioredis client used for publishing. */
export interface RealtimeRedis {
  publish(channel: string, message: string): Promise<number>;
  /** A second connection in subscriber mode (ioredis `duplicate()`). */
  duplicate(): RealtimeRedisSubscriber;
}

/** What the gateway needs of the duplicated subscriber connection. */
export interface RealtimeRedisSubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  /** ioredis connection status (`ready` once usable). */
  readonly status?: string;
}

export type RelayMessage = RealtimeRelayMessage;

/** The relay message for Herald's `inbox.read` event (a read-all limited to a type keeps the type). */
export function readRelayMessage(origin: string, event: HeraldEvents['inbox.read']): RelayMessage {
  const message: RelayMessage = {
    kind: 'read',
    origin,
    userId: event.userId,
    ids: event.ids,
    all: event.all,
    unread: event.unread,
  };
  if (event.type !== undefined) message.notificationType = event.type;
  if (event.upToPosition !== undefined) message.upToPosition = event.upToPosition;
  return message;
}

/** The relay message for Herald's `inbox.seen` event. */
export function seenRelayMessage(origin: string, event: HeraldEvents['inbox.seen']): RelayMessage {
  const message: RelayMessage = {
    kind: 'seen',
    origin,
    userId: event.userId,
    ids: event.ids,
    all: event.all,
    unread: event.unread,
  };
  if (event.upToPosition !== undefined) message.upToPosition = event.upToPosition;
  return message;
}

/** The relay message for Herald's `inbox.archived` event (an archive-all limited to a type keeps the type). */
export function archivedRelayMessage(origin: string, event: HeraldEvents['inbox.archived']): RelayMessage {
  const message: RelayMessage = {
    kind: 'archived',
    origin,
    userId: event.userId,
    ids: event.ids,
    all: event.all,
    unread: event.unread,
  };
  if (event.type !== undefined) message.notificationType = event.type;
  if (event.upToPosition !== undefined) message.upToPosition = event.upToPosition;
  return message;
}

/** The user's pub/sub channel in a namespace: `<namespace>:realtime:user:<userId>`. */
export function userChannel(namespace: string, userId: string): string {
  return `${namespace}:realtime:user:${userId}`;
}

export function messageUserId(message: RelayMessage): string {
  return message.kind === 'item' ? message.item.userId : message.userId;
}

/**
 * Publishes a message on the user's channel. Returns how many processes other than `selfSubscribed` received it,
 * or `undefined` when Redis failed (logged).
 */
export async function publishRelayMessage(
  redis: Pick<RealtimeRedis, 'publish'>,
  namespace: string,
  message: RelayMessage,
  logger: Logger,
  selfSubscribed = false,
): Promise<number | undefined> {
  try {
    const receivers = await redis.publish(userChannel(namespace, messageUserId(message)), JSON.stringify(message));
    return Math.max(0, receivers - (selfSubscribed ? 1 : 0));
  } catch (error) {
    logger.warn('herald websocket: publishing to Redis failed; open sockets catch up by position', {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

export type RelaySubscription = RealtimeRelaySubscription;

export interface RelaySubscriptionSettings {
  redis: RealtimeRedis;
  /** The gateways' namespace: its channels are subscribed, and it is announced for publishers to check. */
  namespace: string;
  origin: string;
  logger: Logger;
  onMessage(message: RelayMessage): void;
  /** The subscriber reconnected: messages may have been lost meanwhile. */
  onResubscribed(): void;
}

export function createRelaySubscription(settings: RelaySubscriptionSettings): RelaySubscription {
  const subscriber = settings.redis.duplicate();
  const channelPrefix = userChannel(settings.namespace, '');
  const announcement = announceNamespace(settings.redis, settings.namespace);
  const subscribed = new Map<string, Promise<void>>();
  let readyBefore = false;
  // Subscribing before the connection is ready races ioredis's ready check (an INFO that subscriber mode refuses).
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (subscriber.status === 'ready') markReady();

  subscriber.on('error', (error) => {
    settings.logger.warn('herald websocket: Redis subscriber error', { error: error.message });
  });
  subscriber.on('message', (channel, text) => {
    if (!channel.startsWith(channelPrefix)) return;
    let message: RelayMessage;
    try {
      message = JSON.parse(text) as RelayMessage;
    } catch {
      settings.logger.warn('herald websocket: ignored a malformed relay message', { channel });
      return;
    }
    if (message.origin === settings.origin) return;
    settings.onMessage(message);
  });
  subscriber.on('ready', () => {
    // ioredis resubscribes by itself after a reconnect; anything published while it was away is gone.
    if (readyBefore) settings.onResubscribed();
    readyBefore = true;
    markReady();
  });

  return {
    add(userId) {
      const existing = subscribed.get(userId);
      if (existing) return existing;
      const pending = ready
        .then(() => subscriber.subscribe(userChannel(settings.namespace, userId)))
        .then(
          () => undefined,
          (error: unknown) => {
            subscribed.delete(userId);
            settings.logger.warn('herald websocket: subscribing to Redis failed', {
              userId,
              error: error instanceof Error ? error.message : String(error),
            });
          },
        );
      subscribed.set(userId, pending);
      return pending;
    },
    remove(userId) {
      if (!subscribed.delete(userId)) return;
      subscriber.unsubscribe(userChannel(settings.namespace, userId)).catch(() => {});
    },
    async close() {
      announcement.stop();
      subscribed.clear();
      await subscriber.quit().catch(() => {});
    },
  };
}

export interface RedisRelaySettings {
  /** An ioredis client: it publishes, and is `duplicate()`d for each subscription. */
  redis: RealtimeRedis;
  /** The deployment's namespace (default `herald`): channels are `<namespace>:realtime:user:<id>`. */
  namespace?: string | undefined;
  logger: Logger;
}

/**
 * The realtime relay over Redis pub/sub: one channel per user, so PUBLISH's answer counts the receiving processes.
 * Each subscription announces the namespace; a publish that reaches nobody checks it against the gateways'.
 */
export function createRedisRelay(settings: RedisRelaySettings): RealtimeRelay {
  const namespace = namespaceSetting(settings, 'createRedisRelay', ['prefix']);
  const namespaceCheck = createNamespaceCheck(settings.redis, namespace, settings.logger);
  return {
    specificationVersion: 'v1',
    async publish(message, selfSubscribed) {
      const receivers = await publishRelayMessage(settings.redis, namespace, message, settings.logger, selfSubscribed);
      if (receivers === 0) namespaceCheck.nobodyReceived();
      return receivers;
    },
    subscribe: (subscriber) =>
      createRelaySubscription({
        redis: settings.redis,
        namespace,
        origin: subscriber.origin,
        logger: settings.logger,
        onMessage: (message) => subscriber.onMessage(message),
        onResubscribed: () => subscriber.onResubscribed(),
      }),
  };
}
