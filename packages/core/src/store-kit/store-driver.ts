// What a store backend implements when it is wrapped by `createStore`: its data structures and nothing else.
// Every argument has been checked and normalised by the kit, every list holds at most `storeLimits.chunkSize`
// elements, and every value handed over is the driver's to keep (the caller can no longer change it).

import type {
  BeginNotificationResult,
  DeliveryPatch,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  DigestBucket,
  DigestCloseResult,
  DigestJoinResult,
  InboxItem,
  NewInboxItem,
  NotificationRecord,
  Preferences,
  RegisterDeviceResult,
  UnreadCount,
} from '../spec/store';
import type { CheckedDeliveryQuery, CheckedDeliveryUpdate } from './check-deliveries';
import type { CheckedRegisterDeviceOptions } from './check-devices';
import type { CheckedDigestJoin, CheckedDigestListing } from './check-digests';
import type { CheckedAck, CheckedBulkOptions, CheckedInboxQuery } from './check-inbox';
import type { CheckedBegin, CheckedLease } from './check-notifications';
import type { CheckedThrottleRequest } from './check-throttles';
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
  /**
   * Reads the unread, unarchived items of the user at or below the watermark (of `type` only, when given), setting
   * `seenAt` where absent; bounds its own steps. Without `upToPosition`, the watermark is the user's last position
   * when the call begins: items inserted while it runs stay unread.
   */
  markAllRead(userId: string, options: CheckedBulkOptions, at: CheckedDate): Promise<number>;
  markSeen(userId: string, ids: readonly string[], at: CheckedDate): Promise<string[]>;
  /** Like `markAllRead` for `seenAt`, over unseen unarchived items; `options.type` is never set. */
  markAllSeen(userId: string, options: CheckedBulkOptions, at: CheckedDate): Promise<number>;
  archive(userId: string, ids: readonly string[], at: CheckedDate): Promise<string[]>;
  unarchive(userId: string, ids: readonly string[]): Promise<string[]>;
  /** Like `markAllRead` for `archivedAt`, over read unarchived items. */
  archiveAllRead(userId: string, options: CheckedBulkOptions, at: CheckedDate): Promise<number>;
  markDelivered(userId: string, ids: readonly string[], at: CheckedDate): Promise<string[]>;
  /**
   * Optional: `markDelivered` of each entry, in input order, in one go (one round trip for a networked store);
   * the changed ids per entry. Entries hold at most `storeLimits.chunkSize` ids between them, a user may appear in
   * several. Without it the kit calls `markDelivered` per entry.
   */
  markDeliveredMany?(acks: readonly CheckedAck[], at: CheckedDate): Promise<string[][]>;
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
  /**
   * Optional: `updateDelivery` of each update, in input order (an id given twice sees its first update), in one go;
   * the updated record or `undefined` per update. At most `storeLimits.chunkSize` updates per call. Without it the
   * kit calls `updateDelivery` per update.
   */
  updateDeliveries?(
    updates: readonly CheckedDeliveryUpdate[],
    updatedAt: string,
  ): Promise<(DeliveryRecord | undefined)[]>;
  findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined>;
  /** Newest first: reverse creation order, later records of one call counting as newer. */
  listDeliveries(query: CheckedDeliveryQuery): Promise<DriverPage<DeliveryRecord>>;

  // Digests and throttles: each join, close, expedite, leave and take one atomic step (see the Store spec).
  /**
   * Joins of any recipients, results in input order; each recipient's joins are applied in that order. Besides the
   * spec's rules: an event is identified by its key and `notificationId`, so a join repeated after its bucket
   * closed (or filled) answers with that bucket and changes nothing; a bucket that reaches `maxEvents` becomes due
   * (`closesAt` no later than that join's `at`) and stops being the key's open bucket, so the next join opens
   * another; a join that must open a bucket whose `openAs` id the recipient already has changes nothing and
   * answers with that bucket.
   */
  joinDigests(joins: readonly CheckedDigestJoin[]): Promise<DigestJoinResult[]>;
  getDigest(recipientId: string, id: string): Promise<DigestBucket | undefined>;
  closeDigest(recipientId: string, id: string, at: CheckedDate): Promise<DigestCloseResult | undefined>;
  /** Also stops later joins from moving the close again (a flush stays a flush). */
  expediteDigest(recipientId: string, id: string, at: CheckedDate): Promise<DigestBucket | undefined>;
  leaveDigest(recipientId: string, id: string, notificationId: string): Promise<boolean>;
  /** Open buckets in id order (the UTF-8 bytes of the id), the ids after `after` only. */
  listOpenDigests(keyPrefix: string, listing: CheckedDigestListing): Promise<DigestBucket[]>;
  /** Requests of any recipients, answers in input order; each key's requests are answered in that order. */
  takeThrottles(requests: readonly CheckedThrottleRequest[]): Promise<boolean[]>;

  // Idempotency; `now` is the store's clock, epoch ms.
  getIdempotencyKey(key: string, now: number): Promise<string | undefined>;

  // Devices and preferences.
  /**
   * In one atomic step: answers `taken` when another user holds the token and `takeOver` is false; otherwise stores
   * the device as the user's newest (moving it from the other user), then evicts the user's devices registered
   * longest ago while they hold more than `maxDevices`. Concurrent calls, from any connection, never leave a token
   * with two users or a user with more than `maxDevices`.
   */
  registerDevice(device: Device, options: CheckedRegisterDeviceOptions): Promise<RegisterDeviceResult>;
  /** Users without devices may be absent or map to an empty list. */
  listDevices(userIds: readonly string[]): Promise<Map<string, Device[]>>;
  removeDevice(token: string, userId: string | undefined): Promise<Device | undefined>;
  /** Users without stored preferences are absent. */
  getPreferences(userIds: readonly string[]): Promise<Map<string, Preferences>>;
  setPreferences(userId: string, preferences: Preferences): Promise<void>;

  close?(): Promise<void>;
}
