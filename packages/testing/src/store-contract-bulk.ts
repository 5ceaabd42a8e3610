// Store contract: the optional bulk calls, `updateDeliveries` and `markDeliveredMany`. Each is checked through the
// store kit's helpers, which use the store's own call when it has one and loop over the single call otherwise, so
// every store passes the same cases; bad input is checked against the store's own call when it has one.

import type { Store } from '@herald/core';
import { markDeliveredMany, storeLimits, updateDeliveries } from '@herald/core/store-kit';
import { describe, expect, it } from 'vitest';
import {
  deliveryRecord,
  expectIssues,
  expectUnreadCount,
  inboxItem,
  isoNow,
  listAllInbox,
  loose,
  NON_EMPTY,
  notADate,
  type StoreContractContext,
} from './store-contract-fixtures';

const STATUSES = 'pending, sent, delivered, read, queued, skipped, failed, cancelled';

async function inboxState(store: Store, userId: string): Promise<unknown> {
  return { items: await listAllInbox(store, userId), unread: await store.unreadCount(userId) };
}

export function bulkContract(context: StoreContractContext): void {
  describe('bulk delivery updates', () => {
    it('applies each update with its own condition, in input order, answering per update', async () => {
      const records = Array.from({ length: 3 }, () => deliveryRecord(context));
      await context.store.createDeliveries(records);
      const [first, second, third] = records as [(typeof records)[0], (typeof records)[0], (typeof records)[0]];
      const providerMessageId = context.uniqueId('provider');
      const results = await updateDeliveries(context.store, [
        { id: first.id, patch: { status: 'sent', attempts: 1, channelId: 'smtp' }, onlyFrom: ['pending'] },
        { id: 'no-such-delivery', patch: { status: 'sent' } },
        { id: second.id, patch: { status: 'failed' }, onlyFrom: ['sent'] },
        // The same id again sees the first update.
        { id: first.id, patch: { status: 'delivered' }, onlyFrom: ['sent'] },
        { id: third.id, patch: { status: 'sent', providerMessageId } },
      ]);
      expect(results.map((record) => record?.status)).toEqual(['sent', undefined, undefined, 'delivered', 'sent']);
      expect(results[0]).toMatchObject({ id: first.id, attempts: 1, channelId: 'smtp' });
      expect(results[3]).toMatchObject({ id: first.id, attempts: 1, channelId: 'smtp', status: 'delivered' });
      const stored = new Map(
        (await context.store.getDeliveries(records.map((record) => record.id))).map((r) => [r.id, r]),
      );
      expect(stored.get(first.id)).toEqual(results[3]);
      expect(stored.get(second.id)).toEqual(second);
      expect(stored.get(third.id)).toEqual(results[4]);
      expect(await context.store.findDeliveryByProviderMessageId(providerMessageId)).toEqual(results[4]);
      expect(await updateDeliveries(context.store, [])).toEqual([]);
    });

    it('updates more records than one chunk holds, each once', async () => {
      const records = Array.from({ length: storeLimits.chunkSize + 20 }, () => deliveryRecord(context));
      await context.store.createDeliveries(records);
      const results = await updateDeliveries(
        context.store,
        records.map((record, index) => ({
          id: record.id,
          patch: { status: 'sent', attempts: index },
          onlyFrom: ['pending'],
        })),
      );
      expect(results.map((record) => record?.attempts)).toEqual(records.map((_, index) => index));
      const again = await updateDeliveries(
        context.store,
        records.map((record) => ({ id: record.id, patch: { status: 'failed' }, onlyFrom: ['pending'] })),
      );
      expect(again.every((record) => record === undefined)).toBe(true);
    });

    it('refuses a bad batch, naming each element, and updates none of it', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([record]);
      const store = context.store;
      if (store.updateDeliveries === undefined) {
        // Without its own call the helper loops over updateDelivery, which refuses the element by its own paths.
        await expectIssues(updateDeliveries(store, [{ id: '', patch: { status: 'sent' } }]), [
          { path: 'id', message: NON_EMPTY },
        ]);
      } else {
        await expectIssues(store.updateDeliveries(loose('all')), [
          { path: 'updates', message: 'Expected an array of delivery updates' },
        ]);
        await expectIssues(
          store.updateDeliveries(
            loose([
              { id: record.id, patch: { status: 'sent' } },
              { id: '', patch: { status: 'gone' } },
              'sent',
              { id: record.id, patch: 'sent' },
              { id: record.id, patch: { status: 'sent' }, onlyFrom: ['pending', 'done'] },
            ]),
          ),
          [
            { path: 'updates.1.id', message: NON_EMPTY },
            { path: 'updates.1.patch.status', message: `Expected one of ${STATUSES}, got "gone"` },
            { path: 'updates.2', message: 'Expected an object { id, patch, onlyFrom? }' },
            { path: 'updates.3.patch', message: 'Expected an object' },
            { path: 'updates.4.onlyFrom.1', message: `Expected one of ${STATUSES}, got "done"` },
          ],
        );
      }
      // The good first element was not written either.
      expect(await context.store.getDeliveries([record.id])).toEqual([record]);
    });
  });

  describe('bulk acknowledgements', () => {
    it('marks each user’s ids delivered, in input order, answering with the ids that changed per entry', async () => {
      const alice = context.userId('alice');
      const bob = context.userId('bob');
      const [a1, a2] = await context.store.insertInboxItems([inboxItem(context, alice), inboxItem(context, alice)]);
      const [b1] = await context.store.insertInboxItems([inboxItem(context, bob)]);
      const at = isoNow();
      const changed = await markDeliveredMany(
        context.store,
        [
          // Bob's item under Alice changes nothing; Alice's item acknowledged twice changes once.
          { userId: alice, ids: [a1!.id, b1!.id, 'no-such-item'] },
          { userId: bob, ids: [b1!.id] },
          { userId: alice, ids: [a1!.id] },
          { userId: context.userId('nobody'), ids: [a2!.id] },
          { userId: alice, ids: [] },
        ],
        at,
      );
      expect(changed).toEqual([[a1!.id], [b1!.id], [], [], []]);
      const [delivered, undelivered] = await context.store.getInboxItems(alice, [a1!.id, a2!.id]);
      expect(delivered!.deliveredAt).toBe(at);
      expect(undelivered!.deliveredAt).toBeUndefined();
      expect((await context.store.getInboxItems(bob, [b1!.id]))[0]!.deliveredAt).toBe(at);
      expect((await context.store.listInbox(alice, { status: 'undelivered' })).items.map((item) => item.id)).toEqual([
        a2!.id,
      ]);
      await expectUnreadCount(context.store, alice, { total: 2, unseen: 2, byType: { 'contract.alpha': 2 } });
      expect(await markDeliveredMany(context.store, [], at)).toEqual([]);
    });

    it('takes more ids than one chunk holds, across entries and within one', async () => {
      const users = [context.userId('many'), context.userId('many')];
      const perUser = storeLimits.chunkSize - 100;
      const stored = await Promise.all(
        users.map((userId) =>
          context.store.insertInboxItems(Array.from({ length: perUser }, () => inboxItem(context, userId))),
        ),
      );
      const third = context.userId('many');
      const big = await context.store.insertInboxItems(
        Array.from({ length: storeLimits.chunkSize + 50 }, () => inboxItem(context, third)),
      );
      const acks = [
        ...users.map((userId, index) => ({ userId, ids: stored[index]!.map((item) => item.id) })),
        { userId: third, ids: big.map((item) => item.id) },
      ];
      const changed = await markDeliveredMany(context.store, acks, isoNow());
      expect(changed.map((ids) => ids.length)).toEqual([perUser, perUser, big.length]);
      expect(changed).toEqual(acks.map((ack) => ack.ids));
      for (const userId of [...users, third]) {
        expect((await context.store.listInbox(userId, { status: 'undelivered' })).items).toEqual([]);
      }
    });

    it('refuses a bad batch, naming each element, and marks none of it', async () => {
      const userId = context.userId();
      const [item] = await context.store.insertInboxItems([inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      const store = context.store;
      if (store.markDeliveredMany === undefined) {
        await expectIssues(markDeliveredMany(store, [{ userId: '', ids: [item!.id] }], isoNow()), [
          { path: 'userId', message: NON_EMPTY },
        ]);
      } else {
        await expectIssues(store.markDeliveredMany(loose('all'), isoNow()), [
          { path: 'acks', message: 'Expected an array of acknowledgements' },
        ]);
        await expectIssues(
          store.markDeliveredMany(
            loose([
              { userId, ids: [item!.id] },
              { userId: '', ids: [item!.id] },
              { userId, ids: item!.id },
              { userId, ids: ['', item!.id] },
              7,
            ]),
            isoNow(),
          ),
          [
            { path: 'acks.1.userId', message: NON_EMPTY },
            { path: 'acks.2.ids', message: 'Expected an array of ids' },
            { path: 'acks.3.ids.0', message: NON_EMPTY },
            { path: 'acks.4', message: 'Expected an object { userId, ids }' },
          ],
        );
        await expectIssues(store.markDeliveredMany([{ userId, ids: [item!.id] }], 'yesterday'), [
          { path: 'at', message: notADate('yesterday') },
        ]);
      }
      expect(await inboxState(context.store, userId)).toEqual(before);
    });
  });
}
