// Acknowledgements from every socket of this gateway that arrive in one turn of the event loop go to the store as
// one `markDeliveredMany` call instead of a write per frame: at 10,000 clients acknowledging a fan-out, the write
// per frame was most of the ack path. Each frame still gets its own answer (the ids it changed), in order.

import type { DeliveredAck } from '@herald/core';

export interface AckBatcher {
  /** The ids of this ack that changed, once the batch it joined was written. */
  acknowledge(userId: string, ids: string[]): Promise<string[]>;
}

interface Waiting {
  ack: DeliveredAck;
  resolve: (changed: string[]) => void;
  reject: (error: unknown) => void;
}

export function createAckBatcher(markDeliveredMany: (acks: DeliveredAck[]) => Promise<string[][]>): AckBatcher {
  let waiting: Waiting[] = [];

  function flush(): void {
    const batch = waiting;
    waiting = [];
    let written: Promise<string[][]>;
    try {
      written = markDeliveredMany(batch.map((entry) => entry.ack));
    } catch (error) {
      written = Promise.reject(error);
    }
    written.then(
      (changed) => {
        for (const [index, entry] of batch.entries()) entry.resolve(changed[index] ?? []);
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }

  return {
    acknowledge(userId, ids) {
      return new Promise<string[]>((resolve, reject) => {
        // After this turn's I/O callbacks: every frame read in this turn joins the same write.
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ ack: { userId, ids }, resolve, reject });
      });
    },
  };
}
