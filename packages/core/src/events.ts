// Typed events: every step of a notification's life is observable.

import type { DeliveryError } from './errors';
import type { DeliveryRecord, Device, InboxItem, UnreadCount } from './spec/store';

export type ExclusionReason = 'actor' | 'duplicate-recipient';

export interface HeraldEvents {
  /** Recorded: the notification exists (it is in the outbox); its dispatch follows. */
  'notification.created': {
    notificationId: string;
    type: string;
    recipientIds: string[];
    /** Recipients named in `to` who were left out, and why. */
    excluded: { recipientId: string; reason: ExclusionReason }[];
    deliveryCount: number;
    scheduledFor?: string;
  };
  /** Every inbox item and delivery record is stored and every delivery handed to the runner. */
  'notification.dispatched': { notificationId: string; type: string; deliveryCount: number };
  /** A dispatch that had stopped part-way is being completed (by a retry with its key, or the outbox relay). */
  'notification.resumed': { notificationId: string; type: string };
  /** A notify call with an idempotency key that was already used: nothing was sent. */
  'notification.deduplicated': { notificationId: string; type: string; idempotencyKey: string };
  /** Stored inbox items (one per recipient), as they became visible. */
  'inbox.created': { items: InboxItem[] };
  'delivery.sent': { delivery: DeliveryRecord };
  'delivery.queued': { delivery: DeliveryRecord };
  'delivery.failed': { delivery: DeliveryRecord; error: DeliveryError };
  'delivery.retrying': { delivery: DeliveryRecord; error: DeliveryError; attempt: number; retryInMs: number };
  'delivery.skipped': { delivery: DeliveryRecord; reason: string };
  'delivery.cancelled': { delivery: DeliveryRecord };
  /** A provider receipt (webhook) moved a delivery forward. */
  'delivery.updated': { delivery: DeliveryRecord };
  /** `all` for a read-all (`ids` is then empty), limited to `type` when one was given. */
  'inbox.read': { userId: string; ids: string[]; all: boolean; type?: string; unread: UnreadCount };
  'inbox.unread': { userId: string; ids: string[]; unread: UnreadCount };
  'inbox.delivered': { userId: string; ids: string[] };
  'device.registered': { device: Device };
  'device.removed': { device: Device; reason: 'invalid-token' | 'unregistered' };
}

export type HeraldEventName = keyof HeraldEvents;
