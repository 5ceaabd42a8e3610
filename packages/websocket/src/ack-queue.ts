// Acknowledgements on their way to the gateway: batched (one frame per interval keeps a busy stream far below the
// gateway's frame rate limit), and sent again when they may not have arrived — the socket died soon after, or the
// gateway refused the frame. Acks are idempotent, so sending one twice costs nothing.

import { type AckFrame, MAX_IDS_PER_FRAME } from './protocol';

/** Acks sent this recently are sent again if the socket dies: the gateway may never have read them. */
const RECENT_ACK_MS = 10_000;
/** Ack frames remembered by `ref`, to send again if the gateway refuses one. */
const ACK_REFS_KEPT = 64;
/** At most one batch per interval. */
const ACK_INTERVAL_MS = 100;

export interface AckQueueSettings {
  /** Whether a frame can go out now (socket open and greeted). */
  canSend(): boolean;
  send(frame: AckFrame): void;
}

export interface AckQueue {
  /** Queues an ack; it goes out with the next batch. */
  add(id: string): void;
  /** Sends every queued ack now, if the connection can take them (otherwise they wait for `flush` after welcome). */
  flush(): void;
  /** The socket is gone: acks it may not have carried wait for the next one. */
  connectionLost(): void;
  /** The gateway refused the frame with this `ref` and may try again later (rate limit, store error). */
  refused(ref: string): void;
  readonly pendingCount: number;
  /** Cancels the batch timer; queued acks stay queued. */
  stop(): void;
}

export function createAckQueue(settings: AckQueueSettings): AckQueue {
  const pending = new Set<string>();
  /** Acks sent lately, by send time (oldest first). */
  const recent = new Map<string, number>();
  const refs = new Map<string, string[]>();
  let sequence = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!settings.canSend()) return;
    const ids = [...pending];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_FRAME) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_FRAME);
      sequence += 1;
      const ref = `ack:${sequence}`;
      refs.set(ref, chunk);
      if (refs.size > ACK_REFS_KEPT) refs.delete(refs.keys().next().value as string);
      settings.send({ type: 'ack', ids: chunk, ref });
    }
    pending.clear();
    const at = Date.now();
    for (const [id, sentAt] of recent) {
      if (at - sentAt < RECENT_ACK_MS) break;
      recent.delete(id);
    }
    for (const id of ids) {
      recent.delete(id);
      recent.set(id, at);
    }
  }

  function add(id: string): void {
    pending.add(id);
    if (timer === undefined) timer = setTimeout(flush, ACK_INTERVAL_MS);
  }

  return {
    add,
    flush,
    connectionLost() {
      for (const id of recent.keys()) pending.add(id);
      recent.clear();
    },
    refused(ref) {
      const ids = refs.get(ref);
      if (!ids) return;
      refs.delete(ref);
      for (const id of ids) add(id);
    },
    get pendingCount() {
      return pending.size;
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
