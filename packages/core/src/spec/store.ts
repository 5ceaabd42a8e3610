// The Store spec, v1. MemoryStore and RedisStore implement it and pass one contract suite
// (`describeStoreContract` in @herald/testing). Counters change atomically with the state they count.

import type { DeliveryFailureCode } from '../errors';
import type { Recipient } from '../recipient';
import type { ChannelKind, InAppContent } from './channel';

export const SUPPORTED_STORE_SPECIFICATIONS = ['v1'] as const;

/** One recipient's in-app notification. Times are ISO 8601 strings so items cross JSON unchanged. */
export interface InboxItem extends InAppContent {
  id: string;
  userId: string;
  notificationId: string;
  type: string;
  /** Per-user, strictly increasing; assigned by the store on insert. Clients resume from it. */
  position: number;
  actorId?: string;
  createdAt: string;
  /** Set when a client acknowledged the item. */
  deliveredAt?: string;
  /** Set while the item is read; cleared by mark-unread. */
  readAt?: string;
}

/** What the dispatcher hands the store; the store assigns `position`. */
export type NewInboxItem = Omit<InboxItem, 'position' | 'deliveredAt' | 'readAt'>;

export type InboxStatusFilter = 'read' | 'unread' | 'undelivered';

export interface InboxQuery {
  status?: InboxStatusFilter;
  type?: string;
  /** 1..100, default 20. */
  limit?: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface InboxPage {
  items: InboxItem[];
  /** Present when there are older items. */
  nextCursor?: string;
}

export interface UnreadCount {
  total: number;
  byType: Record<string, number>;
}

export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'queued' | 'skipped' | 'failed' | 'cancelled';

export interface DeliveryFailure {
  code: DeliveryFailureCode;
  message: string;
  providerCode?: string | number;
}

/** One recipient × channel kind. Fallback channels of the same kind share one record. */
export interface DeliveryRecord {
  id: string;
  notificationId: string;
  type: string;
  recipientId: string;
  kind: ChannelKind;
  status: DeliveryStatus;
  /** The channel that handled the last attempt (fallbacks change it). */
  channelId?: string;
  attempts: number;
  providerMessageId?: string;
  /** Why it was skipped (preference, no address). */
  reason?: string;
  /** What the channel said about how it delivered (e.g. a WhatsApp template sent instead of text). */
  detail?: string;
  error?: DeliveryFailure;
  /** The inbox item, for inApp deliveries. */
  inboxItemId?: string;
  /** When a scheduled delivery is due (epoch ms). */
  scheduledFor?: number;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryPatch = Partial<
  Pick<DeliveryRecord, 'status' | 'channelId' | 'attempts' | 'providerMessageId' | 'reason' | 'detail' | 'error'>
>;

export interface DeliveryQuery {
  notificationId?: string;
  recipientId?: string;
  status?: DeliveryStatus;
  limit?: number;
  cursor?: string;
}

export interface DeliveryPage {
  records: DeliveryRecord[];
  nextCursor?: string;
}

/** What a notification was: enough for any process to render and deliver it later. */
export interface NotificationRecord {
  id: string;
  type: string;
  payload: unknown;
  actorId?: string;
  idempotencyKey?: string;
  recipients: Recipient[];
  createdAt: string;
  /** Epoch ms when delivery is due, for scheduled notifications. */
  scheduledFor?: number;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; notificationId: string };

export type DevicePlatform = 'ios' | 'android' | 'web' | (string & {});

export interface Device {
  token: string;
  userId: string;
  platform: DevicePlatform;
  createdAt: string;
}

/** `false` opts out. A type × kind entry wins over the kind-wide one. */
export interface Preferences {
  channels: Partial<Record<ChannelKind, boolean>>;
  types: Record<string, Partial<Record<ChannelKind, boolean>>>;
}

export interface Store {
  readonly specificationVersion: 'v1';

  // Inbox. Ids not owned by `userId` are ignored, never changed and never counted.
  insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]>;
  getInboxItems(userId: string, ids: string[]): Promise<InboxItem[]>;
  listInbox(userId: string, query?: InboxQuery): Promise<InboxPage>;
  /** Items with `position > afterPosition`, oldest first: the replay a reconnecting client needs. */
  listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]>;
  /** The user's highest position so far (0 when none). */
  lastPosition(userId: string): Promise<number>;
  unreadCount(userId: string): Promise<UnreadCount>;
  /** Returns the ids that changed (were unread). */
  markRead(userId: string, ids: string[], at: string): Promise<string[]>;
  /** Returns the ids that changed (were read). */
  markUnread(userId: string, ids: string[]): Promise<string[]>;
  /** Returns how many items changed. */
  markAllRead(userId: string, options: { type?: string }, at: string): Promise<number>;
  /** Returns the ids that changed (were not yet delivered). */
  markDelivered(userId: string, ids: string[], at: string): Promise<string[]>;
  /** Deletes read items read before the date; returns how many. */
  pruneInbox(options: { readBefore: string }): Promise<number>;

  // Notifications and deliveries.
  saveNotification(record: NotificationRecord): Promise<void>;
  getNotification(id: string): Promise<NotificationRecord | undefined>;
  createDeliveries(records: DeliveryRecord[]): Promise<void>;
  getDeliveries(ids: string[]): Promise<DeliveryRecord[]>;
  /**
   * Applies the patch only when the record's status is one of `onlyFrom` (any status when omitted).
   * Returns the updated record, or `undefined` when the record is missing or the condition failed.
   */
  updateDelivery(
    id: string,
    patch: DeliveryPatch,
    onlyFrom?: readonly DeliveryStatus[],
  ): Promise<DeliveryRecord | undefined>;
  findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryPage>;

  // Idempotency.
  claimIdempotencyKey(key: string, notificationId: string, ttlMs: number): Promise<IdempotencyClaim>;
  getIdempotencyKey(key: string): Promise<string | undefined>;
  releaseIdempotencyKey(key: string, notificationId: string): Promise<void>;

  // Devices. A token belongs to one user; registering it again moves it.
  registerDevice(device: Device): Promise<void>;
  listDevices(userIds: string[]): Promise<Map<string, Device[]>>;
  /**
   * Returns the removed device, if there was one. With `userId`, removes it only if it is that user's
   * (a user can never remove another's device, even by a guessed token).
   */
  removeDevice(token: string, options?: { userId?: string }): Promise<Device | undefined>;

  // Preferences. Users without stored preferences are absent from the map.
  getPreferences(userIds: string[]): Promise<Map<string, Preferences>>;
  setPreferences(userId: string, preferences: Preferences): Promise<void>;

  close?(): Promise<void>;
}
