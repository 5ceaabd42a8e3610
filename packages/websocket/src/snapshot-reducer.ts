// The client's inbox snapshot and how each server frame and each local change moves it: items newest first,
// each id once, unread counts kept exact against the gateway's, and the position the next `hello` resumes after.
// No sockets here: the client feeds it frames and reads the snapshot.

import type { InboxItem, UnreadCount } from '@herald/core';
import type { HeraldClientSnapshot, HeraldClientStatus } from './herald-client-types';
import type { HelloFrame, ServerFrame } from './protocol';
import { adjustCount, cloneCounts, countsEqual } from './unread-counts';

/** Item ids remembered to drop repeats; the oldest are forgotten past this. */
const SEEN_LIMIT = 10_000;

/** The frames that change the snapshot. */
export type SnapshotFrame = Extract<
  ServerFrame,
  { type: 'welcome' | 'notification' | 'synced' | 'unread' | 'read' | 'unreadItems' }
>;

export interface SnapshotReducerSettings {
  /** Items kept, newest first. */
  maxItems: number;
  /** A position saved from an earlier session, if any. */
  lastPosition: number | undefined;
  /** Runs after every change, with the snapshot before it. */
  onChange(next: HeraldClientSnapshot, previous: HeraldClientSnapshot): void;
}

export interface SnapshotReducer {
  getSnapshot(): HeraldClientSnapshot;
  /** The `hello` for a new socket: it resumes after the position once the client has one. */
  hello(): HelloFrame;
  /** Applies a server frame; returns the item when a `notification` brought one not seen before. */
  apply(frame: SnapshotFrame): InboxItem | undefined;
  /** The gateway skipped an item too large to send: move past it and count it, as if it had arrived. */
  skipped(position: number, notificationType: string): void;
  setStatus(status: HeraldClientStatus): void;
  /** Optimistic local changes; the gateway's `read` / `unreadItems` / `unread` frames confirm or correct them. */
  markRead(ids: readonly string[]): void;
  markUnread(ids: readonly string[]): void;
  markAllRead(notificationType: string | undefined): void;
}

type Patch = { -readonly [K in keyof HeraldClientSnapshot]?: HeraldClientSnapshot[K] };

