// PostgresStore: the Store spec v1 in the host's own PostgreSQL (node-postgres or PGlite), under the store kit. It
// adds the two optional capabilities of the spec: `inTransaction(tx)` — a store bound to the host's open
// transaction, so `notify(def, { transaction: tx })` commits or rolls back with the host's change — and
// `watchOutbox(onDue)`, which wakes the outbox relay by LISTEN as soon as such a transaction commits.

import type {
  BeginNotificationOptions,
  BeginNotificationResult,
  Clock,
  DeliveryPatch,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  DigestEvent,
  DigestJoin,
  DigestJoinResult,
  InboxItem,
  Logger,
  NewInboxItem,
  NotificationRecord,
  Preferences,
  RegisterDeviceOptions,
  RegisterDeviceResult,
  ThrottleRequest,
} from '@herald/core/spec';
import { ConfigurationError, silentLogger } from '@herald/core/spec';
import { CheckedStore } from '@herald/core/store-kit';
import type { PostgresQueryable } from './postgres-client';
import { createPostgresDriver } from './postgres-driver';
import { createPostgresListener, type PostgresListener } from './postgres-listener';
import { checkSchemaName, outboxChannel } from './schema-name';
import { checkArgumentText, checkBatchText, checkObjectText } from './text-checks';

export interface PostgresStoreSettings {
  /**
   * Where every statement runs: a node-postgres `Pool` (or `Client`), or a `PGlite`. The store never opens or
   * closes a connection itself.
   */
  db: PostgresQueryable;
  /** The schema holding Herald's tables (default `herald`); the same one given to `migrate()`. */
  schema?: string | undefined;
  /**
   * The session connection the outbox wake-up LISTENs on. By default a client checked out of `db` when it is a
   * pool (held while a Herald watches the outbox), or `db` itself for PGlite. Give a separate pool when `db` goes
   * through PgBouncer in transaction mode (LISTEN needs a session); `false` never listens: the relay's sweep alone
   * then hands over what transactions committed, up to its interval later.
   */
  listener?: PostgresQueryable | false | undefined;
  /**
   * Whether a transaction that began a notification sends a NOTIFY on `<schema>_outbox` (delivered at its commit) to
   * wake the relays at once (default true). NOTIFY serialises the commits of the transactions that send one behind a
   * global lock; a host whose notifying transactions run at thousands per second can turn it off and let the
   * relay's sweep (`relay.intervalMs`) find them instead.
   */
  notifyOnCommit?: boolean | undefined;
  /**
   * Whether statements are named on node-postgres (default true), so each is parsed and planned once per connection
   * and then only executed. Turn it off behind a pooler that cannot keep prepared statements (PgBouncer in
   * transaction mode before 1.21, or without `max_prepared_statements`). PGlite always runs them unnamed.
   */
  preparedStatements?: boolean | undefined;
  /** Time source for idempotency expiry and delivery `updatedAt` stamps. Defaults to `Date.now`. */
  clock?: Pick<Clock, 'now'> | undefined;
  /** Receives a line when the LISTEN connection drops. Silent by default. */
  logger?: Logger | undefined;
}

const ITEM_TEXT = ['id', 'userId', 'notificationId', 'type', 'title', 'body', 'url', 'icon', 'actorId'] as const;
const RECORD_TEXT = [
  'id',
  'notificationId',
  'type',
  'recipientId',
  'kind',
  'channelId',
  'providerMessageId',
  'reason',
  'detail',
  'inboxItemId',
] as const;
const PATCH_TEXT = ['channelId', 'providerMessageId', 'reason', 'detail'] as const;
const DEVICE_TEXT = ['token', 'userId', 'platform'] as const;
const JOIN_TEXT = ['key', 'openAs', 'type', 'recipientId', 'event.notificationId'] as const;
const THROTTLE_TEXT = ['recipientId', 'key', 'member'] as const;

/** Marks the settings of a store bound to a transaction (the public constructor never sees it). */
const boundTransaction = Symbol('herald.postgres.boundTransaction');

interface InternalSettings extends PostgresStoreSettings {
  [boundTransaction]?: true;
}

function checkDb(db: unknown, what: string): PostgresQueryable {
  if (!db || typeof (db as PostgresQueryable).query !== 'function') {
    throw new ConfigurationError(
      `${what}: expected an object with query(text, values) — a node-postgres Pool / Client / PoolClient or a PGlite (or its transaction)`,
    );
  }
  return db as PostgresQueryable;
}

/**
 * The Postgres Store. Costs: one statement per chunk of 500 items or records (plus its counters, in the same
 * statement); listings and replays are index range scans of `limit + 1` rows (keyset cursors); `unreadCount` reads
 * one row per type the user has unread, whatever the inbox size; `markAllRead` and `pruneInbox` work in bounded
 * batches.
 */
export class PostgresStore extends CheckedStore {
  readonly #settings: PostgresStoreSettings;
  readonly #schema: string;
  readonly #isBound: boolean;
  #listener: PostgresListener | undefined;
  #watchers = new Set<() => void>();
  #unlisten: Promise<() => void> | undefined;

