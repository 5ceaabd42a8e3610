// Step 4–5 of the flow as a pure function: from one chunk of a notification's recipients (with their place in
// the whole list, which fixes their ids) to the inbox items, delivery records and runner tasks to write.
// No I/O: a resumed dispatch plans the same chunk again and gets the same ids.

import { deliveryId as makeDeliveryId, inboxItemId as makeInboxItemId } from './ids';
import { storedInboxChannel } from './inbox-channel';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { Recipient } from './recipient';
import type { ChannelKind, InAppContent } from './spec/channel';
import type { DeliveryTask } from './spec/runner';
import type { DeliveryRecord, NewInboxItem, Preferences } from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';

export interface DispatchPlanInput {
  notificationId: string;
  definition: AnyNotificationDefinition;
  payload: unknown;
  actorId: string | undefined;
  kinds: readonly ChannelKind[];
  createdAt: string;
  scheduledFor: string | undefined;
  /** This chunk's recipients, completed by the resolver and with their device tokens. */
  recipients: readonly Recipient[];
  /** The place of `recipients[0]` in the notification's recipient list. */
  firstIndex: number;
  preferences: ReadonlyMap<string, Preferences>;
  /** Ids the resolver did not know: they get no inbox item and no delivery. */
  unknown: ReadonlySet<string>;
  /** Whether a realtime inApp channel announces stored items (else storing the item is the delivery). */
  hasRealtimeInApp: boolean;
  logger: Logger;
}

export interface DispatchPlan {
  /** Every record of the chunk, one per recipient × kind. */
  records: DeliveryRecord[];
  items: NewInboxItem[];
  /** Deliveries for the runner. */
  tasks: DeliveryTask[];
  /** Records final from the start (skipped, failed to render, stored inbox items): they never reach a runner. */
  decided: DeliveryRecord[];
}

function optedOut(preferences: Preferences | undefined, type: string, kind: ChannelKind): boolean {
  if (!preferences) return false;
  const typeChoice = preferences.types[type]?.[kind];
  if (typeChoice !== undefined) return !typeChoice;
  return preferences.channels[kind] === false;
}

function decide(record: DeliveryRecord, plan: DispatchPlan, change: Partial<DeliveryRecord>): void {
  Object.assign(record, change);
  plan.decided.push(record);
}

export function planDispatch(input: DispatchPlanInput): DispatchPlan {
  const { notificationId, definition, payload, actorId, kinds, createdAt, scheduledFor } = input;
  const type = definition.type;
  const buildInApp = definition.channels.inApp as ((context: unknown) => InAppContent) | undefined;
  const plan: DispatchPlan = { records: [], items: [], tasks: [], decided: [] };
  for (let offset = 0; offset < input.recipients.length; offset++) {
    const recipient = input.recipients[offset] as Recipient;
    const index = input.firstIndex + offset;
    const preferences = input.preferences.get(recipient.id);
    const isUnknown = input.unknown.has(recipient.id);
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
      plan.records.push(record);
      if (isUnknown) {
        decide(record, plan, {
          status: 'skipped',
          reason: `unknown recipient: resolveRecipients does not know ${recipient.id}`,
        });
        continue;
      }
      if (optedOut(preferences, type, kind)) {
        const perType = preferences !== undefined && type in preferences.types;
        decide(record, plan, {
          status: 'skipped',
          reason: `preference: ${recipient.id} opted out of ${kind}${perType ? ` for ${type}` : ''}`,
        });
        continue;
      }
      const task: DeliveryTask = { deliveryId: id, notificationId, type, kind, recipient, attempt: 1 };
      if (kind === 'inApp') {
        const itemId = makeInboxItemId(notificationId, index);
        record.inboxItemId = itemId;
        task.inboxItemId = itemId;
        // A scheduled in-app notification enters the inbox only when it is due (the executor stores it then).
        if (scheduledFor === undefined && buildInApp) {
          let content: InAppContent;
          try {
            content = buildInApp({ payload, recipient, locale: recipient.locale, notificationId, actorId });
          } catch (error) {
            delete record.inboxItemId;
            decide(record, plan, {
              status: 'failed',
              error: {
                code: 'INVALID_CONTENT',
                message: `Content builder for inApp threw: ${error instanceof Error ? error.message : String(error)}`,
              },
            });
            input.logger.warn('herald: inApp content builder threw', { deliveryId: id, error });
            continue;
          }
          plan.items.push(
            toNewInboxItem(content, { id: itemId, userId: recipient.id, notificationId, type, createdAt, actorId }),
          );
          if (!input.hasRealtimeInApp) {
            decide(record, plan, { status: 'sent', channelId: storedInboxChannel.id, attempts: 1 });
            continue;
          }
        }
      }
      plan.tasks.push(task);
    }
  }
  return plan;
}
