// MemoryStore: the embedded Store (spec v1). State lives in this process only and is lost on restart,
// which suits tests, development and single-process apps. Every method does its work synchronously
// before it resolves, so each call is atomic with respect to every other call: counters can never drift.

import {
  type Clock,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStatus,
  type Device,
  type InboxItem,
  type InboxPage,
  type InboxQuery,
  type InboxStatusFilter,
  type NotificationRecord,
  type Preferences,
  type Store,
  type UnreadCount,
  ValidationError,
  type ValidationIssue,
} from '@herald/core';
import type {
  BeginNotificationOptions,
  BeginNotificationResult,
  DeliveryPatch,
  IdempotencyClaim,
  LeaseNotificationsOptions,
  NewInboxItem,
} from '@herald/core/spec';
import { toNewInboxItem } from '@herald/core/store-kit';
import { LeaseQueue } from './lease-queue';

export interface MemoryStoreSettings {
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
}

const DEFAULT_PAGE_LIMIT = 20;
/** A status filter sorts its matching set instead of walking the inbox when under 1/8 of the inbox matches. */
const SPARSE_RATIO = 8;
const MAX_PAGE_LIMIT = 100;
const INBOX_CURSOR_PREFIX = 'i';
const DELIVERY_CURSOR_PREFIX = 'd';
const INBOX_STATUSES: readonly InboxStatusFilter[] = ['read', 'unread', 'undelivered'];
const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'sent',
  'delivered',
  'read',
  'queued',
  'skipped',
  'failed',
  'cancelled',
];
const PATCHABLE_FIELDS = ['status', 'channelId', 'attempts', 'providerMessageId', 'reason', 'detail', 'error'] as const;

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
  /** How many items are unread (items without `readAt`). */
  unreadTotal: number;
  /** The unread items; built by the first query that walks them (read-all, an unread listing), then kept. */
  unread: Set<InboxItem> | undefined;
  /** Read items; created by the first read. */
  read: Set<InboxItem> | undefined;
  /** Items no client has acknowledged; built by the first `undelivered` listing, then kept. */
  undelivered: Set<InboxItem> | undefined;
  /** Unread count per type; entries are dropped at zero, so `byType` never shows zeros. */
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
 * matches and otherwise sorts the s matching items, O(s log s); `unreadCount` O(types);
 * `markAllRead` O(unread); `pruneInbox` O(users + read items + size of the inboxes it touches).
 */
export class MemoryStore implements Store {
  readonly specificationVersion = 'v1' as const;

  readonly #clock: Pick<Clock, 'now'>;
  readonly #inboxes = new Map<string, UserInbox>();
  readonly #notifications = new Map<string, NotificationRecord>();
  /** The dispatching notifications by lease end: the outbox. */
  readonly #outbox = new LeaseQueue();
  readonly #deliveries = new Map<string, DeliveryEntry>();
  readonly #deliveryLog: DeliveryEntry[] = [];
  readonly #deliveriesByNotification = new Map<string, DeliveryEntry[]>();
  /** Built on the first recipient-scoped query, then kept up to date (like the status index below). */
  #deliveriesByRecipient: Map<string, DeliveryEntry[]> | undefined;
  readonly #deliveriesByProviderMessageId = new Map<string, DeliveryEntry>();
  /**
   * Records by status, built on the first status query that walks the whole log or a recipient's records
   * (notification-scoped queries are narrow already) and kept up to date from then on: a host that never
   * asks pays nothing for it on the write path.
   */
  #deliveriesByStatus: Map<DeliveryStatus, Set<DeliveryEntry>> | undefined;
  /** The last `updatedAt` written and the millisecond it stands for: one ISO string per ms, not per update. */
  #stampMs = Number.NaN;
  #stamp = '';
  #deliverySequence = 0;
  /** Insertion order is close to expiry order, which lets claims sweep expired keys from the front. */
  readonly #idempotency = new Map<string, IdempotencyEntry>();
  readonly #devicesByToken = new Map<string, Device>();
  readonly #devicesByUser = new Map<string, Map<string, Device>>();
  readonly #preferences = new Map<string, Preferences>();

  constructor(settings: MemoryStoreSettings = {}) {
    this.#clock = settings.clock ?? { now: () => Date.now() };
  }

  // Inbox.