  constructor(settings: PostgresStoreSettings) {
    const db = checkDb(settings?.db, 'PostgresStore db');
    const schema = checkSchemaName(settings.schema);
    const isBound = (settings as InternalSettings)[boundTransaction] === true;
    const wake = isBound && settings.notifyOnCommit !== false ? outboxChannel(schema) : undefined;
    const preparedStatements = settings.preparedStatements !== false;
    super(createPostgresDriver({ db, schema, inTransaction: isBound, wakeChannel: wake, preparedStatements }), {
      clock: settings.clock,
    });
    this.#settings = settings;
    this.#schema = schema;
    this.#isBound = isBound;
  }

  /** The schema this store reads and writes. */
  get schema(): string {
    return this.#schema;
  }

  /**
   * A store whose every statement runs in the host's open transaction `transaction` (a node-postgres client after
   * BEGIN, a PGlite transaction): what it writes commits or rolls back with the host's own change, and a
   * notification it begins wakes the outbox relays when — and only if — the transaction commits.
   */
  inTransaction(transaction: PostgresQueryable): PostgresStore {
    const db = checkDb(transaction, 'inTransaction(transaction)');
    return new PostgresStore({ ...this.#settings, db, listener: false, [boundTransaction]: true } as InternalSettings);
  }

  /**
   * Calls `onDue` when a transaction that began a notification commits (a NOTIFY on `<schema>_outbox`, which
   * PostgreSQL sends at commit only). Returns the function that stops watching.
   */
  watchOutbox(onDue: () => void): () => void {
    const source = this.#settings.listener ?? this.#settings.db;
    if (this.#isBound || source === false) return () => {};
    this.#watchers.add(onDue);
    if (!this.#listener) {
      const listener = createPostgresListener(source, this.#settings.logger ?? silentLogger);
      this.#listener = listener;
      this.#unlisten = listener.listen(outboxChannel(this.#schema), () => {
        for (const watcher of this.#watchers) watcher();
      });
      // Whatever committed while the session was down is due now.
      listener.onSession((_session, reconnected) => {
        if (reconnected) for (const watcher of this.#watchers) watcher();
      });
    }
    return () => {
      this.#watchers.delete(onDue);
      if (this.#watchers.size === 0) void this.#stopListening();
    };
  }

  async #stopListening(): Promise<void> {
    const listener = this.#listener;
    const unlisten = this.#unlisten;
    this.#listener = undefined;
    this.#unlisten = undefined;
    (await unlisten?.catch(() => undefined))?.();
    await listener?.close();
  }

  // Text PostgreSQL cannot store is refused before the kit writes anything (see text-checks.ts).

  override async insertInboxItems(items: NewInboxItem[]): Promise<InboxItem[]> {
    checkBatchText(items, 'items', ITEM_TEXT, 'inbox items');
    return super.insertInboxItems(items);
  }

  override async createDeliveries(records: DeliveryRecord[]): Promise<void> {
    checkBatchText(records, 'records', RECORD_TEXT, 'delivery records');
    return super.createDeliveries(records);
  }

  override async beginNotification(
    record: NotificationRecord,
    options: BeginNotificationOptions,
  ): Promise<BeginNotificationResult> {
    checkObjectText(record, 'record', ['id', 'type'], 'notification');
    checkArgumentText(options?.idempotencyKey?.key, 'options.idempotencyKey.key');
    return super.beginNotification(record, options);
  }

  override async updateDelivery(
    id: string,
    patch: DeliveryPatch,
    onlyFrom?: readonly DeliveryStatus[],
  ): Promise<DeliveryRecord | undefined> {
    checkObjectText(patch, 'patch', PATCH_TEXT, 'delivery patch');
    return super.updateDelivery(id, patch, onlyFrom);
  }

  override async registerDevice(device: Device, options?: RegisterDeviceOptions): Promise<RegisterDeviceResult> {
    checkObjectText(device, 'device', DEVICE_TEXT, 'device');
    return super.registerDevice(device, options);
  }

  override async joinDigests(joins: DigestJoin[]): Promise<DigestJoinResult[]> {
    // The event's id is checked as one more field of its join, so one error names every unstorable field.
    const flattened = Array.isArray(joins)
      ? joins.map((join) => {
          const value = join as (Partial<DigestJoin> & Record<string, unknown>) | null;
          return value && typeof value === 'object'
            ? { ...value, 'event.notificationId': (value.event as Partial<DigestEvent> | undefined)?.notificationId }
            : value;
        })
      : joins;
    checkBatchText(flattened, 'joins', JOIN_TEXT, 'digest joins');
    return super.joinDigests(joins);
  }

  override async takeThrottles(requests: ThrottleRequest[]): Promise<boolean[]> {
    checkBatchText(requests, 'requests', THROTTLE_TEXT, 'throttle requests');
    return super.takeThrottles(requests);
  }

  override async setPreferences(userId: string, preferences: Preferences): Promise<void> {
    checkArgumentText(userId, 'userId');
    return super.setPreferences(userId, preferences);
  }

  /** Stops the store's LISTEN session, if it holds one. The host's pool is the host's to end. */
  override async close(): Promise<void> {
    this.#watchers.clear();
    await this.#stopListening();
  }
}

/** The factory form, for hosts that prefer `createX(settings)` like the rest of Herald. */
export function createPostgresStore(settings: PostgresStoreSettings): PostgresStore {
  return new PostgresStore(settings);
}
