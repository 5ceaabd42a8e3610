// The Store every driver is wrapped in: it checks and normalises each input once, splits bulk input into chunks,
// turns driver pages into cursors, and only then calls the driver. Like unstorage's normalisation layer and
// better-auth's adapter factory, it is why a driver holds only its data structures and scripts.

import type { Clock } from '../clock';
import type {
  BeginNotificationOptions,
  BeginNotificationResult,
  BulkInboxOptions,
  DeliveredAck,
  DeliveryPage,
  DeliveryPatch,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStatus,
  DeliveryUpdate,
  Device,
  DigestBucket,
  DigestCloseResult,
  DigestJoin,
  DigestJoinResult,
  InboxItem,
  InboxPage,
  InboxQuery,
  LeaseNotificationsOptions,
  NewInboxItem,
  NotificationRecord,
  Preferences,
  RegisterDeviceOptions,
  RegisterDeviceResult,
  Store,
  ThrottleRequest,
  TypedBulkInboxOptions,
  UnreadCount,
} from '../spec/store';
import {
  checkDeliveryPatch,
  checkDeliveryQuery,
  checkDeliveryRecord,
  checkDeliveryUpdate,
  checkOnlyFrom,
} from './check-deliveries';
import { checkDevice, checkPreferences, checkRegisterDeviceOptions, checkRemoveDeviceOptions } from './check-devices';
import { checkDigestJoin, checkDigestListing, type PayloadCopies } from './check-digests';
import {
  type CheckedAck,
  checkAck,
  checkBulkOptions,
  checkInboxQuery,
  checkNewInboxItem,
  checkReplay,
} from './check-inbox';
import { checkBeginNotification, checkLeaseNotifications } from './check-notifications';
import { checkThrottleRequest } from './check-throttles';
import { checkDate, checkId, checkIds } from './check-values';
import { type ChunkOptions, forEachChunk, mapChunks, yieldToEventLoop } from './chunks';
import { encodeCursor } from './cursor-codec';
import { IssueList, invalid } from './input-issues';
import type { StoreDriver } from './store-driver';
import { storeLimits } from './store-limits';

export interface CheckedStoreSettings {
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
}

/**
 * Checks a whole batch before anything is written — a bad element at index 9,999 of 10,000 refuses it all — in
 * chunks with a turn of the event loop between them, and returns the checked copies.
 */
async function checkBatch<T>(
  input: unknown,
  path: string,
  what: string,
  checkOne: (value: unknown, index: number, issues: IssueList) => T | undefined,
): Promise<T[]> {
  if (!Array.isArray(input)) throw invalid(path, `Expected an array of ${what}`);
  const issues = new IssueList();
  const checked: T[] = new Array(input.length);
  for (let start = 0; start < input.length; start += storeLimits.chunkSize) {
    if (start > 0) await yieldToEventLoop();
    const end = Math.min(input.length, start + storeLimits.chunkSize);
    for (let index = start; index < end; index++) {
      const value = checkOne(input[index], index, issues);
      if (value !== undefined) checked[index] = value;
    }
  }
  issues.throwIfAny(`Invalid ${what}`, path);
  return checked;
}

function mergeMaps<V>(target: Map<string, V>, source: Map<string, V>): Map<string, V> {
  for (const [key, value] of source) target.set(key, value);
  return target;
}

/**
 * A Store (spec v1) over a driver. Hosts construct stores that extend it (`class MemoryStore extends CheckedStore`)
 * or call `createStore(driver)`.
 */
export class CheckedStore implements Store {
  readonly specificationVersion = 'v1' as const;

  readonly #driver: StoreDriver;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #chunks: ChunkOptions;
  /** The last `updatedAt` stamp and the millisecond it stands for: one ISO string per ms, not per update. */
  #stampMs = Number.NaN;
  #stamp = '';

  constructor(driver: StoreDriver, settings: CheckedStoreSettings = {}) {
    this.#driver = driver;
    this.#clock = settings.clock ?? { now: () => Date.now() };
    this.#chunks = { size: storeLimits.chunkSize, inFlight: driver.chunksInFlight ?? 1 };
  }

  // Inbox.

