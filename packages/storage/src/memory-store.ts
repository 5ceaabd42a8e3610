// MemoryStore: the embedded Store (spec v1). State lives in this process only and is lost on restart,
// which suits tests, development and single-process apps. The store kit checks every input and hands this driver
// chunks of at most 500 elements; each driver call does its work synchronously before it resolves, so each chunk
// is atomic with respect to every other call: counters can never drift.

import type {
  Clock,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  DigestBucket,
  DigestEvent,
  DigestJoinResult,
  InboxArchivedFilter,
  InboxItem,
  InboxStatusFilter,
  NotificationRecord,
  Preferences,
  RegisterDeviceResult,
} from '@herald/core/spec';
import {
  type CheckedDate,
  type CheckedDeliveryUpdate,
  type CheckedDigestJoin,
  CheckedStore,
  copyPlain,
  type StoreDriver,
} from '@herald/core/store-kit';
import { LeaseQueue } from './lease-queue';

export interface MemoryStoreSettings {
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
}

/** A status filter sorts its matching set instead of walking the inbox when under 1/8 of the inbox matches. */
const SPARSE_RATIO = 8;

/**
 * One user's inbox with the indexes that keep listing and counting cheap. Most users hold a few items, so
 * indexes that only some queries need are created by the first such query (or write) and kept from then on.
 */
interface UserInbox {
  /** Every item, ascending by position (positions only grow, so inserts append). */
  items: InboxItem[];
  /** The same items split by type, each ascending by position: type-filtered pages cost O(limit). Lazy. */
  itemsByType: Map<string, InboxItem[]> | undefined;
  /** Items by id, once the inbox outgrows a scan of `items` (see BY_ID_FROM). */
  byId: Map<string, InboxItem> | undefined;
  /** How many unarchived items are unread (items without `readAt`). */
  unreadTotal: number;
  /** How many unarchived items are unseen (items without `seenAt`). */
  unseenTotal: number;
  /**
   * The unread items, archived ones included; built by the first query that walks them (read-all, an unread
   * listing), then kept.
   */
  unread: Set<InboxItem> | undefined;
  /** The unseen items, archived ones included; built by the first seen-all, then kept. */
  unseen: Set<InboxItem> | undefined;
  /** The archived items; created by the first archive. */
  archived: Set<InboxItem> | undefined;
  /** Read items; created by the first read. */
  read: Set<InboxItem> | undefined;
  /** Items no client has acknowledged; built by the first `undelivered` listing, then kept. */
  undelivered: Set<InboxItem> | undefined;
  /** Unread count of unarchived items per type; entries are dropped at zero, so `byType` never shows zeros. */
  unreadByType: Map<string, number>;
  lastPosition: number;
}

const NO_ITEMS: ReadonlySet<InboxItem> = new Set();
/** Below this many items an id lookup scans the inbox: cheaper than a map for the many users with a few items. */
const BY_ID_FROM = 16;

interface DeliveryEntry {
  /** Store-wide creation order: the key delivery cursors point at. */
  sequence: number;
  record: DeliveryRecord;
}

interface IdempotencyEntry {
  notificationId: string;
  expiresAt: number;
}

interface PageSlice<T> {
  picked: T[];
  hasMore: boolean;
}

/**
 * The in-memory Store. Costs: insert O(1) per item; unfiltered or type-filtered `listInbox` and
 * `listInboxAfter` O(log n + limit); a status-filtered page walks the inbox when at least 1/8 of it
 * matches and otherwise sorts the s matching items, O(s log s) (the default listing, which leaves archived items
 * out, walks past the archived items among the newest); `unreadCount` O(types); `markAllRead` O(unread),
 * `markAllSeen` O(unseen), `archiveAllRead` O(read); `pruneInbox` O(users + read items + size of the inboxes it
 * touches).
 */
export class MemoryStore extends CheckedStore {
  constructor(settings: MemoryStoreSettings = {}) {
    super(createMemoryDriver(), settings);
  }
}

/** The factory form, for hosts that prefer `createX(settings)` like the rest of Herald. */
export function createMemoryStore(settings: MemoryStoreSettings = {}): MemoryStore {
  return new MemoryStore(settings);
}