  async insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]> {
    if (!Array.isArray(items)) throw invalid('items', 'Expected an array of inbox items');
    const issues: ValidationIssue[] = [];
    // Data is cloned up front, so an uncloneable value refuses the whole batch before anything is stored.
    const data: (Record<string, unknown> | undefined)[] = new Array(items.length);
    for (let index = 0; index < items.length; index++) {
      checkNewItem(items[index], index, issues);
      const value = items[index]?.data;
      if (value !== undefined) data[index] = cloneOrReport(value, `items.${index}.data`, issues);
    }
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid inbox items' });

    const stored: InboxItem[] = new Array(items.length);
    for (let index = 0; index < items.length; index++) {
      const input = items[index]!;
      const inbox = this.#inbox(input.userId);
      // Re-inserting an id the user already has (a retried job) returns the stored item: no second position.
      const existing = findItem(inbox, input.id);
      if (existing) {
        stored[index] = copyItem(existing);
        continue;
      }
      inbox.lastPosition += 1;
      const item = toStoredItem(input, inbox.lastPosition, data[index]);
      inbox.items.push(item);
      if (inbox.itemsByType) appendTo(inbox.itemsByType, item.type, item);
      indexById(inbox, item);
      inbox.undelivered?.add(item);
      addUnread(inbox, item);
      stored[index] = copyItem(item);
    }
    return stored;
  }

  async getInboxItems(userId: string, ids: string[]): Promise<InboxItem[]> {
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return [];
    const found: InboxItem[] = [];
    for (const id of ids) {
      const item = findItem(inbox, id);
      if (item) found.push(copyItem(item));
    }
    return found;
  }

  async listInbox(userId: string, query: InboxQuery = {}): Promise<InboxPage> {
    const limit = pageLimit(query.limit);
    const before =
      query.cursor === undefined ? Number.POSITIVE_INFINITY : decodeCursor(INBOX_CURSOR_PREFIX, query.cursor);
    if (query.status !== undefined && !INBOX_STATUSES.includes(query.status)) {
      throw invalid('status', `Expected one of ${INBOX_STATUSES.join(', ')}, got ${JSON.stringify(query.status)}`);
    }
    if (query.type !== undefined && typeof query.type !== 'string') throw invalid('type', 'Expected a string');

    const inbox = this.#inboxes.get(userId);
    if (!inbox) return { items: [] };
    const source = query.type === undefined ? inbox.items : itemsByType(inbox).get(query.type);
    if (!source) return { items: [] };
    const subset = statusSubset(inbox, query.status);
    let slice: PageSlice<InboxItem>;
    if (subset === undefined) {
      slice = pageBackward(source, itemPosition, before, limit, undefined);
    } else if (subset.size * SPARSE_RATIO < source.length) {
      // Few items have this status: sorting them beats walking the inbox past everything else.
      const type = query.type;
      slice = pageSparse(subset, itemPosition, before, limit, (item) => type === undefined || item.type === type);
    } else {
      slice = pageBackward(source, itemPosition, before, limit, statusMatcher(query.status));
    }
    const { picked, hasMore } = slice;
    const page: InboxPage = { items: picked.map(copyItem) };
    const last = picked[picked.length - 1];
    if (hasMore && last) page.nextCursor = encodeCursor(INBOX_CURSOR_PREFIX, last.position);
    return page;
  }

  async listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]> {
    if (typeof afterPosition !== 'number' || Number.isNaN(afterPosition)) {
      throw invalid('afterPosition', `Expected a number, got ${String(afterPosition)}`);
    }
    if (!Number.isInteger(limit) || limit < 1)
      throw invalid('limit', `Expected a positive integer, got ${String(limit)}`);
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return [];
    const start = firstIndexAbove(inbox.items, afterPosition);
    return inbox.items.slice(start, start + limit).map(copyItem);
  }

  async lastPosition(userId: string): Promise<number> {
    return this.#inboxes.get(userId)?.lastPosition ?? 0;
  }

  async unreadCount(userId: string): Promise<UnreadCount> {
    const inbox = this.#inboxes.get(userId);
    const byType: Record<string, number> = {};
    if (!inbox) return { total: 0, byType };
    for (const [type, count] of inbox.unreadByType) byType[type] = count;
    return { total: inbox.unreadTotal, byType };
  }

  async markRead(userId: string, ids: string[], at: string): Promise<string[]> {
    checkDate(at, 'at');
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return [];
    const changed: string[] = [];
    for (const id of ids) {
      const item = findItem(inbox, id);
      if (!item || item.readAt !== undefined) continue;
      this.#read(inbox, item, at);
      changed.push(id);
    }
    return changed;
  }

  async markUnread(userId: string, ids: string[]): Promise<string[]> {
    const inbox = this.#inboxes.get(userId);
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
  }

  async markAllRead(userId: string, options: { type?: string }, at: string): Promise<number> {
    checkDate(at, 'at');
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return 0;
    const type = options?.type;
    if (type !== undefined && !inbox.unreadByType.has(type)) return 0;
    // Collect first: reading an item removes it from the set being walked.
    const items: InboxItem[] = [];
    for (const item of unreadItems(inbox)) if (type === undefined || item.type === type) items.push(item);
    for (const item of items) this.#read(inbox, item, at);
    return items.length;
  }

  async markDelivered(userId: string, ids: string[], at: string): Promise<string[]> {
    checkDate(at, 'at');
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return [];
    const changed: string[] = [];
    for (const id of ids) {
      const item = findItem(inbox, id);
      if (!item || item.deliveredAt !== undefined) continue;
      item.deliveredAt = at;
      inbox.undelivered?.delete(item);
      changed.push(id);
    }
    return changed;
  }

  async pruneInbox(options: { readBefore: string }): Promise<number> {
    const cutoff = checkDate(options?.readBefore, 'readBefore');
    let removed = 0;
    // Only read items are candidates, so unread counters are untouched by construction.
    for (const inbox of this.#inboxes.values()) {
      if (!inbox.read) continue;
      const doomed = new Set<InboxItem>();
      for (const item of inbox.read) if (Date.parse(item.readAt as string) < cutoff) doomed.add(item);
      if (doomed.size === 0) continue;
      const types = new Set<string>();
      for (const item of doomed) {
        inbox.byId?.delete(item.id);
        inbox.read.delete(item);
        inbox.undelivered?.delete(item);
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
  }

  // Notifications and deliveries.

  async beginNotification(
    record: NotificationRecord,
    options: BeginNotificationOptions,
  ): Promise<BeginNotificationResult> {
    if (!record || !isNonEmptyString(record.id)) throw invalid('record.id', 'Expected a non-empty string');
    const leaseUntil = checkDate(options?.leaseUntil, 'options.leaseUntil');
    const claim = options.idempotencyKey;
    const issues: ValidationIssue[] = [];
    const stored = cloneOrReport(record, 'record', issues);
    if (issues.length > 0 || stored === undefined)
      throw new ValidationError(issues, { prefix: 'Invalid notification' });

    const now = this.#clock.now();
    if (claim !== undefined) {
      this.#sweepIdempotency(now);
      const held = this.#idempotency.get(claim.key);
      if (held && held.expiresAt > now) {
        const existing = this.#notifications.get(held.notificationId);
        return {
          created: false,
          notificationId: held.notificationId,
          existing: existing === undefined ? undefined : structuredClone(existing),
        };
      }
      this.#idempotency.delete(claim.key);
      this.#idempotency.set(claim.key, { notificationId: record.id, expiresAt: now + claim.ttlMs });
    }
    // A begin sent again for a stored notification leaves it as it is (its lease included).
    if (this.#notifications.has(record.id)) return { created: true };
    stored.status = 'dispatching';
    stored.leaseUntil = options.leaseUntil;
    this.#notifications.set(record.id, stored);
    this.#outbox.set(record.id, leaseUntil);
    return { created: true };
  }

  async getNotification(id: string): Promise<NotificationRecord | undefined> {
    const record = this.#notifications.get(id);
    return record === undefined ? undefined : structuredClone(record);
  }

  async leaseNotifications(options: LeaseNotificationsOptions): Promise<NotificationRecord[]> {
    const now = checkDate(options?.now, 'options.now');
    const leaseUntil = checkDate(options.leaseUntil, 'options.leaseUntil');
    if (!(leaseUntil > now)) throw invalid('options.leaseUntil', 'Expected a time after options.now');
    const limit = options.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw invalid('options.limit', `Expected an integer from 1 to 1000, got ${String(limit)}`);
    }
    const taken: NotificationRecord[] = [];
    for (const id of this.#outbox.takeEnded(now, limit)) {
      const record = this.#notifications.get(id);
      if (record?.status !== 'dispatching') continue;
      record.leaseUntil = options.leaseUntil;
      this.#outbox.set(id, leaseUntil);
      taken.push(structuredClone(record));
    }
    return taken;
  }

  async renewNotificationLease(id: string, leaseUntil: string): Promise<boolean> {
    const until = checkDate(leaseUntil, 'leaseUntil');
    const record = this.#notifications.get(id);
    if (record?.status !== 'dispatching') return false;
    record.leaseUntil = leaseUntil;
    this.#outbox.set(id, until);
    return true;
  }

  async markNotificationDispatched(id: string): Promise<void> {
    const record = this.#notifications.get(id);
    if (!record) return;
    record.status = 'dispatched';
    delete record.leaseUntil;
    this.#outbox.delete(id);
  }

  async saveNotification(record: NotificationRecord): Promise<void> {
    if (!record || !isNonEmptyString(record.id)) throw invalid('record.id', 'Expected a non-empty string');
    const issues: ValidationIssue[] = [];
    const stored = cloneOrReport(record, 'record', issues);
    if (issues.length > 0 || stored === undefined)
      throw new ValidationError(issues, { prefix: 'Invalid notification' });
    this.#notifications.set(record.id, stored);
  }

  async createDeliveries(records: DeliveryRecord[]): Promise<void> {
    if (!Array.isArray(records)) throw invalid('records', 'Expected an array of delivery records');
    const issues: ValidationIssue[] = [];
    const firstIndex = new Map<string, number>();
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      checkDeliveryRecord(record, index, issues);
      if (!record || !isNonEmptyString(record.id)) continue;
      const first = firstIndex.get(record.id);
      if (first !== undefined) {
        issues.push({
          path: `records.${index}.id`,
          message: `Delivery ${JSON.stringify(record.id)} appears twice in the batch (also records.${first})`,
        });
      } else firstIndex.set(record.id, index);
    }
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid delivery records' });

    for (const input of records) {
      // A record already stored is left as it is: a resumed dispatch writes its records again.
      if (this.#deliveries.has(input.id)) continue;
      const record = copyDelivery(input);
      this.#deliverySequence += 1;
      const entry: DeliveryEntry = { sequence: this.#deliverySequence, record };
      this.#deliveries.set(record.id, entry);
      this.#deliveryLog.push(entry);
      appendTo(this.#deliveriesByNotification, record.notificationId, entry);
      if (this.#deliveriesByRecipient) appendTo(this.#deliveriesByRecipient, record.recipientId, entry);
      this.#indexStatus(entry, undefined);
      if (record.providerMessageId !== undefined)
        this.#deliveriesByProviderMessageId.set(record.providerMessageId, entry);
    }
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    const found: DeliveryRecord[] = [];
    for (const id of ids) {
      const entry = this.#deliveries.get(id);
      if (entry) found.push(copyDelivery(entry.record));
    }
    return found;
  }

  async updateDelivery(
    id: string,
    patch: DeliveryPatch,
    onlyFrom?: readonly DeliveryStatus[],
  ): Promise<DeliveryRecord | undefined> {
    if (patch?.status !== undefined && !DELIVERY_STATUSES.includes(patch.status)) {
      throw invalid(
        'patch.status',
        `Expected one of ${DELIVERY_STATUSES.join(', ')}, got ${JSON.stringify(patch.status)}`,
      );
    }
    const entry = this.#deliveries.get(id);
    if (!entry) return undefined;
    const record = entry.record;
    if (onlyFrom !== undefined && !onlyFrom.includes(record.status)) return undefined;

    const previousProviderMessageId = record.providerMessageId;
    const previousStatus = record.status;
    const target = record as unknown as Record<string, unknown>;
    for (const field of PATCHABLE_FIELDS) {
      // A field set to undefined leaves the stored value as it is.
      const value = patch[field];
      if (value === undefined) continue;
      target[field] = field === 'error' ? { ...(value as object) } : value;
    }
    record.updatedAt = this.#now();
    if (record.status !== previousStatus) this.#indexStatus(entry, previousStatus);
    if (record.providerMessageId !== previousProviderMessageId) {
      if (
        previousProviderMessageId !== undefined &&
        this.#deliveriesByProviderMessageId.get(previousProviderMessageId) === entry
      ) {
        this.#deliveriesByProviderMessageId.delete(previousProviderMessageId);
      }
      if (record.providerMessageId !== undefined) {
        this.#deliveriesByProviderMessageId.set(record.providerMessageId, entry);
      }
    }
    return copyDelivery(record);
  }

  async findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined> {
    const entry = this.#deliveriesByProviderMessageId.get(providerMessageId);
    return entry ? copyDelivery(entry.record) : undefined;
  }

  /** Newest first (reverse creation order; within one `createDeliveries` call, later records are newer). */
  async listDeliveries(query: DeliveryQuery = {}): Promise<DeliveryPage> {
    const limit = pageLimit(query.limit);
    const before =
      query.cursor === undefined ? Number.POSITIVE_INFINITY : decodeCursor(DELIVERY_CURSOR_PREFIX, query.cursor);
    if (query.status !== undefined && !DELIVERY_STATUSES.includes(query.status)) {
      throw invalid('status', `Expected one of ${DELIVERY_STATUSES.join(', ')}, got ${JSON.stringify(query.status)}`);
    }
    // Walk the narrowest index available and filter the rest.
    const source =
      query.notificationId !== undefined
        ? this.#deliveriesByNotification.get(query.notificationId)
        : query.recipientId !== undefined
          ? this.#recipientIndex().get(query.recipientId)
          : this.#deliveryLog;
    if (!source) return { records: [] };
    const { notificationId, recipientId, status } = query;
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
        : (this.#statusIndex().get(status) ?? new Set<DeliveryEntry>());
    const { picked, hasMore } =
      withStatus && matches && withStatus.size * SPARSE_RATIO < source.length
        ? // Few records have this status (failures, say): sorting them beats walking past everything else.
          pageSparse(withStatus, entrySequence, before, limit, matches)
        : pageBackward(source, entrySequence, before, limit, matches);
    const page: DeliveryPage = { records: picked.map((entry) => copyDelivery(entry.record)) };
    const last = picked[picked.length - 1];
    if (hasMore && last) page.nextCursor = encodeCursor(DELIVERY_CURSOR_PREFIX, last.sequence);
    return page;
  }

  // Idempotency.

  async claimIdempotencyKey(key: string, notificationId: string, ttlMs: number): Promise<IdempotencyClaim> {
    if (!isNonEmptyString(key)) throw invalid('key', 'Expected a non-empty string');
    if (!isNonEmptyString(notificationId)) throw invalid('notificationId', 'Expected a non-empty string');
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw invalid('ttlMs', `Expected a positive number of milliseconds, got ${String(ttlMs)}`);
    }
    const now = this.#clock.now();
    this.#sweepIdempotency(now);
    const held = this.#idempotency.get(key);
    if (held && held.expiresAt > now) return { claimed: false, notificationId: held.notificationId };
    // Delete before set so the key moves to the back of the expiry queue.
    this.#idempotency.delete(key);
    this.#idempotency.set(key, { notificationId, expiresAt: now + ttlMs });
    return { claimed: true };
  }

  async getIdempotencyKey(key: string): Promise<string | undefined> {
    const held = this.#idempotency.get(key);
    if (!held) return undefined;
    if (held.expiresAt <= this.#clock.now()) {
      this.#idempotency.delete(key);
      return undefined;
    }
    return held.notificationId;
  }

  async releaseIdempotencyKey(key: string, notificationId: string): Promise<void> {
    // Only the holder may release: a late release must not free a key someone else has claimed since.
    if (this.#idempotency.get(key)?.notificationId === notificationId) this.#idempotency.delete(key);
  }

  // Devices.

  async registerDevice(device: Device): Promise<void> {
    const issues: ValidationIssue[] = [];
    if (!device || !isNonEmptyString(device.token))
      issues.push({ path: 'device.token', message: 'Expected a non-empty string' });
    if (!device || !isNonEmptyString(device.userId))
      issues.push({ path: 'device.userId', message: 'Expected a non-empty string' });
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid device' });
    const previous = this.#devicesByToken.get(device.token);
    if (previous && previous.userId !== device.userId) this.#forgetDevice(previous);
    const stored = { ...device };
    this.#devicesByToken.set(stored.token, stored);
    let owned = this.#devicesByUser.get(stored.userId);
    if (!owned) {
      owned = new Map();
      this.#devicesByUser.set(stored.userId, owned);
    }
    owned.set(stored.token, stored);
  }

  /** Users without devices are absent from the map. */
  async listDevices(userIds: string[]): Promise<Map<string, Device[]>> {
    const result = new Map<string, Device[]>();
    for (const userId of userIds) {
      const owned = this.#devicesByUser.get(userId);
      if (owned && owned.size > 0)
        result.set(
          userId,
          [...owned.values()].map((device) => ({ ...device })),
        );
    }
    return result;
  }

  async removeDevice(token: string, options: { userId?: string } = {}): Promise<Device | undefined> {
    const device = this.#devicesByToken.get(token);
    if (!device || (options.userId !== undefined && device.userId !== options.userId)) return undefined;
    this.#forgetDevice(device);
    return { ...device };
  }

  // Preferences.

  async getPreferences(userIds: string[]): Promise<Map<string, Preferences>> {
    const result = new Map<string, Preferences>();
    for (const userId of userIds) {
      const preferences = this.#preferences.get(userId);
      if (preferences) result.set(userId, structuredClone(preferences));
    }
    return result;
  }

  async setPreferences(userId: string, preferences: Preferences): Promise<void> {
    if (!isNonEmptyString(userId)) throw invalid('userId', 'Expected a non-empty string');
    if (!preferences || typeof preferences !== 'object') throw invalid('preferences', 'Expected an object');
    const issues: ValidationIssue[] = [];
    const stored = cloneOrReport(preferences, 'preferences', issues);
    if (issues.length > 0 || stored === undefined) throw new ValidationError(issues, { prefix: 'Invalid preferences' });
    this.#preferences.set(userId, stored);
  }

  // Internals.

  #inbox(userId: string): UserInbox {
    let inbox = this.#inboxes.get(userId);
    if (!inbox) {
      inbox = {
        items: [],
        itemsByType: undefined,
        byId: undefined,
        unreadTotal: 0,
        unread: undefined,
        read: undefined,
        undelivered: undefined,
        unreadByType: new Map(),
        lastPosition: 0,
      };
      this.#inboxes.set(userId, inbox);
    }
    return inbox;
  }

  #read(inbox: UserInbox, item: InboxItem, at: string): void {
    item.readAt = at;
    inbox.unread?.delete(item);
    inbox.unreadTotal -= 1;
    const left = (inbox.unreadByType.get(item.type) ?? 1) - 1;
    if (left > 0) inbox.unreadByType.set(item.type, left);
    else inbox.unreadByType.delete(item.type);
    inbox.read ??= new Set();
    inbox.read.add(item);
  }

  /** Moves an entry between status sets, once the index exists. */
  #indexStatus(entry: DeliveryEntry, previous: DeliveryStatus | undefined): void {
    const index = this.#deliveriesByStatus;
    if (!index) return;
    if (previous !== undefined) index.get(previous)?.delete(entry);
    let entries = index.get(entry.record.status);
    if (!entries) {
      entries = new Set();
      index.set(entry.record.status, entries);
    }
    entries.add(entry);
  }

  #statusIndex(): Map<DeliveryStatus, Set<DeliveryEntry>> {
    if (!this.#deliveriesByStatus) {
      this.#deliveriesByStatus = new Map();
      for (const entry of this.#deliveryLog) this.#indexStatus(entry, undefined);
    }
    return this.#deliveriesByStatus;
  }

  #recipientIndex(): Map<string, DeliveryEntry[]> {
    this.#deliveriesByRecipient ??= groupBy(this.#deliveryLog, (entry) => entry.record.recipientId);
    return this.#deliveriesByRecipient;
  }

  #now(): string {
    const ms = this.#clock.now();
    if (ms !== this.#stampMs) {
      this.#stampMs = ms;
      this.#stamp = new Date(ms).toISOString();
    }
    return this.#stamp;
  }

  #forgetDevice(device: Device): void {
    this.#devicesByToken.delete(device.token);
    const owned = this.#devicesByUser.get(device.userId);
    if (!owned) return;
    owned.delete(device.token);
    if (owned.size === 0) this.#devicesByUser.delete(device.userId);
  }

  /** Drops expired claims from the front of the queue; amortised O(1) per claim. */
  #sweepIdempotency(now: number): void {
    for (const [key, entry] of this.#idempotency) {
      if (entry.expiresAt > now) return;
      this.#idempotency.delete(key);
    }
  }
}

