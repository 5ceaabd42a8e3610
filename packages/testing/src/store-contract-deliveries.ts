// Store contract: notification records and delivery records.

import type { DeliveryRecord } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  byId,
  deliveryRecord,
  EMAIL,
  listAllDeliveries,
  PUSH,
  type StoreContractContext,
} from './store-contract-fixtures';

export function deliveriesContract(context: StoreContractContext): void {
  describe('deliveries', () => {
    it('creates records in bulk and returns them by id, skipping unknown ids', async () => {
      const notificationId = context.uniqueId('notification');
      const records: DeliveryRecord[] = [
        deliveryRecord(context, { notificationId, kind: 'inApp', inboxItemId: context.uniqueId('item') }),
        deliveryRecord(context, {
          notificationId,
          kind: EMAIL,
          channelId: 'smtp',
          scheduledFor: '2030-03-17T17:46:40.000Z',
        }),
        deliveryRecord(context, {
          notificationId,
          kind: PUSH,
          status: 'failed',
          attempts: 3,
          error: { code: 'UNAVAILABLE', message: 'down', providerCode: 503 },
        }),
      ];
      await context.store.createDeliveries(records);
      const loaded = await context.store.getDeliveries([
        records[2]!.id,
        'no-such-delivery',
        records[0]!.id,
        records[1]!.id,
      ]);
      expect([...loaded].sort(byId)).toEqual([...records].sort(byId));
      expect(await context.store.getDeliveries([])).toEqual([]);
      await context.store.createDeliveries([]);
    });

    it('leaves records whose id is stored as they are when created again, and indexes each once', async () => {
      const notificationId = context.uniqueId('notification');
      const recipientId = context.userId('recipient');
      const records = Array.from({ length: 3 }, () => deliveryRecord(context, { notificationId, recipientId }));
      await context.store.createDeliveries(records);
      const sent = await context.store.updateDelivery(records[1]!.id, {
        status: 'sent',
        attempts: 1,
        providerMessageId: context.uniqueId('provider'),
      });
      // A resumed dispatch writes the same records again, as they were planned, with one more beside them.
      const extra = deliveryRecord(context, { notificationId, recipientId });
      await context.store.createDeliveries([...records, extra]);
      await context.store.createDeliveries(records);

      const stored = await context.store.getDeliveries([...records, extra].map((record) => record.id));
      expect([...stored].sort(byId)).toEqual([records[0]!, sent!, records[2]!, extra].sort(byId));
      const newestFirst = [extra, records[2]!, sent!, records[0]!];
      expect(await listAllDeliveries(context.store, { notificationId, limit: 2 })).toEqual(newestFirst);
      expect(await listAllDeliveries(context.store, { recipientId, limit: 3 })).toEqual(newestFirst);
      expect(await listAllDeliveries(context.store, { notificationId, status: 'sent' })).toEqual([sent]);
      expect(await context.store.findDeliveryByProviderMessageId(sent!.providerMessageId!)).toEqual(sent);
    });

    it('updateDelivery applies the patch, refreshes updatedAt and returns the record', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([record]);
      const patch = {
        status: 'sent' as const,
        channelId: 'smtp',
        attempts: 1,
        providerMessageId: context.uniqueId('provider'),
        detail: 'sent as text',
      };
      const updated = await context.store.updateDelivery(record.id, patch);
      expect(updated).toBeDefined();
      expect(updated).toEqual({ ...record, ...patch, updatedAt: updated!.updatedAt });
      expect(Number.isNaN(Date.parse(updated!.updatedAt))).toBe(false);
      // The fixture's updatedAt is in 2020; a refreshed stamp is later.
      expect(Date.parse(updated!.updatedAt)).toBeGreaterThan(Date.parse(record.updatedAt));
      expect(updated!.createdAt).toBe(record.createdAt);
      expect(await context.store.getDeliveries([record.id])).toEqual([updated]);
    });

    it('updateDelivery with onlyFrom applies only from those statuses', async () => {
      const record = deliveryRecord(context, { status: 'sent' });
      await context.store.createDeliveries([record]);

      expect(await context.store.updateDelivery(record.id, { status: 'failed' }, ['pending'])).toBeUndefined();
      expect((await context.store.getDeliveries([record.id]))[0]).toEqual(record);
      expect(await context.store.updateDelivery(record.id, { status: 'failed' }, [])).toBeUndefined();
      expect((await context.store.getDeliveries([record.id]))[0]!.status).toBe('sent');

      const delivered = await context.store.updateDelivery(record.id, { status: 'delivered' }, ['pending', 'sent']);
      expect(delivered!.status).toBe('delivered');
      // Moving forward only: a late "sent" callback does not move it back.
      expect(await context.store.updateDelivery(record.id, { status: 'sent' }, ['pending', 'queued'])).toBeUndefined();
      expect((await context.store.getDeliveries([record.id]))[0]!.status).toBe('delivered');
    });

    it('updateDelivery returns undefined for an unknown id and creates nothing', async () => {
      const id = context.uniqueId('missing');
      expect(await context.store.updateDelivery(id, { status: 'sent' })).toBeUndefined();
      expect(await context.store.getDeliveries([id])).toEqual([]);
    });

    it('records an error on failure', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([record]);
      const error = { code: 'INVALID_RECIPIENT' as const, message: 'unknown number', providerCode: 131026 };
      const failed = await context.store.updateDelivery(record.id, { status: 'failed', attempts: 1, error }, [
        'pending',
      ]);
      expect(failed!.error).toEqual(error);
      expect((await context.store.getDeliveries([record.id]))[0]!.error).toEqual(error);
    });

    it('finds a record by provider message id, set at creation or by an update', async () => {
      const atCreation = deliveryRecord(context, { status: 'sent', providerMessageId: context.uniqueId('provider') });
      const byUpdate = deliveryRecord(context);
      await context.store.createDeliveries([atCreation, byUpdate]);
      expect(await context.store.findDeliveryByProviderMessageId(atCreation.providerMessageId!)).toEqual(atCreation);

      const providerMessageId = context.uniqueId('provider');
      expect(await context.store.findDeliveryByProviderMessageId(providerMessageId)).toBeUndefined();
      const updated = await context.store.updateDelivery(byUpdate.id, { status: 'sent', providerMessageId });
      expect(await context.store.findDeliveryByProviderMessageId(providerMessageId)).toEqual(updated);

      // A callback that finds the record sees later updates too.
      const read = await context.store.updateDelivery(byUpdate.id, { status: 'read' });
      expect(await context.store.findDeliveryByProviderMessageId(providerMessageId)).toEqual(read);
    });

    it('lists newest first (reverse creation order) and filters by notification, recipient and status', async () => {
      const notificationId = context.uniqueId('notification');
      const recipients = [context.userId('r1'), context.userId('r2')];
      const created: DeliveryRecord[] = [];
      // Separate calls and records within one call: both count in creation order.
      for (let batch = 0; batch < 3; batch++) {
        const records = Array.from({ length: 4 }, (_, index) =>
          deliveryRecord(context, {
            notificationId,
            recipientId: recipients[index % 2]!,
            kind: index < 2 ? 'inApp' : EMAIL,
          }),
        );
        await context.store.createDeliveries(records);
        created.push(...records);
      }
      await context.store.updateDelivery(created[1]!.id, { status: 'sent' });
      await context.store.updateDelivery(created[6]!.id, { status: 'sent' });
      const current = await context.store.getDeliveries(created.map((record) => record.id));
      const newestFirst = [...created].reverse().map((record) => current.find((found) => found.id === record.id)!);

      expect(await listAllDeliveries(context.store, { notificationId, limit: 5 })).toEqual(newestFirst);
      expect(await listAllDeliveries(context.store, { recipientId: recipients[0]!, limit: 2 })).toEqual(
        newestFirst.filter((record) => record.recipientId === recipients[0]),
      );
      expect(await listAllDeliveries(context.store, { notificationId, status: 'sent', limit: 1 })).toEqual(
        newestFirst.filter((record) => record.status === 'sent'),
      );
      expect(
        await listAllDeliveries(context.store, {
          notificationId,
          recipientId: recipients[1]!,
          status: 'pending',
          limit: 3,
        }),
      ).toEqual(newestFirst.filter((record) => record.recipientId === recipients[1] && record.status === 'pending'));
      expect(await context.store.listDeliveries({ notificationId: context.uniqueId('none') })).toEqual({ records: [] });
    });

    it('pages with a default of 20 and a cursor only when older records remain', async () => {
      const notificationId = context.uniqueId('notification');
      const records = Array.from({ length: 25 }, () => deliveryRecord(context, { notificationId }));
      await context.store.createDeliveries(records);
      const first = await context.store.listDeliveries({ notificationId });
      expect(first.records.map((record) => record.id)).toEqual(
        [...records]
          .reverse()
          .slice(0, 20)
          .map((r) => r.id),
      );
      expect(typeof first.nextCursor).toBe('string');
      const second = await context.store.listDeliveries({ notificationId, cursor: first.nextCursor! });
      expect(second.records.map((record) => record.id)).toEqual(
        [...records]
          .reverse()
          .slice(20)
          .map((r) => r.id),
      );
      expect(second.nextCursor).toBeUndefined();

      const exact = context.uniqueId('notification');
      await context.store.createDeliveries(
        Array.from({ length: 4 }, () => deliveryRecord(context, { notificationId: exact })),
      );
      const full = await context.store.listDeliveries({ notificationId: exact, limit: 2 });
      const last = await context.store.listDeliveries({ notificationId: exact, limit: 2, cursor: full.nextCursor! });
      expect(last.records).toHaveLength(2);
      expect(last.nextCursor).toBeUndefined();
    });

    it('lists by status alone, every record matching', async () => {
      const record = deliveryRecord(context, { status: 'cancelled' });
      await context.store.createDeliveries([record]);
      const page = await context.store.listDeliveries({ status: 'cancelled', limit: 100 });
      expect(page.records.length).toBeGreaterThan(0);
      for (const found of page.records) expect(found.status).toBe('cancelled');
    });

    it('returns copies: mutating inputs or results does not change stored records', async () => {
      const record = deliveryRecord(context, { error: { code: 'TIMEOUT', message: 'slow' } });
      await context.store.createDeliveries([record]);
      record.status = 'sent';
      record.error!.message = 'changed by the caller';
      const [loaded] = await context.store.getDeliveries([record.id]);
      expect(loaded!.status).toBe('pending');
      expect(loaded!.error!.message).toBe('slow');
      loaded!.attempts = 99;
      loaded!.error!.code = 'UNKNOWN';
      const [again] = await context.store.getDeliveries([record.id]);
      expect(again!.attempts).toBe(0);
      expect(again!.error!.code).toBe('TIMEOUT');
    });
  });
}
