// notify(def, { transaction }): the dispatch of a notification written inside the host's own transaction, through a
// store bound to it (`store.inTransaction(tx)`). It writes what a dispatch writes — the notification (due at once),
// its inbox items and delivery records — and stops before the hand-over: no event, no runner, no lease renewal.
// The notification stays in the outbox; when the transaction commits it becomes visible, the store wakes the
// relays (`watchOutbox`) and one of them hands the deliveries over as it does for any stopped dispatch. When the
// transaction rolls back, nothing was ever there.

import type { Clock } from './clock';
import { createDispatchWriter, type DispatchWriterSettings } from './dispatch-writer';
import { ConfigurationError } from './errors';
import type { EventBus } from './event-bus';
import type { ResolveRecipients } from './herald-types';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import { resolveRecipients } from './recipients';
import type { NotificationRecord, Store } from './spec/store';
import type { ThrottleBudget } from './timing/timing-decisions';

/** What a transactional notify reports back: the shape the dispatcher turns into a NotifyResult. */
export interface TransactionalOutcome {
  record: NotificationRecord;
  recipients: string[];
  unknown: string[];
  deliveryCount: number;
  deduplicated: boolean;
}

export interface TransactionalNotifySettings {
  store: Store;
  resolveRecipients: ResolveRecipients | undefined;
  hasRealtimeInApp: boolean;
  logger: Logger;
  idempotencyTtlMs: number;
  clock: Clock;
  /** A throttle across every type (settings), on top of each definition's own. */
  throttleBudget: ThrottleBudget | undefined;
}

/** Events of the writes inside the transaction are not emitted: they may never commit. */
const unheard: EventBus = {
  emit() {},
  has: () => false,
  on() {},
  off() {},
  once() {},
  clear() {},
};

/**
 * The hand-over the transaction must not make: the relay makes it after the commit. A digest that fills up in the
 * transaction is expedited in the store (in the transaction); its closing delivery is rescheduled by nobody here and
 * is handed over, due at once, when the relay resumes the notification.
 */
const noHandOver: DispatchWriterSettings['runner'] = { enqueue: async () => {}, reschedule: async () => [] };

/** The store bound to the host's transaction, or a ConfigurationError naming what to use instead. */
export function bindToTransaction(store: Store, transaction: unknown): Store {
  if (typeof store.inTransaction !== 'function') {
    throw new ConfigurationError(
      'notify({ transaction }) needs a store that can join a transaction (one with inTransaction, such as PostgresStore from @herald/postgres); this store cannot.',
    );
  }
  return (store.inTransaction as (transaction: unknown) => Store).call(store, transaction);
}

export async function notifyInTransaction(
  settings: TransactionalNotifySettings,
  request: { record: NotificationRecord; definition: AnyNotificationDefinition; transaction: unknown },
): Promise<TransactionalOutcome> {
  const { record, definition } = request;
  const store = bindToTransaction(settings.store, request.transaction);
  const key = record.idempotencyKey;
  // Leased until just before now: due for the first relay pass after the commit.
  const begun = await store.beginNotification(record, {
    leaseUntil: new Date(settings.clock.now() - 1).toISOString(),
    ...(key === undefined ? {} : { idempotencyKey: { key, ttlMs: settings.idempotencyTtlMs } }),
  });
  if (!begun.created) {
    // The key is held by a committed notification (or one begun earlier in this transaction): this call writes
    // nothing, and the holder is completed by its own dispatch or by the relay.
    const holder = begun.existing;
    return {
      record: holder ?? { ...record, id: begun.notificationId },
      recipients: (holder ?? record).recipients.map((recipient) => recipient.id),
      unknown: [],
      deliveryCount: 0,
      deduplicated: true,
    };
  }
  const resolved = await resolveRecipients(record.recipients, settings.resolveRecipients);
  const writer = createDispatchWriter({
    store,
    clock: settings.clock,
    throttleBudget: settings.throttleBudget,
    runner: noHandOver,
    runnerStarted: Promise.resolve(),
    hasRealtimeInApp: settings.hasRealtimeInApp,
    events: unheard,
    settlement: undefined,
    cache: undefined,
    logger: settings.logger,
  });
  await writer.writeAll(record, definition, resolved, false);
  const recipients = resolved.recipients.map((recipient) => recipient.id);
  return {
    record,
    recipients,
    unknown: [...resolved.unknown],
    deliveryCount: recipients.length * record.kinds.length,
    deduplicated: false,
  };
}
