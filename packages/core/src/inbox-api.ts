// herald.inbox: the host's (and the realtime gateway's) view of each user's inbox. State changes emit the
// inbox events every open tab of the user follows.

import { ValidationError } from './errors';
import type { EventBus } from './event-bus';
import type { HeraldEvents } from './events';
import type { InboxApi } from './herald-types';
import type { BulkInboxOptions, DeliveredAck, Store, TypedBulkInboxOptions, UnreadCount } from './spec/store';
import { markDeliveredMany } from './store-kit/bulk-fallbacks';
import type { EscalationWithdrawal, ItemChange } from './timing/escalations';
import { assertIdList, assertNonEmptyString } from './validation';

function typeOption(options: { type?: string }): { type?: string } {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError([{ path: 'options', message: 'Expected an object' }]);
  }
  if (options.type === undefined) return {};
  assertNonEmptyString(options.type, 'type');
  return { type: options.type };
}

/** The filter of a bulk change that takes no `type`. */
function anyType(): { type?: string } {
  return {};
}

type ItemsEvent = 'inbox.read' | 'inbox.unread' | 'inbox.seen' | 'inbox.archived' | 'inbox.unarchived';

/** The event of a change to listed items. Those with a bulk form say `all: false`; the others have no `all`. */
const itemsEvents: { [E in ItemsEvent]: (userId: string, ids: string[], unread: UnreadCount) => HeraldEvents[E] } = {
  'inbox.read': (userId, ids, unread) => ({ userId, ids, all: false, unread }),
  'inbox.unread': (userId, ids, unread) => ({ userId, ids, unread }),
  'inbox.seen': (userId, ids, unread) => ({ userId, ids, all: false, unread }),
  'inbox.archived': (userId, ids, unread) => ({ userId, ids, all: false, unread }),
  'inbox.unarchived': (userId, ids, unread) => ({ userId, ids, unread }),
};

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

  /**
   * A change to listed items: both arguments checked, `apply`, then — only when it changed something — the event
   * with the user's unread count after it, and (for `withdraw`) the escalations waiting on that change told of it.
   */
  function changeItems<E extends ItemsEvent>(
    apply: (userId: string, ids: string[]) => Promise<string[]>,
    event: E,
    withdraw?: ItemChange,
  ): (userId: string, ids: string[]) => Promise<string[]> {
    return async (userId, ids) => {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await apply(userId, ids);
      if (changed.length > 0) {
        events.emit(event, itemsEvents[event](userId, changed, await store.unreadCount(userId)));
        if (withdraw !== undefined) await onItemsChanged?.(userId, changed, withdraw);
      }
      return changed;
    };
  }

  /**
   * A bulk change: `userId` checked, then `filter` (the `type` the change is limited to, where it takes one), the
   * watermark, the store's `change`, and — only when it changed something — the event with the user's unread count.
   */
  function changeAll(
    change: 'markAllRead' | 'markAllSeen' | 'archiveAllRead',
    event: 'inbox.read' | 'inbox.seen' | 'inbox.archived',
    filter: (options: TypedBulkInboxOptions) => { type?: string },
  ): (userId: string, options?: TypedBulkInboxOptions) => Promise<number> {
    return async (userId, options = {}) => {
      assertNonEmptyString(userId, 'userId');
      const typeFilter = filter(options);
      const upToPosition = await watermark(userId, options);
      const changed = await store[change](userId, { ...typeFilter, upToPosition }, now());
      if (changed > 0) {
        events.emit(event, {
          userId,
          ids: [],
          all: true,
          ...typeFilter,
          upToPosition,
          unread: await store.unreadCount(userId),
        });
      }
      return changed;
    };
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
    markRead: changeItems((userId, ids) => store.markRead(userId, ids, now()), 'inbox.read', 'read'),
    markUnread: changeItems((userId, ids) => store.markUnread(userId, ids), 'inbox.unread'),
    markAllRead: changeAll('markAllRead', 'inbox.read', typeOption),
    markSeen: changeItems((userId, ids) => store.markSeen(userId, ids, now()), 'inbox.seen'),
    markAllSeen: changeAll('markAllSeen', 'inbox.seen', anyType),
    archive: changeItems((userId, ids) => store.archive(userId, ids, now()), 'inbox.archived'),
    unarchive: changeItems((userId, ids) => store.unarchive(userId, ids), 'inbox.unarchived'),
    archiveAllRead: changeAll('archiveAllRead', 'inbox.archived', typeOption),
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
