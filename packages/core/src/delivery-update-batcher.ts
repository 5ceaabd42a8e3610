// The outcomes of the attempts that finish together (in one run of microtasks) reach the store as one
// `updateDeliveries` call (a pipeline on Redis, one statement on SQL) instead of a call each. Every update keeps
// its own condition and answer; they are applied in the order they were asked for.

import { ValidationError } from './errors';
import type { DeliveryPatch, DeliveryRecord, DeliveryStatus, DeliveryUpdate, Store } from './spec/store';
import { updateDeliveries } from './store-kit/bulk-fallbacks';

export type UpdateDelivery = (
  id: string,
  patch: DeliveryPatch,
  onlyFrom?: readonly DeliveryStatus[],
) => Promise<DeliveryRecord | undefined>;

interface Waiting {
  update: DeliveryUpdate;
  resolve: (record: DeliveryRecord | undefined) => void;
  reject: (error: unknown) => void;
}

/** `store.updateDelivery`, with the calls of one turn of the event loop written together. */
export function createDeliveryUpdateBatcher(store: Pick<Store, 'updateDelivery' | 'updateDeliveries'>): UpdateDelivery {
  let waiting: Waiting[] = [];

  function flush(): void {
    const batch = waiting;
    waiting = [];
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      store.updateDelivery(only.update.id, only.update.patch, only.update.onlyFrom).then(only.resolve, only.reject);
      return;
    }
    updateDeliveries(
      store,
      batch.map((entry) => entry.update),
    ).then(
      (records) => {
        for (const [index, entry] of batch.entries()) entry.resolve(records[index]);
      },
      (error: unknown) => {
        // One bad update (a channel's empty provider message id) must not fail the others: each on its own then.
        if (ValidationError.is(error)) {
          for (const entry of batch) {
            const { id, patch, onlyFrom } = entry.update;
            store.updateDelivery(id, patch, onlyFrom).then(entry.resolve, entry.reject);
          }
          return;
        }
        for (const entry of batch) entry.reject(error);
      },
    );
  }

  // Once the microtasks running now are done, not a turn of the event loop later: an attempt holds its runner slot
  // until its outcome is written, so waiting for the next turn would cap the runner at one slot-full per turn.
  const afterMicrotasks = (run: () => void): void => {
    if (typeof process === 'object' && typeof process.nextTick === 'function') process.nextTick(run);
    else queueMicrotask(run);
  };

  return (id, patch, onlyFrom) =>
    new Promise<DeliveryRecord | undefined>((resolve, reject) => {
      if (waiting.length === 0) afterMicrotasks(flush);
      const update: DeliveryUpdate = onlyFrom === undefined ? { id, patch } : { id, patch, onlyFrom };
      waiting.push({ update, resolve, reject });
    });
}
