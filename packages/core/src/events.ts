// Typed events: every step of a notification's life is observable.

import type { DeliveryError } from './errors';
import type { DeliveryRecord, Device, InboxItem, SkipReasonCode, UnreadCount } from './spec/store';

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
  /** Withheld or skipped: `code` says why, to branch on; `reason` in words. */
  'delivery.skipped': { delivery: DeliveryRecord; reason: string; code: SkipReasonCode };
  'delivery.cancelled': { delivery: DeliveryRecord };
  /** A provider receipt (webhook) moved a delivery forward. */
  'delivery.updated': { delivery: DeliveryRecord };
  /**
   * `all` for a read-all (`ids` is then empty), limited to `type` when one was given, and to items at or below
   * `upToPosition` (the watermark: the user's last position when the read-all began).
   */
  'inbox.read': {
    userId: string;
    ids: string[];
    all: boolean;
    type?: string;
    upToPosition?: number;
    unread: UnreadCount;
  };
  'inbox.unread': { userId: string; ids: string[]; unread: UnreadCount };
  /** Items were shown to the user. `all` for a seen-all (`ids` is then empty) of the items up to `upToPosition`. */
  'inbox.seen': { userId: string; ids: string[]; all: boolean; upToPosition?: number; unread: UnreadCount };
  /**
   * Items were archived. `all` for an archive-all-read (`ids` is then empty): the read items up to `upToPosition`,
   * of `type` when one was given.
   */
  'inbox.archived': {
    userId: string;
    ids: string[];
    all: boolean;
    type?: string;
    upToPosition?: number;
    unread: UnreadCount;
  };
  'inbox.unarchived': { userId: string; ids: string[]; unread: UnreadCount };
  'inbox.delivered': { userId: string; ids: string[] };
  'device.registered': { device: Device };
  /**
   * `evicted`: the user registered more than `maxDevicesPerUser` devices and this was their oldest; `taken-over`:
   * another user registered the token with `takeOver` (the event carries this device, of the previous owner).
   */
  'device.removed': { device: Device; reason: 'invalid-token' | 'unregistered' | 'evicted' | 'taken-over' };
}

export type HeraldEventName = keyof HeraldEvents;
