// herald.cancel: withdraws the deliveries of a notification (by its idempotency key) that have not gone out.

import { listAllDeliveries } from './deliveries-api';
import type { EventBus } from './event-bus';
import type { CancelResult } from './herald-types';
import type { Settlement } from './settlement';
import type { Runner } from './spec/runner';
import type { Store } from './spec/store';
import { assertNonEmptyString } from './validation';

export function createCancellation(
  store: Store,
  runner: Runner,
  events: EventBus,
  settlement: Settlement | undefined,
): (idempotencyKey: string) => Promise<CancelResult> {
  return async (idempotencyKey) => {
    assertNonEmptyString(idempotencyKey, 'idempotencyKey');
    const notificationId = await store.getIdempotencyKey(idempotencyKey);
    if (notificationId === undefined) return { cancelled: 0 };
    const pending = await listAllDeliveries(store, { notificationId, status: 'pending' });
    // Only what the runner withdrew is cancelled: a delivery already running may be at the provider now,
    // and its outcome, not this call, decides its record.
    const withdrawn = new Set(await runner.cancel(pending.map((record) => record.id)));
    let cancelled = 0;
    for (const record of pending) {
      if (!withdrawn.has(record.id)) continue;
      const updated = await store.updateDelivery(record.id, { status: 'cancelled' }, ['pending']);
      if (!updated) continue;
      cancelled += 1;
      events.emit('delivery.cancelled', { delivery: updated });
      settlement?.settle(notificationId, {
        deliveryId: record.id,
        recipientId: record.recipientId,
        kind: record.kind,
        status: 'cancelled',
      });
    }
    return { notificationId, cancelled };
  };
}
