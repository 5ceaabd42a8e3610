// Steps 2–7 of the flow, resumable. A notification is an outbox entry from its first write (`beginNotification`:
// the record and its idempotency key, atomically). Its dispatch then writes inbox items and delivery records in
// chunks of recipients and hands each chunk to the runner; every write is idempotent and every id deterministic,
// so a dispatch that stopped anywhere — a crash, a store fault, a timeout whose write applied anyway — is
// completed by running it again: by a retry with the same idempotency key, or by the outbox relay once its lease
// has passed. Only then is the notification marked dispatched.

import type { Clock, TimerHandle } from './clock';
import { createDispatchWriter } from './dispatch-writer';
import { DispatchIncompleteError } from './errors';
import type { EventBus } from './event-bus';
import type { DeliveryReport, NotifyOptions, NotifyResult, ResolveRecipients } from './herald-types';
import { createNotificationId } from './ids';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { NotificationCache } from './notification-cache';
import type { NotificationCatalog } from './notification-catalog';
import { validateNotifyRequest } from './notify-request';
import { collectRecipients, resolveRecipients } from './recipients';
import type { Settlement } from './settlement';
import type { ChannelKind } from './spec/channel';
import type { Runner } from './spec/runner';
import type { NotificationRecord, Store } from './spec/store';
import type { ThrottleBudget } from './timing/timing-decisions';
import { notifyInTransaction } from './transactional-notify';

const SETTLED_POLL_MS = 1_000;

export interface DispatcherSettings {
  store: Store;
  runner: Runner;
  /** Resolves once the runner has started. */
  runnerStarted: Promise<void>;
  registeredKinds: ReadonlySet<ChannelKind>;
  hasRealtimeInApp: boolean;
  catalog: NotificationCatalog;
  resolveRecipients: ResolveRecipients | undefined;
  events: EventBus;
  /** Present when the runner reports outcomes to this process. */
  settlement: Settlement | undefined;
  /** Present when deliveries run in this process. */
  cache: NotificationCache | undefined;
  /** The final counts read from the store, for notifications this process does not track. */
  report(notificationId: string): Promise<DeliveryReport>;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  idempotencyTtlMs: number;
  /** A throttle across every type (settings), on top of each definition's own. */
  throttleBudget: ThrottleBudget | undefined;
}

export interface Dispatcher {
  notify(
    definition: AnyNotificationDefinition,
    options: NotifyOptions<AnyNotificationDefinition>,
  ): Promise<NotifyResult>;
  /** Completes a notification that is still dispatching; the outbox relay's entry point. */
  resume(record: NotificationRecord): Promise<void>;
}

interface Dispatched {
  recipients: string[];
  unknown: string[];
  deliveryCount: number;
  settled: Promise<DeliveryReport> | undefined;
}

