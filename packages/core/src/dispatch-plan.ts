// Step 4–5 of the flow as a pure function: from one chunk of a notification's recipients (with their place in
// the whole list, which fixes their ids) to the inbox items, delivery records and runner tasks to write — each
// delivery decided: withheld with a reason code (unknown recipient, preference, throttle, quiet hours, digested,
// skip), stored (an in-app item without a realtime channel), or a task due now or later (a step, a deferral).
// No I/O: the throttle and digest answers come in from the writer, and a resumed dispatch plans the same ids.

import { deliveryId as makeDeliveryId, inboxItemId as makeInboxItemId } from './ids';
import { storedInboxChannel } from './inbox-channel';
import type { Logger } from './logger';
import type { AnyNotificationDefinition } from './notification';
import type { Recipient } from './recipient';
import { isSkip } from './skip';
import type { ChannelKind, InAppContent } from './spec/channel';
import type { DeliveryTask } from './spec/runner';
import type { DeliveryRecord, DigestJoinResult, NewInboxItem, Preferences, SkipReasonCode } from './spec/store';
import { toNewInboxItem } from './store-kit/inbox-item';
import { isOptedOut } from './timing/timing-decisions';
import { clockMinutes, quietWindowEnd } from './timing/zoned-time';

export interface DispatchPlanInput {
  notificationId: string;
  definition: AnyNotificationDefinition;
  payload: unknown;
  actorId: string | undefined;
  kinds: readonly ChannelKind[];
  createdAt: string;
  /** When the notification is due (epoch ms): now, or its `delayMs`/`at`. Steps fall due after it. */
  dueAt: number;
  /** The instant of planning (epoch ms). */
  now: number;
  /** This chunk's recipients, completed by the resolver and with their device tokens. */
  recipients: readonly Recipient[];
  /** The place of `recipients[0]` in the notification's recipient list. */
  firstIndex: number;
  preferences: ReadonlyMap<string, Preferences>;
  /** Ids the resolver did not know: they get no inbox item and no delivery. */
  unknown: ReadonlySet<string>;
  /** Delivery ids over a throttle's limit. */
  throttled: ReadonlySet<string>;
  /** The digest each recipient's event joined, by recipient place (digested kinds only). */
  digests: ReadonlyMap<number, DigestPlacement>;
  /** Whether a realtime inApp channel announces stored items (else storing the item is the delivery). */
  hasRealtimeInApp: boolean;
  logger: Logger;
}

/** Where one recipient's event went: its digest, and whether this event opened it (and so hands its close over). */
export interface DigestPlacement {
  recipientId: string;
  result: DigestJoinResult;
  isOpener: boolean;
}

export interface PlannedTask {
  task: DeliveryTask;
  /** When the task is due (epoch ms), if later than now. */
  runAt: number | undefined;
}

export interface DispatchPlan {
  /** Every record of the chunk, one per recipient × kind, and one per digest this chunk opened. */
  records: DeliveryRecord[];
  items: NewInboxItem[];
  /** Deliveries for the runner. */
  tasks: PlannedTask[];
  /** Records final from the start: they never reach a runner. */
  decided: DeliveryRecord[];
}

/** The digest delivery of a bucket, for one kind. */
export function digestDeliveryId(digestId: string, kind: ChannelKind): string {
  return `${digestId}.${kind}`;
}

/** The in-app item a digest becomes when it closes. */
export function digestInboxItemId(digestId: string): string {
  return `${digestId}.item`;
}

/** When the recipient's quiet hours, if they cover `kind` and hold `at`, end. */
export function quietUntil(
  recipient: Recipient,
  preferences: Preferences | undefined,
  kind: ChannelKind,
  at: number,
): number | undefined {
  const quiet = preferences?.quietHours;
  if (!quiet) return undefined;
  if (quiet.channels ? !quiet.channels.includes(kind) : kind === 'inApp') return undefined;
  const timeZone = recipient.timeZone ?? preferences?.timeZone ?? 'UTC';
  try {
    return quietWindowEnd(at, clockMinutes(quiet.from, 'from'), clockMinutes(quiet.to, 'to'), timeZone);
  } catch {
    // Stores check preferences on the way in; a value that slipped through only means no quiet hours.
    return undefined;
  }
}

function withhold(record: DeliveryRecord, plan: DispatchPlan, reasonCode: SkipReasonCode, reason: string): void {
  record.status = 'skipped';
  record.reasonCode = reasonCode;
  record.reason = reason;
  plan.decided.push(record);
}

