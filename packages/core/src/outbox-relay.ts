// The outbox relay: completes notifications whose dispatch stopped part-way (the process died, the store failed
// mid-notify) when nobody retries them. Every process with Herald runs one. Each pass takes the notifications
// whose lease has ended — atomically, so relays of several processes never take the same one — and resumes them.
// Worst case, a stopped dispatch is completed `leaseMs + intervalMs` after its last lease renewal. A store that
// watches its outbox (`watchOutbox`) wakes a pass at once when a notification written in a transaction commits.

import type { Clock, TimerHandle } from './clock';
import type { Logger } from './logger';
import type { NotificationRecord, Store } from './spec/store';

export interface OutboxRelaySettings {
  /** How long a dispatch holds its notification before a relay may take it over (default 30,000 ms). */
  leaseMs?: number;
  /** How often this process looks for notifications to take over (default 10,000 ms). */
  intervalMs?: number;
  /** Notifications taken per pass (default 100); a full pass is followed by another at once. */
  batchSize?: number;
}

export interface OutboxRelay {
  /** One pass now; resolves with how many notifications it completed. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_BATCH_SIZE = 100;

export function createOutboxRelay(
  settings: OutboxRelaySettings,
  context: {
    store: Store;
    clock: Clock;
    logger: Logger;
    resume(record: NotificationRecord): Promise<void>;
  },
): OutboxRelay {
  const leaseMs = settings.leaseMs ?? DEFAULT_LEASE_MS;
  const intervalMs = settings.intervalMs ?? DEFAULT_INTERVAL_MS;
  const batchSize = Math.min(1_000, Math.max(1, Math.floor(settings.batchSize ?? DEFAULT_BATCH_SIZE)));
  const { store, clock, logger } = context;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let pass: Promise<number> | undefined;
  /** A wake-up came during a pass: what woke it may have committed after that pass looked. */
  let passAgain = false;

  async function takeOver(): Promise<number> {
    let completed = 0;
    for (;;) {
      const now = clock.now();
      const leased = await store.leaseNotifications({
        now: new Date(now).toISOString(),
        leaseUntil: new Date(now + leaseMs).toISOString(),
        limit: batchSize,
      });
      for (const record of leased) {
        if (stopped) return completed;
        try {
          await context.resume(record);
          completed += 1;
        } catch (error) {
          // Its lease runs out again and a later pass (here or elsewhere) retries it.
          logger.warn('herald: the outbox relay could not complete a notification yet', {
            notificationId: record.id,
            error,
          });
        }
      }
      if (leased.length < batchSize || stopped) return completed;
    }
  }

  function runOnce(): Promise<number> {
    pass ??= takeOver().finally(() => {
      pass = undefined;
      if (passAgain && !stopped) {
        passAgain = false;
        wake();
      }
    });
    return pass;
  }

  /** A store that can tell when notifications fell due (a transaction that began one committed) wakes a pass. */
  function wake(): void {
    if (stopped) return;
    if (pass) {
      passAgain = true;
      return;
    }
    runOnce().catch((error: unknown) => logger.warn('herald: an outbox relay pass failed', { error }));
  }
  const unwatch = store.watchOutbox?.(wake);

  function schedule(): void {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      runOnce()
        .catch((error: unknown) => logger.warn('herald: an outbox relay pass failed', { error }))
        .finally(schedule);
    }, intervalMs);
  }
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      unwatch?.();
      if (timer !== undefined) clock.clearTimeout(timer);
      await pass?.catch(() => undefined);
    },
  };
}
