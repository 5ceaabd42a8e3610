// What the fault suite's test files and its Herald child processes share: the notification they send, the step
// boundaries of notify() a child can stop at, and the messages the two sides exchange over IPC.
import { defineNotification } from '@herald/core';
import { z } from 'zod';

declare module '@herald/core' {
  interface ChannelContentMap {
    /** A kind only these tests use: a pager that records every message it is given. */
    pager: { text: string };
  }
}

export const incidentOpened = defineNotification({
  type: 'incident.opened',
  schema: z.object({ title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Incident opened', body: payload.title }),
    pager: ({ payload, recipient }) => ({ text: `${recipient.id}: ${payload.title}` }),
  },
});

export const KINDS = ['inApp', 'pager'] as const;

/**
 * The step boundaries of one dispatch, in the order notify() reaches them. Each names the call the child is
 * stopped at (counted per notification, in the last chunk of recipients) and where: after it returned, before
 * it started, or half-way (the first half of its batch written, the rest not yet — what a crash between two of a
 * bulk call's chunks leaves). "During the claim" stops just before the first write, so the fault meets the
 * claim itself. "After the claim" stops at the dispatch's first read (its recipients' preferences), once the
 * dispatch runs and renews its lease, as it does while stopped anywhere else.
 */
export const boundaries = {
  'during the claim': { method: 'beginNotification', at: 'before' },
  'after the claim': { method: 'getPreferences', at: 'before' },
  'mid-items': { method: 'insertInboxItems', at: 'half-way' },
  'after items': { method: 'insertInboxItems', at: 'after' },
  'mid-deliveries': { method: 'createDeliveries', at: 'half-way' },
  'before the hand-over': { method: 'enqueue', at: 'before' },
  'mid-hand-over': { method: 'enqueue', at: 'half-way' },
  'after the hand-over': { method: 'markNotificationDispatched', at: 'before' },
} as const;

export type Boundary = keyof typeof boundaries;
export const boundaryNames = Object.keys(boundaries) as Boundary[];
export type InstrumentedMethod = (typeof boundaries)[Boundary]['method'];

/** The core's dispatch chunk: notify() plans, writes and hands over this many recipients at once. */
export const DISPATCH_CHUNK = 1_000;

/** How a stopped notification is completed: a retry with its idempotency key, or the outbox relay alone. */
export type Recovery = 'retry' | 'relay';

export interface LaneConfig {
  recovery: Recovery;
  /** The store's and the BullMQ runner's namespace for this lane. */
  namespace: string;
  /** Whether this process runs the outbox relay for the lane. */
  relay: boolean;
}

export interface HeraldProcessConfig {
  /** Recorded with every send and hand-over, so the parent sees which process did what. */
  role: string;
  /** The store's redis-server (the one the tests kill and stall). */
  redisUrl: string;
  /** A Redis the faults never touch, standing in for the providers: the channels record every send there. */
  providerUrl: string;
  /** Key prefix of this run's send and hand-over logs in the provider Redis. */
  runKey: string;
  runner: 'bullmq' | 'in-process';
  /** BullMQ runner: whether this process works on jobs (the in-process runner always does). */
  worker: boolean;
  lanes: LaneConfig[];
  /** RedisStore's `timeoutMs`. */
  storeTimeoutMs: number;
  /**
   * RedisStore's `timeoutMs` from `release` until `calm`: while the fault strikes. Outside that window the store
   * is patient, so a call slowed by load alone (fourteen fan-outs at once on two cores) never stops a notification
   * before its boundary, nor a retry after the fault.
   */
  faultTimeoutMs?: number;
  /** The dispatch lease, and how often the relay looks (when it runs here). */
  leaseMs: number;
  intervalMs: number;
  /** Notifications the relay takes per pass (default Herald's). */
  relayBatchSize?: number;
  /**
   * BullMQ workers' lock, with a stalled check every second (default: BullMQ's 30 s and 30 s). A job taken just as
   * Redis died is active with nobody holding it until its lock expires and a stalled check puts it back; short locks
   * make that seconds, but a job whose lock lapses under load is run twice.
   */
  workerLockMs?: number;
}

export interface NotifyRequest {
  recovery: Recovery;
  idempotencyKey: string;
  /** Recipients `<idempotencyKey>/<index>`. */
  recipients: number;
  /** Where to stop, first attempt only. */
  boundary?: Boundary;
  attempt: number;
}

export type NotifyOutcome =
  | { status: 'resolved'; id: string; resumed: boolean; deduplicated: boolean; deliveryCount: number }
  | {
      status: 'threw';
      code: string;
      message: string;
      /** What a host checks before retrying with the key: `DispatchIncompleteError.is(error)`. */
      isDispatchIncomplete: boolean;
      notificationId?: string;
    };

export type ToParent =
  | { type: 'ready' }
  | { type: 'paused'; idempotencyKey: string; boundary: Boundary; notificationId: string }
  | { type: 'outcome'; idempotencyKey: string; attempt: number; outcome: NotifyOutcome };

export type ToChild =
  | { type: 'notify'; requests: NotifyRequest[] }
  /** Every stopped notification goes on, and the store takes `faultTimeoutMs`. */
  | { type: 'release' }
  /** The fault is over: the store is patient again. */
  | { type: 'calm' }
  | { type: 'close' };

export function recipientsOf(idempotencyKey: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${idempotencyKey}/${index}`);
}

export function connectionFor(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

export function uniqueName(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Provider-side logs of a run: `<runKey>:sends:<kind>` lists of `<deliveryId> <role>`, and more. */
export const logKeys = {
  sends: (runKey: string, kind: string) => `${runKey}:sends:${kind}`,
  inAppCalls: (runKey: string) => `${runKey}:calls:inApp`,
  shown: (runKey: string, itemId: string) => `${runKey}:shown:${itemId}`,
  handed: (runKey: string) => `${runKey}:handed`,
  resumed: (runKey: string) => `${runKey}:resumed`,
};
