// What a store backend implements when it is wrapped by `createStore`: its data structures and nothing else.
// Every argument has been checked and normalised by the kit, every list holds at most `storeLimits.chunkSize`
// elements, and every value handed over is the driver's to keep (the caller can no longer change it).

import type {
  BeginNotificationResult,
  DeliveryPatch,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  InboxItem,
  NewInboxItem,
  NotificationRecord,
  Preferences,
  UnreadCount,
} from '../spec/store';
import type { CheckedDeliveryQuery } from './check-deliveries';
import type { CheckedInboxQuery } from './check-inbox';
import type { CheckedBegin, CheckedLease } from './check-notifications';
import type { CheckedDate } from './check-values';

/** A page as a driver returns it: the kit turns `nextKey` into the caller's `nextCursor`. */
export interface DriverPage<T> {
  entries: T[];
  /**
   * Present when older matching entries exist: the key of the last entry returned (an item's position, a record's
   * creation sequence). The next page asks for entries before it.
   */
  nextKey?: number | undefined;
}

export interface StoreDriver {
  /**
   * How many chunks of one bulk call the kit hands over before the first has finished (default 1). A networked
   * driver that sends each chunk over one connection, in the order it receives them, overlaps its round trips this
   * way; chunks are always handed over in input order.
   */
  readonly chunksInFlight?: number | undefined;

  // Inbox. Ids not owned by `userId` are ignored, never changed and never counted.
  /**
   * Items of any users, in input order; each user's items get increasing positions in that order. An id the user
   * already holds is not stored or counted again: the stored item is returned in its place.
   */
  insertInboxItems(items: readonly NewInboxItem[]): Promise<InboxItem[]>;
  getInboxItems(userId: string, ids: readonly string[]): Promise<InboxItem[]>;
  /** Newest first. */
  listInbox(userId: string, query: CheckedInboxQuery): Promise<DriverPage<InboxItem>>;
  listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]>;
  lastPosition(userId: string): Promise<number>;
  unreadCount(userId: string): Promise<UnreadCount>;
  markRead(userId: string, ids: readonly string[], at: CheckedDate): Promise<string[]>;
  markUnread(userId: string, ids: readonly string[]): Promise<string[]>;
  /** Reads every unread item of the user (of `type` only, when given); bounds its own steps. */
  markAllRead(userId: string, type: string | undefined, at: CheckedDate): Promise<number>;
  markDelivered(userId: string, ids: readonly string[], at: CheckedDate): Promise<string[]>;
  pruneInbox(readBefore: CheckedDate): Promise<number>;

  // Notifications: the outbox.
  /**
   * Claims the key (when given) unless another notification holds it unexpired at `now` (epoch ms), and stores the
   * record, leased until `leaseUntil`, in one step. A record whose id is stored already is left as it is.
   */
  beginNotification(begin: CheckedBegin, now: number): Promise<BeginNotificationResult>;
  getNotification(id: string): Promise<NotificationRecord | undefined>;
  /**
   * Never returns one notification to two callers; `limit` ≤ `storeLimits.maxLeaseLimit`. `now` is the store's
   * clock (epoch ms), for a driver that claims or checks idempotency keys on the way; the lease is `lease.now`'s.
   */
  leaseNotifications(lease: CheckedLease, now: number): Promise<NotificationRecord[]>;
  renewNotificationLease(id: string, leaseUntil: CheckedDate): Promise<boolean>;
  markNotificationDispatched(id: string): Promise<void>;

  // Deliveries.
  /** Ids are unique within the call; records whose id is stored are left as they are, and indexed once. */
  createDeliveries(records: readonly DeliveryRecord[]): Promise<void>;
  getDeliveries(ids: readonly string[]): Promise<DeliveryRecord[]>;
  /** Applies the patch (only defined fields) and `updatedAt` when the status is one of `onlyFrom` (any when omitted). */
  updateDelivery(
    id: string,
    patch: DeliveryPatch,
    onlyFrom: readonly DeliveryStatus[] | undefined,
    updatedAt: string,
  ): Promise<DeliveryRecord | undefined>;
  findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined>;
  /** Newest first: reverse creation order, later records of one call counting as newer. */
  listDeliveries(query: CheckedDeliveryQuery): Promise<DriverPage<DeliveryRecord>>;

  // Idempotency; `now` is the store's clock, epoch ms.
  getIdempotencyKey(key: string, now: number): Promise<string | undefined>;

  // Devices and preferences.
  registerDevice(device: Device): Promise<void>;
  /** Users without devices may be absent or map to an empty list. */
  listDevices(userIds: readonly string[]): Promise<Map<string, Device[]>>;
  removeDevice(token: string, userId: string | undefined): Promise<Device | undefined>;
  /** Users without stored preferences are absent. */
  getPreferences(userIds: readonly string[]): Promise<Map<string, Preferences>>;
  setPreferences(userId: string, preferences: Preferences): Promise<void>;

  close?(): Promise<void>;
}
