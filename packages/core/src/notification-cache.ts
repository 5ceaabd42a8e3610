// What this process remembers of recent notifications so deliveries it runs need not read them back: the
// render context of each, and the inbox items it stored (realtime inApp channels send the stored item).
// Both are bounded: a long-running worker must not keep every notification it ever saw.

import type { InboxItem } from './spec/store';

/** What the executor needs to render a notification's content. */
export interface NotificationContext {
  type: string;
  payload: unknown;
  actorId: string | undefined;
}

export interface NotificationCache {
  context(notificationId: string): NotificationContext | undefined;
  rememberContext(notificationId: string, context: NotificationContext): void;
  item(itemId: string): InboxItem | undefined;
  rememberItems(items: readonly InboxItem[]): void;
}

export interface NotificationCacheLimits {
  /** Notification contexts kept (default 10,000). */
  contexts?: number;
  /** Inbox items kept (default 50,000). */
  items?: number;
}

/**
 * Insertion-ordered map that drops its oldest entries past `limit`. One key iterator lives as long as the map: a
 * Map keeps deleted entries as holes until it rehashes, so a fresh `keys().next()` per eviction would walk every
 * hole left by the evictions before it (quadratic once the map is full). The iterator stays behind the oldest
 * live entry, since every entry it passed was evicted, and a refreshed key moves to the end, ahead of it.
 */
function boundedMap<V>(limit: number): { get(key: string): V | undefined; set(key: string, value: V): void } {
  const map = new Map<string, V>();
  const order = map.keys();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      if (limit <= 0) return;
      map.delete(key);
      map.set(key, value);
      while (map.size > limit) {
        const oldest = order.next();
        if (oldest.done) break; // unreachable while live entries remain ahead of the iterator
        map.delete(oldest.value);
      }
    },
  };
}

export function createNotificationCache(limits: NotificationCacheLimits = {}): NotificationCache {
  const contexts = boundedMap<NotificationContext>(limits.contexts ?? 10_000);
  const items = boundedMap<InboxItem>(limits.items ?? 50_000);
  return {
    context: (notificationId) => contexts.get(notificationId),
    rememberContext: (notificationId, context) => contexts.set(notificationId, context),
    item: (itemId) => items.get(itemId),
    rememberItems(stored) {
      for (const item of stored) items.set(item.id, item);
    },
  };
}