/** MemoryStore's data structures. Its input is checked and chunked by the store kit; it copies what it returns. */
function createMemoryDriver(): StoreDriver {
  const inboxes = new Map<string, UserInbox>();
  const notifications = new Map<string, NotificationRecord>();
  /** The dispatching notifications by lease end: the outbox. */
  const outbox = new LeaseQueue();
  const deliveries = new Map<string, DeliveryEntry>();
  const deliveryLog: DeliveryEntry[] = [];
  const deliveriesByNotification = new Map<string, DeliveryEntry[]>();
  /** Built on the first recipient-scoped query, then kept up to date (like the status index below). */
  let deliveriesByRecipient: Map<string, DeliveryEntry[]> | undefined;
  const deliveriesByProviderMessageId = new Map<string, DeliveryEntry>();
  /**
   * Records by status, built on the first status query that walks the whole log or a recipient's records
   * (notification-scoped queries are narrow already) and kept up to date from then on: a host that never
   * asks pays nothing for it on the write path.
   */
  let deliveriesByStatus: Map<DeliveryStatus, Set<DeliveryEntry>> | undefined;
  let deliverySequence = 0;
  /** Digest buckets and throttle logs, per recipient; the open buckets of every recipient, for listings. */
  const digests = new Map<string, RecipientDigests>();
  const openDigests = new Set<DigestEntry>();
  const throttles = new Map<string, Map<string, ThrottleLog>>();
  /** Insertion order is close to expiry order, which lets claims sweep expired keys from the front. */
  const idempotency = new Map<string, IdempotencyEntry>();
  const devicesByToken = new Map<string, Device>();
  const devicesByUser = new Map<string, Map<string, Device>>();
  const preferencesByUser = new Map<string, Preferences>();

  // Internals.

  function inboxOf(userId: string): UserInbox {
    let inbox = inboxes.get(userId);
    if (!inbox) {
      inbox = {
        items: [],
        itemsByType: undefined,
        byId: undefined,
        unreadTotal: 0,
        unseenTotal: 0,
        unread: undefined,
        unseen: undefined,
        archived: undefined,
        read: undefined,
        undelivered: undefined,
        unreadByType: new Map(),
        lastPosition: 0,
      };
      inboxes.set(userId, inbox);
    }
    return inbox;
  }

  function readItem(inbox: UserInbox, item: InboxItem, at: string): void {
    // A read item is seen: reading what was never shown (a click on a push, say) marks it seen too.
    if (item.seenAt === undefined) seeItem(inbox, item, at);
    item.readAt = at;
    inbox.unread?.delete(item);
    if (item.archivedAt === undefined) uncountUnread(inbox, item);
    inbox.read ??= new Set();
    inbox.read.add(item);
  }

  function seeItem(inbox: UserInbox, item: InboxItem, at: string): void {
    item.seenAt = at;
    inbox.unseen?.delete(item);
    if (item.archivedAt === undefined) inbox.unseenTotal -= 1;
  }

  function archiveItem(inbox: UserInbox, item: InboxItem, at: string): void {
    item.archivedAt = at;
    inbox.archived ??= new Set();
    inbox.archived.add(item);
    if (item.readAt === undefined) uncountUnread(inbox, item);
    if (item.seenAt === undefined) inbox.unseenTotal -= 1;
  }

  function unarchiveItem(inbox: UserInbox, item: InboxItem): void {
    delete item.archivedAt;
    inbox.archived?.delete(item);
    if (item.readAt === undefined) countUnread(inbox, item);
    if (item.seenAt === undefined) inbox.unseenTotal += 1;
  }

  /**
   * The unarchived items a bulk change walks: the members of `candidates` (a status set) at or below the watermark
   * (the user's last position when none is given), of `type` when given. Collected first, since changing an item
   * removes it from the set being walked.
   */
  function bulkTargets(
    inbox: UserInbox,
    candidates: ReadonlySet<InboxItem>,
    options: { type?: string | undefined; upToPosition?: number | undefined },
  ): InboxItem[] {
    const upTo = options.upToPosition ?? inbox.lastPosition;
    const { type } = options;
    const items: InboxItem[] = [];
    for (const item of candidates) {
      if (item.archivedAt === undefined && item.position <= upTo && (type === undefined || item.type === type)) {
        items.push(item);
      }
    }
    return items;
  }

  /** Moves an entry between status sets, once the index exists. */
  function indexStatus(entry: DeliveryEntry, previous: DeliveryStatus | undefined): void {
    const index = deliveriesByStatus;
    if (!index) return;
    if (previous !== undefined) index.get(previous)?.delete(entry);
    let entries = index.get(entry.record.status);
    if (!entries) {
      entries = new Set();
      index.set(entry.record.status, entries);
    }
    entries.add(entry);
  }

  function statusIndex(): Map<DeliveryStatus, Set<DeliveryEntry>> {
    if (!deliveriesByStatus) {
      deliveriesByStatus = new Map();
      for (const entry of deliveryLog) indexStatus(entry, undefined);
    }
    return deliveriesByStatus;
  }

  function recipientIndex(): Map<string, DeliveryEntry[]> {
    deliveriesByRecipient ??= groupBy(deliveryLog, (entry) => entry.record.recipientId);
    return deliveriesByRecipient;
  }

  /** `updateDelivery` itself, synchronous: `updateDeliveries` applies its updates one after another with it. */
  function updateOne({ id, patch, onlyFrom }: CheckedDeliveryUpdate, updatedAt: string): DeliveryRecord | undefined {
    const entry = deliveries.get(id);
    if (!entry) return undefined;
    const record = entry.record;
    if (onlyFrom !== undefined && !onlyFrom.includes(record.status)) return undefined;

    const previousProviderMessageId = record.providerMessageId;
    const previousStatus = record.status;
    // The kit's patch holds only defined, patchable fields, as private copies.
    Object.assign(record, patch);
    record.updatedAt = updatedAt;
    if (record.status !== previousStatus) indexStatus(entry, previousStatus);
    if (record.providerMessageId !== previousProviderMessageId) {
      if (
        previousProviderMessageId !== undefined &&
        deliveriesByProviderMessageId.get(previousProviderMessageId) === entry
      ) {
        deliveriesByProviderMessageId.delete(previousProviderMessageId);
      }
      if (record.providerMessageId !== undefined) {
        deliveriesByProviderMessageId.set(record.providerMessageId, entry);
      }
    }
    return copyDelivery(record);
  }

  /** `markDelivered` itself, synchronous: `markDeliveredMany` applies its entries one after another with it. */
  function deliverItems(userId: string, ids: readonly string[], at: CheckedDate): string[] {
    const inbox = inboxes.get(userId);
    if (!inbox) return [];
    const changed: string[] = [];
    for (const id of ids) {
      const item = findItem(inbox, id);
      if (!item || item.deliveredAt !== undefined) continue;
      item.deliveredAt = at.iso;
      inbox.undelivered?.delete(item);
      changed.push(id);
    }
    return changed;
  }

  function forgetDevice(device: Device): void {
    devicesByToken.delete(device.token);
    const owned = devicesByUser.get(device.userId);
    if (!owned) return;
    owned.delete(device.token);
    if (owned.size === 0) devicesByUser.delete(device.userId);
  }

  function claimKey(key: string, notificationId: string, expiresAt: number): void {
    // Delete before set so the key moves to the back of the expiry queue.
    idempotency.delete(key);
    idempotency.set(key, { notificationId, expiresAt });
  }

  /** Drops expired claims from the front of the queue; amortised O(1) per claim. */
  function sweepIdempotency(now: number): void {
    for (const [key, entry] of idempotency) {
      if (entry.expiresAt > now) return;
      idempotency.delete(key);
    }
  }

  return {
    // Inbox.

    async insertInboxItems(items) {
      const stored: InboxItem[] = new Array(items.length);
      for (let index = 0; index < items.length; index++) {
        const input = items[index]!;
        const inbox = inboxOf(input.userId);
        // Re-inserting an id the user already has (a retried job) returns the stored item: no second position.
        const existing = findItem(inbox, input.id);
        if (existing) {
          stored[index] = copyItem(existing);
          continue;
        }
        inbox.lastPosition += 1;
        // The kit's item is a private copy of exactly the declared fields: it becomes the stored item.
        const item = input as InboxItem;
        item.position = inbox.lastPosition;
        inbox.items.push(item);
        if (inbox.itemsByType) appendTo(inbox.itemsByType, item.type, item);
        indexById(inbox, item);
        inbox.undelivered?.add(item);
        inbox.unseen?.add(item);
        inbox.unseenTotal += 1;
        addUnread(inbox, item);
        stored[index] = copyItem(item);
      }
      return stored;
    },

    async getInboxItems(userId, ids) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const found: InboxItem[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (item) found.push(copyItem(item));
      }
      return found;
    },

    async listInbox(userId, query) {
      const { limit, status, type, archived } = query;
      const before = query.beforePosition ?? Number.POSITIVE_INFINITY;
      const inbox = inboxes.get(userId);
      if (!inbox) return { entries: [] };
      const source = type === undefined ? inbox.items : itemsByType(inbox).get(type);
      if (!source) return { entries: [] };
      // The narrower of the status set and the archive, when either is small, is sorted instead of walked.
      const statusSet = statusSubset(inbox, status);
      const archiveSet = archived === 'only' ? (inbox.archived ?? (NO_ITEMS as Set<InboxItem>)) : undefined;
      const subset =
        statusSet !== undefined && archiveSet !== undefined
          ? statusSet.size < archiveSet.size
            ? statusSet
            : archiveSet
          : (statusSet ?? archiveSet);
      const matches = itemMatcher(status, archived);
      let slice: PageSlice<InboxItem>;
      if (subset !== undefined && subset.size * SPARSE_RATIO < source.length) {
        // Few items match: sorting them beats walking the inbox past everything else.
        slice = pageSparse(
          subset,
          itemPosition,
          before,
          limit,
          (item) => (type === undefined || item.type === type) && (matches === undefined || matches(item)),
        );
      } else {
        slice = pageBackward(source, itemPosition, before, limit, matches);
      }
      const { picked, hasMore } = slice;
      const last = picked[picked.length - 1];
      return { entries: picked.map(copyItem), nextKey: hasMore && last ? last.position : undefined };
    },

    async listInboxAfter(userId, afterPosition, limit) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const start = firstIndexAbove(inbox.items, afterPosition);
      return inbox.items.slice(start, start + limit).map(copyItem);
    },

    async lastPosition(userId) {
      return inboxes.get(userId)?.lastPosition ?? 0;
    },

    async unreadCount(userId) {
      const inbox = inboxes.get(userId);
      const byType: Record<string, number> = {};
      if (!inbox) return { total: 0, unseen: 0, byType };
      for (const [type, count] of inbox.unreadByType) byType[type] = count;
      return { total: inbox.unreadTotal, unseen: inbox.unseenTotal, byType };
    },

    async markRead(userId, ids, at) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const changed: string[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (!item || item.readAt !== undefined) continue;
        readItem(inbox, item, at.iso);
        changed.push(id);
      }
      return changed;
    },

    async markUnread(userId, ids) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const changed: string[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (!item || item.readAt === undefined) continue;
        delete item.readAt;
        inbox.read?.delete(item);
        addUnread(inbox, item);
        changed.push(id);
      }
      return changed;
    },

    async markAllRead(userId, options, at) {
      const inbox = inboxes.get(userId);
      if (!inbox) return 0;
      if (options.type !== undefined && !inbox.unreadByType.has(options.type)) return 0;
      if (inbox.unreadTotal === 0) return 0;
      const items = bulkTargets(inbox, unreadItems(inbox), options);
      for (const item of items) readItem(inbox, item, at.iso);
      return items.length;
    },

    async markSeen(userId, ids, at) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const changed: string[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (!item || item.seenAt !== undefined) continue;
        seeItem(inbox, item, at.iso);
        changed.push(id);
      }
      return changed;
    },

    async markAllSeen(userId, options, at) {
      const inbox = inboxes.get(userId);
      if (!inbox || inbox.unseenTotal === 0) return 0;
      const items = bulkTargets(inbox, unseenItems(inbox), options);
      for (const item of items) seeItem(inbox, item, at.iso);
      return items.length;
    },

    async archive(userId, ids, at) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const changed: string[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (!item || item.archivedAt !== undefined) continue;
        archiveItem(inbox, item, at.iso);
        changed.push(id);
      }
      return changed;
    },

    async unarchive(userId, ids) {
      const inbox = inboxes.get(userId);
      if (!inbox) return [];
      const changed: string[] = [];
      for (const id of ids) {
        const item = findItem(inbox, id);
        if (!item || item.archivedAt === undefined) continue;
        unarchiveItem(inbox, item);
        changed.push(id);
      }
      return changed;
    },

    async archiveAllRead(userId, options, at) {
      const inbox = inboxes.get(userId);
      if (!inbox?.read) return 0;
      const items = bulkTargets(inbox, inbox.read, options);
      for (const item of items) archiveItem(inbox, item, at.iso);
      return items.length;
    },

    async markDelivered(userId, ids, at) {
      return deliverItems(userId, ids, at);
    },

    async markDeliveredMany(acks, at) {
      return acks.map((ack) => deliverItems(ack.userId, ack.ids, at));
    },

    async pruneInbox(readBefore) {
      const cutoff = readBefore.ms;
      let removed = 0;
      // Only read items are candidates, so unread counters are untouched by construction.
      for (const inbox of inboxes.values()) {
        if (!inbox.read) continue;
        const doomed = new Set<InboxItem>();
        for (const item of inbox.read) if (Date.parse(item.readAt as string) < cutoff) doomed.add(item);
        if (doomed.size === 0) continue;
        const types = new Set<string>();
        for (const item of doomed) {
          inbox.byId?.delete(item.id);
          inbox.read.delete(item);
          inbox.undelivered?.delete(item);
          inbox.archived?.delete(item);
          types.add(item.type);
        }
        inbox.items = inbox.items.filter((item) => !doomed.has(item));
        const byType = inbox.itemsByType;
        if (byType) {
          for (const type of types) {
            const kept = (byType.get(type) ?? []).filter((item) => !doomed.has(item));
            if (kept.length === 0) byType.delete(type);
            else byType.set(type, kept);
          }
        }
        removed += doomed.size;
      }
      return removed;
    },

    // Notifications: the outbox.

    async beginNotification(begin, now) {
      const { record, idempotencyKey } = begin;
      if (idempotencyKey !== undefined) {
        sweepIdempotency(now);
        const held = idempotency.get(idempotencyKey.key);
        if (held && held.expiresAt > now) {
          const existing = notifications.get(held.notificationId);
          return {
            created: false,
            notificationId: held.notificationId,
            existing: existing === undefined ? undefined : copyPlain(existing),
          };
        }
        claimKey(idempotencyKey.key, record.id, now + idempotencyKey.ttlMs);
      }
      // A begin sent again for a stored notification leaves it as it is (its lease included).
      if (notifications.has(record.id)) return { created: true };
      notifications.set(record.id, record);
      outbox.set(record.id, begin.leaseUntil.ms);
      return { created: true };
    },

    async getNotification(id) {
      const record = notifications.get(id);
      return record === undefined ? undefined : copyPlain(record);
    },

    async leaseNotifications(lease) {
      const taken: NotificationRecord[] = [];
      for (const id of outbox.takeEnded(lease.now.ms, lease.limit)) {
        const record = notifications.get(id);
        if (record?.status !== 'dispatching') continue;
        record.leaseUntil = lease.leaseUntil.iso;
        outbox.set(id, lease.leaseUntil.ms);
        taken.push(copyPlain(record));
      }
      return taken;
    },

    async renewNotificationLease(id, leaseUntil) {
      const record = notifications.get(id);
      if (record?.status !== 'dispatching') return false;
      record.leaseUntil = leaseUntil.iso;
      outbox.set(id, leaseUntil.ms);
      return true;
    },

    async markNotificationDispatched(id) {
      const record = notifications.get(id);
      if (!record) return;
      record.status = 'dispatched';
      delete record.leaseUntil;
      outbox.delete(id);
    },

    // Deliveries.

    async createDeliveries(records) {
      for (const record of records) {
        // A record already stored is left as it is: a resumed dispatch writes its records again.
        if (deliveries.has(record.id)) continue;
        deliverySequence += 1;
        // The kit's record is a private copy of exactly the declared fields: it becomes the stored record.
        const entry: DeliveryEntry = { sequence: deliverySequence, record };
        deliveries.set(record.id, entry);
        deliveryLog.push(entry);
        appendTo(deliveriesByNotification, record.notificationId, entry);
        if (deliveriesByRecipient) appendTo(deliveriesByRecipient, record.recipientId, entry);
        indexStatus(entry, undefined);
        if (record.providerMessageId !== undefined) deliveriesByProviderMessageId.set(record.providerMessageId, entry);
      }
    },

    async getDeliveries(ids) {
      const found: DeliveryRecord[] = [];
      for (const id of ids) {
        const entry = deliveries.get(id);
        if (entry) found.push(copyDelivery(entry.record));
      }
      return found;
    },

    async updateDelivery(id, patch, onlyFrom, updatedAt) {
      return updateOne({ id, patch, onlyFrom }, updatedAt);
    },

    async updateDeliveries(updates, updatedAt) {
      return updates.map((update) => updateOne(update, updatedAt));
    },

    async findDeliveryByProviderMessageId(providerMessageId) {
      const entry = deliveriesByProviderMessageId.get(providerMessageId);
      return entry ? copyDelivery(entry.record) : undefined;
    },

    async listDeliveries(query) {
      const { limit, notificationId, recipientId, status } = query;
      const before = query.beforeSequence ?? Number.POSITIVE_INFINITY;
      // Walk the narrowest index available and filter the rest.
      const source =
        notificationId !== undefined
          ? deliveriesByNotification.get(notificationId)
          : recipientId !== undefined
            ? recipientIndex().get(recipientId)
            : deliveryLog;
      if (!source) return { entries: [] };
      const needsFilter = status !== undefined || (notificationId !== undefined && recipientId !== undefined);
      const matches = needsFilter
        ? (entry: DeliveryEntry): boolean =>
            (status === undefined || entry.record.status === status) &&
            (notificationId === undefined || entry.record.notificationId === notificationId) &&
            (recipientId === undefined || entry.record.recipientId === recipientId)
        : undefined;
      const withStatus =
        status === undefined || notificationId !== undefined
          ? undefined
          : (statusIndex().get(status) ?? new Set<DeliveryEntry>());
      const { picked, hasMore } =
        withStatus && matches && withStatus.size * SPARSE_RATIO < source.length
          ? // Few records have this status (failures, say): sorting them beats walking past everything else.
            pageSparse(withStatus, entrySequence, before, limit, matches)
          : pageBackward(source, entrySequence, before, limit, matches);
      const last = picked[picked.length - 1];
      return {
        entries: picked.map((entry) => copyDelivery(entry.record)),
        nextKey: hasMore && last ? last.sequence : undefined,
      };
    },

    // Digests and throttles. Each join, close, expedite, leave and take is one synchronous step.

    async joinDigests(joins) {
      return joins.map((join) => {
        let recipient = digests.get(join.recipientId);
        if (!recipient) {
          recipient = { buckets: new Map(), openByKey: new Map(), placed: new Map() };
          digests.set(join.recipientId, recipient);
        }
        return joinDigest(recipient, join, openDigests);
      });
    },

    async getDigest(recipientId, id) {
      const entry = digests.get(recipientId)?.buckets.get(id);
      return entry === undefined ? undefined : copyBucket(entry);
    },

    async closeDigest(recipientId, id, at) {
      const recipient = digests.get(recipientId);
      const entry = recipient?.buckets.get(id);
      if (!recipient || !entry) return undefined;
      if (entry.bucket.status === 'closed') return { status: 'closed', closedNow: false, bucket: copyBucket(entry) };
      if (entry.closesAtMs > at.ms) return { status: 'open', closesAt: entry.bucket.closesAt };
      entry.bucket.status = 'closed';
      openDigests.delete(entry);
      if (recipient.openByKey.get(entry.bucket.key) === entry) recipient.openByKey.delete(entry.bucket.key);
      return { status: 'closed', closedNow: true, bucket: copyBucket(entry) };
    },

    async expediteDigest(recipientId, id, at) {
      const entry = digests.get(recipientId)?.buckets.get(id);
      if (!entry) return undefined;
      if (entry.bucket.status === 'open') {
        entry.isExpedited = true;
        if (at.ms < entry.closesAtMs) moveClose(entry, at);
      }
      return copyBucket(entry);
    },

    async leaveDigest(recipientId, id, notificationId) {
      const recipient = digests.get(recipientId);
      const entry = recipient?.buckets.get(id);
      if (!recipient || entry?.bucket.status !== 'open' || !entry.events.delete(notificationId)) return false;
      const placed = recipient.placed.get(entry.bucket.key);
      if (placed?.get(notificationId) === entry) placed.delete(notificationId);
      return true;
    },

    async listOpenDigests(keyPrefix, { limit, after }) {
      const matching: DigestEntry[] = [];
      for (const entry of openDigests) {
        if (!entry.bucket.key.startsWith(keyPrefix)) continue;
        if (after !== undefined && compareUtf8(entry.bucket.id, after) <= 0) continue;
        matching.push(entry);
      }
      matching.sort(
        (a, b) => compareUtf8(a.bucket.id, b.bucket.id) || compareUtf8(a.bucket.recipientId, b.bucket.recipientId),
      );
      return matching.slice(0, limit).map(copyBucket);
    },

    async takeThrottles(requests) {
      return requests.map((request) => {
        let logs = throttles.get(request.recipientId);
        if (!logs) {
          logs = new Map();
          throttles.set(request.recipientId, logs);
        }
        let log = logs.get(request.key);
        if (!log) {
          log = new Map();
          logs.set(request.key, log);
        }
        // The log holds at most `limit` members: trimming it is O(limit).
        for (const [member, at] of log) if (at < request.since) log.delete(member);
        if (log.has(request.member)) return true;
        if (log.size >= request.limit) return false;
        log.set(request.member, request.at.ms);
        return true;
      });
    },

    // Idempotency.

    async getIdempotencyKey(key, now) {
      const held = idempotency.get(key);
      if (!held) return undefined;
      if (held.expiresAt <= now) {
        idempotency.delete(key);
        return undefined;
      }
      return held.notificationId;
    },

    // Devices.

    // A user's map keeps registration order (a token registered again moves to the back), so its first entries are
    // the devices registered longest ago: the ones evicted past the cap.
    async registerDevice(device, { takeOver, maxDevices }) {
      const previous = devicesByToken.get(device.token);
      if (previous && previous.userId !== device.userId && !takeOver) return { status: 'taken' };
      const result: RegisterDeviceResult = { status: 'registered', evicted: [] };
      if (previous) {
        forgetDevice(previous);
        if (previous.userId !== device.userId) result.takenOver = { ...previous };
      }
      devicesByToken.set(device.token, device);
      let owned = devicesByUser.get(device.userId);
      if (!owned) {
        owned = new Map();
        devicesByUser.set(device.userId, owned);
      }
      owned.set(device.token, device);
      for (const oldest of owned.values()) {
        if (owned.size <= maxDevices) break;
        forgetDevice(oldest);
        result.evicted.push({ ...oldest });
      }
      return result;
    },

    /** Users without devices are absent from the map. */
    async listDevices(userIds) {
      const result = new Map<string, Device[]>();
      for (const userId of userIds) {
        const owned = devicesByUser.get(userId);
        if (!owned || owned.size === 0) continue;
        const devices: Device[] = [];
        for (const device of owned.values()) devices.push({ ...device });
        result.set(userId, devices);
      }
      return result;
    },

    async removeDevice(token, userId) {
      const device = devicesByToken.get(token);
      if (!device || (userId !== undefined && device.userId !== userId)) return undefined;
      forgetDevice(device);
      return { ...device };
    },

    // Preferences.

    async getPreferences(userIds) {
      const result = new Map<string, Preferences>();
      for (const userId of userIds) {
        const preferences = preferencesByUser.get(userId);
        if (preferences) result.set(userId, copyPlain(preferences));
      }
      return result;
    },

    async setPreferences(userId, preferences) {
      preferencesByUser.set(userId, preferences);
    },
  };
}

