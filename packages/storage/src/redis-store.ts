// RedisStore: the Store spec v1 on Redis (standalone or Cluster) through an ioredis client the host passes in.
// The store kit checks every input and hands this driver chunks of at most 500 elements; multi-key state changes
// run as Lua scripts (redis-scripts.ts), so counters never drift from the items.

import type {
  BeginNotificationResult,
  Clock,
  DeliveryRecord,
  Device,
  InboxItem,
  InboxStatusFilter,
  Logger,
  NotificationRecord,
  Preferences,
} from '@herald/core/spec';
import { ConfigurationError, HeraldError, StoreError } from '@herald/core/spec';
import { type CheckedBegin, type CheckedLease, CheckedStore, chunksOf, type StoreDriver } from '@herald/core/store-kit';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { type RedisScriptName, redisScripts } from './redis-scripts';

/** An ioredis client: a `Redis` connection or a `Cluster`. */
export type RedisClient = Redis | Cluster;

export interface RedisStoreSettings {
  /**
   * The ioredis client to use (`new Redis(url)` or `new Redis.Cluster(nodes)`). Give it `commandTimeout` and
   * `maxRetriesPerRequest` so commands fail in bounded time while Redis is unreachable. The store never closes it.
   */
  redis: RedisClient;
  /** Prepended to every key (default `herald:`). Must not contain `{` or `}`. */
  prefix?: string | undefined;
  /**
   * Upper bound for one store call (default 10 s); a bulk call gets it for each chunk of 500. A call still waiting
   * then rejects with a `StoreError`, so a caller never hangs on an unreachable Redis even when the client queues
   * commands offline.
   */
  timeoutMs?: number | undefined;
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
  /** Receives a debug line when a call fails. Silent by default. */
  logger?: Logger | undefined;
}

const DEFAULT_PREFIX = 'herald:';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Items per mark-all-read and prune script call: bounds how long one script holds Redis. */
const SWEEP_CHUNK = 1_000;
/** Chunks of one bulk call sent before the first has answered. */
const CHUNKS_IN_FLIGHT = 4;
/** Commands per pipeline (and per round of concurrent commands on a Cluster): no write grows with its caller. */
const PIPELINE_LIMIT = 1_000;
/**
 * How long the tombstone of a notification whose begin never wrote its record (a Cluster's crash window) refuses
 * that record: longer than any begin can stall.
 */
const TOMBSTONE_TTL_MS = 86_400_000;
/** Positions are written with 12 digits in index members. */
const MAX_POSITION = 999_999_999_999;

type ScriptArgument = string | number;
type ScriptCall = [string, ScriptArgument[]];