export function createDispatcher(settings: DispatcherSettings): Dispatcher {
  const { store, clock, logger, events } = settings;
  const writer = createDispatchWriter(settings);
  /** Dispatches running in this process, by notification id: a second one for the same id joins the first. */
  const running = new Map<string, Promise<Dispatched>>();
  let warnedNoResolver = false;

  const leaseUntil = (): string => new Date(clock.now() + settings.leaseMs).toISOString();

  /** Renews a notification's lease every third of it until stopped. */
  function keepLease(notificationId: string): { stop(): void } {
    let handle: TimerHandle | undefined;
    const renew = (): void => {
      store.renewNotificationLease(notificationId, leaseUntil()).catch((error: unknown) => {
        logger.warn('herald: could not renew a dispatch lease', { notificationId, error });
      });
      handle = clock.setTimeout(renew, settings.leaseMs / 3);
    };
    handle = clock.setTimeout(renew, settings.leaseMs / 3);
    return {
      stop() {
        if (handle !== undefined) clock.clearTimeout(handle);
        handle = undefined;
      },
    };
  }

  function dispatch(record: NotificationRecord, resumed: boolean): Promise<Dispatched> {
    const current = running.get(record.id);
    if (current) return current;
    const promise = runDispatch(record, resumed).finally(() => running.delete(record.id));
    running.set(record.id, promise);
    return promise;
  }

  async function runDispatch(record: NotificationRecord, resumed: boolean): Promise<Dispatched> {
    const definition = settings.catalog.get(record.type);
    if (!definition) {
      throw new DispatchIncompleteError(
        record.id,
        `no definition for notification type "${record.type}" in this process: pass it in createHerald({ notifications })`,
      );
    }
    // A long dispatch keeps its lease, so relays elsewhere leave it alone while it makes progress.
    const lease = keepLease(record.id);
    let settled: Promise<DeliveryReport> | undefined;
    try {
      const resolved = await resolveRecipients(record.recipients, settings.resolveRecipients);
      if (!settings.resolveRecipients && !warnedNoResolver && record.kinds.some((kind) => kind !== 'inApp')) {
        warnedNoResolver = true;
        logger.warn(
          'herald: no resolveRecipients is set, so recipients given by id carry no address; channels skip them. ' +
            'Pass resolveRecipients to createHerald, or recipient objects in `to`.',
        );
      }
      if (resolved.unknown.size > 0) {
        logger.warn('herald: recipients unknown to resolveRecipients get nothing', {
          notificationId: record.id,
          unknown: [...resolved.unknown].slice(0, 20),
          count: resolved.unknown.size,
        });
      }
      const recipientIds = resolved.recipients.map((recipient) => recipient.id);
      const deliveryCount = recipientIds.length * record.kinds.length;
      settled = settings.settlement?.track(record.id, deliveryCount);
      settings.cache?.rememberContext(record.id, {
        type: record.type,
        payload: record.payload,
        actorId: record.actorId,
      });
      if (resumed) events.emit('notification.resumed', { notificationId: record.id, type: record.type });
      await writer.writeAll(record, definition, resolved, resumed);
      await store.markNotificationDispatched(record.id);
      events.emit('notification.dispatched', { notificationId: record.id, type: record.type, deliveryCount });
      return { recipients: recipientIds, unknown: [...resolved.unknown], deliveryCount, settled };
    } catch (error) {
      // The caller never sees this dispatch's `settled`: stop tracking it; a resumed dispatch tracks anew.
      settings.settlement?.forget(record.id);
      if (error instanceof DispatchIncompleteError) throw error;
      throw new DispatchIncompleteError(record.id, error);
    } finally {
      lease.stop();
    }
  }

  /** The counts from the store once no delivery is pending, read every second: for what this process does not track. */
  function settledFromStore(notificationId: string): Promise<DeliveryReport> {
    return new Promise((resolve) => {
      const poll = (): void => {
        settings.report(notificationId).then(
          (report) => {
            const final = report.sent + report.queued + report.skipped + report.failed + report.cancelled;
            if (final >= report.total) resolve(report);
            else clock.setTimeout(poll, SETTLED_POLL_MS);
          },
          (error: unknown) => {
            logger.warn('herald: could not read a notification report; trying again', { notificationId, error });
            clock.setTimeout(poll, SETTLED_POLL_MS);
          },
        );
      };
      poll();
    });
  }

  function settledOf(
    notificationId: string,
    tracked: Promise<DeliveryReport> | undefined,
  ): () => Promise<DeliveryReport> {
    let promise: Promise<DeliveryReport> | undefined;
    return () => {
      promise ??= tracked ?? settings.settlement?.pending(notificationId) ?? settledFromStore(notificationId);
      return promise;
    };
  }

  function result(
    record: NotificationRecord,
    outcome: Dispatched,
    extra: { deduplicated: boolean; resumed: boolean; excluded: NotifyResult['excluded'] },
  ): NotifyResult {
    const settled = settledOf(record.id, outcome.settled);
    return {
      id: record.id,
      deduplicated: extra.deduplicated,
      resumed: extra.resumed,
      recipients: outcome.recipients,
      excluded: extra.excluded,
      unknown: outcome.unknown,
      deliveryCount: extra.deduplicated ? 0 : outcome.deliveryCount,
      ...(record.scheduledFor === undefined ? {} : { scheduledFor: record.scheduledFor }),
      get settled() {
        return settled();
      },
    };
  }

  /** A notify whose idempotency key was held: the holder's notification, completed if it was not. */
  async function existing(record: NotificationRecord, key: string): Promise<NotifyResult> {
    const joined = running.get(record.id);
    if (record.status === 'dispatched' || joined) {
      const outcome = joined ? await joined : undefined;
      events.emit('notification.deduplicated', { notificationId: record.id, type: record.type, idempotencyKey: key });
      return result(
        record,
        outcome ?? {
          recipients: record.recipients.map((recipient) => recipient.id),
          unknown: [],
          deliveryCount: 0,
          settled: undefined,
        },
        { deduplicated: true, resumed: false, excluded: [] },
      );
    }
    const outcome = await dispatch(record, true);
    return result(record, outcome, { deduplicated: false, resumed: true, excluded: [] });
  }

  return {
    async notify(definition, options) {
      const now = clock.now();
      const request = await validateNotifyRequest(definition, options, {
        registeredKinds: settings.registeredKinds,
        now,
      });
      settings.catalog.register(request.definition);
      const { recipients, excluded } = collectRecipients(
        request.inputs,
        request.notifyActor ? undefined : request.actorId,
      );
      const record: NotificationRecord = {
        id: createNotificationId(now),
        type: request.definition.type,
        payload: request.payload,
        recipients,
        kinds: [...request.kinds],
        createdAt: new Date(now).toISOString(),
        status: 'dispatching',
        ...(request.actorId === undefined ? {} : { actorId: request.actorId }),
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
        ...(request.scheduledFor === undefined ? {} : { scheduledFor: new Date(request.scheduledFor).toISOString() }),
      };
      if (options.transaction !== undefined) {
        // Written in the host's transaction and handed over by the outbox relay after its commit.
        const written = await notifyInTransaction(settings, {
          record,
          definition: request.definition,
          transaction: options.transaction,
        });
        const outcome = { ...written, settled: undefined };
        return result(written.record, outcome, {
          deduplicated: written.deduplicated,
          resumed: false,
          excluded: written.deduplicated ? [] : excluded,
        });
      }
      const key = request.idempotencyKey;
      let begun = await store.beginNotification(record, {
        leaseUntil: leaseUntil(),
        ...(key === undefined ? {} : { idempotencyKey: { key, ttlMs: settings.idempotencyTtlMs } }),
      });
      if (!begun.created && begun.existing === undefined) {
        // The key is held but its record was never written (a dispatch stopped between the two on a store that
        // cannot write both at once): this call writes the record under the held id.
        const heldId = begun.notificationId;
        begun = await store.beginNotification({ ...record, id: heldId }, { leaseUntil: leaseUntil() });
        if (begun.created) record.id = heldId;
      }
      if (!begun.created) {
        if (!begun.existing) throw new DispatchIncompleteError(begun.notificationId, 'its record could not be read');
        return existing(begun.existing, key as string);
      }
      events.emit('notification.created', {
        notificationId: record.id,
        type: record.type,
        recipientIds: recipients.map((recipient) => recipient.id),
        excluded,
        deliveryCount: recipients.length * record.kinds.length,
        ...(record.scheduledFor === undefined ? {} : { scheduledFor: record.scheduledFor }),
      });
      const outcome = await dispatch(record, false);
      return result(record, outcome, { deduplicated: false, resumed: false, excluded });
    },

    async resume(record) {
      await dispatch(record, true);
    },
  };
}
