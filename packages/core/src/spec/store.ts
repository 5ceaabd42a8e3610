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
  /**
   * Set once the item was shown to the user (the inbox panel was opened on it). Reading an item sets it too when it
   * is absent, so a read item is always seen; mark-unread leaves it. Never cleared.
   */
  seenAt?: string;
  /**
   * Set while the item is archived; cleared by unarchive. An archived item keeps its read and seen state, leaves the
   * default listing, and counts in none of the counters (`UnreadCount`), whatever its read and seen state.
   */
  archivedAt?: string;
}

/** What the dispatcher hands the store; the store assigns `position`. */
export type NewInboxItem = Omit<InboxItem, 'position' | 'deliveredAt' | 'readAt' | 'seenAt' | 'archivedAt'>;

/** The status filters of an inbox listing; `InboxStatusFilter` is derived from it. */
export const inboxStatusFilters = ['read', 'unread', 'undelivered'] as const;
export type InboxStatusFilter = (typeof inboxStatusFilters)[number];

/**
 * Which items a listing holds by archive state: `exclude` (the default) lists the inbox without archived items,
 * `only` lists the archive, `include` both. Combines with `status` and `type`.
 */
export const inboxArchivedFilters = ['exclude', 'include', 'only'] as const;
export type InboxArchivedFilter = (typeof inboxArchivedFilters)[number];

