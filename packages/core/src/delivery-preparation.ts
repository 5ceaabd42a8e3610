// Preparing one delivery attempt: the render context (the notification's, or a digest's events), the escalation
// condition checked now that the step is due, the content for the task's kind (the stored item for in-app, or a
// builder's `skip(reason)`), and the inbox item of a scheduled in-app notification, stored now that it is due.

import type { OutcomeRecorder, PreparedDelivery } from './delivery-outcomes';
import { quietUntil } from './dispatch-plan';
import { DeliveryError, describeError } from './errors';
import type { ExecutorContext } from './executor-context';
import type { AnyNotificationDefinition, ItemState, NormalisedStep } from './notification';
import { isSkip } from './skip';
import type { InAppContent, SendRequest } from './spec/channel';
import type { DeliveryTask, TaskOutcome } from './spec/runner';
import type { DeliveryRecord, InboxItem } from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';
import { digestRenderContext } from './timing/digests';

/** Prepared requests get their real signal when sent; this one never aborts. */
const placeholderSignal = new AbortController().signal;

/** Whether an escalation's condition holds for the item's state; its words for the record when it does. */
export function conditionHolds(step: NormalisedStep, item: InboxItem | undefined): string | undefined {
  const state: ItemState = { read: item?.readAt !== undefined, delivered: item?.deliveredAt !== undefined, item };
  if (step.unless === 'read') return state.read ? 'condition: read' : undefined;
  if (step.unless === 'delivered') return state.delivered ? 'condition: delivered' : undefined;
  if (typeof step.unless === 'function') return step.unless(state) ? 'condition: unless held' : undefined;
  return undefined;
}

interface RenderSource {
  payload: unknown;
  actorId: string | undefined;
  extra: Record<string, unknown>;
}

export function createDeliveryPreparer(
  context: ExecutorContext,
  outcomes: OutcomeRecorder,
): (task: DeliveryTask, record: DeliveryRecord) => Promise<PreparedDelivery | TaskOutcome> {
  const { store, catalog, logger } = context;

  const skipped = async (
    task: DeliveryTask,
    record: DeliveryRecord,
    code: Parameters<OutcomeRecorder['skip']>[2],
    reason: string,
  ) => outcomes.skip(task, record, code, reason);

  /** A digest's events, once its window has closed; or when to look again. */
  async function digestSource(
    task: DeliveryTask,
    record: DeliveryRecord,
    definition: AnyNotificationDefinition,
  ): Promise<RenderSource | TaskOutcome> {
    const digestId = task.digestId as string;
    const closed = await store.closeDigest(task.recipient.id, digestId, context.now());
    if (!closed) {
      return outcomes.failBeforeSend(
        task,
        record,
        new DeliveryError('CONFIGURATION', `Digest ${digestId} is not in the store`),
      );
    }
    if (closed.status === 'open') return { final: false, deferUntil: Date.parse(closed.closesAt) };
    if (closed.bucket.events.length === 0)
      return skipped(task, record, 'empty-digest', 'every event of the digest was cancelled');
    if (!definition.critical && definition.quietHours !== 'ignore') {
      const preferences = (await store.getPreferences([task.recipient.id])).get(task.recipient.id);
      const until = quietUntil(task.recipient, preferences, task.kind, context.clock.now());
      if (until !== undefined && definition.quietHours === 'drop') {
        return skipped(
          task,
          record,
          'quiet-hours',
          `quiet hours: ${task.recipient.id} is in quiet hours for ${task.kind}`,
        );
      }
      if (until !== undefined) return { final: false, deferUntil: until };
    }
    const { payload, actorId, events, digest } = digestRenderContext(closed.bucket, definition.digest?.keep ?? 10);
    return { payload, actorId, extra: { events, digest } };
  }

  async function notificationSource(
    task: DeliveryTask,
    record: DeliveryRecord,
    definition: AnyNotificationDefinition,
  ): Promise<RenderSource | TaskOutcome> {
    const notification = await context.loadNotification(task.notificationId);
    if (!notification) {
      return outcomes.failBeforeSend(
        task,
        record,
        new DeliveryError('CONFIGURATION', `Notification ${task.notificationId} is not in the store`),
      );
    }
    const { payload, actorId } = notification;
    // A digested kind that goes out per event (a critical notification) renders as a digest of one.
    const extra: Record<string, unknown> = {};
    if (definition.digest?.kinds.includes(task.kind)) {
      const event = { payload, createdAt: record.createdAt, ...(actorId === undefined ? {} : { actorId }) };
      extra.events = [event];
      extra.digest = { count: 1, actorIds: actorId === undefined ? [] : [actorId], omitted: 0 };
    }
    return { payload, actorId, extra };
  }

  return async function prepare(task, record) {
    const definition = catalog.get(task.type);
    if (!definition) {
      const message = `No definition for notification type "${task.type}" in this process: pass it in createHerald({ notifications })`;
      return outcomes.failBeforeSend(task, record, new DeliveryError('CONFIGURATION', message));
    }
    const source =
      task.digestId === undefined
        ? await notificationSource(task, record, definition)
        : await digestSource(task, record, definition);
    if ('final' in source) return source;
    const step = definition.steps[task.kind];
    if (step && task.conditionItemId !== undefined) {
      const [item] = await store.getInboxItems(task.recipient.id, [task.conditionItemId]);
      const held = conditionHolds(step, item);
      if (held !== undefined) return skipped(task, record, 'condition', held);
    }
    let inboxItem = task.inboxItemId === undefined ? undefined : context.cachedItem(task.inboxItemId);
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
        if (!step) throw new Error(`Notification type "${task.type}" has no content for channel kind "${task.kind}"`);
        content = step.build({
          payload: source.payload,
          recipient: task.recipient,
          locale: task.recipient.locale,
          notificationId: task.notificationId,
          actorId: source.actorId,
          ...source.extra,
        });
      }
    } catch (thrown) {
      logger.warn('herald: content builder threw', { deliveryId: record.id, error: describeError(thrown) });
      const message = `Content builder for ${task.kind} threw: ${describeError(thrown)}`;
      return outcomes.failBeforeSend(task, record, new DeliveryError('INVALID_CONTENT', message, { cause: thrown }));
    }
    if (isSkip(content)) return skipped(task, record, 'skip', content.reason);
    if (task.kind === 'inApp' && !inboxItem && task.inboxItemId !== undefined) {
      // A scheduled in-app notification enters the inbox only when it is due.
      const [stored] = await store.insertInboxItems([
        toNewInboxItem(content as InAppContent, {
          id: task.inboxItemId,
          userId: task.recipient.id,
          notificationId: task.notificationId,
          type: task.type,
          createdAt: context.now(),
          actorId: source.actorId,
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
  };
}
