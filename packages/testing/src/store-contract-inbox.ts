// Store contract: inbox items — insert, positions, listing, counters, read / delivered state, pruning.

import type { InboxItem } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { describe, expect, it } from 'vitest';
import {
  byId,
  expectUnreadCount,
  inboxItem,
  isoNow,
  listAllInbox,
  type StoreContractContext,
  unreadTruth,
} from './store-contract-fixtures';

function positionsOf(items: readonly InboxItem[]): number[] {
  return items.map((item) => item.position);
}

function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let index = 1; index < values.length; index++) expect(values[index]!).toBeGreaterThan(values[index - 1]!);
}

function expectStrictlyDecreasing(values: readonly number[]): void {
  for (let index = 1; index < values.length; index++) expect(values[index]!).toBeLessThan(values[index - 1]!);
}

/**
 * A past instant for a prune test to read items at. No other test reads items this early, and each run picks an
 * earlier instant than the runs before it (10 ms further back per ms of wall time), so items a failed earlier run
 * left behind are never before a later run's cutoff: prune counts stay exact on a shared, long-lived database.
 */
function pruneEpoch(yearsBack: number): number {
  const elapsed = Math.max(0, Date.now() - Date.UTC(2025, 0, 1));
  return Date.UTC(1990 - yearsBack, 0, 1) - elapsed * 10;
}

async function listAllInboxFrom(context: StoreContractContext, userId: string, cursor: string): Promise<InboxItem[]> {
  const items: InboxItem[] = [];
  let next: string | undefined = cursor;
  for (let page = 0; next !== undefined && page < 1000; page++) {
    const result = await context.store.listInbox(userId, { status: 'unread', limit: 4, cursor: next });
    items.push(...result.items);
    next = result.nextCursor;
  }
  return items;
}

