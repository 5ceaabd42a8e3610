// Store contract: counters and positions under concurrent calls on one user. The store must apply each
// call atomically; these tests fire calls together, spread over the suite's peers (separate connections where the
// store has them), and compare the counters with the items themselves.

import type { Store } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  expectUnreadCount,
  inboxItem,
  isoNow,
  listAllInbox,
  type StoreContractContext,
  seededRandom,
  unreadTruth,
} from './store-contract-fixtures';

const TYPES = ['contract.alpha', 'contract.beta', 'contract.gamma'];

export function concurrencyContract(context: StoreContractContext): void {
  describe('concurrency', () => {
    it('keeps unread counts exact under a few hundred concurrent mixed calls on one user', async () => {
      const peers = await context.peers();
      const seed = Math.floor(Math.random() * 2 ** 31);
      const random = seededRandom(seed);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const userId = context.userId();
      const initial = await context.store.insertInboxItems(
        Array.from({ length: 40 }, () => inboxItem(context, userId, { type: pick(TYPES) })),
      );
      const knownIds = initial.map((item) => item.id);
      let inserted = initial.length;
      const operations: ((store: Store) => Promise<unknown>)[] = [];
      const someIds = (): string[] => Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(knownIds));

      for (let index = 0; index < 300; index++) {
        const roll = random();
        if (roll < 0.25) {
          const batch = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
            inboxItem(context, userId, { type: pick(TYPES) }),
          );
          // Later calls may name these ids before or after the insert lands: both must be safe.
          knownIds.push(...batch.map((item) => item.id));
          inserted += batch.length;
          operations.push((store) => store.insertInboxItems(batch));
        } else if (roll < 0.5) {
          const ids = someIds();
          operations.push((store) => store.markRead(userId, ids, isoNow()));
        } else if (roll < 0.7) {
          const ids = someIds();
          operations.push((store) => store.markUnread(userId, ids));
        } else if (roll < 0.8) {
          const type = random() < 0.5 ? undefined : pick(TYPES);
          operations.push((store) => store.markAllRead(userId, type === undefined ? {} : { type }, isoNow()));
        } else {
          const ids = someIds();
          operations.push((store) => store.markDelivered(userId, ids, isoNow()));
        }
      }
      await Promise.all(operations.map((operation, index) => operation(peers[index % peers.length]!)));

      const all = await listAllInbox(context.store, userId);
      expect(all, `seed ${seed}`).toHaveLength(inserted);
      expect(new Set(all.map((item) => item.position)).size, `seed ${seed}: positions are unique`).toBe(inserted);
      const truth = unreadTruth(all);
      await expectUnreadCount(context.store, userId, truth);
      const unreadListed = await listAllInbox(context.store, userId, { status: 'unread' });
      expect(unreadListed).toHaveLength(truth.total);
      for (const type of TYPES) {
        const ofType = await listAllInbox(context.store, userId, { status: 'unread', type });
        expect(ofType.length, `seed ${seed}: unread ${type}`).toBe(truth.byType[type] ?? 0);
      }
    });

    it('reports each unread → read change exactly once across concurrent markRead and markAllRead', async () => {
      const peers = await context.peers();
      const peer = (index: number): Store => peers[index % peers.length]!;
      const userId = context.userId();
      const items = await context.store.insertInboxItems(
        Array.from({ length: 60 }, (_, index) => inboxItem(context, userId, { type: TYPES[index % 3]! })),
      );
      const ids = items.map((item) => item.id);
      const results = await Promise.all([
        ...Array.from({ length: 20 }, (_, index) =>
          peer(index).markRead(userId, ids.slice((index * 7) % 50, ((index * 7) % 50) + 10), isoNow()),
        ),
        peer(1).markAllRead(userId, { type: 'contract.beta' }, isoNow()),
        peer(2).markAllRead(userId, {}, isoNow()),
        peer(3).markAllRead(userId, {}, isoNow()),
      ]);
      const changedIds = results.flatMap((result) => (Array.isArray(result) ? result : []));
      expect(new Set(changedIds).size).toBe(changedIds.length);
      const counted = results.reduce<number>(
        (sum, result) => sum + (Array.isArray(result) ? result.length : result),
        0,
      );
      expect(counted).toBe(60);
      await expectUnreadCount(context.store, userId, { total: 0, byType: {} });
    });

    it('reports each read → unread change exactly once across concurrent markUnread calls', async () => {
      const peers = await context.peers();
      const userId = context.userId();
      const items = await context.store.insertInboxItems(Array.from({ length: 20 }, () => inboxItem(context, userId)));
      const ids = items.map((item) => item.id);
      await context.store.markAllRead(userId, {}, isoNow());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) => peers[index % peers.length]!.markUnread(userId, ids)),
      );
      expect(results.flat().sort()).toEqual([...ids].sort());
      await expectUnreadCount(context.store, userId, { total: 20, byType: { 'contract.alpha': 20 } });
    });

    it('gives every concurrently inserted item its own position, increasing within each batch', async () => {
      const peers = await context.peers();
      const userId = context.userId();
      const batches = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          peers[index % peers.length]!.insertInboxItems(Array.from({ length: 4 }, () => inboxItem(context, userId))),
        ),
      );
      const positions = batches.flat().map((item) => item.position);
      expect(new Set(positions).size).toBe(100);
      for (const batch of batches) {
        for (let index = 1; index < batch.length; index++) {
          expect(batch[index]!.position).toBeGreaterThan(batch[index - 1]!.position);
        }
      }
      expect(await context.store.lastPosition(userId)).toBe(positions.reduce((a, b) => Math.max(a, b), 0));
      expect(await context.store.listInboxAfter(userId, 0, 100)).toHaveLength(100);
      await expectUnreadCount(context.store, userId, { total: 100, byType: { 'contract.alpha': 100 } });
    });
  });
}
