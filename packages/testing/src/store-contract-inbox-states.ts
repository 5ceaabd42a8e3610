// Store contract: the seen and archived states — per-id and bulk changes, their watermark, the archive listing
// filter, the counters they move, bad input, and exact counters under concurrent calls over several connections.

import type { InboxItem, Store } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  expectIssues,
  expectUnreadCount,
  inboxItem,
  isoNow,
  listAllInbox,
  loose,
  NON_EMPTY,
  notADate,
  type StoreContractContext,
  seededRandom,
  unreadTruth,
} from './store-contract-fixtures';

const TYPES = ['contract.alpha', 'contract.beta', 'contract.gamma'];

function idsOf(items: readonly InboxItem[]): string[] {
  return items.map((item) => item.id);
}

/** Every item of the user, archived ones included, newest first. */
function everything(store: Store, userId: string): Promise<InboxItem[]> {
  return listAllInbox(store, userId, { archived: 'include' });
}

/** Everything about a user's inbox that a refused call could have changed. */
async function inboxState(store: Store, userId: string): Promise<unknown> {
  return {
    items: await everything(store, userId),
    counts: await store.unreadCount(userId),
    lastPosition: await store.lastPosition(userId),
  };
}

async function insert(context: StoreContractContext, userId: string, count: number, type?: string) {
  return context.store.insertInboxItems(
    Array.from({ length: count }, (_, index) => inboxItem(context, userId, { type: type ?? TYPES[index % 3]! })),
  );
}