interface QueuedScript {
  name: RedisScriptName;
  args: ScriptArgument[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
type Commands = Record<string, (...args: ScriptArgument[]) => unknown>;
/** A stored notification as HMGET returns it: JSON, status, leaseUntil. */
type RawNotification = [string | null, string | null, string | null];
/** A stored item as the scripts return it: position, JSON, readAt, deliveredAt. */
type RawItem = [string | null, string | null, string | null, string | null];

/**
 * The Redis Store. Every key of one user shares the hash tag `{u:<userId>}`, so each inbox operation is one
 * script on one slot and works on Redis Cluster. Costs: insert O(log n) per item; `listInbox` (any filter) and
 * `listInboxAfter` O(log n + limit); `unreadCount` O(types) — one small hash, independent of inbox size.
 */
export class RedisStore extends CheckedStore {
  constructor(settings: RedisStoreSettings) {
    super(createRedisDriver(settings), { clock: settings?.clock });
  }
}

/** The factory form, for hosts that prefer `createX(settings)` like the rest of Herald. */
export function createRedisStore(settings: RedisStoreSettings): RedisStore {
  return new RedisStore(settings);
}

/** RedisStore's keys and scripts. Its input is checked and chunked by the store kit. */
function createRedisDriver(settings: RedisStoreSettings): StoreDriver {
  const redis = clientOf(settings);
  const keyPrefix = settings.prefix ?? DEFAULT_PREFIX;
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new ConfigurationError(
      `RedisStore prefix ${JSON.stringify(keyPrefix)} must be a string without "{" or "}": the store adds its own hash tags.`,
    );
  }
  const options = (redis as { options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } }).options;
  if (options?.keyPrefix || options?.redisOptions?.keyPrefix) {
    throw new ConfigurationError(
      'RedisStore cannot use a client with the ioredis `keyPrefix` option (scripts build key names): use the store’s `prefix` setting instead.',
    );
  }
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw new ConfigurationError(`RedisStore timeoutMs must be a positive number, got ${String(timeoutMs)}.`);
  }
  const logger = settings.logger;
  let scriptQueue: QueuedScript[] = [];
  for (const [name, definition] of Object.entries(redisScripts)) {
    // Idempotent: several stores may share one client.
    if (typeof (redis as unknown as Commands)[name] !== 'function') redis.defineCommand(name, definition);
  }

  // Internals.

  function userBase(userId: string): string {
    return `${keyPrefix}{u:${userId}}:`;
  }

  function notificationBase(notificationId: string): string {
    return `${keyPrefix}{n:${notificationId}}:`;
  }

  function notificationKey(notificationId: string): string {
    return `${notificationBase(notificationId)}record`;
  }

  function deliveryKey(deliveryId: string): string {
    return `${keyPrefix}{d:${deliveryId}}`;
  }

  function providerMessageKey(providerMessageId: string): string {
    return `${keyPrefix}{pm:${providerMessageId}}`;
  }

  function claimKeyOf(key: string): string {
    return `${keyPrefix}{idem:${key}}`;
  }

  function deviceKey(token: string): string {
    return `${keyPrefix}{dev:${token}}`;
  }

  function pruneRegistry(): string {
    return `${keyPrefix}{prune}:users`;
  }

  function outboxKey(): string {
    return `${keyPrefix}{outbox}`;
  }

  /** Marks a stored record dispatched (or abandoned) and drops its outbox entry, record first on a Cluster. */
  async function settleNotification(id: string, status: 'dispatched' | 'abandoned'): Promise<void> {
    const tombstoneTtl = status === 'abandoned' ? TOMBSTONE_TTL_MS : '';
    if (!redis.isCluster) {
      await script('heraldNotificationSettle', [notificationKey(id), id, outboxKey(), status, tombstoneTtl]);
      return;
    }
    await script('heraldNotificationSettle', [notificationKey(id), id, '', status, tombstoneTtl]);
    await redis.zrem(outboxKey(), id);
  }

  /**
   * A begin on a Cluster, where the claim key `{idem:<key>}`, the record `{n:<id>}` and the outbox `{outbox}` are
   * on three slots. Co-locating them under one hash tag would put every notification record (each carrying its
   * recipient list) and every key on one node; instead the writes are ordered so that every crash point ends well:
   *
   * 1. The outbox entry, leased until the caller's lease end. A crash here leaves an entry without a record: the
   *    first lease after it ends finds no record, leaves a tombstone in its place (so the stalled begin, should it
   *    wake, cannot write the record behind the relay's back) and drops the entry. Nothing was claimed.
   * 2. The record, unless one is there (a resent begin; a tombstone makes the begin fail with a StoreError and
   *    write nothing more). A crash here leaves a dispatching record whose key is not claimed yet: the relay that
   *    leases it claims the key for it, or, when a retry claimed the key for another notification meanwhile,
   *    abandons it. Either way exactly one notification holds the key and is completed.
   * 3. The key. If another notification holds it, this begin removes its record and entry again (a crash during
   *    that is the case above: the relay abandons the record) and reports the holder.
   */
  async function beginOnCluster(begin: CheckedBegin, now: number): Promise<BeginNotificationResult> {
    const { record, idempotencyKey } = begin;
    const ttl = idempotencyKey === undefined ? '' : Math.max(1, Math.ceil(idempotencyKey.ttlMs));
    await redis.zadd(outboxKey(), 'NX', begin.leaseUntil.ms, record.id);
    const written = (await script('heraldNotificationWrite', [
      notificationKey(record.id),
      recordJson(record),
      begin.leaseUntil.iso,
      ttl,
    ])) as string;
    if (written === 'abandoned') {
      await script('heraldZremIfScore', [outboxKey(), record.id, begin.leaseUntil.ms]);
      throw new StoreError(
        `RedisStore.beginNotification: notification ${JSON.stringify(record.id)} took longer than its lease to begin and a relay gave it up; nothing was claimed, begin it again`,
      );
    }
    if (idempotencyKey === undefined) return { created: true };
    const holder = (await script('heraldIdempotencyClaimFor', [
      claimKeyOf(idempotencyKey.key),
      now,
      ttl,
      `${now + Number(ttl)}|${record.id}`,
      record.id,
    ])) as string | null;
    if (holder === null) return { created: true };
    if (written === 'created') {
      await redis.del(notificationKey(record.id));
      await redis.zrem(outboxKey(), record.id);
    }
    const existing = toNotification((await redis.hmget(notificationKey(holder), 'j', 's', 'l')) as RawNotification);
    return { created: false, notificationId: holder, existing };
  }

  /**
   * A lease on a Cluster: the outbox entries are taken in one script on their slot (no two relays take the same
   * one), then each record is looked at on its own slot: a dispatching one is leased (its key claimed again when
   * its begin never got to it, or the record abandoned when another notification holds the key); an entry whose
   * record never appeared, or is dispatched, is dropped.
   */
  async function leaseOnCluster(lease: CheckedLease, now: number): Promise<NotificationRecord[]> {
    const ids = (await script('heraldOutboxTake', [
      outboxKey(),
      lease.now.ms,
      lease.leaseUntil.ms,
      lease.limit,
    ])) as string[];
    const taken = await Promise.all(
      ids.map(async (id): Promise<NotificationRecord | undefined> => {
        const [status, json, ttl] = (await script('heraldNotificationLeased', [
          notificationKey(id),
          lease.leaseUntil.iso,
          TOMBSTONE_TTL_MS,
        ])) as [string, string?, string?];
        if (status !== 'dispatching' || json === undefined) {
          await script('heraldZremIfScore', [outboxKey(), id, lease.leaseUntil.ms]);
          return undefined;
        }
        const record = leasedRecord(json, lease.leaseUntil.iso);
        if (record.idempotencyKey !== undefined && ttl) {
          const holder = await script('heraldIdempotencyClaimFor', [
            claimKeyOf(record.idempotencyKey),
            now,
            ttl,
            `${now + Number(ttl)}|${id}`,
            id,
          ]);
          if (holder !== null) {
            // Another notification won the key while this one's begin was cut short: this one never existed.
            await settleNotification(id, 'abandoned');
            return undefined;
          }
        }
        return record;
      }),
    );
    return taken.filter((record): record is NotificationRecord => record !== undefined);
  }

  /**
   * Runs a script. On a single Redis, scripts called in the same tick (the status updates of a batch of sends
   * finishing together, say) go out pipelined, up to PIPELINE_LIMIT per pipeline: one write and one read instead
   * of one each per call.
   */
  function script(name: RedisScriptName, args: ScriptArgument[]): Promise<unknown> {
    if (redis.isCluster) return (redis as unknown as Commands)[name]!(...args) as Promise<unknown>;
    return new Promise((resolve, reject) => {
      scriptQueue.push({ name, args, resolve, reject });
      if (scriptQueue.length === 1) process.nextTick(() => flushScripts());
    });
  }

  function flushScripts(): void {
    const queued = scriptQueue;
    scriptQueue = [];
    if (queued.length === 1) {
      const [only] = queued as [QueuedScript];
      ((redis as unknown as Commands)[only.name]!(...only.args) as Promise<unknown>).then(only.resolve, only.reject);
      return;
    }
    for (const slice of chunksOf(queued, PIPELINE_LIMIT)) {
      const pipeline = redis.pipeline() as ChainableCommander & Commands;
      for (const { name, args } of slice) pipeline[name]!(...args);
      pipeline.exec().then(
        (replies) => {
          slice.forEach((entry, index) => {
            const [error, value] = replies?.[index] ?? [new Error('The pipeline was discarded'), undefined];
            if (error) entry.reject(error);
            else entry.resolve(value);
          });
        },
        (error: unknown) => {
          for (const entry of slice) entry.reject(error);
        },
      );
    }
  }

  /**
   * Runs a read-state change, then notes the user in the prune registry when it changed something. On a single
   * Redis both go out in one pipeline (in order, one round trip); a Cluster keeps the registry on another slot.
   */
  async function changeThenRegisterReader(userId: string, change: ScriptCall): Promise<unknown> {
    const register: ScriptCall = ['heraldPruneRegister', [pruneRegistry(), `${keyPrefix}{prune}:seq`, userId]];
    if (redis.isCluster) {
      const result = await script(change[0] as RedisScriptName, change[1]);
      if (changedSomething(result)) await script(register[0] as RedisScriptName, register[1]);
      return result;
    }
    // Registering a user whose call changed nothing is harmless: the next prune forgets them.
    const [result] = await batch([change, register]);
    return result;
  }

  /**
   * Sends the calls pipelined on a single Redis, or concurrently on a Cluster (where keys of different slots
   * cannot share a pipeline), PIPELINE_LIMIT at a time either way.
   */
  async function batch(calls: readonly ScriptCall[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const slice of chunksOf(calls, PIPELINE_LIMIT)) {
      if (redis.isCluster) {
        const replies = await Promise.all(slice.map(([name, args]) => (redis as unknown as Commands)[name]!(...args)));
        for (const reply of replies) results.push(reply);
        continue;
      }
      const pipeline = redis.pipeline() as ChainableCommander & Commands;
      for (const [name, args] of slice) pipeline[name]!(...args);
      const replies = (await pipeline.exec()) ?? [];
      if (replies.length !== slice.length) throw new Error('The pipeline was discarded');
      for (const [error, value] of replies) {
        if (error) throw error;
        results.push(value);
      }
    }
    return results;
  }

  /** Bounds the call in time and turns every Redis failure into a StoreError carrying the cause. */
  async function withinTimeout<T>(operation: string, run: () => Promise<T>, boundMs = timeoutMs): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // `boundMs`, not `timeoutMs`: a prune walks every user with read items and is given longer.
      timer = setTimeout(
        () => reject(new StoreError(`RedisStore.${operation} did not complete within ${boundMs} ms`)),
        boundMs,
      );
      (timer as { unref?: () => void }).unref?.();
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (HeraldError.is(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      logger?.debug('herald: redis store call failed', { operation, error: message });
      throw new StoreError(`RedisStore.${operation} failed: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    // A bulk call's chunks go out pipelined, a few at a time: Redis runs one script while the next is encoded.
    chunksInFlight: CHUNKS_IN_FLIGHT,

    // Inbox.

    async insertInboxItems(items) {
      // On a single Redis one script call takes the chunk's items of any users; a Cluster needs one user per call
      // (one hash slot). Either way each user's items are processed in input order, so positions follow it.
      const groups: number[][] = [];
      if (redis.isCluster) {
        const byUser = new Map<string, number[]>();
        for (let index = 0; index < items.length; index++) {
          const userId = items[index]!.userId;
          const list = byUser.get(userId);
          if (list) list.push(index);
          else byUser.set(userId, [index]);
        }
        for (const group of byUser.values()) groups.push(group);
      } else {
        groups.push(items.map((_, index) => index));
      }
      const calls: ScriptCall[] = groups.map((group) => {
        const args: ScriptArgument[] = [`${userBase(items[group[0]!]!.userId)}counts`, group.length];
        for (const index of group) {
          const each = items[index]!;
          args.push(userBase(each.userId), each.id, each.type, JSON.stringify(each));
        }
        return ['heraldInboxInsert', args];
      });
      return withinTimeout('insertInboxItems', async () => {
        const results = await batch(calls);
        const stored: InboxItem[] = new Array(items.length);
        results.forEach((entries, call) => {
          groups[call]!.forEach((index, offset) => {
            const entry = (entries as (number | RawItem)[])[offset]!;
            // The kit's item is a private copy of exactly the declared fields: it is the stored item's content.
            stored[index] = typeof entry === 'number' ? { ...items[index]!, position: entry } : toItem(entry)!;
          });
        });
        return stored;
      });
    },

    async getInboxItems(userId, ids) {
      const base = userBase(userId);
      return withinTimeout('getInboxItems', async () => {
        const results = await batch(ids.map((id) => ['hmget', [`${base}i:${id}`, 'p', 'j', 'r', 'd']]));
        const found: InboxItem[] = [];
        for (const raw of results) {
          const item = toItem(raw as RawItem);
          if (item) found.push(item);
        }
        return found;
      });
    },

    async listInbox(userId, query) {
      const { limit, beforePosition } = query;
      const base = userBase(userId);
      const prefix = inboxIndexPrefix(query.status, query.type);
      return withinTimeout('listInbox', async () => {
        const raw = (await script('heraldInboxPage', [
          `${base}x`,
          base,
          // ':' sorts after every digit: the bound above all of the index's members.
          beforePosition === undefined ? `(${prefix}:` : `(${prefix}${padPosition(beforePosition)}`,
          `[${prefix}`,
          limit + 1,
          Buffer.byteLength(prefix, 'utf8'),
        ])) as RawItem[];
        const entries: InboxItem[] = [];
        for (const entry of raw.slice(0, limit)) {
          const item = toItem(entry);
          if (item) entries.push(item);
        }
        const last = entries[entries.length - 1];
        return { entries, nextKey: raw.length > limit && last ? last.position : undefined };
      });
    },

    async listInboxAfter(userId, afterPosition, limit) {
      const base = userBase(userId);
      return withinTimeout('listInboxAfter', async () => {
        // A long replay is read in scripts of at most SWEEP_CHUNK items, each resuming after the last one read.
        const items: InboxItem[] = [];
        let firstPosition = Math.max(0, Math.floor(afterPosition) + 1);
        while (items.length < limit && firstPosition <= MAX_POSITION) {
          const step = Math.min(SWEEP_CHUNK, limit - items.length);
          const raw = (await script('heraldInboxAfter', [
            `${base}x`,
            base,
            `[a/${padPosition(firstPosition)}`,
            step,
          ])) as RawItem[];
          for (const entry of raw) {
            const item = toItem(entry);
            if (item) items.push(item);
          }
          const lastPosition = Number(raw[raw.length - 1]?.[0]);
          if (raw.length < step || !Number.isFinite(lastPosition)) break;
          firstPosition = lastPosition + 1;
        }
        return items;
      });
    },

    async lastPosition(userId) {
      const key = `${userBase(userId)}counts`;
      return withinTimeout('lastPosition', async () => Number((await redis.hget(key, 'pos')) ?? 0));
    },

    async unreadCount(userId) {
      const key = `${userBase(userId)}counts`;
      return withinTimeout('unreadCount', async () => {
        const fields = await redis.hgetall(key);
        const byType: Record<string, number> = {};
        let total = 0;
        for (const [field, value] of Object.entries(fields)) {
          if (field === '#') total = Number(value);
          else if (field.startsWith('t:') && Number(value) > 0) byType[field.slice(2)] = Number(value);
        }
        return { total, byType };
      });
    },

    async markRead(userId, ids, at) {
      const base = userBase(userId);
      return withinTimeout('markRead', async () => {
        const changed = await changeThenRegisterReader(userId, [
          'heraldInboxMarkRead',
          [`${base}counts`, base, at.iso, at.ms, ...ids],
        ]);
        return changed as string[];
      });
    },

    async markUnread(userId, ids) {
      const base = userBase(userId);
      return withinTimeout(
        'markUnread',
        async () => (await script('heraldInboxMarkUnread', [`${base}counts`, base, ...ids])) as string[],
      );
    },

    async markAllRead(userId, type, at) {
      const base = userBase(userId);
      return withinTimeout('markAllRead', async () => {
        // Chunked so one call never holds Redis for long. The first chunk fixes the last position: items inserted
        // while the sweep runs stay unread. Each chunk moves its items and the counters together.
        let total = 0;
        let maxPosition = '';
        for (;;) {
          const [changed, fixed, hasMore] = (await changeThenRegisterReader(userId, [
            'heraldInboxMarkAllRead',
            [`${base}counts`, base, at.iso, at.ms, maxPosition, type ?? '', SWEEP_CHUNK],
          ])) as [number, string, number];
          total += changed;
          maxPosition = String(fixed);
          if (!hasMore) return total;
        }
      });
    },

    async markDelivered(userId, ids, at) {
      const base = userBase(userId);
      return withinTimeout(
        'markDelivered',
        async () => (await script('heraldInboxMarkDelivered', [`${base}x`, base, at.iso, ...ids])) as string[],
      );
    },

    async pruneInbox(readBefore) {
      const registry = pruneRegistry();
      return withinTimeout(
        'pruneInbox',
        async () => {
          let removed = 0;
          let after = '-inf';
          for (;;) {
            // Walks the registry of users with read items by its sequence score: no SCAN, no KEYS.
            const page = await redis.zrangebyscore(registry, after, '+inf', 'WITHSCORES', 'LIMIT', 0, 200);
            if (page.length === 0) return removed;
            for (let index = 0; index < page.length; index += 2) {
              const userId = page[index]!;
              const score = page[index + 1]!;
              const base = userBase(userId);
              let left = 0;
              for (;;) {
                const [count, remaining] = (await script('heraldInboxPrune', [
                  `${base}readat`,
                  base,
                  readBefore.ms,
                  SWEEP_CHUNK,
                ])) as [number, number];
                removed += count;
                left = remaining;
                if (count < SWEEP_CHUNK) break;
              }
              // Forget users with no read items left, unless they read something since this walk saw them.
              if (left === 0) await script('heraldZremIfScore', [registry, userId, score]);
            }
            after = `(${page[page.length - 1]}`;
          }
        },
        // A prune walks every user with read items; it gets more time than a request-path call.
        timeoutMs * 30,
      );
    },

    // Notifications: the outbox. On a single Redis each step below is one script. On a Cluster the claim key,
    // the record and the outbox entry live on three slots, so a begin writes them in an order that a crash
    // between any two steps cannot turn into a lost or a doubled notification (see beginOnCluster).

    async beginNotification(begin, now) {
      return withinTimeout('beginNotification', async () => {
        if (redis.isCluster) return beginOnCluster(begin, now);
        const { record, idempotencyKey } = begin;
        const ttl = idempotencyKey === undefined ? '' : Math.max(1, Math.ceil(idempotencyKey.ttlMs));
        const result = (await script('heraldNotificationBegin', [
          notificationKey(record.id),
          outboxKey(),
          idempotencyKey === undefined ? '' : claimKeyOf(idempotencyKey.key),
          now,
          ttl,
          `${now + Number(ttl)}|${record.id}`,
          record.id,
          recordJson(record),
          begin.leaseUntil.ms,
          begin.leaseUntil.iso,
          keyPrefix,
        ])) as [1] | [0, string, RawNotification];
        if (result[0] === 1) return { created: true };
        return { created: false, notificationId: result[1], existing: toNotification(result[2]) };
      });
    },

    async getNotification(id) {
      const key = notificationKey(id);
      return withinTimeout('getNotification', async () =>
        toNotification((await redis.hmget(key, 'j', 's', 'l')) as RawNotification),
      );
    },

    async leaseNotifications(lease, now) {
      return withinTimeout('leaseNotifications', async () => {
        if (redis.isCluster) return leaseOnCluster(lease, now);
        const taken = (await script('heraldNotificationsLease', [
          outboxKey(),
          lease.now.ms,
          lease.leaseUntil.ms,
          lease.leaseUntil.iso,
          lease.limit,
          keyPrefix,
        ])) as [string, string][];
        return taken.map(([, json]) => leasedRecord(json, lease.leaseUntil.iso));
      });
    },

    async renewNotificationLease(id, leaseUntil) {
      return withinTimeout('renewNotificationLease', async () => {
        // A Cluster moves the outbox entry first (XX: only an entry still there), so a crash in between leaves the
        // record's lease behind its entry's, never an entry a relay would take while the record is still held.
        if (redis.isCluster) await redis.zadd(outboxKey(), 'XX', leaseUntil.ms, id);
        const renewed = await script('heraldNotificationRenew', [
          notificationKey(id),
          id,
          leaseUntil.ms,
          leaseUntil.iso,
          redis.isCluster ? '' : outboxKey(),
        ]);
        return renewed === 1;
      });
    },

    async markNotificationDispatched(id) {
      await withinTimeout('markNotificationDispatched', async () => {
        // The record first: an outbox entry left by a crash in between points at a dispatched record, which the
        // next lease drops.
        await settleNotification(id, 'dispatched');
      });
    },

    // Deliveries.

    async createDeliveries(records) {
      await withinTimeout('createDeliveries', async () => {
        if (!redis.isCluster) {
          // One script: the records not stored yet, their creation sequence and their index entries, together.
          const args: ScriptArgument[] = [`${keyPrefix}deliveries:seq`, keyPrefix];
          for (const record of records) {
            args.push(record.id, record.notificationId, record.recipientId, record.providerMessageId ?? '');
            args.push(JSON.stringify(record));
          }
          await script('heraldDeliveriesCreate', args);
          return;
        }
        // A Cluster spreads a record, its three index entries and its provider-message-id lookup over five slots.
        // Index entries go first, with NX (the member is the id, so an entry is never doubled), then the record only
        // if it is new: a crash in between leaves an entry without its record, which readers skip and a resumed
        // dispatch completes, never a record the indexes miss.
        const last = await redis.incrby(`${keyPrefix}deliveries:seq`, records.length);
        const first = last - records.length + 1;
        const indexes: ScriptCall[] = [];
        const creates: ScriptCall[] = [];
        records.forEach((record, offset) => {
          const sequence = first + offset;
          for (const key of [
            `${keyPrefix}deliveries`,
            `${notificationBase(record.notificationId)}deliveries`,
            `${userBase(record.recipientId)}deliveries`,
          ]) {
            indexes.push(['zadd', [key, 'NX', sequence, record.id]]);
          }
          if (record.providerMessageId !== undefined) {
            indexes.push(['set', [providerMessageKey(record.providerMessageId), record.id]]);
          }
          creates.push(['hsetnx', [deliveryKey(record.id), 'j', JSON.stringify(record)]]);
        });
        await batch(indexes);
        await batch(creates);
      });
    },

    async getDeliveries(ids) {
      return withinTimeout('getDeliveries', async () => {
        const results = await batch(ids.map((id) => ['hget', [deliveryKey(id), 'j']]));
        const found: DeliveryRecord[] = [];
        for (const json of results) {
          if (typeof json === 'string') found.push(JSON.parse(json) as DeliveryRecord);
        }
        return found;
      });
    },

    async updateDelivery(id, patch, onlyFrom, updatedAt) {
      const args: ScriptArgument[] = [deliveryKey(id), updatedAt];
      if (onlyFrom === undefined) args.push(-1);
      else {
        args.push(onlyFrom.length);
        for (const status of onlyFrom) args.push(status);
      }
      for (const [field, value] of Object.entries(patch)) args.push(field, JSON.stringify(value));
      return withinTimeout('updateDelivery', async () => {
        const result = (await script('heraldDeliveryUpdate', args)) as [string, string] | null;
        if (!result) return undefined;
        const [previousId, json] = result;
        const record = JSON.parse(json) as DeliveryRecord;
        const previous = previousId === '' ? undefined : previousId;
        if (record.providerMessageId !== previous) {
          // The lookup index lives on another slot; it follows the record (a stale entry is checked on read).
          if (record.providerMessageId !== undefined) {
            await redis.set(providerMessageKey(record.providerMessageId), id);
          }
          if (previous !== undefined) await script('heraldDelIfEqual', [providerMessageKey(previous), id]);
        }
        return record;
      });
    },

    async findDeliveryByProviderMessageId(providerMessageId) {
      const key = providerMessageKey(providerMessageId);
      return withinTimeout('findDeliveryByProviderMessageId', async () => {
        const id = await redis.get(key);
        if (id === null) return undefined;
        const json = await redis.hget(deliveryKey(id), 'j');
        const record = json === null ? undefined : (JSON.parse(json) as DeliveryRecord);
        return record?.providerMessageId === providerMessageId ? record : undefined;
      });
    },

    async listDeliveries(query) {
      const { limit, beforeSequence, notificationId, recipientId, status } = query;
      // Walk the narrowest index and filter the rest.
      const index =
        notificationId !== undefined
          ? `${notificationBase(notificationId)}deliveries`
          : recipientId !== undefined
            ? `${userBase(recipientId)}deliveries`
            : `${keyPrefix}deliveries`;
      const matches = (record: DeliveryRecord): boolean =>
        (status === undefined || record.status === status) &&
        (recipientId === undefined || record.recipientId === recipientId) &&
        (notificationId === undefined || record.notificationId === notificationId);
      return withinTimeout('listDeliveries', async () => {
        const picked: { record: DeliveryRecord; sequence: number }[] = [];
        let max = beforeSequence === undefined ? '+inf' : `(${beforeSequence}`;
        const step = Math.max(limit + 1, 50);
        for (;;) {
          const page = await redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, step);
          if (page.length === 0) break;
          const ids = page.filter((_, position) => position % 2 === 0);
          const results = await batch(ids.map((id) => ['hget', [deliveryKey(id), 'j']]));
          for (let position = 0; position < ids.length; position++) {
            // An index entry whose record is missing (a Cluster write cut short) is skipped.
            const json = results[position];
            const record = typeof json === 'string' ? (JSON.parse(json) as DeliveryRecord) : undefined;
            if (!record || !matches(record)) continue;
            picked.push({ record, sequence: Number(page[position * 2 + 1]) });
            if (picked.length > limit) break;
          }
          if (picked.length > limit || ids.length < step) break;
          max = `(${page[page.length - 1]}`;
        }
        return {
          entries: picked.slice(0, limit).map((entry) => entry.record),
          nextKey: picked.length > limit ? picked[limit - 1]!.sequence : undefined,
        };
      });
    },

    // Idempotency.

    async getIdempotencyKey(key, now) {
      const redisKey = claimKeyOf(key);
      return withinTimeout('getIdempotencyKey', async () => {
        const held = await redis.get(redisKey);
        if (held === null) return undefined;
        const bar = held.indexOf('|');
        // The expiry is checked against the store's clock; Redis's own TTL only collects the key.
        if (Number(held.slice(0, bar)) <= now) return undefined;
        return held.slice(bar + 1);
      });
    },

    // Devices. The token key (`{dev:<token>}` → owner) is the truth; each user's hash lists their devices.

    async registerDevice(device) {
      const tokenKey = deviceKey(device.token);
      const json = JSON.stringify(device);
      await withinTimeout('registerDevice', async () => {
        // New owner's list first, then the owner key (the truth), then the old owner's list: a failure at any step
        // leaves listDevices right, because it only lists tokens whose owner key names the user.
        await redis.hset(`${userBase(device.userId)}devices`, device.token, json);
        const previous = await redis.getset(tokenKey, device.userId);
        if (previous !== null && previous !== device.userId) {
          await redis.hdel(`${userBase(previous)}devices`, device.token);
        }
      });
    },

    async listDevices(userIds) {
      return withinTimeout('listDevices', async () => {
        const result = new Map<string, Device[]>();
        const lists = await batch(userIds.map((userId) => ['hvals', [`${userBase(userId)}devices`]]));
        const candidates: { userId: string; device: Device }[] = [];
        lists.forEach((list, index) => {
          for (const json of list as string[]) candidates.push({ userId: userIds[index]!, device: JSON.parse(json) });
        });
        if (candidates.length === 0) return result;
        const owners = await batch(candidates.map(({ device }) => ['get', [deviceKey(device.token)]]));
        candidates.forEach(({ userId, device }, index) => {
          if (owners[index] !== userId) return;
          const list = result.get(userId);
          if (list) list.push(device);
          else result.set(userId, [device]);
        });
        return result;
      });
    },

    async removeDevice(token, userId) {
      const tokenKey = deviceKey(token);
      return withinTimeout('removeDevice', async () => {
        const owner = await redis.get(tokenKey);
        if (owner === null || (userId !== undefined && owner !== userId)) return undefined;
        const userDevices = `${userBase(owner)}devices`;
        const json = await redis.hget(userDevices, token);
        await redis.hdel(userDevices, token);
        await script('heraldDelIfEqual', [tokenKey, owner]);
        return json === null ? undefined : (JSON.parse(json) as Device);
      });
    },

    // Preferences.

    async getPreferences(userIds) {
      return withinTimeout('getPreferences', async () => {
        const result = new Map<string, Preferences>();
        const values = await batch(userIds.map((userId) => ['get', [`${userBase(userId)}preferences`]]));
        values.forEach((json, index) => {
          if (json !== null) result.set(userIds[index]!, JSON.parse(json as string) as Preferences);
        });
        return result;
      });
    },

    async setPreferences(userId, preferences) {
      const key = `${userBase(userId)}preferences`;
      const json = JSON.stringify(preferences);
      await withinTimeout('setPreferences', async () => {
        await redis.set(key, json);
      });
    },
  };
}

function clientOf(settings: RedisStoreSettings | undefined): RedisClient {
  const redis = settings?.redis as RedisClient | undefined;
  if (!redis || typeof (redis as { defineCommand?: unknown }).defineCommand !== 'function') {
    throw new ConfigurationError(
      'RedisStore needs an ioredis client: `npm install ioredis`, then pass `new RedisStore({ redis: new Redis(url) })`.',
    );
  }
  return redis;
}

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

/** A notification record's JSON, without the status and lease the record hash holds in fields of their own. */
function recordJson(record: NotificationRecord): string {
  const { status: _status, leaseUntil: _leaseUntil, ...rest } = record;
  return JSON.stringify(rest);
}

function toNotification(raw: RawNotification | null | undefined): NotificationRecord | undefined {
  if (!raw) return undefined;
  const [json, status, leaseUntil] = raw;
  // A tombstone is a notification that never was.
  if (json === null || status === 'abandoned') return undefined;
  const record = JSON.parse(json) as NotificationRecord;
  if (status !== null) record.status = status as NotificationRecord['status'];
  if (leaseUntil !== null) record.leaseUntil = leaseUntil;
  return record;
}

function leasedRecord(json: string, leaseUntil: string): NotificationRecord {
  const record = JSON.parse(json) as NotificationRecord;
  record.status = 'dispatching';
  record.leaseUntil = leaseUntil;
  return record;
}
