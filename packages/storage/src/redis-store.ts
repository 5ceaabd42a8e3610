// RedisStore: the Store spec v1 on Redis (standalone or Cluster) through an ioredis client the host passes in.
// Multi-key state changes run as Lua scripts (redis-scripts.ts), so counters never drift from the items.

import {
  type Clock,
  ConfigurationError,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStatus,
  type Device,
  HeraldError,
  type InboxItem,
  type InboxPage,
  type InboxQuery,
  type InboxStatusFilter,
  type Logger,
  type NotificationRecord,
  type Preferences,
  type Store,
  StoreError,
  type UnreadCount,
  ValidationError,
  type ValidationIssue,
} from '@herald/core';
import type { DeliveryPatch, IdempotencyClaim, NewInboxItem } from '@herald/core/spec';
import { toNewInboxItem } from '@herald/core/store-kit';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { type RedisScriptName, redisScripts } from './redis-scripts';

/** An ioredis client: a `Redis` connection or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** The client options the store checks (`replyMapping` exists from ioredis 6 on). */
interface ClientOptions {
  keyPrefix?: string;
  replyMapping?: string;
}

export interface RedisStoreSettings {
  /**
   * The ioredis client to use (`new Redis(url)` or `new Redis.Cluster(nodes)`). Give it `commandTimeout` and
   * `maxRetriesPerRequest` so commands fail in bounded time while Redis is unreachable. The store never closes it.
   */
  redis: RedisClient;
  /** Prepended to every key (default `herald:`). Must not contain `{` or `}`. */
  prefix?: string | undefined;
  /**
   * Upper bound for one store call (default 10 s). A call still waiting then rejects with a `StoreError`, so a
   * caller never hangs on an unreachable Redis even when the client queues commands offline.
   */
  timeoutMs?: number | undefined;
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
  /** Receives a debug line when a call fails. Silent by default. */
  logger?: Logger | undefined;
}

const DEFAULT_PREFIX = 'herald:';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE_LIMIT = 20;
const MAX_PAGE_LIMIT = 100;
/** Items per insert script call: bounds how long one script holds Redis. */
const INSERT_CHUNK = 500;
/** Delivery records per script call when creating them on a single Redis. */
const DELIVERY_CHUNK = 500;
/** Items per mark-all-read and prune script call, for the same reason. */
const SWEEP_CHUNK = 1_000;
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
/** Hash field holding a delivery's store-wide creation sequence (not part of the record). */
const SEQUENCE_FIELD = '#seq';
/** Positions are written with 12 digits in index members. */
const MAX_POSITION = 999_999_999_999;

type ScriptArgument = string | number;

interface QueuedScript {
  name: RedisScriptName;
  args: ScriptArgument[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
type Commands = Record<string, (...args: ScriptArgument[]) => unknown>;
/** A stored item as the scripts return it: position, JSON, readAt, deliveredAt. */
type RawItem = [string | null, string | null, string | null, string | null];

/**
 * The Redis Store. Every key of one user shares the hash tag `{u:<userId>}`, so each inbox operation is one
 * script on one slot and works on Redis Cluster. Costs: insert O(log n) per item; `listInbox` (any filter) and
 * `listInboxAfter` O(log n + limit); `unreadCount` O(types) — one small hash, independent of inbox size.
 */
export class RedisStore implements Store {
  readonly specificationVersion = 'v1' as const;

  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #logger: Logger | undefined;
  #scriptQueue: QueuedScript[] = [];

  constructor(settings: RedisStoreSettings) {
    const redis = settings?.redis as RedisClient | undefined;
    if (!redis || typeof (redis as { defineCommand?: unknown }).defineCommand !== 'function') {
      throw new ConfigurationError(
        'RedisStore needs an ioredis client: `npm install ioredis`, then pass `new RedisStore({ redis: new Redis(url) })`.',
      );
    }
    const prefix = settings.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new ConfigurationError(
        `RedisStore prefix ${JSON.stringify(prefix)} must be a string without "{" or "}": the store adds its own hash tags.`,
      );
    }
    const options = (redis as { options?: ClientOptions & { redisOptions?: ClientOptions } }).options;
    if (options?.keyPrefix || options?.redisOptions?.keyPrefix) {
      throw new ConfigurationError(
        'RedisStore cannot use a client with the ioredis `keyPrefix` option (scripts build key names): use the store’s `prefix` setting instead.',
      );
    }
    // ioredis 6 can hand RESP3 maps over as objects and scores as numbers; the store reads the v5 shapes.
    if (options?.replyMapping === 'resp3' || options?.redisOptions?.replyMapping === 'resp3') {
      throw new ConfigurationError(
        "RedisStore cannot use a client with `replyMapping: 'resp3'`: create it with the default (`'legacy'`), or pass `client.duplicate({ replyMapping: 'legacy' })`.",
      );
    }
    const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new ConfigurationError(`RedisStore timeoutMs must be a positive number, got ${String(timeoutMs)}.`);
    }
    this.#redis = redis;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
    this.#clock = settings.clock ?? { now: () => Date.now() };
    this.#logger = settings.logger;
    for (const [name, script] of Object.entries(redisScripts)) {
      // Idempotent: several stores may share one client.
      if (typeof (redis as unknown as Commands)[name] !== 'function') redis.defineCommand(name, script);
    }
  }

