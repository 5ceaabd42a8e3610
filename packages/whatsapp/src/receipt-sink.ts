// Applies one provider status to its delivery record, by our delivery id when the provider echoed it, else by message id.

import type { DeliveryFailure, Herald, Logger } from '@herald/core';
import { describeError } from '@herald/core/spec';

export interface Receipt {
  providerMessageId: string;
  deliveryId: string | undefined;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  error: DeliveryFailure | undefined;
}

/** Returns `false` only when the store failed, so the webhook can ask the provider to send again. */
export function receiptSink(
  herald: Pick<Herald, 'deliveries'>,
  logger: Logger,
  source: string,
): (receipt: Receipt) => Promise<boolean> {
  return async ({ providerMessageId, deliveryId, status, error }) => {
    const base = { status, ...(error !== undefined ? { error } : {}) };
    try {
      // The echoed delivery id finds the record even when the send's response (with the message id) was lost.
      // When it names no record (or the record did not move), the message id is tried: an echo may be another
      // sender's opaque data, and applying twice is harmless because receipts only move records forward.
      let updated =
        deliveryId === undefined ? undefined : await herald.deliveries.applyReceipt({ ...base, deliveryId });
      updated ??= await herald.deliveries.applyReceipt({ ...base, providerMessageId });
      if (updated) logger.debug(`${source}: delivery ${updated.id} is now ${updated.status}`, { providerMessageId });
      else
        logger.debug(`${source}: status changed nothing (replay, out of order, or unknown message)`, {
          providerMessageId,
          status,
        });
      return true;
    } catch (thrown) {
      logger.error(`${source}: could not apply a status`, { providerMessageId, status, error: describeError(thrown) });
      return false;
    }
  };
}
