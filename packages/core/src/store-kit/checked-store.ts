// The Store every driver is wrapped in: it checks and normalises each input once, splits bulk input into chunks,
// turns driver pages into cursors, and only then calls the driver. Like unstorage's normalisation layer and
// better-auth's adapter factory, it is why a driver holds only its data structures and scripts.

import type { Clock } from '../clock';
import type {
  BeginNotificationOptions,
  BeginNotificationResult,
  DeliveryPage,
  DeliveryPatch,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  InboxItem,
  InboxPage,
  InboxQuery,
  LeaseNotificationsOptions,
  NewInboxItem,
  NotificationRecord,
  Preferences,
  Store,
  UnreadCount,
} from '../spec/store';
import { checkDeliveryPatch, checkDeliveryQuery, checkDeliveryRecord, checkOnlyFrom } from './check-deliveries';
import { checkDevice, checkPreferences, checkRemoveDeviceOptions } from './check-devices';
import { checkInboxQuery, checkNewInboxItem, checkReadAllOptions, checkReplay } from './check-inbox';
import { checkBeginNotification, checkLeaseNotifications } from './check-notifications';
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

  async markAllRead(userId: string, options: { type?: string }, at: string): Promise<number> {
    checkId(userId, 'userId');
    const type = checkReadAllOptions(options);
    return this.#driver.markAllRead(userId, type, checkDate(at, 'at'));
  }

  async markDelivered(userId: string, ids: string[], at: string): Promise<string[]> {
    checkId(userId, 'userId');
    const checked = checkIds(ids, 'ids');
    const date = checkDate(at, 'at');
    return mapChunks(checked, (chunk) => this.#driver.markDelivered(userId, chunk, date), this.#chunks);
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

  async findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined> {
    return this.#driver.findDeliveryByProviderMessageId(checkId(providerMessageId, 'providerMessageId'));
  }

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryPage> {
    const page = await this.#driver.listDeliveries(checkDeliveryQuery(query));
    const result: DeliveryPage = { records: page.entries };
    if (page.nextKey !== undefined) result.nextCursor = encodeCursor('deliveries', page.nextKey);
    return result;
  }

  // Idempotency.

  async getIdempotencyKey(key: string): Promise<string | undefined> {
    return this.#driver.getIdempotencyKey(checkId(key, 'key'), this.#clock.now());
  }

  // Devices.

  async registerDevice(device: Device): Promise<void> {
    await this.#driver.registerDevice(checkDevice(device));
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