  async insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]> {
    const checked = await checkBatch(items, 'items', 'inbox items', checkNewInboxItem);
    return mapChunks(checked, (chunk) => this.#driver.insertInboxItems(chunk), this.#chunks);
  }

  async getInboxItems(userId: string, ids: string[]): Promise<InboxItem[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    return mapChunks(checked, (chunk) => this.#driver.getInboxItems(userId, chunk), this.#chunks);
  }

  async listInbox(userId: string, query?: InboxQuery): Promise<InboxPage> {
    checkId(userId, 'userId');
    const page = await this.#driver.listInbox(userId, checkInboxQuery(query));
    const result: InboxPage = { items: page.entries };
    if (page.nextKey !== undefined) result.nextCursor = encodeCursor('inbox', page.nextKey);
    return result;
  }

  async listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]> {
    checkId(userId, 'userId');
    const replay = checkReplay(afterPosition, limit);
    return this.#driver.listInboxAfter(userId, replay.afterPosition, replay.limit);
  }

  async lastPosition(userId: string): Promise<number> {
    return this.#driver.lastPosition(checkId(userId, 'userId'));
  }

  async unreadCount(userId: string): Promise<UnreadCount> {
    return this.#driver.unreadCount(checkId(userId, 'userId'));
  }

  async markRead(userId: string, ids: string[], at: string): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    const date = checkDate(at, 'at');
    return mapChunks(checked, (chunk) => this.#driver.markRead(userId, chunk, date), this.#chunks);
  }

  async markUnread(userId: string, ids: string[]): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    return mapChunks(checked, (chunk) => this.#driver.markUnread(userId, chunk), this.#chunks);
  }

  async markAllRead(userId: string, options: TypedBulkInboxOptions, at: string): Promise<number> {
    checkId(userId, 'userId');
    const checked = checkBulkOptions(options, true);
    return this.#driver.markAllRead(userId, checked, checkDate(at, 'at'));
  }

  async markSeen(userId: string, ids: string[], at: string): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    const date = checkDate(at, 'at');
    return mapChunks(checked, (chunk) => this.#driver.markSeen(userId, chunk, date), this.#chunks);
  }

  async markAllSeen(userId: string, options: BulkInboxOptions, at: string): Promise<number> {
    checkId(userId, 'userId');
    const checked = checkBulkOptions(options, false);
    return this.#driver.markAllSeen(userId, checked, checkDate(at, 'at'));
  }

  async archive(userId: string, ids: string[], at: string): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    const date = checkDate(at, 'at');
    return mapChunks(checked, (chunk) => this.#driver.archive(userId, chunk, date), this.#chunks);
  }

  async unarchive(userId: string, ids: string[]): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    return mapChunks(checked, (chunk) => this.#driver.unarchive(userId, chunk), this.#chunks);
  }

  async archiveAllRead(userId: string, options: TypedBulkInboxOptions, at: string): Promise<number> {
    checkId(userId, 'userId');
    const checked = checkBulkOptions(options, true);
    return this.#driver.archiveAllRead(userId, checked, checkDate(at, 'at'));
  }

  async markDelivered(userId: string, ids: string[], at: string): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    const date = checkDate(at, 'at');
    return mapChunks(checked, (chunk) => this.#driver.markDelivered(userId, chunk, date), this.#chunks);
  }

  async markDeliveredMany(acks: DeliveredAck[], at: string): Promise<string[][]> {
    const checked = await checkBatch(acks, 'acks', 'acknowledgements', checkAck);
    const date = checkDate(at, 'at');
    const results: string[][] = checked.map(() => []);
    // Pieces of at most one chunk of ids, then calls of at most one chunk of ids between their pieces.
    const size = storeLimits.chunkSize;
    const calls: { entry: number; ack: CheckedAck }[][] = [];
    let call: { entry: number; ack: CheckedAck }[] = [];
    let idsInCall = 0;
    checked.forEach((ack, entry) => {
      for (let start = 0; start < ack.ids.length; start += size) {
        const ids = ack.ids.length <= size ? ack.ids : ack.ids.slice(start, start + size);
        if (idsInCall + ids.length > size && call.length > 0) {
          calls.push(call);
          call = [];
          idsInCall = 0;
        }
        call.push({ entry, ack: { userId: ack.userId, ids } });
        idsInCall += ids.length;
      }
    });
    if (call.length > 0) calls.push(call);
    const driver = this.#driver;
    for (const [index, pieces] of calls.entries()) {
      if (index > 0) await yieldToEventLoop();
      if (driver.markDeliveredMany) {
        const changed = await driver.markDeliveredMany(
          pieces.map((piece) => piece.ack),
          date,
        );
        pieces.forEach((piece, position) => {
          for (const id of changed[position] ?? []) results[piece.entry]?.push(id);
        });
        continue;
      }
      // A driver without the bulk operation: its single one, in input order.
      for (const piece of pieces) {
        for (const id of await driver.markDelivered(piece.ack.userId, piece.ack.ids, date)) {
          results[piece.entry]?.push(id);
        }
      }
    }
    return results;
  }

  async pruneInbox(options: { readBefore: string }): Promise<number> {
    if (options === null || typeof options !== 'object') throw invalid('options', 'Expected an object');
    return this.#driver.pruneInbox(checkDate(options.readBefore, 'readBefore'));
  }

  // Notifications: the outbox.

  async beginNotification(
    record: NotificationRecord,
    options: BeginNotificationOptions,
  ): Promise<BeginNotificationResult> {
    return this.#driver.beginNotification(checkBeginNotification(record, options), this.#clock.now());
  }

  async getNotification(id: string): Promise<NotificationRecord | undefined> {
    return this.#driver.getNotification(checkId(id, 'id'));
  }

  async leaseNotifications(options: LeaseNotificationsOptions): Promise<NotificationRecord[]> {
    return this.#driver.leaseNotifications(checkLeaseNotifications(options), this.#clock.now());
  }

  async renewNotificationLease(id: string, leaseUntil: string): Promise<boolean> {
    checkId(id, 'id');
    return this.#driver.renewNotificationLease(id, checkDate(leaseUntil, 'leaseUntil'));
  }

  async markNotificationDispatched(id: string): Promise<void> {
    await this.#driver.markNotificationDispatched(checkId(id, 'id'));
  }

  // Deliveries.

  async createDeliveries(records: DeliveryRecord[]): Promise<void> {
    const seen = new Set<string>();
    const checked = await checkBatch(records, 'records', 'delivery records', (value, index, issues) =>
      checkDeliveryRecord(value, index, issues, seen),
    );
    await forEachChunk(checked, (chunk) => this.#driver.createDeliveries(chunk), this.#chunks);
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    const checked = checkIds(ids, 'ids');
    return mapChunks(checked, (chunk) => this.#driver.getDeliveries(chunk), this.#chunks);
  }

  async updateDelivery(
    id: string,
    patch: DeliveryPatch,
    onlyFrom?: readonly DeliveryStatus[],
  ): Promise<DeliveryRecord | undefined> {
    checkId(id, 'id');
    const checkedPatch = checkDeliveryPatch(patch);
    const statuses = checkOnlyFrom(onlyFrom);
    return this.#driver.updateDelivery(id, checkedPatch, statuses, this.#now());
  }

  async updateDeliveries(updates: DeliveryUpdate[]): Promise<(DeliveryRecord | undefined)[]> {
    const checked = await checkBatch(updates, 'updates', 'delivery updates', checkDeliveryUpdate);
    const updatedAt = this.#now();
    const driver = this.#driver;
    if (driver.updateDeliveries) {
      const bulk = driver.updateDeliveries.bind(driver);
      return mapChunks(checked, (chunk) => bulk(chunk, updatedAt), this.#chunks);
    }
    // A driver without the bulk operation: its single one, in input order (an id given twice sees its first update).
    const results: (DeliveryRecord | undefined)[] = [];
    for (const update of checked) {
      results.push(await driver.updateDelivery(update.id, update.patch, update.onlyFrom, updatedAt));
    }
    return results;
  }

  async findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined> {
    return this.#driver.findDeliveryByProviderMessageId(checkId(providerMessageId, 'providerMessageId'));
  }

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryPage> {
    const page = await this.#driver.listDeliveries(checkDeliveryQuery(query));
    const result: DeliveryPage = { records: page.entries };
    if (page.nextKey !== undefined) result.nextCursor = encodeCursor('deliveries', page.nextKey);
    return result;
  }

  // Digests and throttles.

  async joinDigests(joins: DigestJoin[]): Promise<DigestJoinResult[]> {
    const copies: PayloadCopies = new Map();
    const checked = await checkBatch(joins, 'joins', 'digest joins', (value, index, issues) =>
      checkDigestJoin(value, index, issues, copies),
    );
    return mapChunks(checked, (chunk) => this.#driver.joinDigests(chunk), this.#chunks);
  }

  async getDigest(recipientId: string, id: string): Promise<DigestBucket | undefined> {
    checkId(recipientId, 'recipientId');
    return this.#driver.getDigest(recipientId, checkId(id, 'id'));
  }

  async closeDigest(recipientId: string, id: string, at: string): Promise<DigestCloseResult | undefined> {
    checkId(recipientId, 'recipientId');
    checkId(id, 'id');
    return this.#driver.closeDigest(recipientId, id, checkDate(at, 'at'));
  }

  async expediteDigest(recipientId: string, id: string, at: string): Promise<DigestBucket | undefined> {
    checkId(recipientId, 'recipientId');
    checkId(id, 'id');
    return this.#driver.expediteDigest(recipientId, id, checkDate(at, 'at'));
  }

  async leaveDigest(recipientId: string, id: string, notificationId: string): Promise<boolean> {
    checkId(recipientId, 'recipientId');
    checkId(id, 'id');
    return this.#driver.leaveDigest(recipientId, id, checkId(notificationId, 'notificationId'));
  }

  async listOpenDigests(keyPrefix: string, options: { limit: number; after?: string }): Promise<DigestBucket[]> {
    return this.#driver.listOpenDigests(keyPrefix, checkDigestListing(keyPrefix, options));
  }

  async takeThrottles(requests: ThrottleRequest[]): Promise<boolean[]> {
    const checked = await checkBatch(requests, 'requests', 'throttle requests', checkThrottleRequest);
    return mapChunks(checked, (chunk) => this.#driver.takeThrottles(chunk), this.#chunks);
  }

  // Idempotency.

  async getIdempotencyKey(key: string): Promise<string | undefined> {
    return this.#driver.getIdempotencyKey(checkId(key, 'key'), this.#clock.now());
  }

  // Devices.

  async registerDevice(device: Device, options?: RegisterDeviceOptions): Promise<RegisterDeviceResult> {
    const checked = checkDevice(device);
    return this.#driver.registerDevice(checked, checkRegisterDeviceOptions(options));
  }

  async listDevices(userIds: string[]): Promise<Map<string, Device[]>> {
    const checked = checkIds(userIds, 'userIds');
    const result = new Map<string, Device[]>();
    await forEachChunk(
      checked,
      async (chunk) => mergeMaps(result, await this.#driver.listDevices(chunk)),
      this.#chunks,
    );
    return result;
  }

  async removeDevice(token: string, options?: { userId?: string }): Promise<Device | undefined> {
    checkId(token, 'token');
    return this.#driver.removeDevice(token, checkRemoveDeviceOptions(options));
  }

  // Preferences.

  async getPreferences(userIds: string[]): Promise<Map<string, Preferences>> {
    const checked = checkIds(userIds, 'userIds');
    const result = new Map<string, Preferences>();
    await forEachChunk(
      checked,
      async (chunk) => mergeMaps(result, await this.#driver.getPreferences(chunk)),
      this.#chunks,
    );
    return result;
  }

  async setPreferences(userId: string, preferences: Preferences): Promise<void> {
    checkId(userId, 'userId');
    await this.#driver.setPreferences(userId, checkPreferences(preferences));
  }

  async close(): Promise<void> {
    await this.#driver.close?.();
  }

  #now(): string {
    const ms = this.#clock.now();
    if (ms !== this.#stampMs) {
      this.#stampMs = ms;
      this.#stamp = new Date(ms).toISOString();
    }
    return this.#stamp;
  }
}

/** The Store (spec v1) over a driver: every input checked and bounded before the driver sees it. */
export function createStore(driver: StoreDriver, settings: CheckedStoreSettings = {}): Store {
  return new CheckedStore(driver, settings);
}