export interface InboxQuery {
  status?: InboxStatusFilter;
  type?: string;
  /** Default `exclude`. */
  archived?: InboxArchivedFilter;
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

/**
 * A user's counters, kept atomically with the state they count (never counted over the items). Archived items count
 * in none of them.
 */
export interface UnreadCount {
  /** Items without `readAt`. */
  total: number;
  /** Items without `seenAt`: what a badge shows. Never above `total` (a read item is seen). */
  unseen: number;
  /** `total` by notification type; a type with none unread may be absent. */
  byType: Record<string, number>;
}

/**
 * The watermark of a bulk change (read-all, seen-all, archive-all-read): only items with `position <= upToPosition`
 * change, so items that arrive while it runs stay as they are. When omitted, the store takes the user's last
 * position at the moment the call begins.
 */
export interface BulkInboxOptions {
  /** An integer ≥ 0. */
  upToPosition?: number;
}

/** A bulk change that may be limited to one notification type. */
export interface TypedBulkInboxOptions extends BulkInboxOptions {
  type?: string;
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
  /** Why it was skipped, in words (preference, no address, …). */
  reason?: string;
  /** Why it was skipped or withheld, as a code to branch on. */
  reasonCode?: SkipReasonCode;
  /** For a delivery digested into another (`reasonCode: 'digested'`): the digest's delivery id. */
  digestDeliveryId?: string;
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

/** One user's acknowledged ids, for `Store.markDeliveredMany`. */
export interface DeliveredAck {
  userId: string;
  ids: string[];
}

/** One conditional update of `Store.updateDeliveries`: what `updateDelivery(id, patch, onlyFrom)` takes. */
export interface DeliveryUpdate {
  id: string;
  patch: DeliveryPatch;
  /** The statuses the record may be in for the patch to apply (any when omitted). */
  onlyFrom?: readonly DeliveryStatus[];
}

export type DeliveryPatch = Partial<
  Pick<
    DeliveryRecord,
    'status' | 'channelId' | 'attempts' | 'providerMessageId' | 'reason' | 'reasonCode' | 'detail' | 'error'
  >
>;

/**
 * Why a delivery was withheld: `preference` (an opt-out), `condition` (an escalation's `unless` held),
 * `throttled` (over a throttle's limit), `quiet-hours` (dropped inside the recipient's quiet hours), `digested`
 * (folded into a digest), `empty-digest` (a digest whose events were all cancelled), `no-address` (the recipient
 * has no address for the channel), `unknown-recipient` (not known to `resolveRecipients`), `skip` (a content
 * builder returned `skip(reason)`), `channel` (the channel skipped it for a reason of its own).
 */
export const skipReasonCodes = [
  'preference',
  'condition',
  'throttled',
  'quiet-hours',
  'digested',
  'empty-digest',
  'no-address',
  'unknown-recipient',
  'skip',
  'channel',
] as const;
export type SkipReasonCode = (typeof skipReasonCodes)[number];

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

export interface RegisterDeviceOptions {
  /**
   * Moves the token to this device's user when another user holds it. Without it, such a registration changes
   * nothing and answers `{ status: 'taken' }`.
   */
  takeOver?: boolean;
  /**
   * The most devices the user may hold, 1..`storeLimits.maxDevicesPerUser` (default
   * `storeLimits.defaultMaxDevicesPerUser`). Registering past it evicts the user's devices registered longest ago.
   */
  maxDevices?: number;
}

export type RegisterDeviceResult =
  | {
      /** Stored as the user's newest device (a token the user held already is registered again). */
      status: 'registered';
      /** The token's registration by another user, which `takeOver` removed. */
      takenOver?: Device;
      /** The user's devices removed, in the same step, to stay within `maxDevices`: oldest first. */
      evicted: Device[];
    }
  /** Another user holds the token and `takeOver` was not given: nothing changed. */
  | { status: 'taken' };

/** `false` opts out. A type × kind entry wins over the kind-wide one. */
export interface Preferences {
  channels: Partial<Record<ChannelKind, boolean>>;
  types: Record<string, Partial<Record<ChannelKind, boolean>>>;
  /** The recipient's IANA time zone (`Europe/Lisbon`), for quiet hours and calendar digests; a recipient's own wins. */
  timeZone?: string;
  /** No deliveries between these local times (`from` may be later than `to`: the window spans midnight). */
  quietHours?: QuietHours;
}

export interface QuietHours {
  /** Local time `HH:MM` the quiet window starts. */
  from: string;
  /** Local time `HH:MM` it ends. */
  to: string;
  /** The channel kinds it silences (default: every kind but `inApp`). */
  channels?: ChannelKind[];
}

/** One notification's contribution to a digest. */
export interface DigestEvent {
  notificationId: string;
  payload: unknown;
  actorId?: string;
  createdAt: string;
}

/**
 * One recipient's events of one type with one digest key, gathered until the digest closes. `open` while it takes
 * events; `closed` once a closer claimed it (exactly one does); its events are then final.
 */
export interface DigestBucket {
  id: string;
  /** The digest key this bucket gathers under: type, recipient and the definition's key, as core joins them. */
  key: string;
  type: string;
  recipientId: string;
  status: 'open' | 'closed';
  openedAt: string;
  /** When it closes (ISO 8601): moves later as events arrive in a sliding window, never past its cap. */
  closesAt: string;
  /** Every event, in the order they joined (at most the join's `maxEvents`). */
  events: DigestEvent[];
}

export interface DigestJoin {
  /** The open bucket's key (see `DigestBucket.key`). */
  key: string;
  /** The id a bucket opened by this join takes: deterministic, from the joining event. */
  openAs: string;
  type: string;
  recipientId: string;
  event: DigestEvent;
  /** The instant of the join (ISO 8601). */
  at: string;
  /**
   * When a bucket opened by this join closes (ISO 8601); for a sliding window, also where each later join moves
   * it to (`at + window`), never past `capAt`.
   */
  closesAt: string;
  /** Sliding windows: how long after each event the bucket stays open (ms); absent for calendar windows. */
  windowMs?: number;
  /** Sliding windows: the latest a bucket opened now may close (ISO 8601). */
  capAt?: string;
  /** A bucket with this many events is due at once. */
  maxEvents: number;
}

export interface DigestJoinResult {
  digestId: string;
  /** This join opened the bucket. */
  opened: boolean;
  /** The event was not in the bucket before (a join repeated by a resumed dispatch changes nothing). */
  joined: boolean;
  closesAt: string;
  count: number;
}

export type DigestCloseResult =
  /** Closed by this call (`closedNow`), or closed before: its events are final. */
  | { status: 'closed'; closedNow: boolean; bucket: DigestBucket }
  /** Still open and not due yet: try again at `closesAt`. */
  | { status: 'open'; closesAt: string };

export interface ThrottleRequest {
  /** Whose deliveries are counted (a store may keep a recipient's throttles beside their inbox). */
  recipientId: string;
  /** What is counted, within the recipient: e.g. type and kind, as core joins them. */
  key: string;
  /** The delivery asking: taking again for the same member is answered as before (a resumed dispatch). */
  member: string;
  limit: number;
  windowMs: number;
  /** The instant of the request (ISO 8601); members older than `at - windowMs` no longer count. */
  at: string;
}

export interface Store {
  readonly specificationVersion: 'v1';

