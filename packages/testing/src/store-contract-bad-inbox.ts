// Store contract: bad input to the inbox calls. Every store refuses the same inputs with the same ValidationError
// (path and message), and a refused call changes nothing: each case compares the inbox before and after.

import type { Store } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { describe, expect, it } from 'vitest';
import {
  deliveryRecord,
  expectIssues,
  inboxItem,
  isoNow,
  listAllInbox,
  loose,
  NON_EMPTY,
  notADate,
  STRING,
  type StoreContractContext,
} from './store-contract-fixtures';

/** Everything about a user's inbox that a refused call could have changed. */
async function inboxState(store: Store, userId: string): Promise<unknown> {
  return {
    items: await listAllInbox(store, userId),
    unread: await store.unreadCount(userId),
    lastPosition: await store.lastPosition(userId),
  };
}

export function badInboxContract(context: StoreContractContext): void {
  describe('bad input: inbox items', () => {
    it('refuses a batch with a bad item, naming each field, and stores none of it', async () => {
      const userId = context.userId();
      const before = await inboxState(context.store, userId);
      const good = inboxItem(context, userId);
      const cases: [unknown, { path: string; message: string | RegExp }[]][] = [
        ['not an array', [{ path: 'items', message: 'Expected an array of inbox items' }]],
        [[good, null], [{ path: 'items.1', message: 'Expected an inbox item object' }]],
        [[good, { ...inboxItem(context, userId), userId: '' }], [{ path: 'items.1.userId', message: NON_EMPTY }]],
        [
          [{ ...inboxItem(context, userId), id: undefined, notificationId: 7, type: '' }],
          [
            { path: 'items.0.id', message: NON_EMPTY },
            { path: 'items.0.notificationId', message: NON_EMPTY },
            { path: 'items.0.type', message: NON_EMPTY },
          ],
        ],
        [
          [{ ...inboxItem(context, userId), createdAt: 'yesterday' }],
          [{ path: 'items.0.createdAt', message: notADate('yesterday') }],
        ],
        [
          [{ ...inboxItem(context, userId), title: 42, body: undefined }],
          [
            { path: 'items.0.title', message: STRING },
            { path: 'items.0.body', message: STRING },
          ],
        ],
        [
          [{ ...inboxItem(context, userId), url: 1, icon: false, actorId: {} }],
          [
            { path: 'items.0.url', message: STRING },
            { path: 'items.0.icon', message: STRING },
            { path: 'items.0.actorId', message: STRING },
          ],
        ],
        [[{ ...inboxItem(context, userId), data: ['a'] }], [{ path: 'items.0.data', message: 'Expected an object' }]],
        [
          [good, inboxItem(context, userId, { data: { callback: () => 1 } })],
          [{ path: 'items.1.data', message: /^Expected plain data \(JSON-like values\): / }],
        ],
      ];
      for (const [items, issues] of cases) {
        await expectIssues(context.store.insertInboxItems(loose<NewInboxItem[]>(items)), issues);
      }
      expect(await inboxState(context.store, userId)).toEqual(before);
      expect(await context.store.getInboxItems(userId, [good.id])).toEqual([]);
    });

    it('checks a whole batch before writing: a bad item at index 9,999 of 10,000 stores nothing', async () => {
      const users = Array.from({ length: 10 }, () => context.userId('bulk'));
      const items = Array.from({ length: 10_000 }, (_, index) => inboxItem(context, users[index % 10]!));
      items[9_999] = { ...items[9_999]!, title: loose<string>(null) };
      await expectIssues(context.store.insertInboxItems(items), [{ path: 'items.9999.title', message: STRING }]);
      for (const userId of users) {
        expect(await context.store.lastPosition(userId)).toBe(0);
        expect(await context.store.unreadCount(userId)).toEqual({ total: 0, byType: {} });
      }
    });

    it('lists at most 100 issues of a bad batch, then says how many more there were', async () => {
      const userId = context.userId();
      const items = Array.from({ length: 150 }, () => ({ ...inboxItem(context, userId), body: loose<string>(1) }));
      const expected = items
        .slice(0, 100)
        .map((_, index) => ({ path: `items.${index}.body`, message: STRING }))
        .concat([{ path: 'items', message: 'and 50 more issues' }]);
      await expectIssues(context.store.insertInboxItems(items), expected);
      expect(await context.store.lastPosition(userId)).toBe(0);
    });
  });

  describe('bad input: inbox reads and listings', () => {
    it('refuses an empty user id on every inbox call, changing nothing', async () => {
      const userId = context.userId();
      const [item] = await context.store.insertInboxItems([inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      const userIdIssue = [{ path: 'userId', message: NON_EMPTY }];
      const at = isoNow();
      await expectIssues(context.store.getInboxItems('', [item!.id]), userIdIssue);
      await expectIssues(context.store.listInbox(''), userIdIssue);
      await expectIssues(context.store.listInboxAfter('', 0, 10), userIdIssue);
      await expectIssues(context.store.lastPosition(loose<string>(undefined)), userIdIssue);
      await expectIssues(context.store.unreadCount(loose<string>(42)), userIdIssue);
      await expectIssues(context.store.markRead('', [item!.id], at), userIdIssue);
      await expectIssues(context.store.markUnread('', [item!.id]), userIdIssue);
      await expectIssues(context.store.markAllRead('', {}, at), userIdIssue);
      await expectIssues(context.store.markDelivered('', [item!.id], at), userIdIssue);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses a listing limit outside 1..100, a malformed or foreign cursor, an unknown status or a bad type', async () => {
      const userId = context.userId();
      await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      for (const limit of [0, -1, 101, 2.5, Number.NaN, '20']) {
        await expectIssues(context.store.listInbox(userId, loose({ limit })), [
          { path: 'limit', message: `Expected an integer from 1 to 100, got ${String(limit)}` },
        ]);
      }
      // A delivery listing's cursor is not an inbox cursor.
      const notificationId = context.uniqueId('notification');
      await context.store.createDeliveries([
        deliveryRecord(context, { notificationId }),
        deliveryRecord(context, { notificationId }),
      ]);
      const deliveryCursor = (await context.store.listDeliveries({ notificationId, limit: 1 })).nextCursor!;
      for (const cursor of ['not a cursor!', '%%%', '-1', '', deliveryCursor, 7]) {
        await expectIssues(context.store.listInbox(userId, loose({ cursor })), [
          {
            path: 'cursor',
            message: `Malformed cursor ${JSON.stringify(cursor)}: pass the nextCursor of a previous page`,
          },
        ]);
      }
      await expectIssues(context.store.listInbox(userId, loose({ status: 'archived' })), [
        { path: 'status', message: 'Expected one of read, unread, undelivered, got "archived"' },
      ]);
      for (const type of [42, '']) {
        await expectIssues(context.store.listInbox(userId, loose({ type })), [{ path: 'type', message: NON_EMPTY }]);
      }
      await expectIssues(context.store.listInbox(userId, loose('unread')), [
        { path: 'query', message: 'Expected an object' },
      ]);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses a replay position that is not a number and a replay limit that is not a positive integer', async () => {
      const userId = context.userId();
      await context.store.insertInboxItems([inboxItem(context, userId)]);
      for (const position of [Number.NaN, '1', undefined]) {
        await expectIssues(context.store.listInboxAfter(userId, loose(position), 10), [
          { path: 'afterPosition', message: `Expected a number, got ${String(position)}` },
        ]);
      }
      for (const limit of [0, -3, 1.5, '10']) {
        await expectIssues(context.store.listInboxAfter(userId, 0, loose(limit)), [
          { path: 'limit', message: `Expected a positive integer, got ${String(limit)}` },
        ]);
      }
    });
  });

  describe('bad input: read state', () => {
    it('refuses ids given as a string rather than an array, on every call that takes ids', async () => {
      const userId = context.userId();
      // A one-letter id: a store that walks the string's characters would find and change it.
      await context.store.insertInboxItems([inboxItem(context, userId, { id: 'a' })]);
      const before = await inboxState(context.store, userId);
      const id = loose<string[]>('a');
      const arrayOfIds = [{ path: 'ids', message: 'Expected an array of ids' }];
      await expectIssues(context.store.markRead(userId, id, isoNow()), arrayOfIds);
      await expectIssues(context.store.markDelivered(userId, id, isoNow()), arrayOfIds);
      await expectIssues(context.store.markUnread(userId, id), arrayOfIds);
      await expectIssues(context.store.getInboxItems(userId, id), arrayOfIds);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses ids that are not non-empty strings, naming each, and changes none of the others', async () => {
      const userId = context.userId();
      const [item] = await context.store.insertInboxItems([inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      const ids = loose<string[]>([item!.id, '', 42, item!.id, null]);
      const issues = [
        { path: 'ids.1', message: NON_EMPTY },
        { path: 'ids.2', message: NON_EMPTY },
        { path: 'ids.4', message: NON_EMPTY },
      ];
      await expectIssues(context.store.markRead(userId, ids, isoNow()), issues);
      await expectIssues(context.store.markDelivered(userId, ids, isoNow()), issues);
      await expectIssues(context.store.markUnread(userId, ids), issues);
      await expectIssues(context.store.getInboxItems(userId, ids), issues);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses a date that does not parse, for every call that stamps one', async () => {
      const userId = context.userId();
      const [item] = await context.store.insertInboxItems([inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      for (const at of ['yesterday', 42, undefined]) {
        const issue = [{ path: 'at', message: notADate(at) }];
        await expectIssues(context.store.markRead(userId, [item!.id], loose(at)), issue);
        await expectIssues(context.store.markAllRead(userId, {}, loose(at)), issue);
        await expectIssues(context.store.markDelivered(userId, [item!.id], loose(at)), issue);
      }
      await expectIssues(context.store.pruneInbox({ readBefore: 'soon' }), [
        { path: 'readBefore', message: notADate('soon') },
      ]);
      await expectIssues(context.store.pruneInbox(loose(undefined)), [
        { path: 'options', message: 'Expected an object' },
      ]);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses read-all options that are not an object, or a type that is not a non-empty string', async () => {
      const userId = context.userId();
      await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      for (const type of [42, '', null]) {
        await expectIssues(context.store.markAllRead(userId, loose({ type }), isoNow()), [
          { path: 'options.type', message: NON_EMPTY },
        ]);
      }
      await expectIssues(context.store.markAllRead(userId, loose('contract.alpha'), isoNow()), [
        { path: 'options', message: 'Expected an object' },
      ]);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });
  });
}
