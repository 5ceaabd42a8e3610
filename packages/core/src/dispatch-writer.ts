// Writes one notification's dispatch in chunks of recipients: plan the chunk, store its inbox items and delivery
// records, announce what was decided, hand its deliveries to the runner. Memory and event-loop stalls stay bounded
// by the chunk, whatever the fan-out. A resumed dispatch writes the same ids again (the store keeps what it has)
// and hands over only what the store still holds as pending.

import type { Clock } from './clock';
import { type DigestPlacement, type PlannedTask, planDispatch } from './dispatch-plan';
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
import { expediteDigest } from './timing/digests';
import { type ChunkContext, decideThrottles, joinChunkDigests, type ThrottleBudget } from './timing/timing-decisions';

/** Recipients planned, written and handed over at once. */
export const DISPATCH_CHUNK = 1_000;

export interface DispatchWriterSettings {
  store: Store;
  clock: Clock;
  /** A throttle across every type (settings), on top of each definition's own. */
  throttleBudget: ThrottleBudget | undefined;
  /** Enqueues the chunk's tasks; reschedules a digest's closing delivery when the digest filled up. */
  runner: Pick<Runner, 'enqueue' | 'reschedule'>;
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
    ...(record.reasonCode === undefined ? {} : { reasonCode: record.reasonCode }),
  };
}

export function createDispatchWriter(settings: DispatchWriterSettings): DispatchWriter {
  const { store, events, settlement } = settings;

  /** A record final from the start: its event, and its place in the notification's counts. */
  function announce(record: DeliveryRecord, guarded: boolean): void {
    if (record.status === 'skipped') {
      events.emit('delivery.skipped', {
        delivery: record,
        reason: record.reason ?? '',
        code: record.reasonCode ?? 'channel',
      });
    } else if (record.status === 'sent') events.emit('delivery.sent', { delivery: record });
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
    plan: { tasks: PlannedTask[]; decided: DeliveryRecord[] },
    stored: Map<string, DeliveryRecord>,
  ): Promise<PlannedTask[]> {
    const tasks: PlannedTask[] = [];
    for (const planned of plan.tasks) {
      const current = stored.get(planned.task.deliveryId);
      if (!current || current.status === 'pending') tasks.push(planned);
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
          ...(decided.reasonCode === undefined ? {} : { reasonCode: decided.reasonCode }),
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
    const recipients = mergeDeviceTokens(chunk, devices);
    const now = settings.clock.now();
    const timing: ChunkContext = {
      store,
      definition,
      notificationId: record.id,
      payload: record.payload,
      actorId: record.actorId,
      createdAt: record.createdAt,
      kinds: record.kinds,
      recipients,
      firstIndex,
      preferences,
      unknown: resolved.unknown,
      now,
    };
    const [throttled, digests] = await Promise.all([
      decideThrottles(timing, settings.throttleBudget),
      joinChunkDigests(timing),
    ]);
    const plan = planDispatch({
      ...timing,
      dueAt: record.scheduledFor === undefined ? now : Date.parse(record.scheduledFor),
      throttled,
      digests,
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
    await handOver(tasks);
    await expediteFullDigests(digests, definition);
  }

  /** Tasks to the runner, one call per due time (most share one: now, or the notification's time). */
  async function handOver(tasks: readonly PlannedTask[]): Promise<void> {
    if (tasks.length === 0) return;
    await settings.runnerStarted;
    const byDueTime = new Map<number | undefined, DeliveryTask[]>();
    for (const { task, runAt } of tasks) {
      const group = byDueTime.get(runAt);
      if (group) group.push(task);
      else byDueTime.set(runAt, [task]);
    }
    for (const [runAt, group] of byDueTime) await settings.runner.enqueue(group, runAt === undefined ? {} : { runAt });
  }

  /** A digest that reached `maxEvents` closes at once. */
  async function expediteFullDigests(
    digests: ReadonlyMap<number, DigestPlacement>,
    definition: AnyNotificationDefinition,
  ): Promise<void> {
    const maxEvents = definition.digest?.maxEvents;
    if (maxEvents === undefined) return;
    for (const { result, recipientId } of digests.values()) {
      if (result.count < maxEvents) continue;
      await expediteDigest(
        store,
        settings.runner,
        { recipientId, digestId: result.digestId },
        definition,
        settings.clock.now(),
      );
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
