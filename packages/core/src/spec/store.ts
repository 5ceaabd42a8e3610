// The Store spec, v1. MemoryStore, RedisStore and PostgresStore implement it and pass one contract suite
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

/** The status filters of an inbox listing; `InboxStatusFilter` is derived from it. */
export const inboxStatusFilters = ['read', 'unread', 'undelivered'] as const;
export type InboxStatusFilter = (typeof inboxStatusFilters)[number];

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

/** Every status a delivery record can be in; `DeliveryStatus` is derived from it. */
export const deliveryStatuses = [
  'pending',
  'sent',
  'delivered',
  'read',
  'queued',
  'skipped',
  'failed',
  'cancelled',
] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

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
  /** When a scheduled delivery is due (ISO 8601). */
  scheduledFor?: string;
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

/**
 * `dispatching` from the notification's first write until every inbox item and delivery record is stored and
 * every delivery is handed to the runner; then `dispatched`. A dispatching notification is in the outbox: when
 * its lease ends, the relay of any process takes it over and completes it.
 */
export const notificationStatuses = ['dispatching', 'dispatched'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** What a notification was: enough for any process to render it, and to complete its dispatch after a crash. */
export interface NotificationRecord {
  id: string;
  type: string;
  payload: unknown;
  actorId?: string;
  idempotencyKey?: string;
  /**
   * The recipients in dispatch order: a recipient's place fixes its inbox item and delivery ids, so a resumed
   * dispatch writes the same ids. Fields given inline in `to` are kept; ids are resolved again on resume.
   */
  recipients: Recipient[];
  /** The channel kinds it goes out on. */
  kinds: ChannelKind[];
  createdAt: string;
  /** When delivery is due, for scheduled notifications (ISO 8601). */
  scheduledFor?: string;
  status: NotificationStatus;
  /** While dispatching: until when the process working on it holds it (ISO 8601). */
  leaseUntil?: string;
}

export interface BeginNotificationOptions {
  /** Claimed atomically with the record; while it is held, another notification with the key writes nothing. */
  idempotencyKey?: { key: string; ttlMs: number };
  /** The lease the caller takes on the new notification (ISO 8601). */
  leaseUntil: string;
}

export type BeginNotificationResult =
  | { created: true }
  /** The key was held: nothing was written. `existing` is the holder's record, when it is still stored. */
  | { created: false; notificationId: string; existing: NotificationRecord | undefined };

export interface LeaseNotificationsOptions {
  /** Dispatching notifications whose lease ended before this instant are taken (ISO 8601). */
  now: string;
  /** The new lease of each notification taken (ISO 8601). */
  leaseUntil: string;
  /** Most notifications taken in one call (1..1000). */
  limit: number;
}

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
  /**
   * Stores new items and returns them with their positions, in input order. An item whose id the user already
   * holds is not stored or counted again: the stored item is returned in its place, so a resumed dispatch never
   * doubles an item.
   */
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

  // Notifications: the outbox. Every write below is idempotent, so a resumed dispatch may repeat any of them.
  /**
   * A notification's first write, atomic: claims the idempotency key (when given) and stores the record as
   * `dispatching`, leased until `leaseUntil`. When the key is already held, nothing is written.
   */
  beginNotification(record: NotificationRecord, options: BeginNotificationOptions): Promise<BeginNotificationResult>;
  getNotification(id: string): Promise<NotificationRecord | undefined>;
  /**
   * Takes up to `limit` dispatching notifications whose lease has ended, oldest lease first, and leases each
   * until `leaseUntil`. Callers racing (relays of several processes) never take the same notification.
   */
  leaseNotifications(options: LeaseNotificationsOptions): Promise<NotificationRecord[]>;
  /** Extends a dispatching notification's lease; `false` when it is dispatched already (or unknown). */
  renewNotificationLease(id: string, leaseUntil: string): Promise<boolean>;
  /** Every item and record is stored and every delivery handed over: the outbox forgets it. */
  markNotificationDispatched(id: string): Promise<void>;

  // Deliveries.
  /** Records whose id is already stored are left as they are (a resumed dispatch writes them again). */
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

  // Idempotency. Keys are claimed by `beginNotification` and never released: they expire.
  /** The notification holding the key, while the key lives. */
  getIdempotencyKey(key: string): Promise<string | undefined>;

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

  // Optional capabilities. A store that has none of them is a complete v1 store.
  /**
   * A store in the host's own database may join the host's open transaction: it returns a store whose every write
   * goes through `transaction` and commits or rolls back with it. `notify(def, { transaction })` (typed by this
   * parameter, see `StoreTransaction`) then begins the notification, writes its items and delivery records through
   * the bound store and hands nothing to the runner: the notification stays in the outbox, due at once, and the
   * outbox relay hands it over once the transaction has committed (rows of an open transaction are invisible to
   * `leaseNotifications`). Rolled back, it never existed. The bound store must write nothing outside the
   * transaction, and is used only while the transaction is open.
   */
  inTransaction?(transaction: never): Store;
  /**
   * Calls `onDue` whenever notifications may have become due sooner than the relay's next sweep would find them
   * (a transaction that began one committed); the relay then runs a pass at once. Returns the function that stops
   * watching. Signals may be lost: the relay's periodic sweep stays the guarantee, this only shortens the wait.
   */
  watchOutbox?(onDue: () => void): () => void;

  close?(): Promise<void>;
}

/**
 * The transaction handle a store accepts in `inTransaction`, and so the type of `notify`'s `transaction` option:
 * `never` for a store that cannot join a transaction.
 */
export type StoreTransaction<S> = S extends { inTransaction(transaction: infer T): Store } ? T : never;
