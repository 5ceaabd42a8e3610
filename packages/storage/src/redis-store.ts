// RedisStore: the Store spec v1 on Redis (standalone or Cluster) through an ioredis client the host passes in.
// The store kit checks every input and hands this driver chunks of at most 500 elements; multi-key state changes
// run as Lua scripts (redis-scripts.ts), so counters never drift from the items.

import type {
  BeginNotificationResult,
  Clock,
  DeliveryRecord,
  Device,
  DigestBucket,
  DigestEvent,
  DigestJoinResult,
  InboxItem,
  InboxStatusFilter,
  Logger,
  NotificationRecord,
  Preferences,
  RegisterDeviceResult,
} from '@herald/core/spec';
import { ConfigurationError, HeraldError, namespaceSetting, StoreError } from '@herald/core/spec';
import {
  type CheckedBegin,
  type CheckedBulkOptions,
  type CheckedDate,
  type CheckedDeliveryUpdate,
  type CheckedDigestJoin,
  type CheckedLease,
  CheckedStore,
  chunksOf,
  type StoreDriver,
} from '@herald/core/store-kit';
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
  /**
   * Keeps this deployment's keys apart from others on the same Redis (default `herald`): every key starts with
   * `<namespace>:`. The same value as the runner's, the gateway's and the publisher's `namespace`.
   */
  namespace?: string | undefined;
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
/** The state changes `heraldInboxChange` applies to ids. */
type InboxChange = 'read' | 'unread' | 'seen' | 'archive' | 'unarchive' | 'deliver';
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
/** A stored item as the scripts return it: position, JSON, readAt, deliveredAt, seenAt, archivedAt. */
type RawItem = [string | null, string | null, string | null, string | null, string | null, string | null];
/** The item fields every read of an item fetches, in RawItem order. */
const ITEM_FIELDS = ['p', 'j', 'r', 'd', 's', 'z'] as const;

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
  const keyPrefix = `${namespaceSetting(settings, 'RedisStore', ['prefix'])}:`;
  const options = (redis as { options?: ClientOptions & { redisOptions?: ClientOptions } }).options;
  if (options?.keyPrefix || options?.redisOptions?.keyPrefix) {
    throw new ConfigurationError(
      'RedisStore cannot use a client with the ioredis `keyPrefix` option (scripts build key names): use the store’s `namespace` setting instead.',
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

  // Digests: the keys of a bucket, and the cross-recipient index of open buckets (redis-scripts.ts has the layout).
  const openDigestsKey = `${keyPrefix}{digests}:open`;
  const openDigestKeysKey = `${keyPrefix}{digests}:open-keys`;
  /** Tokens tell this driver's index entries from entries another call wrote since. */
  const driverId = Math.random().toString(36).slice(2, 10);
  let indexTokens = 0;
  /** A Cluster's join calls under way, by recipient (see inRecipientOrder). */
  const joinsInFlight = new Map<string, Promise<unknown>>();

  function digestKey(recipientId: string, id: string): string {
    return `${userBase(recipientId)}dg:${id}`;
  }

  /**
   * Joins on a Cluster, where the open index is on another slot than the buckets. The index never misses an open
   * bucket: (1) each recipient's joins run against the buckets open already (nearly all joins; the index is not
   * touched); (2) the joins left, which may open a bucket, first write its index entry with a token of this call;
   * (3) they open it, or join a bucket another caller opened meanwhile; (4) the entries of buckets that did not open
   * are dropped, unless another call wrote them again since (its token). A caller that dies between (2) and (4)
   * leaves an entry without a bucket, which listOpenDigests skips.
   */
  async function joinDigestsOnCluster(joins: readonly CheckedDigestJoin[]): Promise<DigestJoinResult[]> {
    const results: DigestJoinResult[] = new Array(joins.length);
    /** Runs the joins at these indexes, one script per recipient; returns the indexes that must open a bucket. */
    const run = async (indexes: readonly number[], mode: 'join' | 'open'): Promise<number[]> => {
      const groups = groupBy(indexes, (index) => joins[index]!.recipientId);
      const replies = await batch(
        groups.map((group): ScriptCall => {
          const args: ScriptArgument[] = [`${userBase(joins[group[0]!]!.recipientId)}dg`, mode, '', ''];
          for (const index of group) pushDigestJoin(args, joins[index]!);
          return ['heraldDigestsJoin', args];
        }),
      );
      const toOpen: number[] = [];
      groups.forEach((group, call) => {
        const answers = replies[call] as RawJoinResult[];
        group.forEach((index, offset) => {
          const answer = answers[offset]!;
          if (answer[0] === '') toOpen.push(index);
          else results[index] = toJoinResult(answer);
        });
      });
      return toOpen;
    };
    // 1. Joins into buckets that are open already (nearly all of them): the index is not touched.
    const toOpen = await run(
      joins.map((_, index) => index),
      'join',
    );
    if (toOpen.length === 0) return results;
    // 2. An index entry for each bucket that may open, holding a token of this call, before it can open.
    const entries = toOpen.map((index) => {
      const join = joins[index]!;
      const token = `${Date.now()}:${driverId}:${++indexTokens}`;
      return [openDigestMember(join.openAs, join.recipientId), JSON.stringify([join.recipientId, join.key, token])];
    });
    await script('heraldDigestIndexAdd', [openDigestsKey, openDigestKeysKey, ...entries.flat()]);
    // 3. Open, or join what another caller opened meanwhile.
    await run(toOpen, 'open');
    // 4. Entries of buckets that did not open are dropped, unless another call has written them again since.
    const unused = toOpen.flatMap((index, at) => {
      const result = results[index]!;
      return !result.opened && result.digestId !== joins[index]!.openAs ? entries[at]! : [];
    });
    if (unused.length > 0) await script('heraldDigestIndexDrop', [openDigestsKey, openDigestKeysKey, ...unused]);
    return results;
  }

  /**
   * Runs a Cluster join call after the calls before it that share a recipient have finished: its steps go to several
   * slots, so without this a later chunk of one call could overtake an earlier one and reorder a key's events.
   */
  function inRecipientOrder<T>(joins: readonly CheckedDigestJoin[], run: () => Promise<T>): Promise<T> {
    const recipients = new Set(joins.map((join) => join.recipientId));
    const before = new Set<Promise<unknown>>();
    for (const recipientId of recipients) {
      const pending = joinsInFlight.get(recipientId);
      if (pending) before.add(pending);
    }
    const result = before.size === 0 ? run() : Promise.allSettled(before).then(run);
    const settled: Promise<unknown> = result.catch(() => undefined);
    for (const recipientId of recipients) joinsInFlight.set(recipientId, settled);
    void settled.then(() => {
      for (const recipientId of recipients) {
        if (joinsInFlight.get(recipientId) === settled) joinsInFlight.delete(recipientId);
      }
    });
    return result;
  }

  function pushDigestJoin(args: ScriptArgument[], join: CheckedDigestJoin): void {
    const { at, closesAt, slideTo, capAt } = join;
    args.push(userBase(join.recipientId), join.key, join.openAs, join.type, join.event.notificationId);
    args.push(JSON.stringify(join.event), at.iso, at.ms, closesAt.iso, closesAt.ms);
    args.push(
      slideTo?.iso ?? '',
      slideTo?.ms ?? '',
      capAt?.iso ?? '',
      capAt?.ms ?? '',
      join.maxEvents,
      join.recipientId,
    );
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

  /** `heraldDeliveryUpdate`'s arguments: the record's key, the stamp, the allowed statuses (-1: any), the fields. */
  function updateArguments({ id, patch, onlyFrom }: CheckedDeliveryUpdate, updatedAt: string): ScriptArgument[] {
    const args: ScriptArgument[] = [deliveryKey(id), updatedAt];
    if (onlyFrom === undefined) args.push(-1);
    else {
      args.push(onlyFrom.length);
      for (const status of onlyFrom) args.push(status);
    }
    for (const [field, value] of Object.entries(patch)) args.push(field, JSON.stringify(value));
    return args;
  }

  /** The record `heraldDeliveryUpdate` answered with; the provider-message-id lookup follows it. */
  async function updatedRecord(
    id: string,
    result: [string, string] | null | undefined,
  ): Promise<DeliveryRecord | undefined> {
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
  }

  /** A state change over ids, as one `heraldInboxChange` call. */
  function changeCall(userId: string, op: InboxChange, ids: readonly string[], at?: CheckedDate): ScriptCall {
    const base = userBase(userId);
    return ['heraldInboxChange', [`${base}counts`, base, op, at?.iso ?? '', at?.ms ?? '', ...ids]];
  }

  function run(call: ScriptCall): Promise<unknown> {
    return script(call[0] as RedisScriptName, call[1]);
  }

  /**
   * A bulk change, chunked so one call never holds Redis for long. The watermark is the caller's, or else the last
   * position the first chunk finds: items inserted while the sweep runs stay as they are. Each chunk moves its items
   * and the counters together.
   */
  async function changeAll(
    userId: string,
    op: 'read' | 'seen' | 'archive',
    options: CheckedBulkOptions,
    at: CheckedDate,
  ): Promise<number> {
    const base = userBase(userId);
    let total = 0;
    let maxPosition = options.upToPosition === undefined ? '' : String(Math.min(options.upToPosition, MAX_POSITION));
    for (;;) {
      const call: ScriptCall = [
        'heraldInboxChangeAll',
        [`${base}counts`, base, op, at.iso, at.ms, maxPosition, options.type ?? '', SWEEP_CHUNK],
      ];
      const [changed, fixed, hasMore] = (
        op === 'read' ? await changeThenRegisterReader(userId, call) : await run(call)
      ) as [number, string, number];
      total += changed;
      maxPosition = String(fixed);
      if (!hasMore) return total;
    }
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
        const results = await batch(ids.map((id) => ['hmget', [`${base}i:${id}`, ...ITEM_FIELDS]]));
        const found: InboxItem[] = [];
        for (const raw of results) {
          const item = toItem(raw as RawItem);
          if (item) found.push(item);
        }
        return found;
      });
    },

    async listInbox(userId, query) {
      const { limit, beforePosition, archived } = query;
      const base = userBase(userId);
      // `include` merges the unarchived and the archived index of the same set.
      const prefixes: string[] = [];
      if (archived !== 'only') prefixes.push(inboxIndexPrefix(query.status, query.type, false));
      if (archived !== 'exclude') prefixes.push(inboxIndexPrefix(query.status, query.type, true));
      const args: ScriptArgument[] = [`${base}x`, base, limit + 1];
      for (const prefix of prefixes) {
        // ':' sorts after every digit: the bound above all of the index's members.
        args.push(beforePosition === undefined ? `(${prefix}:` : `(${prefix}${padPosition(beforePosition)}`);
        args.push(`[${prefix}`, Buffer.byteLength(prefix, 'utf8'));
      }
      return withinTimeout('listInbox', async () => {
        const raw = (await script('heraldInboxPage', args)) as RawItem[];
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
            padPosition(firstPosition),
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
        let unseen = 0;
        for (const [field, value] of Object.entries(fields)) {
          if (field === '#') total = Number(value);
          else if (field === 'e') unseen = Number(value);
          else if (field.startsWith('t:') && Number(value) > 0) byType[field.slice(2)] = Number(value);
        }
        return { total, unseen, byType };
      });
    },

    async markRead(userId, ids, at) {
      return withinTimeout('markRead', async () => {
        const changed = await changeThenRegisterReader(userId, changeCall(userId, 'read', ids, at));
        return changed as string[];
      });
    },

    async markUnread(userId, ids) {
      return withinTimeout('markUnread', async () => (await run(changeCall(userId, 'unread', ids))) as string[]);
    },

    async markAllRead(userId, options, at) {
      return withinTimeout('markAllRead', async () => changeAll(userId, 'read', options, at));
    },

    async markSeen(userId, ids, at) {
      return withinTimeout('markSeen', async () => (await run(changeCall(userId, 'seen', ids, at))) as string[]);
    },

    async markAllSeen(userId, options, at) {
      return withinTimeout('markAllSeen', async () => changeAll(userId, 'seen', options, at));
    },

    async archive(userId, ids, at) {
      return withinTimeout('archive', async () => (await run(changeCall(userId, 'archive', ids, at))) as string[]);
    },

    async unarchive(userId, ids) {
      return withinTimeout('unarchive', async () => (await run(changeCall(userId, 'unarchive', ids))) as string[]);
    },

    async archiveAllRead(userId, options, at) {
      return withinTimeout('archiveAllRead', async () => changeAll(userId, 'archive', options, at));
    },

    async markDelivered(userId, ids, at) {
      return withinTimeout(
        'markDelivered',
        async () => (await run(changeCall(userId, 'deliver', ids, at))) as string[],
      );
    },

    async markDeliveredMany(acks, at) {
      // One pipeline: a script per entry (each user's inbox is one slot), in input order.
      return withinTimeout(
        'markDeliveredMany',
        async () => (await batch(acks.map((ack) => changeCall(ack.userId, 'deliver', ack.ids, at)))) as string[][],
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
        // A single Redis reads them all in one script call; a Cluster's records sit on many slots.
        const results = redis.isCluster
          ? await batch(ids.map((id) => ['hget', [deliveryKey(id), 'j']]))
          : ids.length === 0
            ? []
            : ((await script('heraldDeliveriesGet', [deliveryKey(ids[0] as string), keyPrefix, ...ids])) as unknown[]);
        const found: DeliveryRecord[] = [];
        for (const json of results) {
          if (typeof json === 'string') found.push(JSON.parse(json) as DeliveryRecord);
        }
        return found;
      });
    },

    async updateDelivery(id, patch, onlyFrom, updatedAt) {
      return withinTimeout('updateDelivery', async () => {
        const result = (await script('heraldDeliveryUpdate', updateArguments({ id, patch, onlyFrom }, updatedAt))) as
          | [string, string]
          | null;
        return updatedRecord(id, result);
      });
    },

    async updateDeliveries(updates, updatedAt) {
      if (!redis.isCluster && updates.length > 0) {
        // A single Redis applies them all in one script call, provider-message-id lookups included.
        const args: ScriptArgument[] = [deliveryKey((updates[0] as (typeof updates)[0]).id), keyPrefix, updatedAt];
        for (const { id, patch, onlyFrom } of updates) {
          args.push(id);
          if (onlyFrom === undefined) args.push(-1);
          else {
            args.push(onlyFrom.length);
            for (const status of onlyFrom) args.push(status);
          }
          const fields = Object.entries(patch);
          args.push(fields.length);
          for (const [field, value] of fields) args.push(field, JSON.stringify(value));
        }
        return withinTimeout('updateDeliveries', async () => {
          const results = (await script('heraldDeliveriesUpdate', args)) as (string | null)[];
          return results.map((json) => (typeof json === 'string' ? (JSON.parse(json) as DeliveryRecord) : undefined));
        });
      }
      return withinTimeout('updateDeliveries', async () => {
        // A Cluster: one pipeline of the single update's script, in input order: an id given twice sees its first update.
        const results = (await batch(
          updates.map((update) => ['heraldDeliveryUpdate', updateArguments(update, updatedAt)]),
        )) as ([string, string] | null)[];
        const records: (DeliveryRecord | undefined)[] = [];
        for (const [index, update] of updates.entries()) records.push(await updatedRecord(update.id, results[index]));
        return records;
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

    // Digests and throttles. A recipient's buckets, digest keys and throttle logs live under `{u:<recipientId>}`,
    // beside the inbox, so each join, close, expedite, leave and take is one script on one slot. The open buckets of
    // every recipient are indexed under `{digests}` for listOpenDigests. On a single Redis the join and close scripts
    // keep that index in the same step. On a Cluster it is another slot, so the writes are ordered to keep one rule:
    // the index never misses an open bucket. An entry is written before the bucket it names can open and dropped
    // after the bucket is closed; an entry whose bucket is closed, or was never opened, is a stale entry, which
    // listOpenDigests skips after reading the bucket (and drops, when the bucket is closed or the entry is old).

    async joinDigests(joins) {
      return withinTimeout('joinDigests', async () => {
        if (!redis.isCluster) {
          // One script for the chunk, any recipients, the index kept in the same step.
          const args: ScriptArgument[] = [openDigestsKey, 'open', openDigestsKey, openDigestKeysKey];
          for (const join of joins) pushDigestJoin(args, join);
          return ((await script('heraldDigestsJoin', args)) as RawJoinResult[]).map(toJoinResult);
        }
        return inRecipientOrder(joins, () => joinDigestsOnCluster(joins));
      });
    },

    async getDigest(recipientId, id) {
      const key = digestKey(recipientId, id);
      return withinTimeout('getDigest', async () => toBucket(id, recipientId, await redis.hgetall(key)));
    },

    async closeDigest(recipientId, id, at) {
      const indexed = !redis.isCluster;
      return withinTimeout('closeDigest', async () => {
        const result = (await script('heraldDigestClose', [
          digestKey(recipientId, id),
          userBase(recipientId),
          id,
          at.ms,
          indexed ? openDigestsKey : '',
          indexed ? openDigestKeysKey : '',
          recipientId,
        ])) as null | ['open', string] | ['closed', number, string[]];
        if (result === null) return undefined;
        if (result[0] === 'open') return { status: 'open', closesAt: result[1] };
        // A Cluster drops the index entry after the close (again for a bucket closed before: a closer may have died
        // in between).
        if (!indexed) {
          await script('heraldDigestIndexDrop', [
            openDigestsKey,
            openDigestKeysKey,
            openDigestMember(id, recipientId),
            '',
          ]);
        }
        const bucket = toBucket(id, recipientId, fieldsOf(result[2]))!;
        return { status: 'closed', closedNow: result[1] === 1, bucket };
      });
    },

    async expediteDigest(recipientId, id, at) {
      return withinTimeout('expediteDigest', async () => {
        const fields = (await script('heraldDigestExpedite', [digestKey(recipientId, id), at.iso, at.ms])) as
          | string[]
          | null;
        return fields === null ? undefined : toBucket(id, recipientId, fieldsOf(fields));
      });
    },

    async leaveDigest(recipientId, id, notificationId) {
      return withinTimeout('leaveDigest', async () => {
        const left = await script('heraldDigestLeave', [
          digestKey(recipientId, id),
          userBase(recipientId),
          id,
          notificationId,
        ]);
        return left === 1;
      });
    },

    async listOpenDigests(digestKeyPrefix, { limit, after }) {
      return withinTimeout('listOpenDigests', async () => {
        const found: DigestBucket[] = [];
        // Members are '<id>\0<recipientId>': the first member past every one of `after` starts with '<after>\x01'.
        let min = after === undefined ? '-' : `[${after}\u0001`;
        for (;;) {
          const wanted = limit - found.length;
          if (!redis.isCluster) {
            const [last, done, buckets] = (await script('heraldDigestsOpenPage', [
              openDigestsKey,
              openDigestKeysKey,
              keyPrefix,
              min,
              digestKeyPrefix,
              wanted,
              DIGEST_SCAN,
              DIGEST_PAGE_EVENTS,
            ])) as [string, number, [string, string, string[]][]];
            for (const [id, recipientId, fields] of buckets) found.push(toBucket(id, recipientId, fieldsOf(fields))!);
            if (found.length >= limit || done === 1) return found;
            min = `(${last}`;
            continue;
          }
          const [last, done, entries] = (await script('heraldDigestsIndexPage', [
            openDigestsKey,
            openDigestKeysKey,
            min,
            digestKeyPrefix,
            wanted,
            DIGEST_SCAN,
          ])) as [string, number, [string, string][]];
          const candidates = entries.map(([member, json]) => {
            const [recipientId, , token] = JSON.parse(json) as [string, string, string?];
            return { member, json, recipientId, id: member.slice(0, member.length - recipientId.length - 1), token };
          });
          const stored = await batch(
            candidates.map(({ recipientId, id }) => ['hgetall', [digestKey(recipientId, id)]]),
          );
          const stale: string[] = [];
          candidates.forEach((candidate, index) => {
            const bucket = toBucket(candidate.id, candidate.recipientId, stored[index] as Record<string, string>);
            if (bucket?.status === 'open') found.push(bucket);
            // Closed is final: the entry is dropped. An entry without a bucket may be a join about to open it; only
            // one far older than any join can take (a caller that died between its two writes) is dropped.
            else if (bucket) stale.push(candidate.member, '');
            else if (Number(candidate.token?.split(':')[0]) < Date.now() - STALE_DIGEST_ENTRY_MS) {
              stale.push(candidate.member, candidate.json);
            }
          });
          if (stale.length > 0) await script('heraldDigestIndexDrop', [openDigestsKey, openDigestKeysKey, ...stale]);
          if (found.length >= limit || done === 1) return found.slice(0, limit);
          min = `(${last}`;
        }
      });
    },

    async takeThrottles(requests) {
      const groups = redis.isCluster
        ? groupBy(
            requests.map((_, index) => index),
            (index) => requests[index]!.recipientId,
          )
        : [requests.map((_, index) => index)];
      const calls = groups.map((group): ScriptCall => {
        const args: ScriptArgument[] = [`${userBase(requests[group[0]!]!.recipientId)}th`];
        for (const index of group) {
          const { recipientId, key, member, limit, windowMs, since, at } = requests[index]!;
          args.push(
            userBase(recipientId),
            key,
            member,
            limit,
            since,
            at.ms,
            Math.ceil(windowMs) + THROTTLE_TTL_SLACK_MS,
          );
        }
        return ['heraldThrottlesTake', args];
      });
      return withinTimeout('takeThrottles', async () => {
        const replies = await batch(calls);
        const taken: boolean[] = new Array(requests.length);
        groups.forEach((group, call) => {
          const answers = replies[call] as number[];
          group.forEach((index, offset) => {
            taken[index] = answers[offset] === 1;
          });
        });
        return taken;
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

    // Devices. The token key (`{dev:<token>}` → owner) is the truth; each user's hash lists their devices and their
    // `devorder` sorted set the order they were registered in. On a single Redis a registration (claim, move, add,
    // evict) and a removal are one script each. On a Cluster the token and each user are on slots of their own, so a
    // registration is ordered steps, each atomic on its slot: claim the token (two users racing for it: one wins),
    // then add it to the user's list and evict past the cap (one user racing past the cap: the list never grows
    // beyond it), then release the evicted tokens and take the token off its previous owner's list. listDevices
    // lists a token only while its owner key names the user, so a step cut short never lists a token for the wrong
    // user; it can leave a token claimed but not listed, until the device registers again.

    async registerDevice(device, { takeOver, maxDevices }) {
      const tokenKey = deviceKey(device.token);
      const json = JSON.stringify(device);
      return withinTimeout('registerDevice', async (): Promise<RegisterDeviceResult> => {
        if (!redis.isCluster) {
          const [status, takenOver, ...evicted] = (await script('heraldDeviceRegister', [
            tokenKey,
            keyPrefix,
            device.userId,
            device.token,
            json,
            takeOver ? '1' : '0',
            maxDevices,
          ])) as string[];
          if (status === 'taken') return { status: 'taken' };
          return registered(takenOver ? parseDevice(takenOver) : undefined, evicted.filter(Boolean).map(parseDevice));
        }
        const [status, previousOwner] = (await script('heraldDeviceClaim', [
          tokenKey,
          device.userId,
          takeOver ? '1' : '0',
        ])) as string[];
        if (status === 'taken') return { status: 'taken' };
        const base = userBase(device.userId);
        const removed = (await script('heraldDeviceAdd', [
          `${base}devices`,
          base,
          device.token,
          json,
          maxDevices,
        ])) as string[];
        const evicted: Device[] = [];
        for (let index = 0; index + 1 < removed.length; index += 2) {
          const [token, entry] = [removed[index]!, removed[index + 1]!];
          // Released only if this user still holds it; an entry whose token moved on was stale, not a device.
          if ((await script('heraldDelIfEqual', [deviceKey(token), device.userId])) === 1 && entry) {
            evicted.push(parseDevice(entry));
          }
        }
        let takenOver: Device | undefined;
        if (previousOwner) {
          const previousBase = userBase(previousOwner);
          const entry = await redis.hget(`${previousBase}devices`, device.token);
          // Dropped only while the token is still this user's and the entry is the one read: the previous owner may
          // be taking it back at this moment.
          if (entry !== null && (await redis.get(tokenKey)) === device.userId) {
            await script('heraldDeviceDropIfEqual', [`${previousBase}devices`, previousBase, device.token, entry]);
          }
          if (entry !== null) takenOver = parseDevice(entry);
        }
        return registered(takenOver, evicted);
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
        if (!redis.isCluster) {
          const json = (await script('heraldDeviceRemove', [tokenKey, keyPrefix, token, userId ?? ''])) as
            | string
            | null;
          return json === null ? undefined : parseDevice(json);
        }
        const owner = await redis.get(tokenKey);
        if (owner === null || (userId !== undefined && owner !== userId)) return undefined;
        const base = userBase(owner);
        const json = await redis.hget(`${base}devices`, token);
        if (json !== null) await script('heraldDeviceDropIfEqual', [`${base}devices`, base, token, json]);
        await script('heraldDelIfEqual', [tokenKey, owner]);
        return json === null ? undefined : parseDevice(json);
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

// Digests and throttles.

/** Index members looked at per listing script: bounds how long one call holds Redis. */
const DIGEST_SCAN = 1_000;
/** Events read per listing script (whole buckets, at least one). */
const DIGEST_PAGE_EVENTS = 10_000;
/**
 * A Cluster index entry without a bucket is a join between its two writes, or one that died there; only an entry
 * older than this, far longer than any join can take, is dropped as the latter.
 */
const STALE_DIGEST_ENTRY_MS = 86_400_000;
/** A throttle log lives its window past its last admission, and this much more for clocks that disagree. */
const THROTTLE_TTL_SLACK_MS = 60_000;

/** A join as the script answers it: {digestId, opened, joined, closesAt, count}, or {''} for one that must open. */
type RawJoinResult = [string, number?, number?, string?, number?];

function toJoinResult([digestId, opened, joined, closesAt, count]: RawJoinResult): DigestJoinResult {
  return { digestId, opened: opened === 1, joined: joined === 1, closesAt: closesAt!, count: count! };
}

function openDigestMember(id: string, recipientId: string): string {
  return `${id}\u0000${recipientId}`;
}

/** A hash as a script returns it (field, value, …) as an object. */
function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
  return fields;
}

function toBucket(id: string, recipientId: string, fields: Record<string, string>): DigestBucket | undefined {
  if (fields.s === undefined) return undefined;
  const events: { sequence: number; event: DigestEvent }[] = [];
  for (const field in fields) {
    if (!field.startsWith('e:')) continue;
    const value = fields[field]!;
    const colon = value.indexOf(':');
    events.push({ sequence: Number(value.slice(0, colon)), event: JSON.parse(value.slice(colon + 1)) as DigestEvent });
  }
  events.sort((a, b) => a.sequence - b.sequence);
  return {
    id,
    key: fields.k!,
    type: fields.t!,
    recipientId,
    status: fields.s as DigestBucket['status'],
    openedAt: fields.o!,
    closesAt: fields.c!,
    events: events.map((entry) => entry.event),
  };
}

/** The elements grouped by key, each group in input order. */
function groupBy<T>(elements: readonly T[], keyOf: (element: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const element of elements) {
    const key = keyOf(element);
    const group = groups.get(key);
    if (group) group.push(element);
    else groups.set(key, [element]);
  }
  return [...groups.values()];
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

function parseDevice(json: string): Device {
  return JSON.parse(json) as Device;
}

function registered(takenOver: Device | undefined, evicted: Device[]): RegisterDeviceResult {
  return takenOver === undefined ? { status: 'registered', evicted } : { status: 'registered', takenOver, evicted };
}

function changedSomething(result: unknown): boolean {
  if (Array.isArray(result)) return typeof result[0] === 'number' ? result[0] > 0 : result.length > 0;
  return false;
}

/**
 * The member prefix of one listing index in the user's `x` sorted set (see redis-scripts.ts): of unarchived items,
 * or of archived ones.
 */
function inboxIndexPrefix(status: InboxStatusFilter | undefined, type: string | undefined, archived: boolean): string {
  const set = status === 'unread' ? 'u' : status === 'read' ? 'r' : status === 'undelivered' ? 'n' : 'a';
  const archive = archived ? 'z' : '';
  if (type === undefined) return `${archive}${set}/`;
  // The byte length makes type prefixes self-delimiting: no type's index is a prefix of another's.
  return `${archive.toUpperCase()}${set.toUpperCase()}#${Buffer.byteLength(type, 'utf8')}:${type}/`;
}

/** Positions are stored as 12 digits so that member order is position order. */
function padPosition(position: number): string {
  return String(position).padStart(12, '0');
}

function toItem(raw: RawItem | null | undefined): InboxItem | undefined {
  if (!raw) return undefined;
  const [position, json, readAt, deliveredAt, seenAt, archivedAt] = raw;
  if (position === null || json === null) return undefined;
  const item = JSON.parse(json) as InboxItem;
  item.position = Number(position);
  if (deliveredAt !== null && deliveredAt !== undefined) item.deliveredAt = deliveredAt;
  if (readAt !== null && readAt !== undefined) item.readAt = readAt;
  if (seenAt !== null && seenAt !== undefined) item.seenAt = seenAt;
  if (archivedAt !== null && archivedAt !== undefined) item.archivedAt = archivedAt;
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
