// herald.inbox: the host's (and the realtime gateway's) view of each user's inbox. State changes emit the
// inbox events every open tab of the user follows.

import { ValidationError } from './errors';
import type { EventBus } from './event-bus';
import type { InboxApi } from './herald-types';
import type { BulkInboxOptions, DeliveredAck, Store } from './spec/store';
import { markDeliveredMany } from './store-kit/bulk-fallbacks';
import type { EscalationWithdrawal } from './timing/escalations';
import { assertIdList, assertNonEmptyString } from './validation';

function typeOption(options: { type?: string }): { type?: string } {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError([{ path: 'options', message: 'Expected an object' }]);
  }
  if (options.type === undefined) return {};
  assertNonEmptyString(options.type, 'type');
  return { type: options.type };
}

export function createInboxApi(
  store: Store,
  events: EventBus,
  now: () => string,
  onItemsChanged?: EscalationWithdrawal,
): InboxApi {
  /**
   * A bulk change's watermark, fixed before it starts: the caller's, else the user's last position now. The event
   * carries it, so every tab applies the change to the same items.
   */
  async function watermark(userId: string, options: BulkInboxOptions): Promise<number> {
    if (options === null || typeof options !== 'object') {
      throw new ValidationError([{ path: 'options', message: 'Expected an object' }]);
    }
    const { upToPosition } = options;
    if (upToPosition === undefined) return store.lastPosition(userId);
    if (!Number.isSafeInteger(upToPosition) || upToPosition < 0) {
      throw new ValidationError([{ path: 'upToPosition', message: 'Expected an integer ≥ 0' }]);
    }
    return upToPosition;
  }

  return {
    list: (userId, query) => {
      assertNonEmptyString(userId, 'userId');
      return store.listInbox(userId, query);
    },
    get: (userId, ids) => {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      return store.getInboxItems(userId, ids);
    },
    unreadCount: (userId) => {
      assertNonEmptyString(userId, 'userId');
      return store.unreadCount(userId);
    },
    async markRead(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markRead(userId, ids, now());
      if (changed.length > 0) {
        events.emit('inbox.read', { userId, ids: changed, all: false, unread: await store.unreadCount(userId) });
        await onItemsChanged?.(userId, changed, 'read');
      }
      return changed;
    },
    async markUnread(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markUnread(userId, ids);
      if (changed.length > 0) {
        events.emit('inbox.unread', { userId, ids: changed, unread: await store.unreadCount(userId) });
      }
      return changed;
    },
    async markAllRead(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      const typeFilter = typeOption(options);
      const upToPosition = await watermark(userId, options);
      const changed = await store.markAllRead(userId, { ...typeFilter, upToPosition }, now());
      if (changed > 0) {
        events.emit('inbox.read', {
          userId,
          ids: [],
          all: true,
          ...typeFilter,
          upToPosition,
          unread: await store.unreadCount(userId),
        });
      }
      return changed;
    },
    async markSeen(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markSeen(userId, ids, now());
      if (changed.length > 0) {
        events.emit('inbox.seen', { userId, ids: changed, all: false, unread: await store.unreadCount(userId) });
      }
      return changed;
    },
    async markAllSeen(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      const upToPosition = await watermark(userId, options);
      const changed = await store.markAllSeen(userId, { upToPosition }, now());
      if (changed > 0) {
        events.emit('inbox.seen', {
          userId,
          ids: [],
          all: true,
          upToPosition,
          unread: await store.unreadCount(userId),
        });
      }
      return changed;
    },
    async archive(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.archive(userId, ids, now());
      if (changed.length > 0) {
        events.emit('inbox.archived', { userId, ids: changed, all: false, unread: await store.unreadCount(userId) });
      }
      return changed;
    },
    async unarchive(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.unarchive(userId, ids);
      if (changed.length > 0) {
        events.emit('inbox.unarchived', { userId, ids: changed, unread: await store.unreadCount(userId) });
      }
      return changed;
    },
    async archiveAllRead(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      const typeFilter = typeOption(options);
      const upToPosition = await watermark(userId, options);
      const changed = await store.archiveAllRead(userId, { ...typeFilter, upToPosition }, now());
      if (changed > 0) {
        events.emit('inbox.archived', {
          userId,
          ids: [],
          all: true,
          ...typeFilter,
          upToPosition,
          unread: await store.unreadCount(userId),
        });
      }
      return changed;
    },
    async markDelivered(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markDelivered(userId, ids, now());
      if (changed.length > 0) {
        events.emit('inbox.delivered', { userId, ids: changed });
        await onItemsChanged?.(userId, changed, 'delivered');
      }
      return changed;
    },
    async markDeliveredMany(acks) {
      if (!Array.isArray(acks))
        throw new ValidationError([{ path: 'acks', message: 'Expected an array of { userId, ids }' }]);
      const checked: DeliveredAck[] = acks.map((ack: unknown, index) => {
        if (ack === null || typeof ack !== 'object') {
          throw new ValidationError([{ path: `acks.${index}`, message: 'Expected an object { userId, ids }' }]);
        }
        const { userId, ids } = ack as Partial<DeliveredAck>;
        assertNonEmptyString(userId, `acks.${index}.userId`);
        assertIdList(ids, `acks.${index}.ids`);
        return { userId, ids };
      });
      const changed = await markDeliveredMany(store, checked, now());
      const results: string[][] = new Array(checked.length);
      for (let index = 0; index < checked.length; index++) {
        const ids = changed[index] ?? [];
        results[index] = ids;
        if (ids.length === 0) continue;
        const { userId } = checked[index] as DeliveredAck;
        events.emit('inbox.delivered', { userId, ids });
        const withdrawing = onItemsChanged?.(userId, ids, 'delivered');
        if (withdrawing) await withdrawing;
      }
      return results;
    },
    async undelivered(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      const page = await store.listInbox(userId, { status: 'undelivered', limit: options.limit ?? 100 });
      return page.items.reverse();
    },
    after(userId, position, options = {}) {
      assertNonEmptyString(userId, 'userId');
      if (!Number.isInteger(position) || position < 0) {
        throw new ValidationError([{ path: 'position', message: 'Expected an integer ≥ 0' }]);
      }
      return store.listInboxAfter(userId, position, options.limit ?? 100);
    },
    lastPosition(userId) {
      assertNonEmptyString(userId, 'userId');
      return store.lastPosition(userId);
    },
    prune({ readBefore }) {
      if (!(readBefore instanceof Date) || Number.isNaN(readBefore.getTime())) {
        throw new ValidationError([{ path: 'readBefore', message: 'Expected a valid Date' }]);
      }
      return store.pruneInbox({ readBefore: readBefore.toISOString() });
    },
  };
}
