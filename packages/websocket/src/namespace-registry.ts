// Gateways announce the namespace they listen on in one well-known sorted set of the Redis they share. A publisher
// whose messages reach no gateway reads it, so it can tell users who are simply offline from a publisher set up
// with another namespace than the gateways — a mistake that otherwise only shows as sockets catching up late.

import type { Logger } from '@herald/core';

/** Namespace → time of its last announcement (ms), refreshed by every gateway with a Redis relay. */
export const GATEWAY_NAMESPACES_KEY = 'herald:realtime-namespaces';
/** How often a gateway announces its namespace. */
export const ANNOUNCE_INTERVAL_MS = 20_000;
/** An announcement older than this counts as gone (three missed announcements). */
const LIVE_FOR_MS = 3 * ANNOUNCE_INTERVAL_MS;
/** Entries not refreshed for a day are removed, so namespaces of retired deployments do not pile up. */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1_000;
/** A publisher looks at most this often. */
const CHECK_INTERVAL_MS = 60_000;

/** What announcing needs of an ioredis client. */
export interface NamespaceAnnouncer {
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zremrangebyscore(key: string, min: number | string, max: number | string): Promise<unknown>;
}

/** What checking needs of an ioredis client. */
export interface NamespaceReader {
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>;
}

function canAnnounce(redis: object): redis is NamespaceAnnouncer {
  const candidate = redis as Partial<NamespaceAnnouncer>;
  return typeof candidate.zadd === 'function' && typeof candidate.zremrangebyscore === 'function';
}

function canRead(redis: object): redis is NamespaceReader {
  return typeof (redis as Partial<NamespaceReader>).zrangebyscore === 'function';
}

/** Announces `namespace` now and every 20 s until stopped. A failed announcement is retried at the next tick. */
export function announceNamespace(redis: object, namespace: string, now: () => number = Date.now): { stop(): void } {
  if (!canAnnounce(redis)) return { stop() {} };
  const announce = (): void => {
    const at = now();
    redis.zadd(GATEWAY_NAMESPACES_KEY, at, namespace).catch(() => {});
    redis.zremrangebyscore(GATEWAY_NAMESPACES_KEY, '-inf', at - FORGET_AFTER_MS).catch(() => {});
  };
  announce();
  const timer = setInterval(announce, ANNOUNCE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export interface NamespaceCheck {
  /** A publish reached no gateway: look (at most once a minute) whether gateways listen elsewhere. */
  nobodyReceived(): void;
}

/**
 * Warns once per distinct situation when no gateway announced `namespace` lately but gateways did announce
 * others: the publisher and the gateways were given different namespaces.
 */
export function createNamespaceCheck(
  redis: object,
  namespace: string,
  logger: Logger,
  now: () => number = Date.now,
): NamespaceCheck {
  if (!canRead(redis)) return { nobodyReceived() {} };
  let lastCheck = Number.NEGATIVE_INFINITY;
  let warned = '';
  return {
    nobodyReceived() {
      const at = now();
      if (at - lastCheck < CHECK_INTERVAL_MS) return;
      lastCheck = at;
      redis.zrangebyscore(GATEWAY_NAMESPACES_KEY, at - LIVE_FOR_MS, '+inf').then(
        (live) => {
          if (live.length === 0 || live.includes(namespace)) return;
          const others = [...live].sort().join('", "');
          if (others === warned) return;
          warned = others;
          logger.warn(
            `herald websocket: no gateway listens on namespace "${namespace}", but gateways listen on "${others}": give createRealtimePublisher the same namespace as createWebSocketGateway, or its messages reach no socket until a client resyncs`,
            { namespace, gatewayNamespaces: [...live].sort() },
          );
        },
        () => {},
      );
    },
  };
}