/** Makes an item unread; callers pass only items that were not (new, or read until now). */
function addUnread(inbox: UserInbox, item: InboxItem): void {
  inbox.unread?.add(item);
  if (item.archivedAt === undefined) countUnread(inbox, item);
}

/** Adds an unread, unarchived item to the unread counters. */
function countUnread(inbox: UserInbox, item: InboxItem): void {
  inbox.unreadTotal += 1;
  inbox.unreadByType.set(item.type, (inbox.unreadByType.get(item.type) ?? 0) + 1);
}

/** Takes an item that stops counting as unread (read, or archived) off the unread counters. */
function uncountUnread(inbox: UserInbox, item: InboxItem): void {
  inbox.unreadTotal -= 1;
  const left = (inbox.unreadByType.get(item.type) ?? 1) - 1;
  if (left > 0) inbox.unreadByType.set(item.type, left);
  else inbox.unreadByType.delete(item.type);
}

function unreadItems(inbox: UserInbox): Set<InboxItem> {
  inbox.unread ??= setOf(inbox.items, (item) => item.readAt === undefined);
  return inbox.unread;
}

function unseenItems(inbox: UserInbox): Set<InboxItem> {
  inbox.unseen ??= setOf(inbox.items, (item) => item.seenAt === undefined);
  return inbox.unseen;
}

