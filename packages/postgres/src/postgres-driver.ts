// PostgresStore's driver: one method per Store operation, each one SQL statement (a few CTEs where a change and
// the counters it moves must happen together). The store kit has checked and normalised every argument and hands
// at most 500 elements per call, so one statement per table per chunk (`unnest` of arrays) stays far below
// PostgreSQL's parameter and memory limits. Every column is read as text, whatever type parsers the host's driver
// has, and times come back as `toISOString()` strings.
//
// Locks are always taken in one order — a user's counter row, then items by position, then counter rows by type —
// so concurrent calls on one user queue behind each other instead of deadlocking.

import type {
  DeliveryPatch,
  DeliveryRecord,
  Device,
  DigestBucket,
  DigestEvent,
  DigestJoinResult,
  InboxItem,
  NotificationRecord,
  Preferences,
  RegisterDeviceResult,
  UnreadCount,
} from '@herald/core/spec';
import type { CheckedBulkOptions, CheckedDate, CheckedInboxQuery, StoreDriver } from '@herald/core/store-kit';
import { connectionGate, type PostgresQueryable, queryFunction, withTransaction } from './postgres-client';
import { type PostgresFailureContext, toStoreFailure } from './postgres-errors';
import { isStorableText } from './text-checks';

export interface PostgresDriverSettings {
  db: PostgresQueryable;
  schema: string;
  /** Bound to the host's open transaction: no retries (the host's transaction is aborted), no housekeeping. */
  inTransaction: boolean;
  /** NOTIFY channel that wakes relays, sent (at commit) by a bound driver's beginNotification; none when undefined. */
  wakeChannel: string | undefined;
  /** Named statements on node-postgres, so each is parsed and planned once per connection. */
  preparedStatements: boolean;
}

type Row = Record<string, unknown>;
type Query = (sql: string, values: unknown[]) => Promise<Row[]>;

/** Items per bulk statement (read-all, seen-all, archive-all-read): bounds how long one holds a user's rows. */
const BULK_BATCH = 5_000;
/** Rows deleted per prune statement. */
const PRUNE_BATCH = 1_000;
/** Expired idempotency claims deleted per pass; passes run at most once a minute, from the relay's leases. */
const KEY_SWEEP_BATCH = 1_000;
const KEY_SWEEP_INTERVAL_MS = 60_000;
/** Attempts of one statement that lost a deadlock or serialization race (each attempt changed nothing). */
const MAX_ATTEMPTS = 5;

/** The expression reading a timestamptz as epoch milliseconds, as text. */
function ms(column: string): string {
  return `floor(extract(epoch FROM ${column}) * 1000)::int8::text`;
}

function iso(value: unknown): string {
  return new Date(Number(value)).toISOString();
}

/** An ISO 8601 string PostgreSQL parses the same way JavaScript did (the kit accepts any Date.parse input). */
function timestamp(value: string): string;
function timestamp(value: string | undefined): string | null;
function timestamp(value: string | undefined): string | null {
  return value === undefined ? null : new Date(Date.parse(value)).toISOString();
}

