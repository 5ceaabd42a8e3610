// The inbox as React state: the client's snapshot through useSyncExternalStore, so every component re-renders on
// the same change and never tears. On the server the snapshot is an empty, connecting inbox.

import type { InboxItem, UnreadCount } from '@herald/core';
import type { HeraldClientSnapshot } from '@herald/websocket/client';
import { useMemo, useSyncExternalStore } from 'react';
import { useHeraldClient } from './herald-provider';

const serverSnapshot: HeraldClientSnapshot = Object.freeze({
  status: 'connecting',
  userId: undefined,
  items: Object.freeze([]) as readonly InboxItem[],
  unread: Object.freeze({ total: 0, unseen: 0, byType: Object.freeze({}) as Record<string, number> }),
  unseen: 0,
  lastPosition: 0,
});

const getServerSnapshot = (): HeraldClientSnapshot => serverSnapshot;

/** The whole snapshot: `{ status, userId, items, unread, unseen, lastPosition }`, the same object until it changes. */
export function useInbox(): HeraldClientSnapshot {
  const client = useHeraldClient();
  return useSyncExternalStore(client.subscribe, client.getSnapshot, getServerSnapshot);
}

/** `{ total (unread), unseen, byType }`; components using it re-render only when the counts change. */
export function useUnreadCount(): UnreadCount {
  const client = useHeraldClient();
  return useSyncExternalStore(
    client.subscribe,
    () => client.getSnapshot().unread,
    () => serverSnapshot.unread,
  );
}

/** Which items `useNotifications` returns. */
export type NotificationsFilter =
  | 'all'
  | 'unread'
  | 'read'
  | 'unseen'
  | { status?: 'read' | 'unread' | 'unseen'; type?: string | readonly string[] }
  | ((item: InboxItem) => boolean);

export interface UseNotificationsOptions {
  /** Default `all`. A function filter should be stable (module scope or `useCallback`), or it re-filters every render. */
  filter?: NotificationsFilter;
}

function matcher(filter: NotificationsFilter): ((item: InboxItem) => boolean) | undefined {
  if (typeof filter === 'function') return filter;
  if (filter === 'all') return undefined;
  const { status, type } = typeof filter === 'string' ? { status: filter, type: undefined } : filter;
  const types = type === undefined ? undefined : new Set(typeof type === 'string' ? [type] : type);
  return (item) =>
    (status === undefined ||
      (status === 'read'
        ? item.readAt !== undefined
        : status === 'unread'
          ? item.readAt === undefined
          : item.seenAt === undefined)) &&
    (types === undefined || types.has(item.type));
}

/** The snapshot's items (newest first, archived ones left out), filtered; the same array until either changes. */
export function useNotifications(options: UseNotificationsOptions = {}): readonly InboxItem[] {
  const { items } = useInbox();
  const filter = options.filter ?? 'all';
  // An object filter written inline is a new object every render: compare it by value.
  const key = typeof filter === 'object' ? JSON.stringify(filter) : filter;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `filter`'s value.
  return useMemo(() => {
    const matches = matcher(filter);
    return matches ? items.filter(matches) : items;
  }, [items, key]);
}