/** The factory form, for hosts that prefer `createX(settings)` like the rest of Herald. */
export function createMemoryStore(settings: MemoryStoreSettings = {}): MemoryStore {
  return new MemoryStore(settings);
}

/** Counts an item as unread; callers pass only items that were not (new, or read until now). */
function addUnread(inbox: UserInbox, item: InboxItem): void {
  inbox.unread?.add(item);
  inbox.unreadTotal += 1;
  inbox.unreadByType.set(item.type, (inbox.unreadByType.get(item.type) ?? 0) + 1);
}

function unreadItems(inbox: UserInbox): Set<InboxItem> {
  inbox.unread ??= setOf(inbox.items, (item) => item.readAt === undefined);
  return inbox.unread;
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

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw invalid('limit', `Expected an integer from 1 to ${MAX_PAGE_LIMIT}, got ${String(limit)}`);
  }
  return limit;
}

// Cursors are opaque to callers; the prefix keeps an inbox cursor from being accepted as a delivery cursor.
function encodeCursor(prefix: string, key: number): string {
  return `${prefix}${key.toString(36)}`;
}

function decodeCursor(prefix: string, cursor: string): number {
  if (typeof cursor === 'string' && cursor.startsWith(prefix) && /^[0-9a-z]{1,11}$/.test(cursor.slice(prefix.length))) {
    const key = Number.parseInt(cursor.slice(prefix.length), 36);
    if (Number.isSafeInteger(key) && key >= 1) return key;
  }
  throw invalid('cursor', `Malformed cursor ${JSON.stringify(cursor)}: pass the nextCursor of a previous page`);
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }]);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Returns the date as epoch ms; throws when it is not a parseable date string. */
function checkDate(value: unknown, path: string): number {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw invalid(path, `Expected an ISO 8601 date string, got ${JSON.stringify(value)}`);
  return time;
}