function text(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

const ITEM_COLUMNS = `user_id, position::text AS position, id, notification_id, type, title, body, url, icon, actor_id,
  data::text AS data, ${ms('created_at')} AS created_at, ${ms('delivered_at')} AS delivered_at,
  ${ms('read_at')} AS read_at, ${ms('seen_at')} AS seen_at, ${ms('archived_at')} AS archived_at`;

function toItem(row: Row): InboxItem {
  const item: InboxItem = {
    id: row.id as string,
    userId: row.user_id as string,
    notificationId: row.notification_id as string,
    type: row.type as string,
    title: row.title as string,
    body: row.body as string,
    createdAt: iso(row.created_at),
    position: Number(row.position),
  };
  if (row.url !== null) item.url = row.url as string;
  if (row.icon !== null) item.icon = row.icon as string;
  if (row.actor_id !== null) item.actorId = row.actor_id as string;
  if (row.data !== null) item.data = JSON.parse(row.data as string) as Record<string, unknown>;
  if (row.delivered_at !== null) item.deliveredAt = iso(row.delivered_at);
  if (row.read_at !== null) item.readAt = iso(row.read_at);
  if (row.seen_at !== null) item.seenAt = iso(row.seen_at);
  if (row.archived_at !== null) item.archivedAt = iso(row.archived_at);
  return item;
}

const DELIVERY_COLUMNS = `id, sequence::text AS sequence, notification_id, type, recipient_id, kind, status, channel_id,
  attempts::text AS attempts, provider_message_id, reason, reason_code, digest_delivery_id, detail, error::text AS error,
  inbox_item_id,
  ${ms('scheduled_for')} AS scheduled_for, ${ms('created_at')} AS created_at, ${ms('updated_at')} AS updated_at`;

function toDelivery(row: Row): DeliveryRecord {
  const record: DeliveryRecord = {
    id: row.id as string,
    notificationId: row.notification_id as string,
    type: row.type as string,
    recipientId: row.recipient_id as string,
    kind: row.kind as DeliveryRecord['kind'],
    status: row.status as DeliveryRecord['status'],
    attempts: Number(row.attempts),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  const channelId = text(row.channel_id);
  if (channelId !== undefined) record.channelId = channelId;
  const providerMessageId = text(row.provider_message_id);
  if (providerMessageId !== undefined) record.providerMessageId = providerMessageId;
  const reason = text(row.reason);
  if (reason !== undefined) record.reason = reason;
  const reasonCode = text(row.reason_code);
  if (reasonCode !== undefined) record.reasonCode = reasonCode as DeliveryRecord['reasonCode'] & string;
  const digestDeliveryId = text(row.digest_delivery_id);
  if (digestDeliveryId !== undefined) record.digestDeliveryId = digestDeliveryId;
  const detail = text(row.detail);
  if (detail !== undefined) record.detail = detail;
  if (row.error !== null) record.error = JSON.parse(row.error as string) as DeliveryRecord['error'] & object;
  const inboxItemId = text(row.inbox_item_id);
  if (inboxItemId !== undefined) record.inboxItemId = inboxItemId;
  if (row.scheduled_for !== null) record.scheduledFor = iso(row.scheduled_for);
  return record;
}

const NOTIFICATION_COLUMNS = `status, ${ms('lease_until')} AS lease_until, record::text AS record`;

function toNotification(row: Row): NotificationRecord {
  const record = JSON.parse(row.record as string) as NotificationRecord;
  record.status = row.status as NotificationRecord['status'];
  if (row.lease_until !== null) record.leaseUntil = iso(row.lease_until);
  return record;
}

/** A notification record's JSON, without the status and lease its columns hold. */
function recordJson(record: NotificationRecord): string {
  const { status: _status, leaseUntil: _leaseUntil, ...rest } = record;
  return JSON.stringify(rest);
}

function toDevice(row: Row): Device {
  return {
    token: row.token as string,
    userId: row.user_id as string,
    platform: row.platform as string,
    createdAt: iso(row.created_at),
  };
}

const DIGEST_COLUMNS = `recipient_id, id, key, type, status, ${ms('opened_at')} AS opened_at, ${ms('closes_at')} AS closes_at`;

function toBucket(row: Row, events: DigestEvent[]): DigestBucket {
  return {
    id: row.id as string,
    key: row.key as string,
    type: row.type as string,
    recipientId: row.recipient_id as string,
    status: row.status as DigestBucket['status'],
    openedAt: iso(row.opened_at),
    closesAt: iso(row.closes_at),
    events,
  };
}

function itemKey(userId: string, id: string): string {
  // Neither can hold NUL (refused before any write), so the pair is unambiguous.
  return `${userId}\u0000${id}`;
}

/** Ids that can exist: one PostgreSQL could not store matches nothing (and must not reach a statement). */
function storable(ids: readonly string[]): string[] {
  return ids.filter(isStorableText);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

type StateChange = 'read' | 'unread' | 'seen' | 'archive' | 'unarchive' | 'delivered';

/**
 * Each state change: the assignment ($3 is the instant), which items it changes (those not yet in the target
 * state), and how many leave or join each counter — the unread and unseen counters count unarchived items only.
 * The flags are the item's state before the change, read under its row lock.
 */
const stateChanges: Record<StateChange, { assign: string; matching: string; unread?: string; unseen?: string }> = {
  // A read item is seen: reading sets seen_at where it is absent.
  read: {
    assign: 'read_at = $3::timestamptz, seen_at = coalesce(i.seen_at, $3::timestamptz)',
    matching: 'read_at IS NULL',
    unread: '-count(*) FILTER (WHERE is_live)',
    unseen: '-count(*) FILTER (WHERE is_live AND is_unseen)',
  },
  unread: { assign: 'read_at = NULL', matching: 'read_at IS NOT NULL', unread: 'count(*) FILTER (WHERE is_live)' },
  seen: {
    assign: 'seen_at = $3::timestamptz',
    matching: 'seen_at IS NULL',
    unseen: '-count(*) FILTER (WHERE is_live)',
  },
  archive: {
    assign: 'archived_at = $3::timestamptz',
    matching: 'archived_at IS NULL',
    unread: '-count(*) FILTER (WHERE is_unread)',
    unseen: '-count(*) FILTER (WHERE is_unseen)',
  },
  unarchive: {
    assign: 'archived_at = NULL',
    matching: 'archived_at IS NOT NULL',
    unread: 'count(*) FILTER (WHERE is_unread)',
    unseen: 'count(*) FILTER (WHERE is_unseen)',
  },
  delivered: { assign: 'delivered_at = $3::timestamptz', matching: 'delivered_at IS NULL' },
};

/**
 * The CTE adding a change's moves to the counter rows of the types it touched, in type order (the lock order), in
 * the same statement as the change; types whose counters do not move are not touched.
 */
function counterUpdate(s: string, change: StateChange): string {
  const { unread, unseen } = stateChanges[change];
  if (unread === undefined && unseen === undefined) return '';
  return `,
counts AS (
  SELECT type, ${unread ?? '0'} AS unread, ${unseen ?? '0'} AS unseen FROM changed GROUP BY type
),
counted AS (
  INSERT INTO ${s}.inbox_unread AS c (user_id, type, unread, unseen)
  SELECT $1, type, unread, unseen FROM counts WHERE unread <> 0 OR unseen <> 0 ORDER BY type
  ON CONFLICT (user_id, type) DO UPDATE SET unread = c.unread + EXCLUDED.unread, unseen = c.unseen + EXCLUDED.unseen
)`;
}

export function createPostgresDriver(settings: PostgresDriverSettings): StoreDriver {
  const { db, inTransaction } = settings;
  const send = queryFunction(db, settings.preparedStatements);
  // A store bound to the host's transaction sends the host's statements and opens no transaction of its own.
  const gate = inTransaction ? undefined : connectionGate(db);
  const query: typeof send = gate ? (sql, values) => gate.statement(() => send(sql, values)) : send;
  const s = settings.schema;
  let lastKeySweep = 0;

  /** Runs one statement; a statement that lost a deadlock or serialization race changed nothing and runs again. */
  async function run(operation: string, sql: string, values: unknown[]): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await query(sql, values)).rows;
      } catch (error) {
        const context: PostgresFailureContext = { operation, schema: s, inTransaction, attempt };
        const failure = toStoreFailure(error, context);
        if (failure === 'retry' && attempt < MAX_ATTEMPTS) {
          await sleep(5 * attempt + Math.random() * 20 * attempt);
          continue;
        }
        throw failure === 'retry' ? toStoreFailure(error, { ...context, attempt: MAX_ATTEMPTS }) : failure;
      }
    }
  }

  /**
   * Runs statements that must see each other in one transaction: the host's, for a bound store, or one of its own
   * on a connection of `db`, run again whole when it lost a deadlock or serialization race.
   */
  async function transaction<T>(operation: string, work: (query: Query) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const context: PostgresFailureContext = { operation, schema: s, inTransaction, attempt };
      try {
        if (inTransaction) return await work(async (sql, values) => (await query(sql, values)).rows);
        const own = (): Promise<T> =>
          withTransaction(db, (connection) => {
            const onConnection = queryFunction(connection, settings.preparedStatements);
            return work(async (sql, values) => (await onConnection(sql, values)).rows);
          });
        return await (gate ? gate.transaction(own) : own());
      } catch (error) {
        const failure = toStoreFailure(error, context);
        if (failure === 'retry' && attempt < MAX_ATTEMPTS) {
          await sleep(5 * attempt + Math.random() * 20 * attempt);
          continue;
        }
        throw failure === 'retry' ? toStoreFailure(error, { ...context, attempt: MAX_ATTEMPTS }) : failure;
      }
    }
  }

  /** The events column of a bucket read: every event, in join order, as one JSON array. */
  const BUCKET_EVENTS = `(SELECT json_agg(e.event ORDER BY e.ordinal) FROM ${s}.digest_events e
    WHERE e.recipient_id = b.recipient_id AND e.digest_id = b.id)::text AS events`;

  function bucketFrom(row: Row): DigestBucket {
    return toBucket(row, row.events === null ? [] : (JSON.parse(row.events as string) as DigestEvent[]));
  }

  /** A bucket with its events, read in one snapshot; undefined when the recipient has no bucket with this id. */
  async function readBucket(operation: string, recipientId: string, id: string): Promise<DigestBucket | undefined> {
    if (!isStorableText(recipientId) || !isStorableText(id)) return undefined;
    const [row] = await run(
      operation,
      `SELECT ${DIGEST_COLUMNS}, ${BUCKET_EVENTS} FROM ${s}.digests b WHERE recipient_id = $1 AND id = $2`,
      [recipientId, id],
    );
    return row ? bucketFrom(row) : undefined;
  }

  const statements = {
    insertItems: `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::json[], $11::timestamptz[])
    WITH ORDINALITY AS t(user_id, id, notification_id, type, title, body, url, icon, actor_id, data, created_at, ord)
),
existing AS (
  SELECT i.* FROM ${s}.inbox_items i JOIN (SELECT DISTINCT user_id, id FROM input) k USING (user_id, id)
),
fresh AS (
  SELECT DISTINCT ON (user_id, id) * FROM input
  WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.user_id = input.user_id AND e.id = input.id)
  ORDER BY user_id, id, ord
),
counts AS (SELECT user_id, count(*) AS n FROM fresh GROUP BY user_id),
bumped AS (
  INSERT INTO ${s}.inbox_users AS u (user_id, last_position)
  SELECT user_id, n FROM counts ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE SET last_position = u.last_position + EXCLUDED.last_position
  RETURNING user_id, last_position
),
numbered AS (
  SELECT f.*, b.last_position - c.n + row_number() OVER (PARTITION BY f.user_id ORDER BY f.ord) AS position
  FROM fresh f JOIN counts c USING (user_id) JOIN bumped b USING (user_id)
),
inserted AS (
  INSERT INTO ${s}.inbox_items (user_id, position, id, notification_id, type, title, body, url, icon, actor_id, data,
    created_at)
  SELECT user_id, position, id, notification_id, type, title, body, url, icon, actor_id, data, created_at
  FROM numbered ORDER BY user_id, position
  ON CONFLICT DO NOTHING
  RETURNING user_id, id, position, type
),
counted AS (
  INSERT INTO ${s}.inbox_unread AS c (user_id, type, unread, unseen)
  SELECT user_id, type, count(*), count(*) FROM inserted GROUP BY user_id, type ORDER BY user_id, type
  ON CONFLICT (user_id, type) DO UPDATE SET unread = c.unread + EXCLUDED.unread, unseen = c.unseen + EXCLUDED.unseen
)
SELECT true AS fresh, user_id, id, position::text AS position, NULL AS notification_id, NULL AS type, NULL AS title,
  NULL AS body, NULL AS url, NULL AS icon, NULL AS actor_id, NULL AS data, NULL AS created_at, NULL AS delivered_at,
  NULL AS read_at, NULL AS seen_at, NULL AS archived_at
FROM inserted
UNION ALL
SELECT false, ${ITEM_COLUMNS} FROM existing`,

    /** A state change of the items named by id: those not yet in the target state change, and their counters. */
    byIds(change: StateChange): string {
      const { assign, matching } = stateChanges[change];
      return `
WITH target AS (
  SELECT position, read_at IS NULL AS is_unread, seen_at IS NULL AS is_unseen, archived_at IS NULL AS is_live
  FROM ${s}.inbox_items
  WHERE user_id = $1 AND id = ANY($2::text[]) AND ${matching}
  ORDER BY position FOR UPDATE
),
changed AS (
  UPDATE ${s}.inbox_items i SET ${assign}
  FROM target t WHERE i.user_id = $1 AND i.position = t.position AND i.${matching}
  RETURNING i.id, i.type, t.is_unread, t.is_unseen, t.is_live
)${counterUpdate(s, change)}
SELECT id FROM changed`;
    },

    /**
     * A bulk change up to the watermark ($2), of type $5 when given, over at most $4 unarchived items a statement
     * (the lowest positions first): the caller repeats it until a statement takes fewer.
     */
    bulk(change: 'read' | 'seen' | 'archive', withType: boolean): string {
      const { assign } = stateChanges[change];
      // archive-all-read archives read items only.
      const matching =
        change === 'archive' ? 'read_at IS NOT NULL AND i.archived_at IS NULL' : stateChanges[change].matching;
      return `
WITH target AS (
  SELECT position, read_at IS NULL AS is_unread, seen_at IS NULL AS is_unseen, archived_at IS NULL AS is_live
  FROM ${s}.inbox_items i
  WHERE user_id = $1 AND i.${matching} AND i.archived_at IS NULL AND position <= $2${withType ? ' AND type = $5' : ''}
  ORDER BY position LIMIT $4 FOR UPDATE
),
changed AS (
  UPDATE ${s}.inbox_items i SET ${assign}
  FROM target t WHERE i.user_id = $1 AND i.position = t.position AND i.${matching} AND i.archived_at IS NULL
  RETURNING i.type, t.is_unread, t.is_unseen, t.is_live
)${counterUpdate(s, change)}
SELECT (SELECT count(*) FROM changed)::text AS changed, (SELECT count(*) FROM target)::text AS taken`;
    },
  };

  function beginStatement(withKey: boolean): string {
    const wake = settings.wakeChannel === undefined ? '' : `, pg_notify('${settings.wakeChannel}', '')`;
    const created = `
created AS (
  INSERT INTO ${s}.notifications (id, type, status, lease_until, idempotency_key, created_at, record)
  SELECT $1, $2, 'dispatching', $4::timestamptz, $5, $6::timestamptz, $3::json
  ${withKey ? 'WHERE EXISTS (SELECT 1 FROM claim)' : ''}
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
)`;
    if (!withKey) return `WITH ${created} SELECT true AS claimed${wake}`;
    return `
WITH claim AS (
  INSERT INTO ${s}.idempotency_keys AS k (key, notification_id, expires_at) VALUES ($5, $1, $8::timestamptz)
  ON CONFLICT (key) DO UPDATE SET notification_id = EXCLUDED.notification_id, expires_at = EXCLUDED.expires_at
  WHERE k.expires_at <= $7::timestamptz
  RETURNING 1
),${created}
SELECT EXISTS (SELECT 1 FROM claim) AS claimed${wake}`;
  }

  async function sweepExpiredKeys(now: number): Promise<void> {
    if (inTransaction || now - lastKeySweep < KEY_SWEEP_INTERVAL_MS) return;
    lastKeySweep = now;
    await run(
      'leaseNotifications',
      `DELETE FROM ${s}.idempotency_keys WHERE key IN (
        SELECT key FROM ${s}.idempotency_keys WHERE expires_at <= $1::timestamptz LIMIT ${KEY_SWEEP_BATCH}
        FOR UPDATE SKIP LOCKED)`,
      [new Date(now).toISOString()],
    );
  }

  async function changeByIds(
    operation: string,
    change: StateChange,
    userId: string,
    ids: readonly string[],
    at: CheckedDate | undefined,
  ): Promise<string[]> {
    const wanted = storable(ids);
    if (!isStorableText(userId) || wanted.length === 0) return [];
    const values: unknown[] = [userId, wanted];
    if (at !== undefined) values.push(timestamp(at.iso));
    const rows = await run(operation, statements.byIds(change), values);
    return rows.map((row) => row.id as string);
  }

  /** Bulk changes walk the user's items in bounded statements, all below one watermark fixed before the first. */
  async function changeInBulk(
    operation: string,
    change: 'read' | 'seen' | 'archive',
    userId: string,
    options: CheckedBulkOptions,
    at: CheckedDate,
  ): Promise<number> {
    const { type } = options;
    if (!isStorableText(userId) || (type !== undefined && !isStorableText(type))) return 0;
    let upTo = options.upToPosition;
    if (upTo === undefined) {
      // The position at the start bounds the sweep: items inserted while it runs stay as they are.
      const last = await run(
        operation,
        `SELECT last_position::text AS last_position FROM ${s}.inbox_users WHERE user_id = $1`,
        [userId],
      );
      if (last.length === 0) return 0;
      upTo = Number(last[0]!.last_position);
    }
    const sql = statements.bulk(change, type !== undefined);
    const stamp = timestamp(at.iso);
    let total = 0;
    for (;;) {
      const values: unknown[] = [userId, upTo, stamp, BULK_BATCH];
      if (type !== undefined) values.push(type);
      const [row] = await run(operation, sql, values);
      total += Number(row!.changed);
      if (Number(row!.taken) < BULK_BATCH) return total;
    }
  }

  return {
    // Inbox.

    async insertInboxItems(items) {
      const columns: unknown[][] = Array.from({ length: 11 }, () => new Array(items.length));
      items.forEach((item, index) => {
        columns[0]![index] = item.userId;
        columns[1]![index] = item.id;
        columns[2]![index] = item.notificationId;
        columns[3]![index] = item.type;
        columns[4]![index] = item.title;
        columns[5]![index] = item.body;
        columns[6]![index] = item.url ?? null;
        columns[7]![index] = item.icon ?? null;
        columns[8]![index] = item.actorId ?? null;
        columns[9]![index] = item.data === undefined ? null : JSON.stringify(item.data);
        columns[10]![index] = timestamp(item.createdAt);
      });
      const rows = await run('insertInboxItems', statements.insertItems, columns);
      const positions = new Map<string, number>();
      const stored = new Map<string, InboxItem>();
      for (const row of rows) {
        const key = itemKey(row.user_id as string, row.id as string);
        if (row.fresh === true) positions.set(key, Number(row.position));
        else stored.set(key, toItem(row));
      }
      const result: InboxItem[] = new Array(items.length);
      const missing: number[] = [];
      for (let index = 0; index < items.length; index++) {
        const item = items[index]!;
        const key = itemKey(item.userId, item.id);
        const existing = stored.get(key);
        if (existing) {
          result[index] = existing;
          continue;
        }
        const position = positions.get(key);
        if (position === undefined) {
          missing.push(index);
          continue;
        }
        // The kit's item is a private copy of exactly the declared fields: it is the stored item's content. A second
        // occurrence of the id in this chunk gets the first one's stored item.
        const inserted: InboxItem = { ...item, createdAt: timestamp(item.createdAt), position };
        stored.set(key, inserted);
        result[index] = inserted;
      }
      // An id inserted by a concurrent call between this statement's snapshot and its insert: read what it stored.
      for (const index of missing) {
        const item = items[index]!;
        const [found] = (
          await run('insertInboxItems', `SELECT ${ITEM_COLUMNS} FROM ${s}.inbox_items WHERE user_id = $1 AND id = $2`, [
            item.userId,
            item.id,
          ])
        ).map(toItem);
        if (!found) throw new Error(`PostgresStore.insertInboxItems: item ${item.id} was neither stored nor found`);
        result[index] = found;
      }
      return result;
    },

    async getInboxItems(userId, ids) {
      const wanted = storable(ids);
      if (!isStorableText(userId) || wanted.length === 0) return [];
      const rows = await run(
        'getInboxItems',
        `SELECT ${ITEM_COLUMNS} FROM ${s}.inbox_items i WHERE user_id = $1 AND id = ANY($2::text[]) ORDER BY i.position`,
        [userId, wanted],
      );
      return rows.map(toItem);
    },

    async listInbox(userId, query: CheckedInboxQuery) {
      if (!isStorableText(userId)) return { entries: [] };
      const conditions = ['user_id = $1'];
      const values: unknown[] = [userId, query.limit + 1];
      if (query.beforePosition !== undefined) {
        values.push(query.beforePosition);
        conditions.push(`i.position < $${values.length}`);
      }
      if (query.type !== undefined) {
        if (!isStorableText(query.type)) return { entries: [] };
        values.push(query.type);
        conditions.push(`type = $${values.length}`);
      }
      // Written out, not parameterised, so the planner matches each partial index's predicate.
      if (query.status === 'unread') conditions.push('read_at IS NULL');
      else if (query.status === 'read') conditions.push('read_at IS NOT NULL');
      else if (query.status === 'undelivered') conditions.push('delivered_at IS NULL');
      if (query.archived === 'exclude') conditions.push('archived_at IS NULL');
      else if (query.archived === 'only') conditions.push('archived_at IS NOT NULL');
      const rows = await run(
        'listInbox',
        `SELECT ${ITEM_COLUMNS} FROM ${s}.inbox_items i WHERE ${conditions.join(' AND ')} ORDER BY i.position DESC LIMIT $2`,
        values,
      );
      const entries = rows.slice(0, query.limit).map(toItem);
      const last = entries[entries.length - 1];
      return { entries, nextKey: rows.length > query.limit && last ? last.position : undefined };
    },

    async listInboxAfter(userId, afterPosition, limit) {
      if (afterPosition === Number.POSITIVE_INFINITY || !isStorableText(userId)) return [];
      // Positions are integers: after 2.5 means from 3, i.e. after 2.
      const after = afterPosition === Number.NEGATIVE_INFINITY ? -1 : Math.max(-1, Math.floor(afterPosition));
      const rows = await run(
        'listInboxAfter',
        `SELECT ${ITEM_COLUMNS} FROM ${s}.inbox_items i WHERE user_id = $1 AND i.position > $2 ORDER BY i.position LIMIT $3`,
        [userId, after, limit],
      );
      return rows.map(toItem);
    },

    async lastPosition(userId) {
      if (!isStorableText(userId)) return 0;
      const rows = await run(
        'lastPosition',
        `SELECT last_position::text AS last_position FROM ${s}.inbox_users WHERE user_id = $1`,
        [userId],
      );
      return rows.length === 0 ? 0 : Number(rows[0]!.last_position);
    },

    async unreadCount(userId) {
      const count: UnreadCount = { total: 0, unseen: 0, byType: {} };
      if (!isStorableText(userId)) return count;
      const rows = await run(
        'unreadCount',
        `SELECT type, unread::text AS unread, unseen::text AS unseen FROM ${s}.inbox_unread
         WHERE user_id = $1 AND (unread > 0 OR unseen > 0)`,
        [userId],
      );
      for (const row of rows) {
        const unread = Number(row.unread);
        if (unread > 0) count.byType[row.type as string] = unread;
        count.total += unread;
        count.unseen += Number(row.unseen);
      }
      return count;
    },

    markRead: (userId, ids, at) => changeByIds('markRead', 'read', userId, ids, at),
    markUnread: (userId, ids) => changeByIds('markUnread', 'unread', userId, ids, undefined),
    markSeen: (userId, ids, at) => changeByIds('markSeen', 'seen', userId, ids, at),
    archive: (userId, ids, at) => changeByIds('archive', 'archive', userId, ids, at),
    unarchive: (userId, ids) => changeByIds('unarchive', 'unarchive', userId, ids, undefined),
    markDelivered: (userId, ids, at) => changeByIds('markDelivered', 'delivered', userId, ids, at),
    markAllRead: (userId, options, at) => changeInBulk('markAllRead', 'read', userId, options, at),
    markAllSeen: (userId, options, at) => changeInBulk('markAllSeen', 'seen', userId, options, at),
    archiveAllRead: (userId, options, at) => changeInBulk('archiveAllRead', 'archive', userId, options, at),

    async pruneInbox(readBefore) {
      let removed = 0;
      for (;;) {
        // SKIP LOCKED: an item someone is marking unread right now is left for the next prune.
        const [row] = await run(
          'pruneInbox',
          `WITH doomed AS (
            SELECT user_id, position FROM ${s}.inbox_items
            WHERE read_at IS NOT NULL AND read_at < $1::timestamptz
            ORDER BY read_at LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED
          ), deleted AS (
            DELETE FROM ${s}.inbox_items i USING doomed d
            WHERE i.user_id = d.user_id AND i.position = d.position AND i.read_at < $1::timestamptz
            RETURNING 1
          )
          SELECT (SELECT count(*) FROM deleted)::text AS deleted, (SELECT count(*) FROM doomed)::text AS taken`,
          [timestamp(readBefore.iso)],
        );
        removed += Number(row!.deleted);
        if (Number(row!.taken) < PRUNE_BATCH) return removed;
      }
    },

    // Notifications: the outbox.

    async beginNotification(begin, now) {
      const { record, idempotencyKey } = begin;
      const values: unknown[] = [
        record.id,
        record.type,
        recordJson(record),
        timestamp(begin.leaseUntil.iso),
        idempotencyKey?.key ?? null,
        timestamp(record.createdAt),
      ];
      if (idempotencyKey !== undefined) {
        values.push(new Date(now).toISOString(), new Date(now + idempotencyKey.ttlMs).toISOString());
      }
      for (let attempt = 0; ; attempt++) {
        const [row] = await run('beginNotification', beginStatement(idempotencyKey !== undefined), values);
        if (row!.claimed === true || idempotencyKey === undefined) return { created: true };
        // Held: read the holder in a statement of its own, which sees a holder that committed while this one waited.
        const [held] = await run(
          'beginNotification',
          `SELECT k.notification_id, ${ms('k.expires_at')} AS expires_at, n.status, ${ms('n.lease_until')} AS lease_until,
             n.record::text AS record
           FROM ${s}.idempotency_keys k LEFT JOIN ${s}.notifications n ON n.id = k.notification_id
           WHERE k.key = $1`,
          [idempotencyKey.key],
        );
        // Expired (or swept) between the two statements: claim it again.
        if ((!held || Number(held.expires_at) <= now) && attempt < 3) continue;
        if (!held) return { created: true };
        return {
          created: false,
          notificationId: held.notification_id as string,
          existing: held.record === null ? undefined : toNotification(held),
        };
      }
    },

    async getNotification(id) {
      if (!isStorableText(id)) return undefined;
      const [row] = await run(
        'getNotification',
        `SELECT ${NOTIFICATION_COLUMNS} FROM ${s}.notifications WHERE id = $1`,
        [id],
      );
      return row ? toNotification(row) : undefined;
    },

    async leaseNotifications(lease, now) {
      await sweepExpiredKeys(now);
      // SKIP LOCKED: relays racing each take different rows; notifications of open transactions are not visible.
      const rows = await run(
        'leaseNotifications',
        `WITH taken AS (
          SELECT id, lease_until AS previous FROM ${s}.notifications
          WHERE status = 'dispatching' AND lease_until < $1::timestamptz
          ORDER BY lease_until, id LIMIT $3 FOR UPDATE SKIP LOCKED
        )
        UPDATE ${s}.notifications n SET lease_until = $2::timestamptz FROM taken WHERE n.id = taken.id
        RETURNING n.id, ${ms('taken.previous')} AS previous, n.status, ${ms('n.lease_until')} AS lease_until,
          n.record::text AS record`,
        [timestamp(lease.now.iso), timestamp(lease.leaseUntil.iso), lease.limit],
      );
      rows.sort((a, b) => Number(a.previous) - Number(b.previous) || (a.id as string).localeCompare(b.id as string));
      return rows.map(toNotification);
    },

    async renewNotificationLease(id, leaseUntil) {
      if (!isStorableText(id)) return false;
      const rows = await run(
        'renewNotificationLease',
        `UPDATE ${s}.notifications SET lease_until = $2::timestamptz WHERE id = $1 AND status = 'dispatching' RETURNING 1`,
        [id, timestamp(leaseUntil.iso)],
      );
      return rows.length > 0;
    },

    async markNotificationDispatched(id) {
      if (!isStorableText(id)) return;
      await run(
        'markNotificationDispatched',
        `UPDATE ${s}.notifications SET status = 'dispatched', lease_until = NULL WHERE id = $1 AND status = 'dispatching'`,
        [id],
      );
    },

    // Deliveries.

    async createDeliveries(records) {
      const columns: unknown[][] = Array.from({ length: 18 }, () => new Array(records.length));
      records.forEach((record, index) => {
        columns[0]![index] = record.id;
        columns[1]![index] = record.notificationId;
        columns[2]![index] = record.type;
        columns[3]![index] = record.recipientId;
        columns[4]![index] = record.kind;
        columns[5]![index] = record.status;
        columns[6]![index] = record.channelId ?? null;
        columns[7]![index] = record.attempts;
        columns[8]![index] = record.providerMessageId ?? null;
        columns[9]![index] = record.reason ?? null;
        columns[10]![index] = record.detail ?? null;
        columns[11]![index] = record.error === undefined ? null : JSON.stringify(record.error);
        columns[12]![index] = record.inboxItemId ?? null;
        columns[13]![index] = timestamp(record.scheduledFor);
        columns[14]![index] = timestamp(record.createdAt);
        columns[15]![index] = timestamp(record.updatedAt);
        columns[16]![index] = record.reasonCode ?? null;
        columns[17]![index] = record.digestDeliveryId ?? null;
      });
      await run(
        'createDeliveries',
        `INSERT INTO ${s}.deliveries (id, notification_id, type, recipient_id, kind, status, channel_id, attempts,
           provider_message_id, reason, detail, error, inbox_item_id, scheduled_for, created_at, updated_at,
           reason_code, digest_delivery_id)
         SELECT id, notification_id, type, recipient_id, kind, status, channel_id, attempts, provider_message_id,
           reason, detail, error, inbox_item_id, scheduled_for, created_at, updated_at, reason_code, digest_delivery_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
           $9::text[], $10::text[], $11::text[], $12::json[], $13::text[], $14::timestamptz[], $15::timestamptz[],
           $16::timestamptz[], $17::text[], $18::text[])
           WITH ORDINALITY AS t(id, notification_id, type, recipient_id, kind, status, channel_id, attempts,
             provider_message_id, reason, detail, error, inbox_item_id, scheduled_for, created_at, updated_at,
             reason_code, digest_delivery_id, ord)
         ORDER BY ord
         ON CONFLICT (id) DO NOTHING`,
        columns,
      );
    },

    async getDeliveries(ids) {
      const wanted = storable(ids);
      if (wanted.length === 0) return [];
      const rows = await run(
        'getDeliveries',
        `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries d WHERE id = ANY($1::text[]) ORDER BY d.sequence`,
        [wanted],
      );
      return rows.map(toDelivery);
    },

    async updateDelivery(id, patch: DeliveryPatch, onlyFrom, updatedAt) {
      if (!isStorableText(id)) return undefined;
      const values: unknown[] = [id, timestamp(updatedAt)];
      const assignments = ['updated_at = $2::timestamptz'];
      const set = (column: string, value: unknown, cast = ''): void => {
        values.push(value);
        assignments.push(`${column} = $${values.length}${cast}`);
      };
      if (patch.status !== undefined) set('status', patch.status);
      if (patch.channelId !== undefined) set('channel_id', patch.channelId);
      if (patch.attempts !== undefined) set('attempts', patch.attempts, '::int');
      if (patch.providerMessageId !== undefined) set('provider_message_id', patch.providerMessageId);
      if (patch.reason !== undefined) set('reason', patch.reason);
      if (patch.reasonCode !== undefined) set('reason_code', patch.reasonCode);
      if (patch.detail !== undefined) set('detail', patch.detail);
      if (patch.error !== undefined) set('error', JSON.stringify(patch.error), '::json');
      let condition = '';
      if (onlyFrom !== undefined) {
        values.push([...onlyFrom]);
        condition = ` AND status = ANY($${values.length}::text[])`;
      }
      const [row] = await run(
        'updateDelivery',
        `UPDATE ${s}.deliveries SET ${assignments.join(', ')} WHERE id = $1${condition} RETURNING ${DELIVERY_COLUMNS}`,
        values,
      );
      return row ? toDelivery(row) : undefined;
    },

    async findDeliveryByProviderMessageId(providerMessageId) {
      if (!isStorableText(providerMessageId)) return undefined;
      const [row] = await run(
        'findDeliveryByProviderMessageId',
        `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries d WHERE provider_message_id = $1
         ORDER BY d.updated_at DESC, d.sequence DESC LIMIT 1`,
        [providerMessageId],
      );
      return row ? toDelivery(row) : undefined;
    },

    async listDeliveries(query) {
      const conditions: string[] = [];
      const values: unknown[] = [query.limit + 1];
      const where = (column: string, value: string | number): void => {
        values.push(value);
        conditions.push(`${column} $${values.length}`);
      };
      for (const value of [query.notificationId, query.recipientId]) {
        if (value !== undefined && !isStorableText(value)) return { entries: [] };
      }
      if (query.notificationId !== undefined) where('notification_id =', query.notificationId);
      if (query.recipientId !== undefined) where('recipient_id =', query.recipientId);
      if (query.status !== undefined) where('status =', query.status);
      if (query.beforeSequence !== undefined) where('d.sequence <', query.beforeSequence);
      const rows = await run(
        'listDeliveries',
        `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries d ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
         ORDER BY d.sequence DESC LIMIT $1`,
        values,
      );
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        entries: page.map(toDelivery),
        nextKey: rows.length > query.limit && last ? Number(last.sequence) : undefined,
      };
    },

    // Digests and throttles. A join or a take is one step of a function call (see migration 3); a close, an
    // expedite and a leave are one statement each, on the bucket's row lock.

    async joinDigests(joins) {
      const columns: unknown[][] = Array.from({ length: 11 }, () => new Array(joins.length));
      joins.forEach((join, index) => {
        columns[0]![index] = join.key;
        columns[1]![index] = join.openAs;
        columns[2]![index] = join.type;
        columns[3]![index] = join.recipientId;
        columns[4]![index] = join.event.notificationId;
        columns[5]![index] = JSON.stringify(join.event);
        columns[6]![index] = join.at.iso;
        columns[7]![index] = join.closesAt.iso;
        columns[8]![index] = join.slideTo?.iso ?? null;
        columns[9]![index] = join.capAt?.iso ?? null;
        columns[10]![index] = join.maxEvents;
      });
      const rows = await run(
        'joinDigests',
        `SELECT ord::int AS ord, digest_id, opened, joined, ${ms('closes_at')} AS closes_at, count::int AS count
         FROM ${s}.join_digests($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::json[],
           $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::int[])`,
        columns,
      );
      const results: DigestJoinResult[] = new Array(joins.length);
      for (const row of rows) {
        results[Number(row.ord) - 1] = {
          digestId: row.digest_id as string,
          opened: row.opened === true,
          joined: row.joined === true,
          closesAt: iso(row.closes_at),
          count: Number(row.count),
        };
      }
      return results;
    },

    getDigest: (recipientId, id) => readBucket('getDigest', recipientId, id),

    async closeDigest(recipientId, id, at) {
      if (!isStorableText(recipientId) || !isStorableText(id)) return undefined;
      // The row lock makes exactly one closer win; a join holding it finishes first, and its event is in.
      const [claimed] = await run(
        'closeDigest',
        `UPDATE ${s}.digests SET status = 'closed'
         WHERE recipient_id = $1 AND id = $2 AND status = 'open' AND closes_at <= $3::timestamptz
         RETURNING 1`,
        [recipientId, id, timestamp(at.iso)],
      );
      const bucket = await readBucket('closeDigest', recipientId, id);
      if (!bucket) return undefined;
      if (claimed) return { status: 'closed', closedNow: true, bucket };
      if (bucket.status === 'closed') return { status: 'closed', closedNow: false, bucket };
      return { status: 'open', closesAt: bucket.closesAt };
    },

    async expediteDigest(recipientId, id, at) {
      if (!isStorableText(recipientId) || !isStorableText(id)) return undefined;
      await run(
        'expediteDigest',
        `UPDATE ${s}.digests SET is_expedited = true, closes_at = least(closes_at, $3::timestamptz)
         WHERE recipient_id = $1 AND id = $2 AND status = 'open'`,
        [recipientId, id, timestamp(at.iso)],
      );
      return readBucket('expediteDigest', recipientId, id);
    },

    async leaveDigest(recipientId, id, notificationId) {
      if (![recipientId, id, notificationId].every(isStorableText)) return false;
      const [row] = await run(
        'leaveDigest',
        `WITH bucket AS (
           SELECT key FROM ${s}.digests WHERE recipient_id = $1 AND id = $2 AND status = 'open' FOR UPDATE
         ),
         left_bucket AS (
           DELETE FROM ${s}.digest_events e USING bucket
           WHERE e.recipient_id = $1 AND e.key = bucket.key AND e.notification_id = $3 AND e.digest_id = $2
           RETURNING 1
         ),
         counted AS (
           UPDATE ${s}.digests SET event_count = event_count - 1
           WHERE recipient_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM left_bucket)
         )
         SELECT EXISTS (SELECT 1 FROM left_bucket) AS has_left`,
        [recipientId, id, notificationId],
      );
      return row?.has_left === true;
    },

    async listOpenDigests(keyPrefix, { limit, after }) {
      if (!isStorableText(keyPrefix) || (after !== undefined && !isStorableText(after))) return [];
      const rows = await run(
        'listOpenDigests',
        `SELECT ${DIGEST_COLUMNS}, ${BUCKET_EVENTS} FROM ${s}.digests b
         WHERE status = 'open' AND starts_with(key, $1) AND ($2::text IS NULL OR (id COLLATE "C") > $2::text)
         ORDER BY (id COLLATE "C"), (recipient_id COLLATE "C") LIMIT $3`,
        [keyPrefix, after ?? null, limit],
      );
      return rows.map(bucketFrom);
    },

    async takeThrottles(requests) {
      const columns: unknown[][] = Array.from({ length: 6 }, () => new Array(requests.length));
      requests.forEach((request, index) => {
        columns[0]![index] = request.recipientId;
        columns[1]![index] = request.key;
        columns[2]![index] = request.member;
        columns[3]![index] = request.limit;
        columns[4]![index] = request.at.iso;
        columns[5]![index] = new Date(request.since).toISOString();
      });
      const rows = await run(
        'takeThrottles',
        `SELECT ord::int AS ord, taken FROM ${s}.take_throttles($1::text[], $2::text[], $3::text[], $4::int[],
           $5::timestamptz[], $6::timestamptz[])`,
        columns,
      );
      const answers: boolean[] = new Array(requests.length);
      for (const row of rows) answers[Number(row.ord) - 1] = row.taken === true;
      return answers;
    },

    // Idempotency.

    async getIdempotencyKey(key, now) {
      if (!isStorableText(key)) return undefined;
      const [row] = await run(
        'getIdempotencyKey',
        `SELECT notification_id FROM ${s}.idempotency_keys WHERE key = $1 AND expires_at > $2::timestamptz`,
        [key, new Date(now).toISOString()],
      );
      return row ? (row.notification_id as string) : undefined;
    },

    // Devices. A token belongs to the user who registered it: only takeOver moves it.

    async registerDevice(device, { takeOver, maxDevices }) {
      return transaction('registerDevice', async (query) => {
        // The token's and the user's locks, in one order, for the rest of the transaction: the next statement sees
        // whatever a registration that held them committed.
        await query(
          `SELECT pg_advisory_xact_lock(lock_key) FROM (
             SELECT DISTINCT hashtextextended($1 || chr(31) || 'device' || chr(31) || unnest($2::text[]), 0) AS lock_key
           ) k ORDER BY lock_key`,
          [s, [`token:${device.token}`, `user:${device.userId}`]],
        );
        const rows = await query(
          `WITH previous AS (
             SELECT token, user_id, platform, ${ms('created_at')} AS created_at FROM ${s}.devices WHERE token = $1
             FOR UPDATE
           ),
           allowed AS (
             SELECT NOT EXISTS (SELECT 1 FROM previous WHERE user_id <> $2 AND NOT $5::boolean) AS ok
           ),
           stored AS (
             INSERT INTO ${s}.devices AS d (token, user_id, platform, created_at)
             SELECT $1, $2, $3, $4::timestamptz FROM allowed WHERE ok
             ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform,
               created_at = EXCLUDED.created_at, registration = nextval('${s}.device_registrations')
             RETURNING 1
           ),
           evicted AS (
             DELETE FROM ${s}.devices d
             WHERE d.token IN (
               SELECT token FROM ${s}.devices WHERE user_id = $2 AND token <> $1
               ORDER BY registration DESC OFFSET $6::int - 1
             ) AND d.user_id = $2 AND EXISTS (SELECT 1 FROM stored)
             RETURNING d.token, d.user_id, d.platform, ${ms('d.created_at')} AS created_at, d.registration
           )
           SELECT 'previous' AS role, token, user_id, platform, created_at, NULL::text AS registration FROM previous
           UNION ALL SELECT 'refused', NULL, NULL, NULL, NULL, NULL FROM allowed WHERE NOT ok
           UNION ALL SELECT 'evicted', token, user_id, platform, created_at, registration::text FROM evicted`,
          [device.token, device.userId, device.platform, timestamp(device.createdAt), takeOver, maxDevices],
        );
        if (rows.some((row) => row.role === 'refused')) return { status: 'taken' as const };
        const result: RegisterDeviceResult = { status: 'registered', evicted: [] };
        const previous = rows.find((row) => row.role === 'previous');
        if (previous && previous.user_id !== device.userId) result.takenOver = toDevice(previous);
        result.evicted = rows
          .filter((row) => row.role === 'evicted')
          .sort((a, b) => Number(a.registration) - Number(b.registration))
          .map(toDevice);
        return result;
      });
    },

    async listDevices(userIds) {
      const wanted = storable(userIds);
      const result = new Map<string, Device[]>();
      if (wanted.length === 0) return result;
      const rows = await run(
        'listDevices',
        `SELECT token, user_id, platform, ${ms('created_at')} AS created_at FROM ${s}.devices
         WHERE user_id = ANY($1::text[]) ORDER BY user_id, registration`,
        [wanted],
      );
      for (const row of rows) {
        const device = toDevice(row);
        const list = result.get(device.userId);
        if (list) list.push(device);
        else result.set(device.userId, [device]);
      }
      return result;
    },

    async removeDevice(token, userId) {
      if (!isStorableText(token) || (userId !== undefined && !isStorableText(userId))) return undefined;
      const [row] = await run(
        'removeDevice',
        `DELETE FROM ${s}.devices WHERE token = $1 AND ($2::text IS NULL OR user_id = $2::text)
         RETURNING token, user_id, platform, ${ms('created_at')} AS created_at`,
        [token, userId ?? null],
      );
      if (!row) return undefined;
      return {
        token: row.token as string,
        userId: row.user_id as string,
        platform: row.platform as string,
        createdAt: iso(row.created_at),
      };
    },

    // Preferences.

    async getPreferences(userIds) {
      const wanted = storable(userIds);
      const result = new Map<string, Preferences>();
      if (wanted.length === 0) return result;
      const rows = await run(
        'getPreferences',
        `SELECT user_id, preferences::text AS preferences FROM ${s}.preferences WHERE user_id = ANY($1::text[])`,
        [wanted],
      );
      for (const row of rows) result.set(row.user_id as string, JSON.parse(row.preferences as string) as Preferences);
      return result;
    },

    async setPreferences(userId, preferences) {
      await run(
        'setPreferences',
        `INSERT INTO ${s}.preferences (user_id, preferences) VALUES ($1, $2::json)
         ON CONFLICT (user_id) DO UPDATE SET preferences = EXCLUDED.preferences`,
        [userId, JSON.stringify(preferences)],
      );
    },
  };
}
