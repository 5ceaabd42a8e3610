// herald.deliveries: the delivery log, reports, and provider receipts (webhooks) that move records forward.

import type { EventBus } from './event-bus';
import type { DeliveriesApi, DeliveryReport } from './herald-types';
import { reportFromRecords } from './settlement';
import type { DeliveryPatch, DeliveryQuery, DeliveryRecord, DeliveryStatus, Store } from './spec/store';
import { deliveryPages } from './store-kit/page-through';
import { assertNonEmptyString } from './validation';

/** Receipts move a record forward only: each status lists the states it may come from. */
const receiptTransitions: Record<'sent' | 'delivered' | 'read' | 'failed', readonly DeliveryStatus[]> = {
  sent: ['pending', 'queued'],
  delivered: ['pending', 'queued', 'sent'],
  read: ['pending', 'queued', 'sent', 'delivered'],
  failed: ['pending', 'queued', 'sent'],
};

/** Every record a query matches, page by page. */
export async function listAllDeliveries(
  store: Store,
  query: Omit<DeliveryQuery, 'cursor' | 'limit'>,
): Promise<DeliveryRecord[]> {
  const records: DeliveryRecord[] = [];
  for await (const page of deliveryPages(store, { ...query, limit: 100 })) {
    for (const record of page.records) records.push(record);
  }
  return records;
}

export function createDeliveriesApi(store: Store, events: EventBus): DeliveriesApi {
  const report = async (notificationId: string): Promise<DeliveryReport> =>
    reportFromRecords(notificationId, await listAllDeliveries(store, { notificationId }));
  return {
    async get(id) {
      assertNonEmptyString(id, 'deliveryId');
      return (await store.getDeliveries([id]))[0];
    },
    list: (query) => store.listDeliveries(query),
    report,
    async applyReceipt(receipt) {
      // A delivery id carried through the provider (callback data) is preferred; one that matches nothing
      // (another deployment's, or mangled) falls back to the provider's message id.
      let record = receipt.deliveryId === undefined ? undefined : (await store.getDeliveries([receipt.deliveryId]))[0];
      // The echoed id names a record only if the provider's message id agrees (when both are known): callback
      // data is just text the provider hands back, and it may come from another sender.
      if (
        record?.providerMessageId !== undefined &&
        receipt.providerMessageId !== undefined &&
        record.providerMessageId !== receipt.providerMessageId
      ) {
        record = undefined;
      }
      if (!record && receipt.providerMessageId !== undefined) {
        record = await store.findDeliveryByProviderMessageId(receipt.providerMessageId);
      }
      const from = receiptTransitions[receipt.status];
      if (!record || !from) return undefined;
      const patch: DeliveryPatch = { status: receipt.status };
      if (receipt.status === 'failed' && receipt.error) patch.error = receipt.error;
      // A receipt that beat the send's own reply names the message first.
      if (record.providerMessageId === undefined && receipt.providerMessageId !== undefined) {
        patch.providerMessageId = receipt.providerMessageId;
      }
      const updated = await store.updateDelivery(record.id, patch, from);
      if (updated) events.emit('delivery.updated', { delivery: updated });
      return updated;
    },
  };
}
