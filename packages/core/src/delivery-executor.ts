// Step 6 of the flow: one attempt of a batch of deliveries — render, send through the kind's channels in
// order (fallbacks), record the outcome, and tell the runner whether and when to try again.

import { createAttemptDeadlines } from './attempt-deadline';
import type { Clock } from './clock';
import { DeliveryError, describeError, toDeliveryError } from './errors';
import type { HeraldEvents } from './events';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { RetryPolicy } from './retry-policy';
import type { AnyChannel, ChannelKind, InAppContent, SendRequest, SendResult } from './spec/channel';
import type { DeliveryExecutor, DeliveryTask, TaskOutcome } from './spec/runner';
import type { DeliveryFailure, DeliveryPatch, DeliveryRecord, DeliveryStatus, InboxItem, Store } from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';

/** What the executor needs to know about a notification; cached per process, loaded from the store on a miss. */
export interface NotificationContext {
  type: string;
  payload: unknown;
  actorId: string | undefined;
  /** Inbox items stored at notify time, by recipient id (saves a read for realtime inApp channels). */
  inboxItems?: Map<string, InboxItem>;
}

export interface ExecutorContext {
  store: Store;
  channelsByKind: Map<ChannelKind, AnyChannel[]>;
  catalog: Map<string, AnyNotificationDefinition>;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
  emit<E extends keyof HeraldEvents>(event: E, payload: HeraldEvents[E]): void;
  loadNotification(notificationId: string): Promise<NotificationContext | undefined>;
  removeDevice(token: string): Promise<void>;
  now(): string;
}

type Final = Extract<TaskOutcome, { final: true }>;

/** Prepared requests get their real signal when sent; this one never aborts. */
const UNBATCHED_GROUP_SIZE = 16;

const placeholderSignal = new AbortController().signal;

const finalStatuses: Record<DeliveryStatus, Final['status'] | undefined> = {
  pending: undefined,
  sent: 'sent',
  delivered: 'sent',
  read: 'sent',
  queued: 'queued',
  skipped: 'skipped',
  failed: 'failed',
  cancelled: 'cancelled',
};

interface Prepared {
  task: DeliveryTask;
  record: DeliveryRecord;
  request: SendRequest<unknown>;
}

function failure(error: DeliveryError): DeliveryFailure {
  return {
    code: error.code,
    message: error.message,
    ...(error.providerCode === undefined ? {} : { providerCode: error.providerCode }),
  };
}