export function createSnapshotReducer(settings: SnapshotReducerSettings): SnapshotReducer {
  const { maxItems } = settings;
  let snapshot: HeraldClientSnapshot = {
    status: 'connecting',
    userId: undefined,
    items: [],
    unread: { total: 0, byType: {} },
    lastPosition: settings.lastPosition ?? 0,
  };
  const seen = new Set<string>();
  /** False until the client has a position to resume from (an item, or a completed catch-up). */
  let hasPosition = settings.lastPosition !== undefined;
  /** Positions at or below this are already in the welcome counts. */
  let countedUpTo = 0;
  /** A read-all without a type was announced: the next `unread` frame says which types it covered. */
  let pendingReadAll = false;

  function update(patch: Patch): void {
    // Same values, same snapshot: useSyncExternalStore re-renders only on real changes.
    const keys = Object.keys(patch) as (keyof HeraldClientSnapshot)[];
    if (
      keys.every((key) =>
        key === 'unread' ? countsEqual(patch.unread!, snapshot.unread) : patch[key] === snapshot[key],
      )
    ) {
      return;
    }
    const previous = snapshot;
    snapshot = { ...snapshot, ...patch };
    settings.onChange(snapshot, previous);
  }

  function remember(id: string): boolean {
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_LIMIT) {
      const oldest = seen.values().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
    return true;
  }

  function insertItem(items: readonly InboxItem[], item: InboxItem): InboxItem[] {
    const next = [...items];
    let index = 0;
    while (index < next.length && (next[index]?.position ?? 0) > item.position) index++;
    next.splice(index, 0, item);
    if (next.length > maxItems) next.length = maxItems;
    return next;
  }

  function mapItems(ids: readonly string[] | 'all', change: (item: InboxItem) => InboxItem | undefined): void {
    const wanted = ids === 'all' ? undefined : new Set(ids);
    let changed = false;
    const items = snapshot.items.map((item) => {
      if (wanted && !wanted.has(item.id)) return item;
      const next = change(item);
      if (!next) return item;
      changed = true;
      return next;
    });
    if (changed) update({ items });
  }

  function markItemsRead(ids: readonly string[] | 'all', type?: string): void {
    const at = new Date().toISOString();
    mapItems(ids, (item) =>
      item.readAt !== undefined || (type !== undefined && item.type !== type) ? undefined : { ...item, readAt: at },
    );
  }

  function markItemsUnread(ids: readonly string[]): void {
    mapItems(ids, (item) => {
      if (item.readAt === undefined) return undefined;
      const { readAt: _readAt, ...rest } = item;
      return rest;
    });
  }

  function receiveItem(item: InboxItem): InboxItem | undefined {
    const isNew = remember(item.id);
    const patch: Patch = {};
    if (item.position > snapshot.lastPosition) patch.lastPosition = item.position;
    hasPosition = true;
    if (isNew) {
      patch.items = insertItem(snapshot.items, item);
      if (item.position > countedUpTo && item.readAt === undefined) {
        patch.unread = adjustCount(snapshot.unread, item.type, 1);
      }
    }
    if (item.position > countedUpTo) countedUpTo = item.position;
    if (Object.keys(patch).length > 0) update(patch);
    return isNew ? item : undefined;
  }

  function receiveCounts(counts: UnreadCount): void {
    if (pendingReadAll) {
      // The read-all may have been for one type only: items of types with nothing unread are read.
      pendingReadAll = false;
      const at = new Date().toISOString();
      mapItems('all', (item) =>
        item.readAt === undefined && (counts.byType[item.type] ?? 0) === 0 ? { ...item, readAt: at } : undefined,
      );
    }
    update({ unread: cloneCounts(counts) });
  }

  return {
    getSnapshot: () => snapshot,
    hello: () => (hasPosition ? { type: 'hello', lastPosition: snapshot.lastPosition } : { type: 'hello' }),
    apply(frame) {
      switch (frame.type) {
        case 'welcome': {
          countedUpTo = frame.lastPosition;
          const patch: Patch = { userId: frame.userId, unread: cloneCounts(frame.unread) };
          // A store that is behind us was reset: the gateway treats this as a first connect; follow it.
          if (snapshot.lastPosition > frame.lastPosition) {
            patch.lastPosition = 0;
            hasPosition = false;
          }
          update(patch);
          return undefined;
        }
        case 'notification':
          return receiveItem(frame.item);
        case 'synced':
          // Everything up to here was sent: resume after it next time, even if none of it was for us.
          hasPosition = true;
          update(
            frame.lastPosition > snapshot.lastPosition
              ? { status: 'open', lastPosition: frame.lastPosition }
              : { status: 'open' },
          );
          return undefined;
        case 'unread':
          receiveCounts(frame.counts);
          return undefined;
        case 'read':
          if (!frame.all) markItemsRead(frame.ids);
          else if (frame.notificationType !== undefined) markItemsRead('all', frame.notificationType);
          else pendingReadAll = true;
          return undefined;
        case 'unreadItems':
          markItemsUnread(frame.ids);
          return undefined;
      }
    },
    skipped(position, notificationType) {
      const patch: Patch = {};
      if (position > snapshot.lastPosition) patch.lastPosition = position;
      hasPosition = true;
      if (position > countedUpTo) {
        patch.unread = adjustCount(snapshot.unread, notificationType, 1);
        countedUpTo = position;
      }
      if (Object.keys(patch).length > 0) update(patch);
    },
    setStatus(status) {
      update({ status });
    },
    markRead(ids) {
      let unread = snapshot.unread;
      for (const item of snapshot.items) {
        if (ids.includes(item.id) && item.readAt === undefined) unread = adjustCount(unread, item.type, -1);
      }
      if (unread !== snapshot.unread) update({ unread });
      markItemsRead(ids);
    },
    markUnread(ids) {
      let unread = snapshot.unread;
      for (const item of snapshot.items) {
        if (ids.includes(item.id) && item.readAt !== undefined) unread = adjustCount(unread, item.type, 1);
      }
      if (unread !== snapshot.unread) update({ unread });
      markItemsUnread(ids);
    },
    markAllRead(type) {
      if (type === undefined) update({ unread: { total: 0, byType: {} } });
      else {
        const byType = { ...snapshot.unread.byType };
        const removed = byType[type] ?? 0;
        byType[type] = 0;
        update({ unread: { total: Math.max(0, snapshot.unread.total - removed), byType } });
      }
      markItemsRead('all', type);
    },
  };
}