  // Inbox. Ids not owned by `userId` are ignored, never changed and never counted.
  //
  // Seen and archived: each user's counters are kept with the state they count, in the same atomic step —
  // `total` = unarchived items without `readAt`, `unseen` = unarchived items without `seenAt`, `byType[t]` = `total`
  // of type t. A change that moves an item in or out of a set adjusts exactly the counters it leaves or joins:
  // read (−total, −byType, and −unseen when it was unseen, since reading sets `seenAt`), unread (+total, +byType),
  // seen (−unseen), archive (−total/−byType when unread, −unseen when unseen), unarchive (the reverse). Only the
  // item's first change counts: a repeat, or an id of another user, changes nothing and is not returned. A SQL store
  // does this as an UPDATE … WHERE <state is not yet the target> RETURNING, then adds the returned rows' counts to
  // a per-user (and per user × type) counter row in the same transaction; bulk changes do the same in chunks,
  // each bounded by the watermark (`position <= upToPosition`, fixed before the first chunk).
  /**
   * Stores new items and returns them with their positions, in input order. An item whose id the user already
   * holds is not stored or counted again: the stored item is returned in its place, so a resumed dispatch never
   * doubles an item.
   */
  insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]>;
  getInboxItems(userId: string, ids: string[]): Promise<InboxItem[]>;
  listInbox(userId: string, query?: InboxQuery): Promise<InboxPage>;
  /**
   * Items with `position > afterPosition`, oldest first, archived ones included (with `archivedAt`): the replay a
   * reconnecting client needs.
   */
  listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]>;
  /** The user's highest position so far (0 when none). */
  lastPosition(userId: string): Promise<number>;
  unreadCount(userId: string): Promise<UnreadCount>;
  /** Returns the ids that changed (were unread). Sets `seenAt` too where it is absent. */
  markRead(userId: string, ids: string[], at: string): Promise<string[]>;
  /** Returns the ids that changed (were read). `seenAt` stays. */
  markUnread(userId: string, ids: string[]): Promise<string[]>;
  /**
   * Reads the unread, unarchived items up to the watermark (of `type` only, when given), setting `seenAt` where it
   * is absent. Returns how many items changed.
   */
  markAllRead(userId: string, options: TypedBulkInboxOptions, at: string): Promise<number>;
  /** Returns the ids that changed (had no `seenAt`); archived items are marked too, without counting. */
  markSeen(userId: string, ids: string[], at: string): Promise<string[]>;
  /** Marks the unseen, unarchived items up to the watermark seen. Returns how many changed. */
  markAllSeen(userId: string, options: BulkInboxOptions, at: string): Promise<number>;
  /** Returns the ids that changed (were not archived); they leave the counters they were in. */
  archive(userId: string, ids: string[], at: string): Promise<string[]>;
  /** Returns the ids that changed (were archived); they count again by their read and seen state. */
  unarchive(userId: string, ids: string[]): Promise<string[]>;
  /**
   * Archives the read, unarchived items up to the watermark (of `type` only, when given). Returns how many changed.
   * The counters do not move: read items count in none of them.
   */
  archiveAllRead(userId: string, options: TypedBulkInboxOptions, at: string): Promise<number>;
  /** Returns the ids that changed (were not yet delivered). */
  markDelivered(userId: string, ids: string[], at: string): Promise<string[]>;
  /**
   * Optional: `markDelivered` for many users in one call (the acknowledgements that arrive from many sockets in one
   * turn of the event loop). Each entry means exactly what `markDelivered(userId, ids, at)` means, applied in input
   * order; returns the ids that changed per entry, in input order. The store kit (`CheckedStore`) always has it —
   * a driver without it gets a loop over `markDelivered` — and core falls back to that loop for a store without it.
   */
  markDeliveredMany?(acks: DeliveredAck[], at: string): Promise<string[][]>;
  /** Deletes read items (archived or not) read before the date; returns how many. */
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
  /**
   * Optional: `updateDelivery` for many records in one call (a batch of attempts settling together). Each update
   * means exactly what `updateDelivery(id, patch, onlyFrom)` means, applied in input order (an id given twice sees
   * its first update); returns the updated record or `undefined` per update, in input order. The store kit
   * (`CheckedStore`) always has it — a driver without it gets a loop over `updateDelivery` — and core falls back to
   * that loop for a store without it.
   */
  updateDeliveries?(updates: DeliveryUpdate[]): Promise<(DeliveryRecord | undefined)[]>;
  findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryPage>;

