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
      // Both ids in one receipt: the echoed delivery id finds the record even when the send's response (with the
      // message id) was lost or is still on its way, and core refuses it when the record, or another record, already
      // answers to a different message id — an echo is only text the provider hands back, and another sender's may
      // name our delivery. Asking by delivery id alone would let any status move the record it names.
      const updated = await herald.deliveries.applyReceipt({
        ...base,
        providerMessageId,
        ...(deliveryId === undefined ? {} : { deliveryId }),
      });
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