function undeliveredItems(inbox: UserInbox): Set<InboxItem> {
  inbox.undelivered ??= setOf(inbox.items, (item) => item.deliveredAt === undefined);
  return inbox.undelivered;
}

function findItem(inbox: UserInbox, id: string): InboxItem | undefined {
  if (inbox.byId) return inbox.byId.get(id);
  for (const item of inbox.items) if (item.id === id) return item;
  return undefined;
}

/** Adds a new item to the id lookup, creating it once the inbox is large enough to need one. */
function indexById(inbox: UserInbox, item: InboxItem): void {
  if (inbox.byId) inbox.byId.set(item.id, item);
  else if (inbox.items.length >= BY_ID_FROM) inbox.byId = new Map(inbox.items.map((each) => [each.id, each]));
}

/** The per-type lists, built from the items on first use. */
function itemsByType(inbox: UserInbox): Map<string, InboxItem[]> {
  inbox.itemsByType ??= groupBy(inbox.items, (item) => item.type);
  return inbox.itemsByType;
}

function itemPosition(item: InboxItem): number {
  return item.position;
}

function entrySequence(entry: DeliveryEntry): number {
  return entry.sequence;
}

function statusSubset(inbox: UserInbox, status: InboxStatusFilter | undefined): Set<InboxItem> | undefined {
  switch (status) {
    case 'read':
      return inbox.read ?? (NO_ITEMS as Set<InboxItem>);
    case 'unread':
      return unreadItems(inbox);
    case 'undelivered':
      return undeliveredItems(inbox);
    default:
      return undefined;
  }
}