const NEW_ITEM_STRINGS = ['id', 'userId', 'notificationId', 'type', 'createdAt'] as const;
const NEW_ITEM_TEXTS = ['title', 'body'] as const;
const DELIVERY_STRINGS = ['id', 'notificationId', 'type', 'recipientId', 'kind', 'createdAt', 'updatedAt'] as const;

// The checks run once per item on the write path: paths are only built for an issue.
function checkNewItem(item: unknown, index: number, issues: ValidationIssue[]): void {
  if (!item || typeof item !== 'object') {
    issues.push({ path: `items.${index}`, message: 'Expected an inbox item object' });
    return;
  }
  const record = item as Record<string, unknown>;
  for (const field of NEW_ITEM_STRINGS) {
    if (!isNonEmptyString(record[field]))
      issues.push({ path: `items.${index}.${field}`, message: 'Expected a non-empty string' });
  }
  for (const field of NEW_ITEM_TEXTS) {
    if (typeof record[field] !== 'string')
      issues.push({ path: `items.${index}.${field}`, message: 'Expected a string' });
  }
}

function checkDeliveryRecord(record: unknown, index: number, issues: ValidationIssue[]): void {
  if (!record || typeof record !== 'object') {
    issues.push({ path: `records.${index}`, message: 'Expected a delivery record object' });
    return;
  }
  const fields = record as Record<string, unknown>;
  for (const field of DELIVERY_STRINGS) {
    if (!isNonEmptyString(fields[field]))
      issues.push({ path: `records.${index}.${field}`, message: 'Expected a non-empty string' });
  }
  if (!DELIVERY_STATUSES.includes(fields.status as DeliveryStatus)) {
    issues.push({ path: `records.${index}.status`, message: `Expected one of ${DELIVERY_STATUSES.join(', ')}` });
  }
}

/** A deep copy, or an issue when the value holds something a copy cannot carry (functions, symbols). */
function cloneOrReport<T>(value: T, path: string, issues: ValidationIssue[]): T | undefined {
  try {
    return structuredClone(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path, message: `Expected plain data (JSON-like values): ${reason}` });
    return undefined;
  }
}

/** The item's declared fields only: read or delivered state (or anything else) a loose caller sent is dropped. */
function toStoredItem(input: NewInboxItem, position: number, data: Record<string, unknown> | undefined): InboxItem {
  const item = toNewInboxItem(input, input) as InboxItem;
  item.position = position;
  if (data !== undefined) item.data = data;
  return item;
}

function copyItem(item: InboxItem): InboxItem {
  const copy = { ...item };
  if (item.data !== undefined) copy.data = structuredClone(item.data);
  return copy;
}

function copyDelivery(record: DeliveryRecord): DeliveryRecord {
  const copy = { ...record };
  if (record.error !== undefined) copy.error = { ...record.error };
  return copy;
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