  // Digests and throttles: what notifications that unfold over time need, each one atomic in the store.
  /**
   * Opens or joins the open bucket of each join's key, in one atomic step per join: a join never lands in a bucket
   * that is being closed, and two joins never open two buckets for one key. A join whose event is in the bucket
   * already changes nothing. A sliding window's close moves to `at + windowMs` (never past `capAt`); a bucket
   * whose close time has passed still takes events until its closer claims it, without moving.
   */
  joinDigests(joins: DigestJoin[]): Promise<DigestJoinResult[]>;
  /** A recipient's bucket (buckets are kept per recipient, like the inbox). */
  getDigest(recipientId: string, id: string): Promise<DigestBucket | undefined>;
  /**
   * Claims an open bucket whose close time is not after `at` (`closedNow: true`, exactly once across callers),
   * returns a closed one as it is, or says when an open one is due. `undefined` for an unknown id.
   */
  closeDigest(recipientId: string, id: string, at: string): Promise<DigestCloseResult | undefined>;
  /** Moves an open bucket's close earlier, to `at` (a flush, or `maxEvents` reached); the bucket, or undefined. */
  expediteDigest(recipientId: string, id: string, at: string): Promise<DigestBucket | undefined>;
  /** Takes an event out of an open bucket (its notification was cancelled); whether it was there. */
  leaveDigest(recipientId: string, id: string, notificationId: string): Promise<boolean>;
  /**
   * The open buckets whose key starts with `keyPrefix` (a flush by type and digest key, across recipients), at
   * most `limit` (1..1000) after the bucket id `after` in id order, for paging.
   */
  listOpenDigests(keyPrefix: string, options: { limit: number; after?: string }): Promise<DigestBucket[]>;
  /**
   * For each request, in order: whether its member may go (fewer than `limit` other members inside the window, or
   * the member was let through before); a member let through is counted. Exact under concurrency.
   */
  takeThrottles(requests: ThrottleRequest[]): Promise<boolean[]>;

  // Idempotency. Keys are claimed by `beginNotification` and never released: they expire.
  /** The notification holding the key, while the key lives. */
  getIdempotencyKey(key: string): Promise<string | undefined>;

  // Devices. A token belongs to the user who registered it: only `takeOver` moves it to another user.
  /**
   * One atomic step: refuses a token another user holds (unless `takeOver`), stores the device as the user's newest,
   * and evicts the user's oldest devices beyond `maxDevices`. Calls racing on one token or one user (from any number
   * of connections) end as if they ran one after another: one user holds the token, and no user ever holds more than
   * `maxDevices`. (Spec v1 before this change took no options, resolved to nothing and moved any token.)
   */
  registerDevice(device: Device, options?: RegisterDeviceOptions): Promise<RegisterDeviceResult>;
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