  // Inbox.

  async insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]> {
    if (!Array.isArray(items)) throw invalid('items', 'Expected an array of inbox items');
    const issues: ValidationIssue[] = [];
    for (let index = 0; index < items.length; index++) checkNewItem(items[index], `items.${index}`, issues);
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid inbox items' });
    if (items.length === 0) return [];

    // On a single Redis one script call takes a chunk of items of any users; a Cluster needs one user per call
    // (one hash slot). Either way each user's items are processed in input order, so positions follow it.
    const groups: number[][] = [];
    if (this.#redis.isCluster) {
      const byUser = new Map<string, number[]>();
      for (let index = 0; index < items.length; index++) {
        const userId = items[index]!.userId;
        const list = byUser.get(userId);
        if (list) list.push(index);
        else byUser.set(userId, [index]);
      }
      groups.push(...byUser.values());
    } else {
      groups.push(items.map((_, index) => index));
    }
    const json: string[] = items.map(serializeNewItem);
    const calls: ScriptCall[] = [];
    const callIndexes: number[][] = [];
    for (const group of groups) {
      for (let start = 0; start < group.length; start += INSERT_CHUNK) {
        const chunk = group.slice(start, start + INSERT_CHUNK);
        const args: ScriptArgument[] = [`${this.#userBase(items[chunk[0]!]!.userId)}counts`, chunk.length];
        for (const index of chunk) {
          const each = items[index]!;
          args.push(this.#userBase(each.userId), each.id, each.type, json[index]!);
        }
        calls.push(['heraldInboxInsert', args]);
        callIndexes.push(chunk);
      }
    }
    return this.#call('insertInboxItems', async () => {
      const results = await this.#batch(calls);
      const stored: InboxItem[] = new Array(items.length);
      for (let call = 0; call < results.length; call++) {
        const entries = results[call] as (number | RawItem)[];
        const chunk = callIndexes[call]!;
        for (let offset = 0; offset < chunk.length; offset++) {
          const index = chunk[offset]!;
          const entry = entries[offset]!;
          stored[index] =
            typeof entry === 'number'
              ? { ...(JSON.parse(json[index]!) as NewInboxItem), position: entry }
              : toItem(entry)!;
        }
      }
      return stored;
    });
  }

  async getInboxItems(userId: string, ids: string[]): Promise<InboxItem[]> {
    if (!Array.isArray(ids)) throw invalid('ids', 'Expected an array of ids');
    if (ids.length === 0) return [];
    const base = this.#userBase(userId);
    return this.#call('getInboxItems', async () => {
      const results = await this.#batch(ids.map((id) => ['hmget', [`${base}i:${id}`, 'p', 'j', 'r', 'd']]));
      const found: InboxItem[] = [];
      for (const raw of results) {
        const item = toItem(raw as RawItem);
        if (item) found.push(item);
      }
      return found;
    });
  }

  async listInbox(userId: string, query: InboxQuery = {}): Promise<InboxPage> {
    const limit = pageLimit(query?.limit);
    const before = query.cursor === undefined ? undefined : decodeCursor(INBOX_CURSOR_PREFIX, query.cursor);
    if (query.status !== undefined && !INBOX_STATUSES.includes(query.status)) {
      throw invalid('status', `Expected one of ${INBOX_STATUSES.join(', ')}, got ${JSON.stringify(query.status)}`);
    }
    if (query.type !== undefined && typeof query.type !== 'string') throw invalid('type', 'Expected a string');
    const base = this.#userBase(userId);
    const prefix = inboxIndexPrefix(query.status, query.type);
    return this.#call('listInbox', async () => {
      const raw = (await this.#script('heraldInboxPage', [
        `${base}x`,
        base,
        // ':' sorts after every digit: the bound above all of the index's members.
        before === undefined ? `(${prefix}:` : `(${prefix}${padPosition(before)}`,
        `[${prefix}`,
        limit + 1,
        Buffer.byteLength(prefix, 'utf8'),
      ])) as RawItem[];
      const items: InboxItem[] = [];
      for (const entry of raw.slice(0, limit)) {
        const item = toItem(entry);
        if (item) items.push(item);
      }
      const page: InboxPage = { items };
      const last = items[items.length - 1];
      if (raw.length > limit && last) page.nextCursor = encodeCursor(INBOX_CURSOR_PREFIX, last.position);
      return page;
    });
  }

  async listInboxAfter(userId: string, afterPosition: number, limit: number): Promise<InboxItem[]> {
    if (typeof afterPosition !== 'number' || Number.isNaN(afterPosition)) {
      throw invalid('afterPosition', `Expected a number, got ${String(afterPosition)}`);
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw invalid('limit', `Expected a positive integer, got ${String(limit)}`);
    }
    const firstPosition = Math.max(0, Math.floor(afterPosition) + 1);
    if (firstPosition > MAX_POSITION) return [];
    const base = this.#userBase(userId);
    return this.#call('listInboxAfter', async () => {
      const raw = (await this.#script('heraldInboxAfter', [
        `${base}x`,
        base,
        `[a/${padPosition(firstPosition)}`,
        limit,
      ])) as RawItem[];
      const items: InboxItem[] = [];
      for (const entry of raw) {
        const item = toItem(entry);
        if (item) items.push(item);
      }
      return items;
    });
  }

  async lastPosition(userId: string): Promise<number> {
    const key = `${this.#userBase(userId)}counts`;
    return this.#call('lastPosition', async () => Number((await this.#redis.hget(key, 'pos')) ?? 0));
  }

  async unreadCount(userId: string): Promise<UnreadCount> {
    const key = `${this.#userBase(userId)}counts`;
    return this.#call('unreadCount', async () => {
      const fields = await this.#redis.hgetall(key);
      const byType: Record<string, number> = {};
      let total = 0;
      for (const [field, value] of Object.entries(fields)) {
        if (field === '#') total = Number(value);
        else if (field.startsWith('t:') && Number(value) > 0) byType[field.slice(2)] = Number(value);
      }
      return { total, byType };
    });
  }

  async markRead(userId: string, ids: string[], at: string): Promise<string[]> {
    const atMs = checkDate(at, 'at');
    if (!Array.isArray(ids)) throw invalid('ids', 'Expected an array of ids');
    if (ids.length === 0) return [];
    const base = this.#userBase(userId);
    return this.#call('markRead', async () => {
      const changed = await this.#changeThenRegisterReader(userId, [
        'heraldInboxMarkRead',
        [`${base}counts`, base, at, atMs, ...ids],
      ]);
      return changed as string[];
    });
  }

  async markUnread(userId: string, ids: string[]): Promise<string[]> {
    if (!Array.isArray(ids)) throw invalid('ids', 'Expected an array of ids');
    if (ids.length === 0) return [];
    const base = this.#userBase(userId);
    return this.#call(
      'markUnread',
      async () => (await this.#script('heraldInboxMarkUnread', [`${base}counts`, base, ...ids])) as string[],
    );
  }

  async markAllRead(userId: string, options: { type?: string }, at: string): Promise<number> {
    const atMs = checkDate(at, 'at');
    const type = options?.type;
    if (type !== undefined && typeof type !== 'string') throw invalid('options.type', 'Expected a string');
    const base = this.#userBase(userId);
    return this.#call('markAllRead', async () => {
      // Chunked so one call never holds Redis for long. The first chunk fixes the last position: items inserted
      // while the sweep runs stay unread. Each chunk moves its items and the counters together.
      let total = 0;
      let maxPosition = '';
      for (;;) {
        const [changed, fixed, hasMore] = (await this.#changeThenRegisterReader(userId, [
          'heraldInboxMarkAllRead',
          [`${base}counts`, base, at, atMs, maxPosition, type ?? '', SWEEP_CHUNK],
        ])) as [number, string, number];
        total += changed;
        maxPosition = String(fixed);
        if (!hasMore) return total;
      }
    });
  }

  async markDelivered(userId: string, ids: string[], at: string): Promise<string[]> {
    checkDate(at, 'at');
    if (!Array.isArray(ids)) throw invalid('ids', 'Expected an array of ids');
    if (ids.length === 0) return [];
    const base = this.#userBase(userId);
    return this.#call(
      'markDelivered',
      async () => (await this.#script('heraldInboxMarkDelivered', [`${base}x`, base, at, ...ids])) as string[],
    );
  }

  async pruneInbox(options: { readBefore: string }): Promise<number> {
    const cutoff = checkDate(options?.readBefore, 'readBefore');
    const registry = this.#pruneRegistry();
    return this.#call(
      'pruneInbox',
      async () => {
        let removed = 0;
        let after = '-inf';
        for (;;) {
          // Walks the registry of users with read items by its sequence score: no SCAN, no KEYS.
          const page = await this.#redis.zrangebyscore(registry, after, '+inf', 'WITHSCORES', 'LIMIT', 0, 200);
          if (page.length === 0) return removed;
          for (let index = 0; index < page.length; index += 2) {
            const userId = page[index]!;
            const score = page[index + 1]!;
            const base = this.#userBase(userId);
            let left = 0;
            for (;;) {
              const [count, remaining] = (await this.#script('heraldInboxPrune', [
                `${base}readat`,
                base,
                cutoff,
                SWEEP_CHUNK,
              ])) as [number, number];
              removed += count;
              left = remaining;
              if (count < SWEEP_CHUNK) break;
            }
            // Forget users with no read items left, unless they read something since this walk saw them.
            if (left === 0) await this.#script('heraldZremIfScore', [registry, userId, score]);
          }
          after = `(${page[page.length - 1]}`;
        }
      },
      // A prune walks every user with read items; it gets more time than a request-path call.
      this.#timeoutMs * 30,
    );
  }

  // Notifications and deliveries.

  async saveNotification(record: NotificationRecord): Promise<void> {
    if (!record || !isNonEmptyString(record.id)) throw invalid('record.id', 'Expected a non-empty string');
    const key = this.#notificationKey(record.id);
    const json = JSON.stringify(record);
    await this.#call('saveNotification', async () => {
      await this.#redis.set(key, json);
    });
  }

  async getNotification(id: string): Promise<NotificationRecord | undefined> {
    const key = this.#notificationKey(id);
    return this.#call('getNotification', async () => {
      const json = await this.#redis.get(key);
      return json === null ? undefined : (JSON.parse(json) as NotificationRecord);
    });
  }

  async createDeliveries(records: DeliveryRecord[]): Promise<void> {
    if (!Array.isArray(records)) throw invalid('records', 'Expected an array of delivery records');
    const issues: ValidationIssue[] = [];
    const seen = new Set<string>();
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      checkDeliveryRecord(record, `records.${index}`, issues);
      if (!record || !isNonEmptyString(record.id)) continue;
      if (seen.has(record.id)) {
        issues.push({ path: `records.${index}.id`, message: `Delivery ${JSON.stringify(record.id)} already exists` });
      }
      seen.add(record.id);
    }
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid delivery records' });
    if (records.length === 0) return;

    await this.#call('createDeliveries', async () => {
      // On a single Redis a script call handles a chunk of records; a Cluster needs one record (slot) per call.
      const chunkSize = this.#redis.isCluster ? 1 : DELIVERY_CHUNK;
      const keys = records.map((record) => this.#deliveryKey(record.id));
      const checks: ScriptCall[] = [];
      for (let start = 0; start < keys.length; start += chunkSize) {
        const chunk = keys.slice(start, start + chunkSize);
        checks.push(['heraldDeliveriesExist', [chunk[0] as string, ...chunk]]);
      }
      const taken: ValidationIssue[] = [];
      (await this.#batch(checks)).forEach((positions, call) => {
        for (const position of positions as number[]) {
          const index = call * chunkSize + position - 1;
          taken.push({
            path: `records.${index}.id`,
            message: `Delivery ${JSON.stringify(records[index]?.id)} already exists`,
          });
        }
      });
      if (taken.length > 0) throw new ValidationError(taken, { prefix: 'Invalid delivery records' });

      // Store-wide creation order, which listDeliveries pages by (newest first).
      const last = await this.#redis.incrby(`${this.#prefix}deliveries:seq`, records.length);
      const first = last - records.length + 1;
      const calls: ScriptCall[] = [];
      // Records in chunked script calls (ARGV per record: key, field/value pair count, the pairs).
      for (let start = 0; start < records.length; start += chunkSize) {
        const args: ScriptArgument[] = [keys[start] as string];
        for (let offset = start; offset < Math.min(records.length, start + chunkSize); offset++) {
          const fields: ScriptArgument[] = [SEQUENCE_FIELD, first + offset];
          for (const [field, value] of Object.entries(records[offset] as DeliveryRecord)) {
            if (value !== undefined) fields.push(field, JSON.stringify(value));
          }
          args.push(keys[offset] as string, fields.length / 2, ...fields);
        }
        calls.push(['heraldDeliveriesCreate', args]);
      }
      // Then their indexes, so a reader never finds an index entry without its record: one ZADD per index key
      // (store-wide, per notification, per recipient), not one per record.
      const indexes = new Map<string, ScriptArgument[]>();
      const index = (key: string, sequence: number, id: string): void => {
        const members = indexes.get(key);
        if (members) members.push(sequence, id);
        else indexes.set(key, [key, sequence, id]);
      };
      records.forEach((record, offset) => {
        const sequence = first + offset;
        index(`${this.#prefix}deliveries`, sequence, record.id);
        index(`${this.#notificationBase(record.notificationId)}deliveries`, sequence, record.id);
        index(`${this.#userBase(record.recipientId)}deliveries`, sequence, record.id);
      });
      for (const members of indexes.values()) calls.push(['zadd', members]);
      for (const record of records) {
        if (record.providerMessageId !== undefined) {
          calls.push(['set', [this.#providerMessageKey(record.providerMessageId), record.id]]);
        }
      }
      await this.#batch(calls, true);
    });
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    if (!Array.isArray(ids)) throw invalid('ids', 'Expected an array of ids');
    if (ids.length === 0) return [];
    return this.#call('getDeliveries', async () => {
      const results = await this.#batch(ids.map((id) => ['hgetall', [this.#deliveryKey(id)]]));
      return results.flatMap((fields) => {
        const record = toDelivery(fields as Record<string, string>);
        return record ? [record] : [];
      });
    });
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
    const args: ScriptArgument[] = [this.#deliveryKey(id), JSON.stringify(new Date(this.#clock.now()).toISOString())];
    if (onlyFrom === undefined) args.push(-1);
    else args.push(onlyFrom.length, ...onlyFrom.map((status) => JSON.stringify(status)));
    for (const field of PATCHABLE_FIELDS) {
      // A field set to undefined leaves the stored value as it is.
      const value = patch?.[field];
      if (value !== undefined) args.push(field, JSON.stringify(value));
    }
    return this.#call('updateDelivery', async () => {
      const result = (await this.#script('heraldDeliveryUpdate', args)) as string[] | null;
      if (!result) return undefined;
      const [previousJson, ...flat] = result;
      const record = toDelivery(pairsToObject(flat))!;
      const previous = previousJson ? (JSON.parse(previousJson) as string) : undefined;
      if (record.providerMessageId !== previous) {
        // The lookup index lives on another slot; it follows the record (a stale entry is checked on read).
        if (record.providerMessageId !== undefined) {
          await this.#redis.set(this.#providerMessageKey(record.providerMessageId), id);
        }
        if (previous !== undefined) await this.#script('heraldDelIfEqual', [this.#providerMessageKey(previous), id]);
      }
      return record;
    });
  }

  async findDeliveryByProviderMessageId(providerMessageId: string): Promise<DeliveryRecord | undefined> {
    const key = this.#providerMessageKey(providerMessageId);
    return this.#call('findDeliveryByProviderMessageId', async () => {
      const id = await this.#redis.get(key);
      if (id === null) return undefined;
      const record = toDelivery(await this.#redis.hgetall(this.#deliveryKey(id)));
      return record?.providerMessageId === providerMessageId ? record : undefined;
    });
  }

  /** Newest first (reverse creation order; within one `createDeliveries` call, later records are newer). */
  async listDeliveries(query: DeliveryQuery): Promise<DeliveryPage> {
    const limit = pageLimit(query?.limit);
    const before = query.cursor === undefined ? undefined : decodeCursor(DELIVERY_CURSOR_PREFIX, query.cursor);
    if (query.status !== undefined && !DELIVERY_STATUSES.includes(query.status)) {
      throw invalid('status', `Expected one of ${DELIVERY_STATUSES.join(', ')}, got ${JSON.stringify(query.status)}`);
    }
    const { notificationId, recipientId, status } = query;
    // Walk the narrowest index and filter the rest.
    const index =
      notificationId !== undefined
        ? `${this.#notificationBase(notificationId)}deliveries`
        : recipientId !== undefined
          ? `${this.#userBase(recipientId)}deliveries`
          : `${this.#prefix}deliveries`;
    const matches = (record: DeliveryRecord): boolean =>
      (status === undefined || record.status === status) &&
      (recipientId === undefined || record.recipientId === recipientId) &&
      (notificationId === undefined || record.notificationId === notificationId);
    return this.#call('listDeliveries', async () => {
      const picked: { record: DeliveryRecord; sequence: number }[] = [];
      let max = before === undefined ? '+inf' : `(${before}`;
      const step = Math.max(limit + 1, 50);
      for (;;) {
        const page = await this.#redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, step);
        if (page.length === 0) break;
        const ids = page.filter((_, position) => position % 2 === 0);
        const results = await this.#batch(ids.map((id) => ['hgetall', [this.#deliveryKey(id)]]));
        for (let position = 0; position < ids.length; position++) {
          const record = toDelivery(results[position] as Record<string, string>);
          if (!record || !matches(record)) continue;
          picked.push({ record, sequence: Number(page[position * 2 + 1]) });
          if (picked.length > limit) break;
        }
        if (picked.length > limit || ids.length < step) break;
        max = `(${page[page.length - 1]}`;
      }
      const result: DeliveryPage = { records: picked.slice(0, limit).map((entry) => entry.record) };
      if (picked.length > limit) result.nextCursor = encodeCursor(DELIVERY_CURSOR_PREFIX, picked[limit - 1]!.sequence);
      return result;
    });
  }

  // Idempotency.

  async claimIdempotencyKey(key: string, notificationId: string, ttlMs: number): Promise<IdempotencyClaim> {
    if (!isNonEmptyString(key)) throw invalid('key', 'Expected a non-empty string');
    if (!isNonEmptyString(notificationId)) throw invalid('notificationId', 'Expected a non-empty string');
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw invalid('ttlMs', `Expected a positive number of milliseconds, got ${String(ttlMs)}`);
    }
    const now = this.#clock.now();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return this.#call('claimIdempotencyKey', async () => {
      const held = (await this.#script('heraldIdempotencyClaim', [
        this.#idempotencyKey(key),
        now,
        ttl,
        `${now + ttl}|${notificationId}`,
      ])) as string | null;
      if (held === null) return { claimed: true };
      return { claimed: false, notificationId: held.slice(held.indexOf('|') + 1) };
    });
  }

  async getIdempotencyKey(key: string): Promise<string | undefined> {
    const redisKey = this.#idempotencyKey(key);
    return this.#call('getIdempotencyKey', async () => {
      const held = await this.#redis.get(redisKey);
      if (held === null) return undefined;
      const bar = held.indexOf('|');
      // The expiry is checked against the store's clock; Redis's own TTL only collects the key.
      if (Number(held.slice(0, bar)) <= this.#clock.now()) return undefined;
      return held.slice(bar + 1);
    });
  }

  async releaseIdempotencyKey(key: string, notificationId: string): Promise<void> {
    const redisKey = this.#idempotencyKey(key);
    await this.#call('releaseIdempotencyKey', async () => {
      await this.#script('heraldIdempotencyRelease', [redisKey, notificationId]);
    });
  }

  // Devices. The token key (`{dev:<token>}` → owner) is the truth; each user's hash lists their devices.

  async registerDevice(device: Device): Promise<void> {
    const issues: ValidationIssue[] = [];
    if (!device || !isNonEmptyString(device.token)) {
      issues.push({ path: 'device.token', message: 'Expected a non-empty string' });
    }
    if (!device || !isNonEmptyString(device.userId)) {
      issues.push({ path: 'device.userId', message: 'Expected a non-empty string' });
    }
    if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid device' });
    const tokenKey = this.#deviceKey(device.token);
    const json = JSON.stringify(device);
    await this.#call('registerDevice', async () => {
      // New owner's list first, then the owner key (the truth), then the old owner's list: a failure at any step
      // leaves listDevices right, because it only lists tokens whose owner key names the user.
      await this.#redis.hset(`${this.#userBase(device.userId)}devices`, device.token, json);
      const previous = await this.#redis.getset(tokenKey, device.userId);
      if (previous !== null && previous !== device.userId) {
        await this.#redis.hdel(`${this.#userBase(previous)}devices`, device.token);
      }
    });
  }

  async listDevices(userIds: string[]): Promise<Map<string, Device[]>> {
    if (!Array.isArray(userIds)) throw invalid('userIds', 'Expected an array of user ids');
    return this.#call('listDevices', async () => {
      const result = new Map<string, Device[]>();
      if (userIds.length === 0) return result;
      const lists = await this.#batch(userIds.map((userId) => ['hvals', [`${this.#userBase(userId)}devices`]]));
      const candidates = userIds.flatMap((userId, index) =>
        (lists[index] as string[]).map((json) => ({ userId, device: JSON.parse(json) as Device })),
      );
      if (candidates.length === 0) return result;
      const owners = await this.#batch(candidates.map(({ device }) => ['get', [this.#deviceKey(device.token)]]));
      candidates.forEach(({ userId, device }, index) => {
        if (owners[index] !== userId) return;
        const list = result.get(userId);
        if (list) list.push(device);
        else result.set(userId, [device]);
      });
      return result;
    });
  }

  async removeDevice(token: string, options: { userId?: string } = {}): Promise<Device | undefined> {
    const tokenKey = this.#deviceKey(token);
    return this.#call('removeDevice', async () => {
      const owner = await this.#redis.get(tokenKey);
      if (owner === null || (options.userId !== undefined && owner !== options.userId)) return undefined;
      const userDevices = `${this.#userBase(owner)}devices`;
      const json = await this.#redis.hget(userDevices, token);
      await this.#redis.hdel(userDevices, token);
      await this.#script('heraldDelIfEqual', [tokenKey, owner]);
      return json === null ? undefined : (JSON.parse(json) as Device);
    });
  }

  // Preferences.

  async getPreferences(userIds: string[]): Promise<Map<string, Preferences>> {
    if (!Array.isArray(userIds)) throw invalid('userIds', 'Expected an array of user ids');
    return this.#call('getPreferences', async () => {
      const result = new Map<string, Preferences>();
      if (userIds.length === 0) return result;
      const values = await this.#batch(userIds.map((userId) => ['get', [`${this.#userBase(userId)}preferences`]]));
      userIds.forEach((userId, index) => {
        const json = values[index] as string | null;
        if (json !== null) result.set(userId, JSON.parse(json) as Preferences);
      });
      return result;
    });
  }

  async setPreferences(userId: string, preferences: Preferences): Promise<void> {
    if (!isNonEmptyString(userId)) throw invalid('userId', 'Expected a non-empty string');
    if (!preferences || typeof preferences !== 'object') throw invalid('preferences', 'Expected an object');
    const key = `${this.#userBase(userId)}preferences`;
    const json = JSON.stringify(preferences);
    await this.#call('setPreferences', async () => {
      await this.#redis.set(key, json);
    });
  }

  // Internals.

  #userBase(userId: string): string {
    return `${this.#prefix}{u:${userId}}:`;
  }

  #notificationBase(notificationId: string): string {
    return `${this.#prefix}{n:${notificationId}}:`;
  }

  #notificationKey(notificationId: string): string {
    return `${this.#notificationBase(notificationId)}record`;
  }

  #deliveryKey(deliveryId: string): string {
    return `${this.#prefix}{d:${deliveryId}}`;
  }

  #providerMessageKey(providerMessageId: string): string {
    return `${this.#prefix}{pm:${providerMessageId}}`;
  }

  #idempotencyKey(key: string): string {
    return `${this.#prefix}{idem:${key}}`;
  }

  #deviceKey(token: string): string {
    return `${this.#prefix}{dev:${token}}`;
  }

  #pruneRegistry(): string {
    return `${this.#prefix}{prune}:users`;
  }

  /**
   * Runs a script. On a single Redis, scripts called in the same tick (the status updates of a batch of sends
   * finishing together, say) go out as one pipeline: one write and one read instead of one each per call.
   */
  #script(name: RedisScriptName, args: ScriptArgument[]): Promise<unknown> {
    if (this.#redis.isCluster) return (this.#redis as unknown as Commands)[name]!(...args) as Promise<unknown>;
    return new Promise((resolve, reject) => {
      this.#scriptQueue.push({ name, args, resolve, reject });
      if (this.#scriptQueue.length === 1) process.nextTick(() => this.#flushScripts());
    });
  }

  #flushScripts(): void {
    const queued = this.#scriptQueue;
    this.#scriptQueue = [];
    if (queued.length === 1) {
      const [only] = queued as [QueuedScript];
      ((this.#redis as unknown as Commands)[only.name]!(...only.args) as Promise<unknown>).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    const pipeline = this.#redis.pipeline() as ChainableCommander & Commands;
    for (const { name, args } of queued) pipeline[name]!(...args);
    pipeline.exec().then(
      (replies) => {
        queued.forEach((entry, index) => {
          const [error, value] = replies?.[index] ?? [new Error('The pipeline was discarded'), undefined];
          if (error) entry.reject(error);
          else entry.resolve(value);
        });
      },
      (error: unknown) => {
        for (const entry of queued) entry.reject(error);
      },
    );
  }

  /**
   * Runs a read-state change, then notes the user in the prune registry when it changed something. On a single
   * Redis both go out in one pipeline (in order, one round trip); a Cluster keeps the registry on another slot.
   */
  async #changeThenRegisterReader(userId: string, change: ScriptCall): Promise<unknown> {
    const register: ScriptCall = ['heraldPruneRegister', [this.#pruneRegistry(), `${this.#prefix}{prune}:seq`, userId]];
    if (this.#redis.isCluster) {
      const result = await this.#script(change[0] as RedisScriptName, change[1]);
      if (changedSomething(result)) await this.#script(register[0] as RedisScriptName, register[1]);
      return result;
    }
    // Registering a user whose call changed nothing is harmless: the next prune forgets them.
    const [result] = await this.#batch([change, register]);
    return result;
  }

  /**
   * Sends the calls pipelined (one round trip) on a single Redis — inside MULTI/EXEC when `atomic`, so they apply
   * together or not at all — or concurrently on a Cluster, where keys of different slots cannot share a transaction.
   */
  async #batch(calls: ScriptCall[], atomic = false): Promise<unknown[]> {
    if (this.#redis.isCluster) {
      return Promise.all(calls.map(([name, args]) => (this.#redis as unknown as Commands)[name]!(...args)));
    }
    const pipeline = (atomic ? this.#redis.multi() : this.#redis.pipeline()) as ChainableCommander & Commands;
    for (const [name, args] of calls) pipeline[name]!(...args);
    const replies = (await pipeline.exec()) ?? [];
    if (replies.length !== calls.length) throw new Error('The pipeline was discarded');
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  /** Bounds the call in time and turns every Redis failure into a StoreError carrying the cause. */
  async #call<T>(operation: string, run: () => Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreError(`RedisStore.${operation} did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      (timer as { unref?: () => void }).unref?.();
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (HeraldError.is(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      this.#logger?.debug('herald: redis store call failed', { operation, error: message });
      throw new StoreError(`RedisStore.${operation} failed: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The factory form, for hosts that prefer `createX(settings)` like the rest of Herald. */
export function createRedisStore(settings: RedisStoreSettings): RedisStore {
  return new RedisStore(settings);
}

type ScriptCall = [string, ScriptArgument[]];

function changedSomething(result: unknown): boolean {
  if (Array.isArray(result)) return typeof result[0] === 'number' ? result[0] > 0 : result.length > 0;
  return false;
}

/** The member prefix of one listing index in the user's `x` sorted set (see redis-scripts.ts). */
function inboxIndexPrefix(status: InboxStatusFilter | undefined, type: string | undefined): string {
  const set = status === 'unread' ? 'u' : status === 'read' ? 'r' : status === 'undelivered' ? 'n' : 'a';
  if (type === undefined) return `${set}/`;
  // The byte length makes type prefixes self-delimiting: no type's index is a prefix of another's.
  return `${set.toUpperCase()}#${Buffer.byteLength(type, 'utf8')}:${type}/`;
}

/** Positions are stored as 12 digits so that member order is position order. */
function padPosition(position: number): string {
  return String(position).padStart(12, '0');
}

/** The item's declared fields only: read state, a position or anything else a loose caller sent is dropped. */
function serializeNewItem(item: NewInboxItem): string {
  return JSON.stringify(toNewInboxItem(item, item));
}

function toItem(raw: RawItem | null | undefined): InboxItem | undefined {
  if (!raw) return undefined;
  const [position, json, readAt, deliveredAt] = raw;
  if (position === null || json === null) return undefined;
  const item = JSON.parse(json) as InboxItem;
  item.position = Number(position);
  if (deliveredAt !== null) item.deliveredAt = deliveredAt;
  if (readAt !== null) item.readAt = readAt;
  return item;
}

function pairsToObject(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
  return fields;
}

function toDelivery(fields: Record<string, string> | null | undefined): DeliveryRecord | undefined {
  if (!fields || fields.status === undefined) return undefined;
  const record: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (field !== SEQUENCE_FIELD) record[field] = JSON.parse(value);
  }
  return record as unknown as DeliveryRecord;
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

function checkNewItem(item: unknown, path: string, issues: ValidationIssue[]): void {
  if (!item || typeof item !== 'object') {
    issues.push({ path, message: 'Expected an inbox item object' });
    return;
  }
  const record = item as Record<string, unknown>;
  for (const field of ['id', 'userId', 'notificationId', 'type', 'createdAt']) {
    if (!isNonEmptyString(record[field])) {
      issues.push({ path: `${path}.${field}`, message: 'Expected a non-empty string' });
    }
  }
  for (const field of ['title', 'body']) {
    if (typeof record[field] !== 'string') issues.push({ path: `${path}.${field}`, message: 'Expected a string' });
  }
}

function checkDeliveryRecord(record: unknown, path: string, issues: ValidationIssue[]): void {
  if (!record || typeof record !== 'object') {
    issues.push({ path, message: 'Expected a delivery record object' });
    return;
  }
  const fields = record as Record<string, unknown>;
  for (const field of ['id', 'notificationId', 'type', 'recipientId', 'kind', 'createdAt', 'updatedAt']) {
    if (!isNonEmptyString(fields[field])) {
      issues.push({ path: `${path}.${field}`, message: 'Expected a non-empty string' });
    }
  }
  if (!DELIVERY_STATUSES.includes(fields.status as DeliveryStatus)) {
    issues.push({ path: `${path}.status`, message: `Expected one of ${DELIVERY_STATUSES.join(', ')}` });
  }
}