export function inboxStatesContract(context: StoreContractContext): void {
  describe('inbox: seen', () => {
    it('counts new items as unseen; markSeen returns the ids that changed, sets seenAt and counts a repeat once', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 3, 'contract.alpha');
      await expectUnreadCount(context.store, userId, { total: 3, unseen: 3, byType: { 'contract.alpha': 3 } });
      expect(stored.every((item) => item.seenAt === undefined && item.archivedAt === undefined)).toBe(true);
      const at = isoNow();
      const ids = [stored[0]!.id, stored[1]!.id, stored[0]!.id, 'no-such-item'];
      expect((await context.store.markSeen(userId, ids, at)).sort()).toEqual([stored[0]!.id, stored[1]!.id].sort());
      expect(await context.store.markSeen(userId, [stored[0]!.id], isoNow())).toEqual([]);
      const [seen] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(seen!.seenAt).toBe(at);
      expect(seen!.readAt).toBeUndefined();
      // Seen is not read.
      await expectUnreadCount(context.store, userId, { total: 3, unseen: 1, byType: { 'contract.alpha': 3 } });
    });

    it('marks an item seen when it is read, and keeps it seen when it is made unread again', async () => {
      const userId = context.userId();
      const [item] = await insert(context, userId, 1, 'contract.alpha');
      const at = isoNow();
      await context.store.markRead(userId, [item!.id], at);
      let [stored] = await context.store.getInboxItems(userId, [item!.id]);
      expect(stored!.seenAt).toBe(at);
      await expectUnreadCount(context.store, userId, { total: 0, unseen: 0, byType: {} });
      await context.store.markUnread(userId, [item!.id]);
      [stored] = await context.store.getInboxItems(userId, [item!.id]);
      expect(stored!.seenAt).toBe(at);
      await expectUnreadCount(context.store, userId, { total: 1, unseen: 0, byType: { 'contract.alpha': 1 } });
      // Reading keeps the first seenAt.
      await context.store.markRead(userId, [item!.id], isoNow());
      [stored] = await context.store.getInboxItems(userId, [item!.id]);
      expect(stored!.seenAt).toBe(at);
    });

    it('markAllSeen marks every unseen item up to the watermark, leaves read state alone, and returns how many', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 6);
      await context.store.markSeen(userId, [stored[0]!.id], isoNow());
      const at = isoNow();
      // Items above the watermark (arrived after the request began) stay unseen.
      expect(await context.store.markAllSeen(userId, { upToPosition: stored[3]!.position }, at)).toBe(3);
      await expectUnreadCount(context.store, userId, {
        total: 6,
        unseen: 2,
        byType: { 'contract.alpha': 2, 'contract.beta': 2, 'contract.gamma': 2 },
      });
      const items = await listAllInbox(context.store, userId);
      expect(items.find((item) => item.id === stored[2]!.id)!.seenAt).toBe(at);
      expect(items.find((item) => item.id === stored[4]!.id)!.seenAt).toBeUndefined();
      expect(await context.store.markAllSeen(userId, {}, at)).toBe(2);
      expect(await context.store.markAllSeen(userId, {}, at)).toBe(0);
      await expectUnreadCount(context.store, userId, {
        total: 6,
        unseen: 0,
        byType: { 'contract.alpha': 2, 'contract.beta': 2, 'contract.gamma': 2 },
      });
    });

    it('markAllRead takes a watermark too: items above it stay unread and unseen', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 4, 'contract.alpha');
      expect(await context.store.markAllRead(userId, { upToPosition: stored[1]!.position }, isoNow())).toBe(2);
      await expectUnreadCount(context.store, userId, { total: 2, unseen: 2, byType: { 'contract.alpha': 2 } });
      expect(
        await context.store.markAllRead(
          userId,
          { type: 'contract.alpha', upToPosition: stored[2]!.position },
          isoNow(),
        ),
      ).toBe(1);
      expect(await context.store.markAllRead(userId, { upToPosition: 0 }, isoNow())).toBe(0);
      await expectUnreadCount(context.store, userId, { total: 1, unseen: 1, byType: { 'contract.alpha': 1 } });
    });
  });

  describe('inbox: archive', () => {
    it('archive returns the ids that changed, sets archivedAt and takes the items off every counter', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 4, 'contract.alpha');
      await context.store.markRead(userId, [stored[1]!.id], isoNow());
      await context.store.markSeen(userId, [stored[2]!.id], isoNow());
      const at = isoNow();
      const ids = [stored[0]!.id, stored[1]!.id, stored[2]!.id, stored[0]!.id, 'no-such-item'];
      expect((await context.store.archive(userId, ids, at)).sort()).toEqual(idsOf(stored.slice(0, 3)).sort());
      expect(await context.store.archive(userId, [stored[0]!.id], isoNow())).toEqual([]);
      const [archived] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(archived!.archivedAt).toBe(at);
      expect(archived!.readAt).toBeUndefined();
      await expectUnreadCount(context.store, userId, { total: 1, unseen: 1, byType: { 'contract.alpha': 1 } });
    });

    it('unarchive returns the ids that changed and counts them again by their read and seen state', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 3, 'contract.beta');
      await context.store.markRead(userId, [stored[1]!.id], isoNow());
      await context.store.markSeen(userId, [stored[2]!.id], isoNow());
      await context.store.archive(userId, idsOf(stored), isoNow());
      await expectUnreadCount(context.store, userId, { total: 0, unseen: 0, byType: {} });
      expect((await context.store.unarchive(userId, [...idsOf(stored), 'no-such-item'])).sort()).toEqual(
        idsOf(stored).sort(),
      );
      expect(await context.store.unarchive(userId, idsOf(stored))).toEqual([]);
      const items = await context.store.getInboxItems(userId, idsOf(stored));
      expect(items.every((item) => item.archivedAt === undefined)).toBe(true);
      await expectUnreadCount(context.store, userId, { total: 2, unseen: 1, byType: { 'contract.beta': 2 } });
    });

    it('changes read and seen state of archived items without counting them', async () => {
      const userId = context.userId();
      const [item] = await insert(context, userId, 1, 'contract.alpha');
      await context.store.archive(userId, [item!.id], isoNow());
      expect(await context.store.markSeen(userId, [item!.id], isoNow())).toEqual([item!.id]);
      expect(await context.store.markRead(userId, [item!.id], isoNow())).toEqual([item!.id]);
      await expectUnreadCount(context.store, userId, { total: 0, unseen: 0, byType: {} });
      expect(await context.store.markUnread(userId, [item!.id])).toEqual([item!.id]);
      await expectUnreadCount(context.store, userId, { total: 0, unseen: 0, byType: {} });
      await context.store.unarchive(userId, [item!.id]);
      await expectUnreadCount(context.store, userId, { total: 1, unseen: 0, byType: { 'contract.alpha': 1 } });
    });

    it('leaves archived items out of the default listing; `only` lists the archive, `include` both, with filters', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 9);
      // Archive every third item, and read two of them.
      const archivedIds = [stored[0]!.id, stored[3]!.id, stored[6]!.id];
      await context.store.markRead(userId, [stored[0]!.id, stored[3]!.id, stored[4]!.id], isoNow());
      await context.store.archive(userId, archivedIds, isoNow());
      const byPosition = (items: InboxItem[]) => items.map((item) => item.position);
      const expected = (keep: (item: InboxItem, index: number) => boolean) => byPosition(stored.filter(keep).reverse());
      const isArchived = (item: InboxItem) => archivedIds.includes(item.id);
      const isRead = (_: InboxItem, index: number) => [0, 3, 4].includes(index);

      for (const limit of [2, 100]) {
        expect(byPosition(await listAllInbox(context.store, userId, { limit }))).toEqual(
          expected((item) => !isArchived(item)),
        );
        expect(byPosition(await listAllInbox(context.store, userId, { limit, archived: 'exclude' }))).toEqual(
          expected((item) => !isArchived(item)),
        );
        expect(byPosition(await listAllInbox(context.store, userId, { limit, archived: 'only' }))).toEqual(
          expected(isArchived),
        );
        expect(byPosition(await listAllInbox(context.store, userId, { limit, archived: 'include' }))).toEqual(
          expected(() => true),
        );
        expect(byPosition(await listAllInbox(context.store, userId, { limit, status: 'unread' }))).toEqual(
          expected((item, index) => !isArchived(item) && !isRead(item, index)),
        );
        expect(
          byPosition(await listAllInbox(context.store, userId, { limit, status: 'read', archived: 'only' })),
        ).toEqual(expected((item, index) => isArchived(item) && isRead(item, index)));
        expect(
          byPosition(await listAllInbox(context.store, userId, { limit, status: 'unread', archived: 'include' })),
        ).toEqual(expected((_, index) => !isRead(_, index)));
        expect(
          byPosition(await listAllInbox(context.store, userId, { limit, type: 'contract.alpha', archived: 'include' })),
        ).toEqual(expected((item) => item.type === 'contract.alpha'));
        expect(
          byPosition(await listAllInbox(context.store, userId, { limit, type: 'contract.alpha', archived: 'only' })),
        ).toEqual(expected((item) => item.type === 'contract.alpha' && isArchived(item)));
        expect(
          byPosition(await listAllInbox(context.store, userId, { limit, status: 'undelivered', archived: 'only' })),
        ).toEqual(expected(isArchived));
      }
      // A replay after a position holds every item, archived ones with their archivedAt.
      const replay = await context.store.listInboxAfter(userId, 0, 100);
      expect(byPosition(replay)).toEqual(byPosition(stored));
      expect(replay.filter((item) => item.archivedAt !== undefined).map((item) => item.id)).toEqual(archivedIds);
    });

    it('archiveAllRead archives read items up to the watermark, of one type when given, and moves no counter', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 6);
      // Read all but the last; the last two stay above the watermark.
      await context.store.markRead(userId, idsOf(stored.slice(0, 5)), isoNow());
      const before = await context.store.unreadCount(userId);
      const at = isoNow();
      expect(
        await context.store.archiveAllRead(userId, { type: 'contract.alpha', upToPosition: stored[3]!.position }, at),
      ).toBe(2);
      expect(await context.store.archiveAllRead(userId, { upToPosition: stored[3]!.position }, at)).toBe(2);
      expect(await context.store.archiveAllRead(userId, { upToPosition: stored[3]!.position }, at)).toBe(0);
      expect(await context.store.unreadCount(userId)).toEqual(before);
      expect(idsOf(await listAllInbox(context.store, userId))).toEqual(idsOf([stored[5]!, stored[4]!]));
      const [archived] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(archived!.archivedAt).toBe(at);
      expect(await context.store.archiveAllRead(userId, {}, at)).toBe(1);
      expect(idsOf(await listAllInbox(context.store, userId))).toEqual([stored[5]!.id]);
    });

    it('markAllRead and markAllSeen leave archived items as they are', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 3, 'contract.alpha');
      await context.store.archive(userId, [stored[0]!.id], isoNow());
      expect(await context.store.markAllSeen(userId, {}, isoNow())).toBe(2);
      expect(await context.store.markAllRead(userId, {}, isoNow())).toBe(2);
      const [archived] = await context.store.getInboxItems(userId, [stored[0]!.id]);
      expect(archived!.readAt).toBeUndefined();
      expect(archived!.seenAt).toBeUndefined();
      await context.store.unarchive(userId, [stored[0]!.id]);
      await expectUnreadCount(context.store, userId, { total: 1, unseen: 1, byType: { 'contract.alpha': 1 } });
    });

    it('ignores ids owned by another user for seen and archive', async () => {
      const owner = context.userId('owner');
      const other = context.userId('other');
      const [item] = await insert(context, owner, 1);
      expect(await context.store.markSeen(other, [item!.id], isoNow())).toEqual([]);
      expect(await context.store.archive(other, [item!.id], isoNow())).toEqual([]);
      expect(await context.store.unarchive(other, [item!.id])).toEqual([]);
      expect(await context.store.markAllSeen(other, {}, isoNow())).toBe(0);
      expect(await context.store.archiveAllRead(other, {}, isoNow())).toBe(0);
      const [stored] = await context.store.getInboxItems(owner, [item!.id]);
      expect(stored!.seenAt).toBeUndefined();
      expect(stored!.archivedAt).toBeUndefined();
      await expectUnreadCount(context.store, owner, { total: 1, unseen: 1, byType: { 'contract.alpha': 1 } });
      await expectUnreadCount(context.store, other, { total: 0, unseen: 0, byType: {} });
    });
  });

  describe('bad input: seen and archive', () => {
    it('refuses an empty user id, ids that are not an array of non-empty strings, and a bad date, changing nothing', async () => {
      const userId = context.userId();
      const [item] = await insert(context, userId, 1);
      await context.store.markRead(userId, [item!.id], isoNow());
      const before = await inboxState(context.store, userId);
      const at = isoNow();
      const userIdIssue = [{ path: 'userId', message: NON_EMPTY }];
      await expectIssues(context.store.markSeen('', [item!.id], at), userIdIssue);
      await expectIssues(context.store.markAllSeen(loose(undefined), {}, at), userIdIssue);
      await expectIssues(context.store.archive('', [item!.id], at), userIdIssue);
      await expectIssues(context.store.unarchive(loose(7), [item!.id]), userIdIssue);
      await expectIssues(context.store.archiveAllRead('', {}, at), userIdIssue);
      const arrayOfIds = [{ path: 'ids', message: 'Expected an array of ids' }];
      await expectIssues(context.store.markSeen(userId, loose(item!.id), at), arrayOfIds);
      await expectIssues(context.store.archive(userId, loose(item!.id), at), arrayOfIds);
      await expectIssues(context.store.unarchive(userId, loose(item!.id)), arrayOfIds);
      const ids = loose<string[]>([item!.id, '', 3]);
      const idIssues = [
        { path: 'ids.1', message: NON_EMPTY },
        { path: 'ids.2', message: NON_EMPTY },
      ];
      await expectIssues(context.store.markSeen(userId, ids, at), idIssues);
      await expectIssues(context.store.archive(userId, ids, at), idIssues);
      await expectIssues(context.store.unarchive(userId, ids), idIssues);
      for (const bad of ['yesterday', 42, undefined]) {
        const issue = [{ path: 'at', message: notADate(bad) }];
        await expectIssues(context.store.markSeen(userId, [item!.id], loose(bad)), issue);
        await expectIssues(context.store.markAllSeen(userId, {}, loose(bad)), issue);
        await expectIssues(context.store.archive(userId, [item!.id], loose(bad)), issue);
        await expectIssues(context.store.archiveAllRead(userId, {}, loose(bad)), issue);
      }
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses bulk options that are not an object, a bad type, or a watermark that is not an integer ≥ 0', async () => {
      const userId = context.userId();
      const stored = await insert(context, userId, 2);
      await context.store.markRead(userId, [stored[0]!.id], isoNow());
      const before = await inboxState(context.store, userId);
      const at = isoNow();
      for (const call of [
        (options: unknown) => context.store.markAllRead(userId, loose(options), at),
        (options: unknown) => context.store.markAllSeen(userId, loose(options), at),
        (options: unknown) => context.store.archiveAllRead(userId, loose(options), at),
      ]) {
        await expectIssues(call('all'), [{ path: 'options', message: 'Expected an object' }]);
        for (const upToPosition of [-1, 1.5, Number.NaN, '3', Number.POSITIVE_INFINITY]) {
          await expectIssues(call({ upToPosition }), [
            { path: 'options.upToPosition', message: `Expected an integer ≥ 0, got ${String(upToPosition)}` },
          ]);
        }
      }
      for (const type of [42, '']) {
        await expectIssues(context.store.archiveAllRead(userId, loose({ type }), at), [
          { path: 'options.type', message: NON_EMPTY },
        ]);
      }
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses an unknown archive filter on a listing', async () => {
      const userId = context.userId();
      await insert(context, userId, 1);
      for (const archived of ['yes', true, '']) {
        await expectIssues(context.store.listInbox(userId, loose({ archived })), [
          {
            path: 'archived',
            message: `Expected one of exclude, include, only, got ${JSON.stringify(archived)}`,
          },
        ]);
      }
    });
  });

  describe('concurrency: seen, read and archive', () => {
    it('keeps unread and unseen counts exact under concurrent seen / read / archive / insert calls across connections', async () => {
      const peers = await context.peers();
      const seed = Math.floor(Math.random() * 2 ** 31);
      const random = seededRandom(seed);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const userId = context.userId();
      const initial = await insert(context, userId, 40);
      const knownIds = idsOf(initial);
      let inserted = initial.length;
      const operations: ((store: Store) => Promise<unknown>)[] = [];
      const someIds = (): string[] => Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(knownIds));
      for (let index = 0; index < 400; index++) {
        const roll = random();
        if (roll < 0.2) {
          const batch = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
            inboxItem(context, userId, { type: pick(TYPES) }),
          );
          knownIds.push(...idsOf(batch as InboxItem[]));
          inserted += batch.length;
          operations.push((store) => store.insertInboxItems(batch));
        } else if (roll < 0.32) {
          const ids = someIds();
          operations.push((store) => store.markSeen(userId, ids, isoNow()));
        } else if (roll < 0.44) {
          const ids = someIds();
          operations.push((store) => store.markRead(userId, ids, isoNow()));
        } else if (roll < 0.52) {
          const ids = someIds();
          operations.push((store) => store.markUnread(userId, ids));
        } else if (roll < 0.64) {
          const ids = someIds();
          operations.push((store) => store.archive(userId, ids, isoNow()));
        } else if (roll < 0.74) {
          const ids = someIds();
          operations.push((store) => store.unarchive(userId, ids));
        } else if (roll < 0.8) {
          operations.push((store) => store.markAllSeen(userId, {}, isoNow()));
        } else if (roll < 0.86) {
          const type = random() < 0.5 ? undefined : pick(TYPES);
          operations.push((store) => store.markAllRead(userId, type === undefined ? {} : { type }, isoNow()));
        } else if (roll < 0.92) {
          const type = random() < 0.5 ? undefined : pick(TYPES);
          operations.push((store) => store.archiveAllRead(userId, type === undefined ? {} : { type }, isoNow()));
        } else {
          const ids = someIds();
          operations.push((store) => store.markDelivered(userId, ids, isoNow()));
        }
      }
      await Promise.all(operations.map((operation, index) => operation(peers[index % peers.length]!)));

      const all = await everything(context.store, userId);
      expect(all, `seed ${seed}`).toHaveLength(inserted);
      const truth = unreadTruth(all);
      await expectUnreadCount(context.store, userId, truth);
      for (const item of all) {
        if (item.readAt !== undefined) expect(item.seenAt, `seed ${seed}: a read item is seen`).toBeDefined();
      }
      const live = all.filter((item) => item.archivedAt === undefined);
      expect(idsOf(await listAllInbox(context.store, userId)), `seed ${seed}`).toEqual(idsOf(live));
      expect(
        idsOf(await listAllInbox(context.store, userId, { archived: 'only' })),
        `seed ${seed}: the archive`,
      ).toEqual(idsOf(all.filter((item) => item.archivedAt !== undefined)));
      expect(
        (await listAllInbox(context.store, userId, { status: 'unread' })).length,
        `seed ${seed}: unread listing`,
      ).toBe(truth.total);
    });

    it('leaves items inserted during a seen-all, read-all or archive-all untouched when the watermark was taken first', async () => {
      const peers = await context.peers();
      const userId = context.userId();
      const stored = await insert(context, userId, 30, 'contract.alpha');
      await context.store.markRead(userId, idsOf(stored.slice(0, 10)), isoNow());
      const watermark = await context.store.lastPosition(userId);
      const late = Array.from({ length: 20 }, () => inboxItem(context, userId, { type: 'contract.alpha' }));
      const results = await Promise.all([
        peers[0]!.markAllSeen(userId, { upToPosition: watermark }, isoNow()),
        peers[1]!.archiveAllRead(userId, { upToPosition: watermark }, isoNow()),
        ...late.map((item, index) => peers[(index % 3) + 1]!.insertInboxItems([item])),
        peers[2]!.markAllRead(userId, { upToPosition: watermark }, isoNow()),
      ]);
      // Seen-all and read-all race over the same 20 unseen items: together they reach each one once at most.
      expect(results[0]).toBeLessThanOrEqual(20);
      const all = await everything(context.store, userId);
      const lateIds = new Set(idsOf(late as InboxItem[]));
      for (const item of all) {
        if (!lateIds.has(item.id)) continue;
        expect(item.seenAt).toBeUndefined();
        expect(item.readAt).toBeUndefined();
        expect(item.archivedAt).toBeUndefined();
        expect(item.position).toBeGreaterThan(watermark);
      }
      await expectUnreadCount(context.store, userId, unreadTruth(all));
      await expectUnreadCount(context.store, userId, { total: 20, unseen: 20, byType: { 'contract.alpha': 20 } });
    });

    it('reports each change exactly once across concurrent markSeen / markAllSeen and archive / archiveAllRead', async () => {
      const peers = await context.peers();
      const peer = (index: number): Store => peers[index % peers.length]!;
      const userId = context.userId();
      const items = await insert(context, userId, 60);
      const ids = idsOf(items);
      const seen = await Promise.all([
        ...Array.from({ length: 12 }, (_, index) =>
          peer(index).markSeen(userId, ids.slice((index * 5) % 50, ((index * 5) % 50) + 10), isoNow()),
        ),
        peer(1).markAllSeen(userId, {}, isoNow()),
        peer(2).markAllSeen(userId, {}, isoNow()),
      ]);
      const seenCount = seen.reduce<number>((sum, result) => sum + (Array.isArray(result) ? result.length : result), 0);
      expect(seenCount).toBe(60);
      await context.store.markRead(userId, ids, isoNow());
      const archived = await Promise.all([
        ...Array.from({ length: 12 }, (_, index) =>
          peer(index).archive(userId, ids.slice((index * 5) % 50, ((index * 5) % 50) + 10), isoNow()),
        ),
        peer(3).archiveAllRead(userId, {}, isoNow()),
        peer(0).archiveAllRead(userId, { type: 'contract.beta' }, isoNow()),
      ]);
      const archivedIds = archived.flatMap((result) => (Array.isArray(result) ? result : []));
      expect(new Set(archivedIds).size).toBe(archivedIds.length);
      const archivedCount = archived.reduce<number>(
        (sum, result) => sum + (Array.isArray(result) ? result.length : result),
        0,
      );
      expect(archivedCount).toBe(60);
      await expectUnreadCount(context.store, userId, { total: 0, unseen: 0, byType: {} });
      expect(await listAllInbox(context.store, userId)).toEqual([]);
    });
  });
}
