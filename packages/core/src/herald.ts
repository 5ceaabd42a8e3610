// createHerald: the dispatcher. Validates, dedupes, resolves recipients, applies preferences, persists,
// and hands deliveries to the runner (DESIGN.md, "The flow of one notification").

import EventEmitter from 'eventemitter3';
import { systemClock } from './clock';
import { createDeliveryExecutor, type NotificationContext } from './delivery-executor';
import { ConfigurationError, DeliveryError, HeraldError, ValidationError } from './errors';
import type { HeraldEvents } from './events';
import type {
  CancelResult,
  DeliveriesApi,
  DeliveryReport,
  DevicesApi,
  Herald,
  HeraldSettings,
  InboxApi,
  NotifyOptions,
  NotifyResult,
  PreferencesApi,
  PreferencesUpdate,
} from './herald-types';
import { createNotificationId, deliveryId as makeDeliveryId, inboxItemId as makeInboxItemId } from './ids';
import { createInProcessRunner } from './in-process-runner';
import { silentLogger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { Recipient } from './recipient';
import { mergeDeviceTokens, normaliseRecipients, validateRecipientInputs } from './recipients';
import { createRetryPolicy } from './retry-policy';
import { reportFromRecords, Settlement } from './settlement';
import { type AnyChannel, type ChannelKind, type InAppContent, SUPPORTED_CHANNEL_SPECIFICATIONS } from './spec/channel';
import { type DeliveryTask, type Runner, SUPPORTED_RUNNER_SPECIFICATIONS, type TaskOutcome } from './spec/runner';
import {
  type DeliveryRecord,
  type DeliveryStatus,
  type InboxItem,
  type NewInboxItem,
  type Preferences,
  type Store,
  SUPPORTED_STORE_SPECIFICATIONS,
} from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';
import { assertIdList, assertNonEmptyString, zodIssues } from './validation';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOTIFICATION_CACHE_LIMIT = 10_000;

/** Receipts move a record forward only: each status lists the states it may come from. */
const receiptTransitions: Record<'sent' | 'delivered' | 'read' | 'failed', readonly DeliveryStatus[]> = {
  sent: ['pending', 'queued'],
  delivered: ['pending', 'queued', 'sent'],
  read: ['pending', 'queued', 'sent', 'delivered'],
  failed: ['pending', 'queued', 'sent'],
};

function checkChannel(channel: AnyChannel, index: number): void {
  if (typeof channel !== 'object' || channel === null || typeof channel.send !== 'function') {
    throw new ConfigurationError(`channels[${index}] is not a channel: it needs kind, id and send().`);
  }
  if (!(SUPPORTED_CHANNEL_SPECIFICATIONS as readonly string[]).includes(channel.specificationVersion)) {
    throw new ConfigurationError(
      `Channel "${String(channel.id)}" implements specification ${JSON.stringify(channel.specificationVersion)}, ` +
        `which this version of @herald/core does not support. Supported: ${SUPPORTED_CHANNEL_SPECIFICATIONS.join(', ')}.`,
    );
  }
  if (
    typeof channel.kind !== 'string' ||
    channel.kind.length === 0 ||
    typeof channel.id !== 'string' ||
    channel.id.length === 0
  ) {
    throw new ConfigurationError(`channels[${index}] needs a non-empty string kind and id.`);
  }
}

function checkStore(store: Store | undefined): asserts store is Store {
  if (!store || typeof store.insertInboxItems !== 'function') {
    throw new ConfigurationError(
      'createHerald needs a store: pass new MemoryStore() from @herald/storage, or a RedisStore.',
    );
  }
  if (!(SUPPORTED_STORE_SPECIFICATIONS as readonly string[]).includes(store.specificationVersion)) {
    throw new ConfigurationError(
      `The store implements specification ${JSON.stringify(store.specificationVersion)}; supported: ${SUPPORTED_STORE_SPECIFICATIONS.join(', ')}.`,
    );
  }
}

function checkRunner(runner: Runner): void {
  if (typeof runner !== 'object' || runner === null || typeof runner.enqueue !== 'function') {
    throw new ConfigurationError('runner is not a Runner: it needs start(), enqueue(), cancel() and close().');
  }
  if (!(SUPPORTED_RUNNER_SPECIFICATIONS as readonly string[]).includes(runner.specificationVersion)) {
    throw new ConfigurationError(
      `Runner "${String(runner.id)}" implements specification ${JSON.stringify(runner.specificationVersion)}, ` +
        `which this version of @herald/core does not support. Supported: ${SUPPORTED_RUNNER_SPECIFICATIONS.join(', ')}.`,
    );
  }
}

function optedOut(preferences: Preferences | undefined, type: string, kind: ChannelKind): boolean {
  if (!preferences) return false;
  const typeChoice = preferences.types[type]?.[kind];
  if (typeChoice !== undefined) return !typeChoice;
  return preferences.channels[kind] === false;
}

function scheduledTime(options: NotifyOptions<AnyNotificationDefinition>, now: number): number | undefined {
  const issues: { path: string; message: string }[] = [];
  let at: number | undefined;
  if (options.at !== undefined) {
    at = options.at instanceof Date ? options.at.getTime() : options.at;
    if (typeof at !== 'number' || !Number.isFinite(at))
      issues.push({ path: 'at', message: 'Expected a valid Date or epoch milliseconds' });
  }
  if (options.delayMs !== undefined) {
    if (typeof options.delayMs !== 'number' || !Number.isFinite(options.delayMs) || options.delayMs < 0) {
      issues.push({ path: 'delayMs', message: 'Expected a number of milliseconds ≥ 0' });
    } else if (at !== undefined) {
      issues.push({ path: 'delayMs', message: 'Give either delayMs or at, not both' });
    } else at = now + options.delayMs;
  }
  if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid notify options' });
  return at !== undefined && at > now ? at : undefined;
}

export function createHerald(settings: HeraldSettings): Herald {
  checkStore(settings.store);
  const store = settings.store;
  const clock = settings.clock ?? systemClock;
  const logger = settings.logger ?? silentLogger;
  const retry = createRetryPolicy(settings.retry);
  const idempotencyTtlMs = settings.idempotencyTtlMs ?? DAY_MS;
  const emitter = new EventEmitter();
  const emit = <E extends keyof HeraldEvents>(event: E, payload: HeraldEvents[E]): void => {
    try {
      emitter.emit(event, payload);
    } catch (error) {
      // A throwing listener is the host's bug; it must not break delivery.
      logger.error('herald: an event listener threw', { event, error });
    }
  };
  const nowIso = (): string => new Date(clock.now()).toISOString();

  const channelsByKind = new Map<ChannelKind, AnyChannel[]>();
  (settings.channels ?? []).forEach((channel, index) => {
    checkChannel(channel, index);
    const list = channelsByKind.get(channel.kind) ?? [];
    list.push(channel);
    channelsByKind.set(channel.kind, list);
  });

  const catalog = new Map<string, AnyNotificationDefinition>();
  const register = (definition: AnyNotificationDefinition): void => {
    const existing = catalog.get(definition.type);
    if (existing && existing !== definition) {
      throw new ConfigurationError(
        `Two different definitions use the notification type "${definition.type}"; types must be unique.`,
      );
    }
    catalog.set(definition.type, definition);
  };
  for (const definition of settings.notifications ?? []) register(definition);

  const contexts = new Map<string, NotificationContext>();
  const settlement = new Settlement((notificationId) => contexts.delete(notificationId));

  const removeDevice = async (token: string): Promise<void> => {
    const device = await store.removeDevice(token);
    if (device) {
      emit('device.removed', { device, reason: 'invalid-token' });
      logger.info('herald: removed a dead push token', { userId: device.userId, platform: device.platform });
    }
  };

  const executor = createDeliveryExecutor({
    store,
    channelsByKind,
    catalog,
    retry,
    clock,
    logger,
    emit,
    removeDevice,
    now: nowIso,
    async loadNotification(notificationId) {
      const cached = contexts.get(notificationId);
      if (cached) return cached;
      const record = await store.getNotification(notificationId);
      if (!record) return undefined;
      const context: NotificationContext = { type: record.type, payload: record.payload, actorId: record.actorId };
      // Bounded: a long-running worker must not keep every notification it ever saw.
      if (contexts.size >= NOTIFICATION_CACHE_LIMIT) {
        const oldest = contexts.keys().next().value;
        if (oldest !== undefined) contexts.delete(oldest);
      }
      contexts.set(notificationId, context);
      return context;
    },
  });

  if (settings.runner !== undefined) checkRunner(settings.runner);
  const runner = settings.runner ?? createInProcessRunner({ concurrency: settings.concurrency ?? 64, clock, logger });
  let closed = false;
  let closing: Promise<void> | undefined;

  const settleTask = (task: DeliveryTask, outcome: Extract<TaskOutcome, { final: true }>): void => {
    settlement.settle(task.notificationId, {
      deliveryId: task.deliveryId,
      recipientId: task.recipient.id,
      kind: task.kind,
      status: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    });
  };
  const started = runner.start(executor, { onSettled: settleTask });

  async function report(notificationId: string): Promise<DeliveryReport> {
    const records: DeliveryRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeliveries({ notificationId, limit: 100, ...(cursor ? { cursor } : {}) });
      records.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    return reportFromRecords(notificationId, records);
  }

  async function notify<D extends AnyNotificationDefinition>(
    definition: D,
    options: NotifyOptions<D>,
  ): Promise<NotifyResult> {
    if (closed) throw new HeraldError('CLOSED', 'Herald is closed: notify() was called after close().');
    if (!definition || typeof definition !== 'object' || typeof definition.schema?.safeParseAsync !== 'function') {
      throw new ConfigurationError('notify() needs a definition made with defineNotification().');
    }
    if (!options || typeof options !== 'object') {
      throw new ValidationError([{ path: '', message: 'Expected notify options { to, payload }' }], {
        prefix: 'Invalid notify options',
      });
    }
    const inputs = validateRecipientInputs(options.to, options.actor);
    const parsed = await definition.schema.safeParseAsync(options.payload);
    if (!parsed.success) {
      throw new ValidationError(zodIssues('payload', parsed.error), {
        prefix: `Invalid payload for "${definition.type}"`,
      });
    }
    const payload: unknown = parsed.data;

    let kinds = definition.kinds;
    if (options.channels !== undefined) {
      const requested = options.channels;
      const unknown = Array.isArray(requested)
        ? requested.filter((kind) => !definition.kinds.includes(kind))
        : ['(not an array)'];
      if (unknown.length > 0) {
        throw new ValidationError(
          unknown.map((kind) => ({
            path: 'channels',
            message: `"${kind}" is not a channel kind of "${definition.type}" (it has: ${definition.kinds.join(', ')})`,
          })),
          { prefix: 'Invalid notify options' },
        );
      }
      kinds = definition.kinds.filter((kind) => requested.includes(kind));
    }
    for (const kind of kinds) {
      if (kind !== 'inApp' && !channelsByKind.has(kind)) {
        throw new ConfigurationError(
          `Notification "${definition.type}" has content for channel kind "${kind}", but no channel of that kind is registered ` +
            `(registered: ${['inApp', ...channelsByKind.keys()].filter((k, i, all) => all.indexOf(k) === i).join(', ')}). ` +
            'Register one in createHerald({ channels }) or limit this call with { channels: [...] }.',
        );
      }
    }
    const now = clock.now();
    const scheduledFor = scheduledTime(options as NotifyOptions<AnyNotificationDefinition>, now);
    if (options.idempotencyKey !== undefined) assertNonEmptyString(options.idempotencyKey, 'idempotencyKey');
    register(definition);

    const notificationId = createNotificationId(now);
    const key = options.idempotencyKey;
    if (key !== undefined) {
      const claim = await store.claimIdempotencyKey(key, notificationId, idempotencyTtlMs);
      if (!claim.claimed) return deduplicated(definition.type, key, claim.notificationId);
    }

    const actorId =
      options.actor === undefined ? undefined : typeof options.actor === 'string' ? options.actor : options.actor.id;
    let prepared: Awaited<ReturnType<typeof persist>>;
    try {
      prepared = await persist(
        definition,
        kinds,
        payload,
        inputs,
        actorId,
        notificationId,
        now,
        scheduledFor,
        key,
        options.notifyActor === true,
      );
    } catch (error) {
      // Nothing went out: free the key so the caller can try again.
      if (key !== undefined) await store.releaseIdempotencyKey(key, notificationId).catch(() => undefined);
      throw error;
    }
    const { recipients, excluded, records, tasks, items, preSettled } = prepared;

    const settled = settlement.track(notificationId, records.length);
    emit('notification.created', {
      notificationId,
      type: definition.type,
      recipientIds: recipients.map((recipient) => recipient.id),
      excluded,
      deliveryCount: records.length,
      ...(scheduledFor === undefined ? {} : { scheduledFor }),
    });
    if (items.length > 0) emit('inbox.created', { items });
    for (const record of preSettled) {
      if (record.status === 'skipped') emit('delivery.skipped', { delivery: record, reason: record.reason ?? '' });
      else if (record.status === 'sent') emit('delivery.sent', { delivery: record });
      else
        emit('delivery.failed', {
          delivery: record,
          error: new DeliveryError('INVALID_CONTENT', record.error?.message ?? ''),
        });
      settlement.settle(
        notificationId,
        {
          deliveryId: record.id,
          recipientId: record.recipientId,
          kind: record.kind,
          status: record.status as 'sent' | 'skipped' | 'failed',
          ...(record.error ? { error: record.error } : {}),
          ...(record.reason === undefined ? {} : { reason: record.reason }),
        },
        true,
      );
    }
    if (tasks.length > 0) {
      await started;
      await runner.enqueue(tasks, scheduledFor === undefined ? {} : { runAt: scheduledFor });
    }
    return {
      id: notificationId,
      deduplicated: false,
      recipients: recipients.map((recipient) => recipient.id),
      excluded,
      deliveryCount: records.length,
      ...(scheduledFor === undefined ? {} : { scheduledFor }),
      settled,
    };
  }

  async function deduplicated(type: string, key: string, notificationId: string): Promise<NotifyResult> {
    emit('notification.deduplicated', { notificationId, type, idempotencyKey: key });
    const record = await store.getNotification(notificationId);
    const pending = settlement.pending(notificationId);
    let settledPromise: Promise<DeliveryReport> | undefined;
    return {
      id: notificationId,
      deduplicated: true,
      recipients: record?.recipients.map((recipient) => recipient.id) ?? [],
      excluded: [],
      deliveryCount: 0,
      ...(record?.scheduledFor === undefined ? {} : { scheduledFor: record.scheduledFor }),
      get settled() {
        settledPromise ??= pending ?? report(notificationId);
        return settledPromise;
      },
    };
  }

  async function persist(
    definition: AnyNotificationDefinition,
    kinds: readonly ChannelKind[],
    payload: unknown,
    inputs: ReturnType<typeof validateRecipientInputs>,
    actorId: string | undefined,
    notificationId: string,
    now: number,
    scheduledFor: number | undefined,
    idempotencyKey: string | undefined,
    notifyActor: boolean,
  ) {
    const normalised = await normaliseRecipients(inputs, notifyActor ? undefined : actorId, settings.resolveRecipients);
    let recipients = normalised.recipients;
    const ids = recipients.map((recipient) => recipient.id);
    const [devices, preferences] = await Promise.all([
      kinds.includes('push' as ChannelKind) && ids.length > 0 ? store.listDevices(ids) : new Map(),
      definition.critical || ids.length === 0 ? new Map<string, Preferences>() : store.getPreferences(ids),
    ]);
    recipients = mergeDeviceTokens(recipients, devices);

    const createdAt = new Date(now).toISOString();
    const context: NotificationContext = { type: definition.type, payload, actorId, inboxItems: new Map() };
    const hasRealtimeInApp = channelsByKind.has('inApp');
    const records: DeliveryRecord[] = [];
    const tasks: DeliveryTask[] = [];
    const preSettled: DeliveryRecord[] = [];
    const newItems: NewInboxItem[] = [];
    const itemRecords: DeliveryRecord[] = [];
    const builderContext = (recipient: Recipient) => ({
      payload,
      recipient,
      locale: recipient.locale,
      notificationId,
      actorId,
    });

    const type = definition.type;
    const buildInApp = definition.channels.inApp as (input: unknown) => InAppContent;
    for (let index = 0; index < recipients.length; index++) {
      const recipient = recipients[index] as Recipient;
      const recipientPreferences = preferences.get(recipient.id);
      for (const kind of kinds) {
        const id = makeDeliveryId(notificationId, index, kind);
        const record: DeliveryRecord = {
          id,
          notificationId,
          type,
          recipientId: recipient.id,
          kind,
          status: 'pending',
          attempts: 0,
          createdAt,
          updatedAt: createdAt,
        };
        if (scheduledFor !== undefined) record.scheduledFor = scheduledFor;
        records.push(record);
        if (optedOut(recipientPreferences, type, kind)) {
          record.status = 'skipped';
          record.reason = `preference: ${recipient.id} opted out of ${kind}${type in (recipientPreferences?.types ?? {}) ? ` for ${type}` : ''}`;
          preSettled.push(record);
          continue;
        }
        const task: DeliveryTask = { deliveryId: id, notificationId, type, kind, recipient, attempt: 1 };
        if (kind === 'inApp') {
          const itemId = makeInboxItemId(notificationId, index);
          record.inboxItemId = itemId;
          task.inboxItemId = itemId;
          if (scheduledFor === undefined) {
            let content: InAppContent;
            try {
              content = buildInApp(builderContext(recipient));
            } catch (error) {
              record.status = 'failed';
              record.error = {
                code: 'INVALID_CONTENT',
                message: `Content builder for inApp threw: ${error instanceof Error ? error.message : String(error)}`,
              };
              delete record.inboxItemId;
              preSettled.push(record);
              logger.warn('herald: inApp content builder threw', { deliveryId: id, error });
              continue;
            }
            newItems.push(
              toNewInboxItem(content, { id: itemId, userId: recipient.id, notificationId, type, createdAt, actorId }),
            );
            if (!hasRealtimeInApp) {
              // No realtime channel: storing the inbox item is the delivery.
              record.status = 'sent';
              record.channelId = 'inbox';
              record.attempts = 1;
              itemRecords.push(record);
              continue;
            }
          }
        }
        tasks.push(task);
      }
    }

    await store.saveNotification({
      id: notificationId,
      type: definition.type,
      payload,
      recipients: recipients.map((recipient) => ({ id: recipient.id })),
      createdAt,
      ...(actorId === undefined ? {} : { actorId }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(scheduledFor === undefined ? {} : { scheduledFor }),
    });
    const items: InboxItem[] = newItems.length > 0 ? await store.insertInboxItems(newItems) : [];
    // Kept for realtime in-app channels, which send the stored item (saves reading it back).
    if (hasRealtimeInApp) for (const item of items) context.inboxItems?.set(item.userId, item);
    preSettled.push(...itemRecords);
    await store.createDeliveries(records);
    contexts.set(notificationId, context);
    return { recipients, excluded: normalised.excluded, records, tasks, items, preSettled };
  }

  const inbox: InboxApi = {
    list: (userId, query) => {
      assertNonEmptyString(userId, 'userId');
      return store.listInbox(userId, query);
    },
    get: (userId, ids) => {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      return store.getInboxItems(userId, ids);
    },
    unreadCount: (userId) => {
      assertNonEmptyString(userId, 'userId');
      return store.unreadCount(userId);
    },
    async markRead(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markRead(userId, ids, nowIso());
      if (changed.length > 0)
        emit('inbox.read', { userId, ids: changed, all: false, unread: await store.unreadCount(userId) });
      return changed;
    },
    async markUnread(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markUnread(userId, ids);
      if (changed.length > 0) emit('inbox.unread', { userId, ids: changed, unread: await store.unreadCount(userId) });
      return changed;
    },
    async markAllRead(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      if (options.type !== undefined) assertNonEmptyString(options.type, 'type');
      const changed = await store.markAllRead(
        userId,
        options.type === undefined ? {} : { type: options.type },
        nowIso(),
      );
      if (changed > 0) {
        const unread = await store.unreadCount(userId);
        emit('inbox.read', {
          userId,
          ids: [],
          all: true,
          unread,
          ...(options.type === undefined ? {} : { type: options.type }),
        });
      }
      return changed;
    },
    async markDelivered(userId, ids) {
      assertNonEmptyString(userId, 'userId');
      assertIdList(ids, 'ids');
      const changed = await store.markDelivered(userId, ids, nowIso());
      if (changed.length > 0) emit('inbox.delivered', { userId, ids: changed });
      return changed;
    },
    async undelivered(userId, options = {}) {
      assertNonEmptyString(userId, 'userId');
      const page = await store.listInbox(userId, { status: 'undelivered', limit: options.limit ?? 100 });
      return page.items.reverse();
    },
    after(userId, position, options = {}) {
      assertNonEmptyString(userId, 'userId');
      if (!Number.isInteger(position) || position < 0)
        throw new ValidationError([{ path: 'position', message: 'Expected an integer ≥ 0' }]);
      return store.listInboxAfter(userId, position, options.limit ?? 100);
    },
    lastPosition(userId) {
      assertNonEmptyString(userId, 'userId');
      return store.lastPosition(userId);
    },
    prune({ readBefore }) {
      if (!(readBefore instanceof Date) || Number.isNaN(readBefore.getTime())) {
        throw new ValidationError([{ path: 'readBefore', message: 'Expected a valid Date' }]);
      }
      return store.pruneInbox({ readBefore: readBefore.toISOString() });
    },
  };

  const devices: DevicesApi = {
    async register(userId, device) {
      assertNonEmptyString(userId, 'userId');
      assertNonEmptyString(device?.token, 'token');
      assertNonEmptyString(device?.platform, 'platform');
      const stored = { token: device.token, platform: device.platform, userId, createdAt: nowIso() };
      await store.registerDevice(stored);
      emit('device.registered', { device: stored });
      return stored;
    },
    async list(userId) {
      assertNonEmptyString(userId, 'userId');
      return (await store.listDevices([userId])).get(userId) ?? [];
    },
    async remove(token, options = {}) {
      assertNonEmptyString(token, 'token');
      if (options.userId !== undefined) assertNonEmptyString(options.userId, 'userId');
      const device = await store.removeDevice(token, options);
      if (device) emit('device.removed', { device, reason: 'unregistered' });
      return device !== undefined;
    },
  };

  const preferences: PreferencesApi = {
    async get(userId) {
      assertNonEmptyString(userId, 'userId');
      return (await store.getPreferences([userId])).get(userId) ?? { channels: {}, types: {} };
    },
    async set(userId, update: PreferencesUpdate) {
      assertNonEmptyString(userId, 'userId');
      const issues: { path: string; message: string }[] = [];
      const checkFlags = (value: unknown, path: string): void => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          issues.push({ path, message: 'Expected an object of channel kind → boolean' });
          return;
        }
        for (const [kind, flag] of Object.entries(value)) {
          if (typeof flag !== 'boolean') issues.push({ path: `${path}.${kind}`, message: 'Expected a boolean' });
        }
      };
      if (update?.channels !== undefined) checkFlags(update.channels, 'channels');
      if (update?.types !== undefined) {
        if (typeof update.types !== 'object' || update.types === null)
          issues.push({ path: 'types', message: 'Expected an object' });
        else for (const [type, flags] of Object.entries(update.types)) checkFlags(flags, `types.${type}`);
      }
      if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid preferences' });
      const current = await preferences.get(userId);
      const merged: Preferences = {
        channels: { ...current.channels, ...update.channels },
        types: { ...current.types },
      };
      for (const [type, flags] of Object.entries(update.types ?? {}))
        merged.types[type] = { ...merged.types[type], ...flags };
      await store.setPreferences(userId, merged);
      return merged;
    },
  };

  const deliveries: DeliveriesApi = {
    async get(id) {
      assertNonEmptyString(id, 'deliveryId');
      return (await store.getDeliveries([id]))[0];
    },
    list: (query) => store.listDeliveries(query),
    report,
    async applyReceipt(receipt) {
      // A delivery id carried through the provider (callback data) is preferred; one that matches nothing
      // (another deployment's, or mangled) falls back to the provider's message id.
      let record = receipt.deliveryId === undefined ? undefined : (await store.getDeliveries([receipt.deliveryId]))[0];
      if (!record && receipt.providerMessageId !== undefined) {
        record = await store.findDeliveryByProviderMessageId(receipt.providerMessageId);
      }
      const from = receiptTransitions[receipt.status];
      if (!record || !from) return undefined;
      const patch =
        receipt.status === 'failed' && receipt.error
          ? { status: receipt.status, error: receipt.error }
          : { status: receipt.status };
      const updated = await store.updateDelivery(record.id, patch, from);
      if (updated) emit('delivery.updated', { delivery: updated });
      return updated;
    },
  };

  async function cancel(idempotencyKey: string): Promise<CancelResult> {
    assertNonEmptyString(idempotencyKey, 'idempotencyKey');
    const notificationId = await store.getIdempotencyKey(idempotencyKey);
    if (notificationId === undefined) return { cancelled: 0 };
    const pending: DeliveryRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeliveries({
        notificationId,
        status: 'pending',
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      pending.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    // Only what the runner withdrew is cancelled: a delivery already running may be at the provider now,
    // and its outcome, not this call, decides its record.
    const withdrawn = new Set(await runner.cancel(pending.map((record) => record.id)));
    let cancelled = 0;
    for (const record of pending) {
      if (!withdrawn.has(record.id)) continue;
      const updated = await store.updateDelivery(record.id, { status: 'cancelled' }, ['pending']);
      if (!updated) continue;
      cancelled += 1;
      emit('delivery.cancelled', { delivery: updated });
      settlement.settle(notificationId, {
        deliveryId: record.id,
        recipientId: record.recipientId,
        kind: record.kind,
        status: 'cancelled',
      });
    }
    return { notificationId, cancelled };
  }

  const herald: Herald = {
    notify,
    cancel,
    inbox,
    devices,
    preferences,
    deliveries,
    store,
    on(event, listener) {
      emitter.on(event, listener as (payload: unknown) => void);
      return herald;
    },
    off(event, listener) {
      emitter.off(event, listener as (payload: unknown) => void);
      return herald;
    },
    once(event, listener) {
      emitter.once(event, listener as (payload: unknown) => void);
      return herald;
    },
    close() {
      closing ??= (async () => {
        closed = true;
        await started;
        await runner.close();
        for (const detach of detachers) detach();
        const all = [...channelsByKind.values()].flat();
        await Promise.all(all.map((channel) => channel.close?.()));
        emitter.removeAllListeners();
      })();
      return closing;
    },
  };

  const detachers: (() => void)[] = [];
  for (const channel of [...channelsByKind.values()].flat()) {
    const detach = channel.attach?.(herald);
    if (typeof detach === 'function') detachers.push(detach);
  }
  return herald;
}