export function createDeliveryExecutor(context: ExecutorContext): DeliveryExecutor {
  const { store, channelsByKind, catalog, retry, clock, logger } = context;

  const deadlines = createAttemptDeadlines(clock, retry.attemptTimeoutMs);
  const withTimeout = deadlines.run;

  async function finish(
    record: DeliveryRecord,
    patch: DeliveryPatch,
    status: Final['status'],
  ): Promise<{ outcome: Final; record: DeliveryRecord }> {
    patch.status = status;
    const updated = (await store.updateDelivery(record.id, patch, ['pending'])) ?? {
      ...record,
      ...patch,
      status,
    };
    const outcome: Final = { final: true, status };
    if (patch.error) outcome.error = patch.error;
    if (patch.reason !== undefined) outcome.reason = patch.reason;
    return { outcome, record: updated };
  }

  async function recordSuccess(prepared: Prepared, channel: AnyChannel, result: SendResult): Promise<Final> {
    const { task, record } = prepared;
    if (result.status === 'skipped') {
      const done = await finish(
        record,
        { channelId: channel.id, attempts: task.attempt, reason: result.reason },
        'skipped',
      );
      context.emit('delivery.skipped', { delivery: done.record, reason: result.reason });
      return done.outcome;
    }
    const patch: DeliveryPatch = { channelId: channel.id, attempts: task.attempt };
    if (result.providerMessageId !== undefined) patch.providerMessageId = result.providerMessageId;
    if (result.detail !== undefined) patch.detail = result.detail;
    const done = await finish(record, patch, result.status);
    context.emit(result.status === 'sent' ? 'delivery.sent' : 'delivery.queued', { delivery: done.record });
    if (result.status === 'sent' && result.invalidTokens) {
      await Promise.all(result.invalidTokens.map((token) => context.removeDevice(token)));
    }
    return done.outcome;
  }

  async function recordFailure(
    prepared: Prepared,
    channelId: string | undefined,
    error: DeliveryError,
  ): Promise<TaskOutcome> {
    const { task, record } = prepared;
    const dead = new Set(error.invalidTokens?.filter((token) => typeof token === 'string'));
    if (error.code === 'INVALID_RECIPIENT' && error.token !== undefined) dead.add(error.token);
    if (dead.size > 0) await Promise.all([...dead].map((token) => context.removeDevice(token)));
    const retryInMs = retry.nextDelay(task.attempt, error);
    const patch: DeliveryPatch = { attempts: task.attempt, error: failure(error) };
    if (channelId !== undefined) patch.channelId = channelId;
    if (retryInMs !== undefined) {
      const updated = (await store.updateDelivery(record.id, patch, ['pending'])) ?? { ...record, ...patch };
      context.emit('delivery.retrying', { delivery: updated, error, attempt: task.attempt, retryInMs });
      logger.debug('herald: delivery will be retried', { deliveryId: record.id, code: error.code, retryInMs });
      return { final: false, retryInMs, error };
    }
    const done = await finish(record, patch, 'failed');
    context.emit('delivery.failed', { delivery: done.record, error });
    logger.warn('herald: delivery failed', { deliveryId: record.id, kind: record.kind, error: describeError(error) });
    return done.outcome;
  }

  /** Tries each channel of the kind in order; the first success wins. */
  async function sendThroughChain(
    prepared: Prepared,
    channels: AnyChannel[],
    startAt: number,
    firstError?: DeliveryError,
    firstChannel?: string,
  ): Promise<TaskOutcome> {
    let lastError = firstError;
    let lastChannelId = firstChannel;
    let retryableError: DeliveryError | undefined = firstError?.retryable ? firstError : undefined;
    let skipped: { channel: AnyChannel; result: SendResult } | undefined;
    for (let index = startAt; index < channels.length; index++) {
      const channel = channels[index] as AnyChannel;
      try {
        const result = await withTimeout((signal) =>
          // The request is this attempt's own object: it takes the attempt's signal in place.
          (channel.send as (request: SendRequest<unknown>) => Promise<SendResult>)(
            Object.assign(prepared.request, { signal }),
          ),
        );
        if (result.status === 'skipped') {
          skipped ??= { channel, result };
          continue;
        }
        return await recordSuccess(prepared, channel, result);
      } catch (thrown) {
        const error = toDeliveryError(thrown);
        if (!DeliveryError.is(thrown)) {
          logger.warn('herald: channel threw a plain error; treated as UNAVAILABLE', {
            channelId: channel.id,
            error: describeError(thrown),
          });
        }
        lastError = error;
        lastChannelId = channel.id;
        if (error.retryable && !retryableError) retryableError = error;
      }
    }
    if (lastError === undefined && skipped) return recordSuccess(prepared, skipped.channel, skipped.result);
    // A transient failure anywhere in the chain makes the whole attempt worth repeating.
    return recordFailure(prepared, lastChannelId, retryableError ?? (lastError as DeliveryError));
  }

  async function prepare(task: DeliveryTask, record: DeliveryRecord): Promise<Prepared | Final> {
    const notification = await context.loadNotification(task.notificationId);
    const definition = catalog.get(task.type);
    if (!notification || !definition) {
      const message = !notification
        ? `Notification ${task.notificationId} is not in the store`
        : `No definition for notification type "${task.type}" in this process: pass it in createHerald({ notifications })`;
      const error = new DeliveryError('CONFIGURATION', message);
      const done = await finish(record, { attempts: task.attempt, error: failure(error) }, 'failed');
      context.emit('delivery.failed', { delivery: done.record, error });
      return done.outcome;
    }
    let inboxItem = task.inboxItemId === undefined ? undefined : notification.inboxItems?.get(task.recipient.id);
    if (task.inboxItemId !== undefined && !inboxItem) {
      // Not in this process's cache: a scheduled item, or a worker elsewhere (or a re-run that stored it already).
      inboxItem = (await store.getInboxItems(task.recipient.id, [task.inboxItemId]))[0];
    }
    let content: unknown;
    try {
      if (task.kind === 'inApp' && inboxItem) {
        const { title, body, url, icon, data } = inboxItem;
        content = { title, body, url, icon, data };
      } else {
        const builder = definition.channels[task.kind] as ((input: unknown) => unknown) | undefined;
        if (!builder)
          throw new Error(`Notification type "${task.type}" has no content for channel kind "${task.kind}"`);
        content = builder({
          payload: notification.payload,
          recipient: task.recipient,
          locale: task.recipient.locale,
          notificationId: task.notificationId,
          actorId: notification.actorId,
        });
      }
    } catch (thrown) {
      const error = new DeliveryError(
        'INVALID_CONTENT',
        `Content builder for ${task.kind} threw: ${describeError(thrown)}`,
        {
          cause: thrown,
        },
      );
      const done = await finish(record, { attempts: task.attempt, error: failure(error) }, 'failed');
      context.emit('delivery.failed', { delivery: done.record, error });
      logger.warn('herald: content builder threw', { deliveryId: record.id, error: describeError(thrown) });
      return done.outcome;
    }
    if (task.kind === 'inApp' && !inboxItem && task.inboxItemId !== undefined) {
      // A scheduled in-app notification enters the inbox only when it is due.
      const [stored] = await store.insertInboxItems([
        toNewInboxItem(content as InAppContent, {
          id: task.inboxItemId,
          userId: task.recipient.id,
          notificationId: task.notificationId,
          type: task.type,
          createdAt: context.now(),
          actorId: notification.actorId,
        }),
      ]);
      inboxItem = stored;
      if (stored) context.emit('inbox.created', { items: [stored] });
    }
    const request: SendRequest<unknown> = {
      deliveryId: task.deliveryId,
      notificationId: task.notificationId,
      type: task.type,
      recipient: task.recipient,
      content,
      attempt: task.attempt,
      signal: placeholderSignal,
      ...(inboxItem ? { inboxItem } : {}),
    };
    return { task, record, request };
  }

  async function runOne(prepared: Prepared): Promise<TaskOutcome> {
    const channels = channelsByKind.get(prepared.task.kind) ?? [];
    if (channels.length === 0) {
      // In-app without a realtime channel: storing the inbox item was the delivery.
      if (prepared.task.kind === 'inApp') {
        return recordSuccess(prepared, { id: 'inbox' } as AnyChannel, { status: 'sent' });
      }
      const error = new DeliveryError('CONFIGURATION', `No channel of kind "${prepared.task.kind}" is registered`);
      return recordFailure(prepared, undefined, error);
    }
    return sendThroughChain(prepared, channels, 0);
  }

  async function runBatch(items: Prepared[], channels: AnyChannel[]): Promise<TaskOutcome[]> {
    const [first] = channels as [AnyChannel];
    const sendBatch = first.sendBatch as (requests: SendRequest<unknown>[]) => Promise<(SendResult | Error)[]>;
    let results: (SendResult | Error)[];
    try {
      results = await withTimeout((signal) =>
        sendBatch.call(
          first,
          items.map((item) => Object.assign(item.request, { signal })),
        ),
      );
    } catch (thrown) {
      const error = toDeliveryError(thrown);
      results = items.map(() => error);
    }
    return Promise.all(
      items.map((item, index) => {
        const result =
          results[index] ?? new DeliveryError('UNAVAILABLE', 'The channel returned no result for this request');
        if (result instanceof Error) {
          const error = toDeliveryError(result);
          return sendThroughChain(item, channels, 1, error, first.id);
        }
        return result.status === 'skipped' && channels.length > 1
          ? sendThroughChain(item, channels, 1)
          : recordSuccess(item, first, result);
      }),
    );
  }

  return {
    batchSize(kind) {
      const [first] = channelsByKind.get(kind) ?? [];
      // Channels without sendBatch still get small groups: one store read per group, sends run side by side.
      return first?.sendBatch ? Math.max(1, first.capabilities?.maxBatchSize ?? 1) : UNBATCHED_GROUP_SIZE;
    },
    ratePerSecond(kind) {
      return channelsByKind.get(kind)?.[0]?.capabilities?.ratePerSecond;
    },
    async execute(tasks) {
      const outcomes: TaskOutcome[] = new Array(tasks.length);
      try {
        const records = await store.getDeliveries(tasks.map((task) => task.deliveryId));
        const byId = new Map(records.map((record) => [record.id, record]));
        const ready: { index: number; prepared: Prepared }[] = [];
        await Promise.all(
          tasks.map(async (task, index) => {
            const record = byId.get(task.deliveryId);
            if (!record) {
              logger.warn('herald: delivery record missing; nothing sent', { deliveryId: task.deliveryId });
              outcomes[index] = {
                final: true,
                status: 'failed',
                error: { code: 'MISSING_RECORD', message: 'The delivery record is gone' },
              };
              return;
            }
            const already = finalStatuses[record.status];
            if (already) {
              // Sent, cancelled or settled before (a re-run after a crash): never send twice.
              const outcome: Final = { final: true, status: already };
              if (record.error) outcome.error = record.error;
              if (record.reason !== undefined) outcome.reason = record.reason;
              outcomes[index] = outcome;
              return;
            }
            const prepared = await prepare(task, record);
            if ('final' in prepared) outcomes[index] = prepared;
            else ready.push({ index, prepared });
          }),
        );
        const kind = tasks[0]?.kind;
        const channels = kind === undefined ? [] : (channelsByKind.get(kind) ?? []);
        if (ready.length > 1 && channels[0]?.sendBatch) {
          const results = await runBatch(
            ready.map((entry) => entry.prepared),
            channels,
          );
          ready.forEach((entry, position) => {
            outcomes[entry.index] = results[position] as TaskOutcome;
          });
        } else {
          await Promise.all(
            ready.map(async (entry) => {
              outcomes[entry.index] = await runOne(entry.prepared);
            }),
          );
        }
      } catch (thrown) {
        // The store failed mid-attempt: treat it as transient so the runner tries again.
        const error = new DeliveryError('UNAVAILABLE', `Store error during delivery: ${describeError(thrown)}`, {
          cause: thrown,
        });
        logger.error('herald: delivery attempt failed on a store error', { error: describeError(thrown) });
        tasks.forEach((task, index) => {
          if (outcomes[index]) return;
          const retryInMs = retry.nextDelay(task.attempt, error);
          outcomes[index] =
            retryInMs === undefined
              ? { final: true, status: 'failed', error: failure(error) }
              : { final: false, retryInMs, error };
        });
      }
      return outcomes;
    },
  };
}