/** A page drawn from a small set of candidates, newest first: O(s log s) for a set of size s. */
function pageSparse<T>(
  subset: ReadonlySet<T>,
  key: (element: T) => number,
  before: number,
  limit: number,
  matches: (element: T) => boolean,
): PageSlice<T> {
  const candidates: T[] = [];
  for (const element of subset) if (key(element) < before && matches(element)) candidates.push(element);
  candidates.sort((a, b) => key(b) - key(a));
  return { picked: candidates.slice(0, limit), hasMore: candidates.length > limit };
}

function statusMatcher(status: InboxStatusFilter | undefined): ((item: InboxItem) => boolean) | undefined {
  switch (status) {
    case 'read':
      return (item) => item.readAt !== undefined;
    case 'unread':
      return (item) => item.readAt === undefined;
    case 'undelivered':
      return (item) => item.deliveredAt === undefined;
    default:
      return undefined;
  }
}

/** The status filter and the archive filter as one test (none when every item matches). */
function itemMatcher(
  status: InboxStatusFilter | undefined,
  archived: InboxArchivedFilter,
): ((item: InboxItem) => boolean) | undefined {
  const byStatus = statusMatcher(status);
  if (archived === 'include') return byStatus;
  const wantsArchived = archived === 'only';
  if (byStatus === undefined) return (item) => (item.archivedAt !== undefined) === wantsArchived;
  return (item) => (item.archivedAt !== undefined) === wantsArchived && byStatus(item);
}

