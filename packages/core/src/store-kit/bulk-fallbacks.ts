// The optional bulk operations of the Store spec, for any store: its own when it has them, else a loop over the
// single operation in input order. `CheckedStore` always has them; a store written without the kit may not.

import type { DeliveredAck, DeliveryRecord, DeliveryUpdate, Store } from '../spec/store';

/** `store.updateDeliveries`, or `updateDelivery` per update, in input order. */
export async function updateDeliveries(
  store: Pick<Store, 'updateDelivery' | 'updateDeliveries'>,
  updates: DeliveryUpdate[],
): Promise<(DeliveryRecord | undefined)[]> {
  if (updates.length === 0) return [];
  if (store.updateDeliveries) return store.updateDeliveries(updates);
  const results: (DeliveryRecord | undefined)[] = [];
  for (const { id, patch, onlyFrom } of updates) results.push(await store.updateDelivery(id, patch, onlyFrom));
  return results;
}

/** `store.markDeliveredMany`, or `markDelivered` per entry, in input order. */
export async function markDeliveredMany(
  store: Pick<Store, 'markDelivered' | 'markDeliveredMany'>,
  acks: DeliveredAck[],
  at: string,
): Promise<string[][]> {
  if (acks.length === 0) return [];
  if (store.markDeliveredMany) return store.markDeliveredMany(acks, at);
  const results: string[][] = [];
  for (const { userId, ids } of acks) results.push(await store.markDelivered(userId, ids, at));
  return results;
}
