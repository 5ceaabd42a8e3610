// Writes one notification's dispatch in chunks of recipients: plan the chunk, store its inbox items and delivery
// records, announce what was decided, hand its deliveries to the runner. Memory and event-loop stalls stay bounded
// by the chunk, whatever the fan-out. A resumed dispatch writes the same ids again (the store keeps what it has)
// and hands over only what the store still holds as pending.

import { planDispatch } from './dispatch-plan';
import { DeliveryError } from './errors';
import type { EventBus } from './event-bus';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { NotificationCache } from './notification-cache';
import { mergeDeviceTokens, type ResolvedRecipients } from './recipients';
import type { SettledDelivery, Settlement } from './settlement';
import type { ChannelKind } from './spec/channel';
import type { DeliveryTask, Runner } from './spec/runner';
import type { DeliveryRecord, DeliveryStatus, Device, NotificationRecord, Preferences, Store } from './spec/store';
import { yieldToEventLoop } from './store-kit/chunks';

/** Recipients planned, written and handed over at once. */
export const DISPATCH_CHUNK = 1_000;

export interface DispatchWriterSettings {
  store: Store;
  runner: Pick<Runner, 'enqueue'>;
  runnerStarted: Promise<void>;
  hasRealtimeInApp: boolean;
  events: EventBus;
  settlement: Settlement | undefined;
  cache: NotificationCache | undefined;
  logger: Logger;
}

export interface DispatchWriter {
  writeAll(
    record: NotificationRecord,
    definition: AnyNotificationDefinition,
    resolved: ResolvedRecipients,
    resumed: boolean,
  ): Promise<void>;
}

const finalStatus: Record<DeliveryStatus, SettledDelivery['status'] | undefined> = {
  pending: undefined,
  sent: 'sent',
  delivered: 'sent',
  read: 'sent',
  queued: 'queued',
  skipped: 'skipped',
  failed: 'failed',
  cancelled: 'cancelled',
};

function settledFrom(record: DeliveryRecord, status: SettledDelivery['status']): SettledDelivery {
  return {
    deliveryId: record.id,
    recipientId: record.recipientId,
    kind: record.kind,
    status,
    ...(record.error ? { error: record.error } : {}),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
  };
}

export function createDispatchWriter(settings: DispatchWriterSettings): DispatchWriter {
  const { store, events, settlement } = settings;

  /** A record final from the start: its event, and its place in the notification's counts. */
  function announce(record: DeliveryRecord, guarded: boolean): void {
    if (record.status === 'skipped') events.emit('delivery.skipped', { delivery: record, reason: record.reason ?? '' });
    else if (record.status === 'sent') events.emit('delivery.sent', { delivery: record });
    else if (record.status === 'failed') {
      events.emit('delivery.failed', {
        delivery: record,
        error: new DeliveryError('INVALID_CONTENT', record.error?.message ?? ''),
      });
    }
    const status = finalStatus[record.status];
    if (status) settlement?.settle(record.notificationId, settledFrom(record, status), !guarded);
  }

  /**
   * After a resume the store's records win over the plan: what is final there is only counted; what is still
   * pending is handed over (a task) or decided now (a record the plan decides, e.g. a new opt-out).
   */
  async function reconcile(
    plan: { tasks: DeliveryTask[]; decided: DeliveryRecord[] },
    stored: Map<string, DeliveryRecord>,
  ): Promise<DeliveryTask[]> {
    const tasks: DeliveryTask[] = [];
    for (const task of plan.tasks) {
      const current = stored.get(task.deliveryId);
      if (!current || current.status === 'pending') tasks.push(task);
      else announceStored(current);
    }
    for (const decided of plan.decided) {
      const current = stored.get(decided.id);
      if (current && current.status !== 'pending') {
        announceStored(current);
        continue;
      }
      const updated = await store.updateDelivery(
        decided.id,
        {
          status: decided.status,
          attempts: decided.attempts,
          ...(decided.reason === undefined ? {} : { reason: decided.reason }),
          ...(decided.error === undefined ? {} : { error: decided.error }),
          ...(decided.channelId === undefined ? {} : { channelId: decided.channelId }),
        },
        ['pending'],
      );
      announce(updated ?? decided, true);
    }
    return tasks;
  }

  function announceStored(record: DeliveryRecord): void {
    const status = finalStatus[record.status];
    if (status) settlement?.settle(record.notificationId, settledFrom(record, status));
  }

  async function writeChunk(
    record: NotificationRecord,
    definition: AnyNotificationDefinition,
    resolved: ResolvedRecipients,
    firstIndex: number,
    resumed: boolean,
  ): Promise<void> {
    const chunk = resolved.recipients.slice(firstIndex, firstIndex + DISPATCH_CHUNK);
    const ids = chunk.map((recipient) => recipient.id);
    const [devices, preferences] = await Promise.all([
      record.kinds.includes('push' as ChannelKind) ? store.listDevices(ids) : new Map<string, Device[]>(),
      definition.critical ? new Map<string, Preferences>() : store.getPreferences(ids),
    ]);
    const plan = planDispatch({
      notificationId: record.id,
      definition,
      payload: record.payload,
      actorId: record.actorId,
      kinds: record.kinds,
      createdAt: record.createdAt,
      scheduledFor: record.scheduledFor,
      recipients: mergeDeviceTokens(chunk, devices),
      firstIndex,
      preferences,
      unknown: resolved.unknown,
      hasRealtimeInApp: settings.hasRealtimeInApp,
      logger: settings.logger,
    });
    const items = plan.items.length > 0 ? await store.insertInboxItems(plan.items) : [];
    // Realtime inApp channels send the stored item: remember it so the delivery need not read it back.
    if (settings.hasRealtimeInApp) settings.cache?.rememberItems(items);
    await store.createDeliveries(plan.records);
    if (items.length > 0) events.emit('inbox.created', { items });
    let tasks = plan.tasks;
    if (resumed) {
      const stored = new Map<string, DeliveryRecord>();
      for (const found of await store.getDeliveries(plan.records.map((planned) => planned.id))) {
        stored.set(found.id, found);
      }
      tasks = await reconcile(plan, stored);
    } else {
      for (const decided of plan.decided) announce(decided, false);
    }
    if (tasks.length > 0) {
      await settings.runnerStarted;
      const runAt = record.scheduledFor === undefined ? undefined : Date.parse(record.scheduledFor);
      await settings.runner.enqueue(tasks, runAt === undefined ? {} : { runAt });
    }
  }

  return {
    async writeAll(record, definition, resolved, resumed) {
      for (let first = 0; first < resolved.recipients.length; first += DISPATCH_CHUNK) {
        // Every chunk, the first included: a host calling notify in a tight loop on a store that answers at once
        // (MemoryStore) still lets timers, I/O and the runner's deliveries run between its calls.
        await yieldToEventLoop();
        await writeChunk(record, definition, resolved, first, resumed);
      }
    },
  };
}