/** Index of the first element whose key is >= `value` in an ascending array. */
function lowerBound<T>(source: readonly T[], key: (element: T) => number, value: number): number {
  let low = 0;
  let high = source.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (key(source[middle]!) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function firstIndexAbove(items: readonly InboxItem[], position: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (items[middle]!.position <= position) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Walks an ascending array backwards from the first element whose key is below `before`, collecting up to
 * `limit` matches, then looks for one more match so `hasMore` is exact. Without a filter this is O(log n + limit).
 */
function pageBackward<T>(
  source: readonly T[],
  key: (element: T) => number,
  before: number,
  limit: number,
  matches: ((element: T) => boolean) | undefined,
): PageSlice<T> {
  let index = (before === Number.POSITIVE_INFINITY ? source.length : lowerBound(source, key, before)) - 1;
  const picked: T[] = [];
  if (!matches) {
    while (index >= 0 && picked.length < limit) picked.push(source[index--]!);
    return { picked, hasMore: index >= 0 };
  }
  for (; index >= 0; index--) {
    const element = source[index]!;
    if (!matches(element)) continue;
    if (picked.length === limit) return { picked, hasMore: true };
    picked.push(element);
  }
  return { picked, hasMore: false };
}

function copyItem(item: InboxItem): InboxItem {
  const copy = { ...item };
  if (item.data !== undefined) copy.data = copyPlain(item.data);
  return copy;
}

function copyDelivery(record: DeliveryRecord): DeliveryRecord {
  const copy = { ...record };
  if (record.error !== undefined) copy.error = { ...record.error };
  return copy;
}

/** One digest bucket with what its joins need: the close in ms, the cap, and its events by notification id. */
interface DigestEntry {
  bucket: Omit<DigestBucket, 'events'>;
  closesAtMs: number;
  cap: CheckedDate | undefined;
  /** Expedited (a flush): later joins no longer move its close. */
  isExpedited: boolean;
  /** In join order (a Map keeps insertion order, and deleting keeps the others' order). */
  events: Map<string, DigestEvent>;
}

interface RecipientDigests {
  buckets: Map<string, DigestEntry>;
  /** The bucket each key's joins go to, until it is closed or full. */
  openByKey: Map<string, DigestEntry>;
  /** Where each event of a key went (key → notification id → bucket): a join repeated later changes nothing. */
  placed: Map<string, Map<string, DigestEntry>>;
}

/** A throttle log: each member let through → when (epoch ms). */
type ThrottleLog = Map<string, number>;

function joinDigest(recipient: RecipientDigests, join: CheckedDigestJoin, open: Set<DigestEntry>): DigestJoinResult {
  const { key, event } = join;
  let placed = recipient.placed.get(key);
  const before = placed?.get(event.notificationId);
  if (before) return joinResult(before, false, false);
  let entry = recipient.openByKey.get(key);
  let opened = false;
  if (entry) {
    const slideTo = join.slideTo;
    // A sliding window moves the close later, up to the cap, until the bucket is due or expedited.
    if (slideTo !== undefined && !entry.isExpedited && entry.closesAtMs > join.at.ms) {
      const to = entry.cap !== undefined && entry.cap.ms < slideTo.ms ? entry.cap : slideTo;
      if (to.ms > entry.closesAtMs) moveClose(entry, to);
    }
    entry.events.set(event.notificationId, event);
  } else {
    const taken = recipient.buckets.get(join.openAs);
    // The id was used before: this join happened before and its event has left since; it changes nothing.
    if (taken) return joinResult(taken, false, false);
    entry = {
      bucket: {
        id: join.openAs,
        key,
        type: join.type,
        recipientId: join.recipientId,
        status: 'open',
        openedAt: join.at.iso,
        closesAt: join.closesAt.iso,
      },
      closesAtMs: join.closesAt.ms,
      cap: join.capAt,
      isExpedited: false,
      events: new Map([[event.notificationId, event]]),
    };
    opened = true;
    recipient.buckets.set(entry.bucket.id, entry);
    recipient.openByKey.set(key, entry);
    open.add(entry);
  }
  if (!placed) {
    placed = new Map();
    recipient.placed.set(key, placed);
  }
  placed.set(event.notificationId, entry);
  if (entry.events.size >= join.maxEvents) {
    // Full: due at once, and the key's next join opens another bucket.
    if (join.at.ms < entry.closesAtMs) moveClose(entry, join.at);
    recipient.openByKey.delete(key);
  }
  return joinResult(entry, opened, true);
}

function joinResult(entry: DigestEntry, opened: boolean, joined: boolean): DigestJoinResult {
  return { digestId: entry.bucket.id, opened, joined, closesAt: entry.bucket.closesAt, count: entry.events.size };
}

function moveClose(entry: DigestEntry, to: CheckedDate): void {
  entry.bucket.closesAt = to.iso;
  entry.closesAtMs = to.ms;
}

function copyBucket(entry: DigestEntry): DigestBucket {
  const events: DigestEvent[] = [];
  for (const event of entry.events.values()) {
    const copy: DigestEvent = { ...event };
    if (event.payload !== null && typeof event.payload === 'object') copy.payload = copyPlain(event.payload);
    events.push(copy);
  }
  return { ...entry.bucket, events };
}

/**
 * Orders strings by their UTF-8 bytes, as Redis orders members: UTF-16 code units agree with that order except that
 * surrogates (code points above U+FFFF) must sort after U+E000–U+FFFF.
 */
function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** The elements that pass, as a set (for indexes built on first use). */
function setOf<T>(elements: readonly T[], keep: (element: T) => boolean): Set<T> {
  const set = new Set<T>();
  for (const element of elements) if (keep(element)) set.add(element);
  return set;
}

/** The elements by key, each list in the elements' order. */
function groupBy<T>(elements: readonly T[], key: (element: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const element of elements) appendTo(groups, key(element), element);
  return groups;
}

function appendTo<T>(index: Map<string, T[]>, key: string, value: T): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}
