// Preparing one delivery attempt: the notification's render context, the content for the task's kind (the
// stored item for in-app), the inbox item of a scheduled in-app notification stored now that it is due.

import type { FinalOutcome, OutcomeRecorder, PreparedDelivery } from './delivery-outcomes';
import { DeliveryError, describeError } from './errors';
import type { ExecutorContext } from './executor-context';
import type { InAppContent, SendRequest } from './spec/channel';
import type { DeliveryTask } from './spec/runner';
import type { DeliveryRecord } from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';

/** Prepared requests get their real signal when sent; this one never aborts. */
const placeholderSignal = new AbortController().signal;

export function createDeliveryPreparer(
  context: ExecutorContext,
  outcomes: OutcomeRecorder,
): (task: DeliveryTask, record: DeliveryRecord) => Promise<PreparedDelivery | FinalOutcome> {
  const { store, catalog, logger } = context;
  return async function prepare(task, record) {
    const notification = await context.loadNotification(task.notificationId);
    const definition = catalog.get(task.type);
    if (!notification || !definition) {
      const message = !notification
        ? `Notification ${task.notificationId} is not in the store`
        : `No definition for notification type "${task.type}" in this process: pass it in createHerald({ notifications })`;
      return outcomes.failBeforeSend(task, record, new DeliveryError('CONFIGURATION', message));
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
      logger.warn('herald: content builder threw', { deliveryId: record.id, error: describeError(thrown) });
      const message = `Content builder for ${task.kind} threw: ${describeError(thrown)}`;
      return outcomes.failBeforeSend(task, record, new DeliveryError('INVALID_CONTENT', message, { cause: thrown }));
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
  };
}