export function planDispatch(input: DispatchPlanInput): DispatchPlan {
  const { notificationId, definition, kinds, createdAt } = input;
  const type = definition.type;
  const isCritical = definition.critical;
  const plan: DispatchPlan = { records: [], items: [], tasks: [], decided: [] };
  // The same for every recipient of the chunk: worked out once.
  const hasItem = kinds.includes('inApp');
  const createdAtMs = Date.parse(createdAt);
  const respectsQuietHours = !isCritical && definition.quietHours !== 'ignore';
  for (let offset = 0; offset < input.recipients.length; offset++) {
    const recipient = input.recipients[offset] as Recipient;
    const index = input.firstIndex + offset;
    const preferences = input.preferences.get(recipient.id);
    const isUnknown = input.unknown.has(recipient.id);
    const itemId = makeInboxItemId(notificationId, index);
    for (const kind of kinds) {
      const id = makeDeliveryId(notificationId, index, kind);
      const step = definition.steps[kind];
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
      plan.records.push(record);
      if (isUnknown) {
        withhold(
          record,
          plan,
          'unknown-recipient',
          `unknown recipient: resolveRecipients does not know ${recipient.id}`,
        );
        continue;
      }
      if (!isCritical && isOptedOut(preferences, type, kind)) {
        const perType = preferences !== undefined && type in preferences.types;
        withhold(
          record,
          plan,
          'preference',
          `preference: ${recipient.id} opted out of ${kind}${perType ? ` for ${type}` : ''}`,
        );
        continue;
      }
      if (input.throttled.has(id)) {
        withhold(record, plan, 'throttled', `throttled: ${recipient.id} is over the limit for ${kind}`);
        continue;
      }
      const digest = input.digests.get(index);
      if (digest && definition.digest?.kinds.includes(kind)) {
        planDigested(record, plan, digest, recipient, kind, createdAt);
        continue;
      }
      let dueAt = input.dueAt + (step?.afterMs ?? 0);
      if (respectsQuietHours) {
        const until = quietUntil(recipient, preferences, kind, Math.max(dueAt, input.now));
        if (until !== undefined && definition.quietHours === 'drop') {
          withhold(record, plan, 'quiet-hours', `quiet hours: ${recipient.id} is in quiet hours for ${kind}`);
          continue;
        }
        if (until !== undefined) dueAt = until;
      }
      if (dueAt > createdAtMs) record.scheduledFor = new Date(dueAt).toISOString();
      const task: DeliveryTask = { deliveryId: id, notificationId, type, kind, recipient, attempt: 1 };
      if (step?.unless !== undefined && hasItem) task.conditionItemId = itemId;
      if (kind === 'inApp') {
        record.inboxItemId = itemId;
        task.inboxItemId = itemId;
        // A scheduled in-app notification enters the inbox only when it is due (the executor stores it then).
        if (dueAt <= input.now && step && !planStoredItem(input, plan, record, recipient, itemId, step.build)) continue;
        if (dueAt <= input.now && step && !input.hasRealtimeInApp) {
          record.status = 'sent';
          record.channelId = storedInboxChannel.id;
          record.attempts = 1;
          plan.decided.push(record);
          continue;
        }
      }
      plan.tasks.push({ task, runAt: dueAt > input.now ? dueAt : undefined });
    }
  }
  return plan;
}

/** Renders and queues the in-app item; false when the delivery was decided instead (skipped or failed). */
function planStoredItem(
  input: DispatchPlanInput,
  plan: DispatchPlan,
  record: DeliveryRecord,
  recipient: Recipient,
  itemId: string,
  build: (context: unknown) => unknown,
): boolean {
  const { notificationId, payload, actorId, createdAt } = input;
  let content: unknown;
  try {
    content = build({ payload, recipient, locale: recipient.locale, notificationId, actorId });
  } catch (error) {
    delete record.inboxItemId;
    record.status = 'failed';
    record.error = {
      code: 'INVALID_CONTENT',
      message: `Content builder for inApp threw: ${error instanceof Error ? error.message : String(error)}`,
    };
    plan.decided.push(record);
    input.logger.warn('herald: inApp content builder threw', { deliveryId: record.id, error });
    return false;
  }
  if (isSkip(content)) {
    delete record.inboxItemId;
    withhold(record, plan, 'skip', content.reason);
    return false;
  }
  plan.items.push(
    toNewInboxItem(content as InAppContent, {
      id: itemId,
      userId: recipient.id,
      notificationId,
      type: input.definition.type,
      createdAt,
      actorId,
    }),
  );
  return true;
}

/** A digested kind: this event's record points at the digest; the opener also writes the digest's own delivery. */
function planDigested(
  record: DeliveryRecord,
  plan: DispatchPlan,
  placement: DigestPlacement,
  recipient: Recipient,
  kind: ChannelKind,
  createdAt: string,
): void {
  const { digestId } = placement.result;
  const digestDelivery = digestDeliveryId(digestId, kind);
  record.digestDeliveryId = digestDelivery;
  withhold(record, plan, 'digested', `digested into ${digestDelivery}`);
  if (!placement.isOpener) return;
  const closesAt = Date.parse(placement.result.closesAt);
  const digestRecord: DeliveryRecord = {
    id: digestDelivery,
    notificationId: digestId,
    type: record.type,
    recipientId: recipient.id,
    kind,
    status: 'pending',
    attempts: 0,
    scheduledFor: placement.result.closesAt,
    createdAt,
    updatedAt: createdAt,
  };
  const task: DeliveryTask = {
    deliveryId: digestDelivery,
    notificationId: digestId,
    type: record.type,
    kind,
    recipient,
    digestId,
    attempt: 1,
  };
  if (kind === 'inApp') {
    // A digested in-app notification enters the inbox as one item when the digest closes (the executor stores it),
    // as a scheduled one does; its id derives from the digest's, so a re-run stores it once.
    const itemId = digestInboxItemId(digestId);
    digestRecord.inboxItemId = itemId;
    task.inboxItemId = itemId;
  }
  plan.records.push(digestRecord);
  plan.tasks.push({ task, runAt: closesAt });
}
