// herald.inbox: the host's (and the realtime gateway's) view of each user's inbox. State changes emit the
// inbox events every open tab of the user follows.

import { ValidationError } from './errors';
import type { EventBus } from './event-bus';
import type { InboxApi } from './herald-types';
import type { Store } from './spec/store';
import { assertIdList, assertNonEmptyString } from './validation';

export function createInboxApi(store: Store, events: EventBus, now: () => string): InboxApi {
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
      if (options.type !== undefined) assertNonEmptyString(options.type, 'type');
      const typeFilter = options.type === undefined ? {} : { type: options.type };
      const changed = await store.markAllRead(userId, typeFilter, now());
      if (changed > 0) {
        events.emit('inbox.read', {
          userId,
          ids: [],
          all: true,
          unread: await store.unreadCount(userId),
          ...typeFilter,
        });
      }
      return changed;
    },
    async markDelivered(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markDelivered(userId, ids, now());
      if (changed.length > 0) events.emit('inbox.delivered', { userId, ids: changed });
      return changed;
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