export function inboxContract(context: StoreContractContext): void {
  describe('inbox: insert and positions', () => {
    it('stores the content, assigns positions and returns the items in input order', async () => {
      const userId = context.userId();
      const first = inboxItem(context, userId, {
        url: '/tickets/1',
        icon: 'bell',
        actorId: 'actor-1',
        data: { ticketId: 't-1', nested: { tags: ['a', 'b'] } },
      });
      const second = inboxItem(context, userId, { type: 'contract.beta' });
      const stored = await context.store.insertInboxItems([first, second]);

      expect(stored).toHaveLength(2);
      expect(stored[0]).toEqual({ ...first, position: stored[0]!.position });
      expect(stored[1]).toEqual({ ...second, position: stored[1]!.position });
      expect(stored[0]!.position).toBeGreaterThanOrEqual(1);
      expect(stored[1]!.position).toBeGreaterThan(stored[0]!.position);
      for (const item of stored) {
        expect(item.readAt).toBeUndefined();
        expect(item.deliveredAt).toBeUndefined();
      }
      expect(await context.store.getInboxItems(userId, [first.id])).toEqual([stored[0]]);
    });

    it('keeps only the declared fields of an item: read state or extras a loose caller sends are dropped', async () => {
      const userId = context.userId();
      const loose = {
        ...inboxItem(context, userId),
        readAt: '2024-05-01T10:00:00.000Z',
        deliveredAt: '2024-05-01T10:00:00.000Z',
        position: 999,
        extra: 'not an inbox field',
      };
      const [stored] = await context.store.insertInboxItems([loose as NewInboxItem]);
      const { readAt: _readAt, deliveredAt: _deliveredAt, position: _position, extra: _extra, ...declared } = loose;
      expect(stored).toEqual({ ...declared, position: stored!.position });
      expect(stored!.position).not.toBe(999);
      expect(await context.store.getInboxItems(userId, [loose.id])).toEqual([stored]);
      expect(await context.store.unreadCount(userId)).toEqual({ total: 1, byType: { [loose.type]: 1 } });
    });

    it('starts a new user at lastPosition 0 and keeps positions strictly increasing across calls', async () => {
      const userId = context.userId();
      expect(await context.store.lastPosition(userId)).toBe(0);
      const batchOne = await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      expect(await context.store.lastPosition(userId)).toBe(batchOne[1]!.position);
      const batchTwo = await context.store.insertInboxItems([
        inboxItem(context, userId),
        inboxItem(context, userId),
        inboxItem(context, userId),
      ]);
      const positions = positionsOf([...batchOne, ...batchTwo]);
      expectStrictlyIncreasing(positions);
      expect(await context.store.lastPosition(userId)).toBe(positions[positions.length - 1]);
    });

    it('numbers each user separately within one bulk insert spanning many users', async () => {
      const users = [context.userId('a'), context.userId('b'), context.userId('c')];
      const items = Array.from({ length: 30 }, (_, index) => inboxItem(context, users[index % 3]!));
      const stored = await context.store.insertInboxItems(items);
      expect(stored.map((item) => item.id)).toEqual(items.map((item) => item.id));
      for (const userId of users) {
        const mine = stored.filter((item) => item.userId === userId);
        expect(mine).toHaveLength(10);
        expectStrictlyIncreasing(positionsOf(mine));
        expect(await context.store.lastPosition(userId)).toBe(mine[9]!.position);
        expect(await listAllInbox(context.store, userId)).toHaveLength(10);
      }
    });

    it('keeps one item, one position and exact counts when the same items are inserted again', async () => {
      const userId = context.userId();
      const other = context.userId('other');
      const items = [inboxItem(context, userId), inboxItem(context, userId, { type: 'contract.beta' })];
      const first = await context.store.insertInboxItems(items);
      await context.store.markRead(userId, [items[0]!.id], '2024-05-02T00:00:00.000Z');
      const readFirst = { ...first[0]!, readAt: '2024-05-02T00:00:00.000Z' };
      // A resumed dispatch inserts its items again (here beside a new item of another user, in one batch):
      // the stored ones come back as stored, with their read state, and nothing is counted twice.
      const fresh = inboxItem(context, other);
      const again = await context.store.insertInboxItems([
        { ...items[0]!, title: 'A resumed dispatch' },
        fresh,
        items[1]!,
      ]);
      expect(again).toEqual([readFirst, { ...fresh, position: again[1]!.position }, first[1]]);
      expect(await context.store.insertInboxItems(items)).toEqual([readFirst, first[1]]);

      expect(await context.store.lastPosition(userId)).toBe(first[1]!.position);
      expect(await listAllInbox(context.store, userId)).toEqual([first[1], readFirst]);
      expect(await context.store.listInboxAfter(userId, 0, 100)).toEqual([readFirst, first[1]]);
      await expectUnreadCount(context.store, userId, { total: 1, byType: { 'contract.beta': 1 } });
      expect((await context.store.listInbox(userId, { status: 'unread' })).items).toEqual([first[1]]);
      expect((await context.store.listInbox(userId, { status: 'undelivered', type: 'contract.alpha' })).items).toEqual([
        readFirst,
      ]);
    });

    it('inserts nothing and changes nothing for an empty batch', async () => {
      expect(await context.store.insertInboxItems([])).toEqual([]);
    });

    it('getInboxItems returns only the user’s own items and skips unknown ids', async () => {
      const owner = context.userId('owner');
      const other = context.userId('other');
      const [mine, alsoMine, theirs] = await context.store.insertInboxItems([
        inboxItem(context, owner),
        inboxItem(context, owner),
        inboxItem(context, other),
      ]);
      const found = await context.store.getInboxItems(owner, [mine!.id, theirs!.id, 'no-such-item', alsoMine!.id]);
      expect([...found].sort(byId)).toEqual([mine, alsoMine].sort(byId));
      expect(await context.store.getInboxItems(owner, [])).toEqual([]);
      expect(await context.store.getInboxItems(context.userId('nobody'), [mine!.id])).toEqual([]);
    });
  });

  describe('inbox: listing', () => {
    it('lists newest first with a default page of 20 and a cursor only when older items remain', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(Array.from({ length: 25 }, () => inboxItem(context, userId)));
      const newestFirst = [...stored].reverse();

      const first = await context.store.listInbox(userId);
      expect(first.items).toEqual(newestFirst.slice(0, 20));
      expect(typeof first.nextCursor).toBe('string');

      const second = await context.store.listInbox(userId, { cursor: first.nextCursor! });
      expect(second.items).toEqual(newestFirst.slice(20));
      expect(second.nextCursor).toBeUndefined();
    });

    it('walks every page with no gap or repeat, ending without a cursor on an exactly full last page', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(Array.from({ length: 57 }, () => inboxItem(context, userId)));
      const newestFirst = [...stored].reverse();

      const walked = await listAllInbox(context.store, userId, { limit: 10 });
      expect(walked.map((item) => item.id)).toEqual(newestFirst.map((item) => item.id));
      expect(new Set(walked.map((item) => item.id)).size).toBe(57);
      expectStrictlyDecreasing(positionsOf(walked));

      const exact = context.userId('exact');
      await context.store.insertInboxItems(Array.from({ length: 30 }, () => inboxItem(context, exact)));
      let cursor: string | undefined;
      const sizes: number[] = [];
      for (let page = 0; page < 3; page++) {
        const result = await context.store.listInbox(exact, { limit: 10, ...(cursor ? { cursor } : {}) });
        sizes.push(result.items.length);
        cursor = result.nextCursor;
        if (page < 2) expect(cursor).toBeDefined();
      }
      expect(sizes).toEqual([10, 10, 10]);
      expect(cursor).toBeUndefined();
    });

    it('keeps a cursor stable while new items arrive and items are read between pages', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(Array.from({ length: 12 }, () => inboxItem(context, userId)));
      const newestFirst = [...stored].reverse();
      const first = await context.store.listInbox(userId, { limit: 5 });
      expect(first.items).toEqual(newestFirst.slice(0, 5));
      // New items land above the cursor; reading an item does not move it.
      await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      await context.store.markRead(userId, [newestFirst[6]!.id], isoNow());
      const second = await context.store.listInbox(userId, { limit: 5, cursor: first.nextCursor! });
      expect(second.items.map((item) => item.id)).toEqual(newestFirst.slice(5, 10).map((item) => item.id));
      const third = await context.store.listInbox(userId, { limit: 5, cursor: second.nextCursor! });
      expect(third.items).toEqual(newestFirst.slice(10));
      expect(third.nextCursor).toBeUndefined();

      // With a status filter, an item that stops matching drops out; nothing repeats and nothing else is skipped.
      const unreadFirst = await context.store.listInbox(userId, { status: 'unread', limit: 4 });
      const shown = unreadFirst.items.map((item) => item.id);
      await context.store.markRead(userId, [newestFirst[8]!.id], isoNow());
      const unreadRest = await listAllInboxFrom(context, userId, unreadFirst.nextCursor!);
      const expected = (await listAllInbox(context.store, userId, { status: 'unread' }))
        .map((item) => item.id)
        .filter((id) => !shown.includes(id));
      expect(unreadRest.map((item) => item.id)).toEqual(expected);
    });

    it('accepts limits 1 and 100', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(
        Array.from({ length: 101 }, () => inboxItem(context, userId)),
      );
      const one = await context.store.listInbox(userId, { limit: 1 });
      expect(one.items).toEqual([stored[100]]);
      expect(one.nextCursor).toBeDefined();
      const hundred = await context.store.listInbox(userId, { limit: 100 });
      expect(hundred.items).toEqual([...stored].reverse().slice(0, 100));
      const rest = await context.store.listInbox(userId, { limit: 100, cursor: hundred.nextCursor! });
      expect(rest.items).toEqual([stored[0]]);
      expect(rest.nextCursor).toBeUndefined();
    });

    it('returns an empty page for a user with no items', async () => {
      const page = await context.store.listInbox(context.userId());
      expect(page.items).toEqual([]);
      expect(page.nextCursor).toBeUndefined();
    });

    it('filters by status and type, and pages through filtered results', async () => {
      const userId = context.userId();
      const items = Array.from({ length: 40 }, (_, index) =>
        inboxItem(context, userId, { type: index % 2 === 0 ? 'contract.alpha' : 'contract.beta' }),
      );
      const stored = await context.store.insertInboxItems(items);
      const at = isoNow();
      const readIds = stored.filter((_, index) => index % 3 === 0).map((item) => item.id);
      const deliveredIds = stored.filter((_, index) => index % 4 === 0).map((item) => item.id);
      await context.store.markRead(userId, readIds, at);
      await context.store.markDelivered(userId, deliveredIds, at);
      const truth = (await listAllInbox(context.store, userId)).filter((item) => item.userId === userId);
      expect(truth).toHaveLength(40);

      const cases = [
        { status: 'read' as const, keep: (item: InboxItem) => item.readAt !== undefined },
        { status: 'unread' as const, keep: (item: InboxItem) => item.readAt === undefined },
        { status: 'undelivered' as const, keep: (item: InboxItem) => item.deliveredAt === undefined },
      ];
      for (const { status, keep } of cases) {
        const expected = truth.filter(keep).map((item) => item.id);
        expect(expected.length).toBeGreaterThan(0);
        expect((await listAllInbox(context.store, userId, { status, limit: 3 })).map((item) => item.id)).toEqual(
          expected,
        );
        const typed = truth.filter((item) => keep(item) && item.type === 'contract.beta').map((item) => item.id);
        expect(
          (await listAllInbox(context.store, userId, { status, type: 'contract.beta', limit: 4 })).map(
            (item) => item.id,
          ),
        ).toEqual(typed);
      }
      const alphas = truth.filter((item) => item.type === 'contract.alpha').map((item) => item.id);
      expect(
        (await listAllInbox(context.store, userId, { type: 'contract.alpha', limit: 7 })).map((item) => item.id),
      ).toEqual(alphas);
      expect(await context.store.listInbox(userId, { type: 'contract.none' })).toEqual({ items: [] });
    });
  });

  describe('inbox: replay after a position', () => {
    it('returns items after the position, oldest first, up to the limit', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(Array.from({ length: 12 }, () => inboxItem(context, userId)));
      expect(await context.store.listInboxAfter(userId, 0, 100)).toEqual(stored);
      expect(await context.store.listInboxAfter(userId, stored[4]!.position, 5)).toEqual(stored.slice(5, 10));
      expect(await context.store.listInboxAfter(userId, stored[9]!.position, 100)).toEqual(stored.slice(10));
      expect(await context.store.listInboxAfter(userId, stored[11]!.position, 100)).toEqual([]);
      expect(await context.store.listInboxAfter(context.userId('nobody'), 0, 100)).toEqual([]);
    });

    it('replays after any position, including fractions, negatives and infinities', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems([
        inboxItem(context, userId),
        inboxItem(context, userId),
        inboxItem(context, userId),
      ]);
      const between = (stored[0]!.position + stored[1]!.position) / 2;
      expect(await context.store.listInboxAfter(userId, -5, 10)).toEqual(stored);
      expect(await context.store.listInboxAfter(userId, between, 10)).toEqual(stored.slice(1));
      expect(await context.store.listInboxAfter(userId, Number.NEGATIVE_INFINITY, 2)).toEqual(stored.slice(0, 2));
      expect(await context.store.listInboxAfter(userId, Number.POSITIVE_INFINITY, 10)).toEqual([]);
    });

    it('walks the whole inbox in limit-sized steps by following positions', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems(Array.from({ length: 23 }, () => inboxItem(context, userId)));
      const replayed: InboxItem[] = [];
      let after = 0;
      for (let step = 0; step < 10; step++) {
        const batch = await context.store.listInboxAfter(userId, after, 5);
        if (batch.length === 0) break;
        replayed.push(...batch);
        after = batch[batch.length - 1]!.position;
      }
      expect(replayed).toEqual(stored);
    });
  });

  describe('inbox: unread counts and read state', () => {
    it('counts unread items in total and by type', async () => {
      const userId = context.userId();
      await context.store.insertInboxItems([
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
      ]);
      await expectUnreadCount(context.store, userId, { total: 3, byType: { 'contract.alpha': 2, 'contract.beta': 1 } });
      await expectUnreadCount(context.store, context.userId('nobody'), { total: 0, byType: {} });
    });

    it('markRead returns the ids that changed, sets readAt and counts a repeat once', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems([
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
      ]);
      const at = isoNow();
      const changed = await context.store.markRead(userId, [stored[0]!.id, stored[1]!.id, 'no-such-item'], at);
      expect([...changed].sort()).toEqual([stored[0]!.id, stored[1]!.id].sort());
      expect(await context.store.markRead(userId, [stored[0]!.id, stored[1]!.id], isoNow())).toEqual([]);
      // The same id twice in one call changes once.
      expect(await context.store.markRead(userId, [stored[2]!.id, stored[2]!.id], at)).toEqual([stored[2]!.id]);

      const [read] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(read!.readAt).toBe(at);
      await expectUnreadCount(context.store, userId, { total: 0, byType: {} });
    });

    it('markUnread returns the ids that changed, clears readAt and restores the counts', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems([
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
      ]);
      await context.store.markRead(userId, [stored[0]!.id], isoNow());
      expect(await context.store.markUnread(userId, [stored[0]!.id, stored[1]!.id, 'no-such-item'])).toEqual([
        stored[0]!.id,
      ]);
      expect(await context.store.markUnread(userId, [stored[0]!.id])).toEqual([]);
      const [item] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(item!.readAt).toBeUndefined();
      await expectUnreadCount(context.store, userId, { total: 2, byType: { 'contract.alpha': 1, 'contract.beta': 1 } });
    });

    it('markAllRead returns how many changed, for all types or one type, and zero when repeated', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems([
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.alpha' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
        inboxItem(context, userId, { type: 'contract.beta' }),
        inboxItem(context, userId, { type: 'contract.gamma' }),
      ]);
      await context.store.markRead(userId, [stored[0]!.id], isoNow());
      const at = isoNow();
      expect(await context.store.markAllRead(userId, { type: 'contract.alpha' }, at)).toBe(1);
      await expectUnreadCount(context.store, userId, { total: 3, byType: { 'contract.beta': 2, 'contract.gamma': 1 } });
      expect(await context.store.markAllRead(userId, { type: 'contract.alpha' }, at)).toBe(0);
      expect(await context.store.markAllRead(userId, { type: 'contract.none' }, at)).toBe(0);
      expect(await context.store.markAllRead(userId, {}, at)).toBe(3);
      expect(await context.store.markAllRead(userId, {}, at)).toBe(0);
      await expectUnreadCount(context.store, userId, { total: 0, byType: {} });
      const items = await listAllInbox(context.store, userId);
      expect(items.find((item) => item.id === stored[1]!.id)!.readAt).toBe(at);
      expect(items.find((item) => item.id === stored[4]!.id)!.readAt).toBe(at);
      expect(await context.store.markAllRead(context.userId('nobody'), {}, at)).toBe(0);
    });

    it('markDelivered returns the ids that changed, sets deliveredAt and leaves unread counts alone', async () => {
      const userId = context.userId();
      const stored = await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      const at = isoNow();
      expect(await context.store.markDelivered(userId, [stored[0]!.id, 'no-such-item'], at)).toEqual([stored[0]!.id]);
      expect(await context.store.markDelivered(userId, [stored[0]!.id], isoNow())).toEqual([]);
      const [delivered] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(delivered!.deliveredAt).toBe(at);
      expect(delivered!.readAt).toBeUndefined();
      await expectUnreadCount(context.store, userId, { total: 2, byType: { 'contract.alpha': 2 } });
      expect((await context.store.listInbox(userId, { status: 'undelivered' })).items).toEqual([stored[1]]);
    });

    it('ignores ids owned by another user: nothing changes and nothing is counted', async () => {
      const owner = context.userId('owner');
      const intruder = context.userId('intruder');
      const [theirs] = await context.store.insertInboxItems([inboxItem(context, owner)]);
      const [mine] = await context.store.insertInboxItems([inboxItem(context, intruder)]);
      const at = isoNow();

      expect(await context.store.markRead(intruder, [theirs!.id], at)).toEqual([]);
      expect(await context.store.markDelivered(intruder, [theirs!.id], at)).toEqual([]);
      await context.store.markRead(owner, [theirs!.id], at);
      expect(await context.store.markUnread(intruder, [theirs!.id])).toEqual([]);

      const [after] = await context.store.getInboxItems(owner, [theirs!.id]);
      expect(after!.readAt).toBe(at);
      expect(after!.deliveredAt).toBeUndefined();
      await expectUnreadCount(context.store, owner, { total: 0, byType: {} });
      await expectUnreadCount(context.store, intruder, { total: 1, byType: { 'contract.alpha': 1 } });
      expect(await context.store.getInboxItems(intruder, [mine!.id])).toEqual([mine]);
    });

    it('keeps users isolated: one user’s inserts and reads never touch another’s inbox', async () => {
      const alice = context.userId('alice');
      const bob = context.userId('bob');
      const bobItems = await context.store.insertInboxItems([inboxItem(context, bob), inboxItem(context, bob)]);
      const bobLast = await context.store.lastPosition(bob);
      await context.store.insertInboxItems(Array.from({ length: 5 }, () => inboxItem(context, alice)));
      await context.store.markAllRead(alice, {}, isoNow());

      expect(await context.store.lastPosition(bob)).toBe(bobLast);
      expect(await listAllInbox(context.store, bob)).toEqual([...bobItems].reverse());
      await expectUnreadCount(context.store, bob, { total: 2, byType: { 'contract.alpha': 2 } });
      expect(await listAllInbox(context.store, alice)).toHaveLength(5);
    });
  });

  describe('inbox: pruning', () => {
    it('deletes read items read before the date across users, keeps everything else and the counters exact', async () => {
      const base = pruneEpoch(0);
      const longAgo = new Date(base - 60_000).toISOString();
      const cutoff = new Date(base).toISOString();
      const afterCutoff = new Date(base + 60_000).toISOString();
      const users = [context.userId('a'), context.userId('b')];
      const survivors = new Map<string, InboxItem[]>();
      let expectedPruned = 0;
      for (const userId of users) {
        const stored = await context.store.insertInboxItems(
          Array.from({ length: 8 }, (_, index) =>
            inboxItem(context, userId, { type: index % 2 === 0 ? 'contract.alpha' : 'contract.beta' }),
          ),
        );
        await context.store.markRead(userId, [stored[0]!.id, stored[1]!.id, stored[2]!.id], longAgo);
        await context.store.markRead(userId, [stored[3]!.id], afterCutoff);
        // The cutoff itself is not "before" the cutoff.
        await context.store.markRead(userId, [stored[4]!.id], cutoff);
        expectedPruned += 3;
        survivors.set(userId, stored.slice(3));
      }

      const lastBefore = await Promise.all(users.map((userId) => context.store.lastPosition(userId)));
      expect(await context.store.pruneInbox({ readBefore: cutoff })).toBe(expectedPruned);
      expect(await context.store.pruneInbox({ readBefore: cutoff })).toBe(0);

      for (const [index, userId] of users.entries()) {
        const remaining = await listAllInbox(context.store, userId);
        expect(remaining.map((item) => item.id)).toEqual([...survivors.get(userId)!].reverse().map((item) => item.id));
        await expectUnreadCount(context.store, userId, unreadTruth(remaining));
        await expectUnreadCount(context.store, userId, {
          total: 3,
          byType: { 'contract.alpha': 1, 'contract.beta': 2 },
        });
        expect(await context.store.lastPosition(userId)).toBe(lastBefore[index]);
        // Positions are never reused after a prune.
        const [next] = await context.store.insertInboxItems([inboxItem(context, userId)]);
        expect(next!.position).toBeGreaterThan(lastBefore[index]!);
      }
      // Leave nothing read in the past behind for a later run's prune to count.
      for (const [userId, items] of survivors)
        await context.store.markUnread(
          userId,
          items.map((item) => item.id),
        );
    });

    it('leaves pruned ids unknown to every read path', async () => {
      const base = pruneEpoch(100);
      const userId = context.userId();
      const [gone, kept] = await context.store.insertInboxItems([
        inboxItem(context, userId),
        inboxItem(context, userId),
      ]);
      await context.store.markRead(userId, [gone!.id], new Date(base - 1000).toISOString());
      expect(await context.store.pruneInbox({ readBefore: new Date(base).toISOString() })).toBe(1);
      expect(await context.store.getInboxItems(userId, [gone!.id, kept!.id])).toEqual([kept]);
      expect(await context.store.listInboxAfter(userId, 0, 100)).toEqual([kept]);
      expect((await context.store.listInbox(userId, { status: 'read' })).items).toEqual([]);
      expect((await context.store.listInbox(userId, { status: 'undelivered' })).items).toEqual([kept]);
      expect(await context.store.markUnread(userId, [gone!.id])).toEqual([]);
      await expectUnreadCount(context.store, userId, { total: 1, byType: { 'contract.alpha': 1 } });
    });
  });

  describe('inbox: returned objects are copies', () => {
    it('mutating an input or a returned item does not change the stored item', async () => {
      const userId = context.userId();
      const input = inboxItem(context, userId, { data: { nested: { value: 1 } } });
      const [stored] = await context.store.insertInboxItems([input]);
      input.title = 'changed by the caller';
      (input.data!.nested as { value: number }).value = 2;
      stored!.title = 'changed too';
      (stored!.data!.nested as { value: number }).value = 3;
      const [listed] = (await context.store.listInbox(userId)).items;
      expect(listed!.title).toBe('Ticket assigned');
      expect(listed!.data).toEqual({ nested: { value: 1 } });
      listed!.readAt = isoNow();
      await expectUnreadCount(context.store, userId, { total: 1, byType: { 'contract.alpha': 1 } });
      expect((await context.store.getInboxItems(userId, [input.id]))[0]!.readAt).toBeUndefined();
    });
  });
}
