// The public shape of a Herald instance and the settings that build one.

import type { Clock } from './clock';
import type { HeraldEvents } from './events';
import type { Logger } from './logger';
import type { AnyNotificationDefinition, PayloadInput } from './notification';
import type { OutboxRelaySettings } from './outbox-relay';
import type { Recipient } from './recipient';
import type { RetryPolicySettings } from './retry-policy';
import type { AnyChannel, ChannelKind } from './spec/channel';
import type { Runner } from './spec/runner';
import type {
  BulkInboxOptions,
  DeliveredAck,
  DeliveryFailure,
  DeliveryPage,
  DeliveryQuery,
  DeliveryRecord,
  Device,
  DevicePlatform,
  InboxItem,
  InboxPage,
  InboxQuery,
  Preferences,
  QuietHours,
  SkipReasonCode,
  Store,
  StoreTransaction,
  TypedBulkInboxOptions,
  UnreadCount,
} from './spec/store';
import type { DigestsApi } from './timing/digests';
import type { Duration } from './timing/duration';

/**
 * Looks up recipients given by id (from the host's user table), up to 1,000 ids a call. An id it does not return
 * is unknown: that recipient gets no inbox item and no delivery (each delivery is skipped, saying why).
 */
export type ResolveRecipients = (ids: string[]) => Promise<Iterable<Recipient>> | Iterable<Recipient>;

/** `S` is the store's own type, so `notify`'s `transaction` option takes what that store's `inTransaction` takes. */
export interface HeraldSettings<S extends Store = Store> {
  store: S;
  /** Channels to deliver through. Several of one kind are tried in order, as fallbacks. */
  channels?: AnyChannel[];
  /** The notification catalog; needed by workers in other processes. `notify` adds what it sees. */
  notifications?: AnyNotificationDefinition[];
  resolveRecipients?: ResolveRecipients;
  /** Where deliveries run; the in-process runner by default. */
  runner?: Runner;
  retry?: RetryPolicySettings;
  /** Most deliveries in flight at once for the default runner (default 64). */
  concurrency?: number;
  /** How long an idempotency key is remembered (default 24 hours). */
  idempotencyTtlMs?: number;
  /**
   * The most push devices one user holds (default 10, at most 1,000). Registering one more evicts the user's device
   * registered longest ago (`device.removed`, reason `evicted`): the device in the user's hand always works, stale
   * tokens go first, and no user's notifications fan out to an unbounded number of tokens.
   */
  maxDevicesPerUser?: number;
  /**
   * The outbox relay, which completes dispatches that stopped part-way (see the guarantees in the README).
   * On by default in every process; `false` turns it off here (another process must then run one).
   */
  relay?: OutboxRelaySettings | false;
  /**
   * A budget across every notification type: at most `limit` deliveries per recipient (per kind) in `per`, on top
   * of each definition's own throttle (Knock's throttles cannot span workflows; this one does). Critical ones pass.
   */
  throttle?: { limit: number; per: Duration; channels?: readonly ChannelKind[] };
  logger?: Logger;
  clock?: Clock;
}

export type RecipientInput = string | Recipient;

export interface NotifyOptions<D extends AnyNotificationDefinition, S extends Store = Store> {
  to: RecipientInput | readonly RecipientInput[];
  payload: PayloadInput<D>;
  /** Who caused it; never notified of their own action unless `notifyActor` is true. */
  actor?: RecipientInput;
  notifyActor?: boolean;
  /** A second notify with the same key sends nothing and returns the first notification's id. */
  idempotencyKey?: string;
  /** Only these channel kinds (of those the definition has). */
  channels?: readonly ChannelKind[];
  /** Deliver after this delay. */
  delayMs?: number;
  /** Deliver at this time (a Date or an ISO 8601 string). */
  at?: Date | string;
  /**
   * The host's open transaction, for a store that can join one (`PostgresStore`: a node-postgres client after
   * BEGIN, a PGlite transaction). The notification, its inbox items and delivery records are written in it and
   * nothing is sent: after COMMIT the outbox relay hands the deliveries over; after ROLLBACK nothing exists.
   * `notify` resolves once everything is written (in the transaction) and throws the store's own error when a
   * write fails, leaving the transaction to be rolled back.
   */
  transaction?: StoreTransaction<S>;
}

export interface DeliveryFailureReport {
  deliveryId: string;
  recipientId: string;
  kind: ChannelKind;
  code: string;
  message: string;
}

export interface DeliverySkipReport {
  deliveryId: string;
  recipientId: string;
  kind: ChannelKind;
  reason: string;
  /** Why, as a code to branch on (see `SkipReasonCode`). */
  code: SkipReasonCode;
}

/** The final counts of one notification's deliveries. */
export interface DeliveryReport {
  notificationId: string;
  total: number;
  sent: number;
  queued: number;
  skipped: number;
  failed: number;
  cancelled: number;
  failures: DeliveryFailureReport[];
  skips: DeliverySkipReport[];
}

export interface NotifyResult {
  /** The notification id (the first one's, when deduplicated). */
  id: string;
  /** True when the idempotency key had been used by a notification already dispatched: this call did nothing. */
  deduplicated: boolean;
  /** True when the key's notification had stopped part-way (a crash, a store fault) and this call completed it. */
  resumed: boolean;
  /** Ids of the recipients it went to (after dropping the actor and duplicates). */
  recipients: string[];
  /** Recipients named in `to` but left out, and why. */
  excluded: { recipientId: string; reason: 'actor' | 'duplicate-recipient' }[];
  /** Ids in `to` that `resolveRecipients` did not know: they got no inbox item and no delivery. */
  unknown: string[];
  /** How many deliveries were created (recipients × channel kinds). */
  deliveryCount: number;
  /** When delivery is due, for scheduled notifications (ISO 8601). */
  scheduledFor?: string;
  /** Resolves when every delivery reached a final state (never rejects). */
  readonly settled: Promise<DeliveryReport>;
}

export interface CancelResult {
  notificationId?: string;
  /** Deliveries withdrawn before they went out. */
  cancelled: number;
}

export interface InboxApi {
  list(userId: string, query?: InboxQuery): Promise<InboxPage>;
  get(userId: string, ids: string[]): Promise<InboxItem[]>;
  unreadCount(userId: string): Promise<UnreadCount>;
  /** Returns the ids that changed; ids of other users change nothing. */
  markRead(userId: string, ids: string[]): Promise<string[]>;
  markUnread(userId: string, ids: string[]): Promise<string[]>;
  /**
   * Reads every unread, unarchived item (of `type`, when given) up to `upToPosition` — by default the user's last
   * position when the call begins, so items arriving meanwhile stay unread. Returns how many changed.
   */
  markAllRead(userId: string, options?: TypedBulkInboxOptions): Promise<number>;
  /** Marks items seen (shown to the user); returns the ids that changed. */
  markSeen(userId: string, ids: string[]): Promise<string[]>;
  /** Marks every unseen, unarchived item up to the watermark seen (what opening the inbox does); returns how many. */
  markAllSeen(userId: string, options?: BulkInboxOptions): Promise<number>;
  /** Archives items: they leave the default listing and every count. Returns the ids that changed. */
  archive(userId: string, ids: string[]): Promise<string[]>;
  unarchive(userId: string, ids: string[]): Promise<string[]>;
  /** Archives every read item (of `type`, when given) up to the watermark; returns how many. */
  archiveAllRead(userId: string, options?: TypedBulkInboxOptions): Promise<number>;
  markDelivered(userId: string, ids: string[]): Promise<string[]>;
  /**
   * `markDelivered` for many users in one store call (what the realtime gateway does with the acknowledgements of
   * one turn of the event loop): each entry changes and reports exactly what `markDelivered` of it would, in input
   * order, and `inbox.delivered` is emitted per entry that changed something. Returns the changed ids per entry.
   */
  markDeliveredMany(acks: DeliveredAck[]): Promise<string[][]>;
  /** Items not yet acknowledged by a client, oldest first. */
  undelivered(userId: string, options?: { limit?: number }): Promise<InboxItem[]>;
  /** Items after a position, oldest first (realtime replay). */
  after(userId: string, position: number, options?: { limit?: number }): Promise<InboxItem[]>;
  /** The user's highest position so far (0 before the first item). */
  lastPosition(userId: string): Promise<number>;
  /** Deletes read items read before the date; returns how many. */
  prune(options: { readBefore: Date }): Promise<number>;
}

export interface DeviceRegistrationOptions {
  /**
   * Move the token to this user when another user holds it (that user's device is removed: `device.removed`, reason
   * `taken-over`). Without it such a registration throws a `HeraldError` with code `DEVICE_TAKEN`, changing nothing.
   */
  takeOver?: boolean;
}

export interface DevicesApi {
  /**
   * Registers the device as the user's newest (a token the user holds already is registered again). Throws
   * `DEVICE_TAKEN` when another user holds the token, unless `takeOver`; evicts the user's oldest devices beyond
   * `maxDevicesPerUser`.
   */
  register(
    userId: string,
    device: { token: string; platform: DevicePlatform },
    options?: DeviceRegistrationOptions,
  ): Promise<Device>;
  list(userId: string): Promise<Device[]>;
  /**
   * Returns whether a device was removed. With `userId`, only that user's device is removed: another
   * user's token changes nothing and returns false, the same answer as for a token nobody has.
   */
  remove(token: string, options?: { userId?: string }): Promise<boolean>;
}

export interface PreferencesUpdate {
  channels?: Partial<Record<ChannelKind, boolean>>;
  types?: Record<string, Partial<Record<ChannelKind, boolean>>>;
  /** The recipient's IANA time zone; `null` clears it. */
  timeZone?: string | null;
  /** Quiet hours in that zone; `null` clears them. */
  quietHours?: QuietHours | null;
}

export interface PreferencesApi {
  get(userId: string): Promise<Preferences>;
  /** Merges the update into the stored preferences; returns the result. */
  set(userId: string, update: PreferencesUpdate): Promise<Preferences>;
}

export interface DeliveriesApi {
  get(deliveryId: string): Promise<DeliveryRecord | undefined>;
  list(query: DeliveryQuery): Promise<DeliveryPage>;
  /** The current counts of a notification's deliveries, read from the store. */
  report(notificationId: string): Promise<DeliveryReport>;
  /**
   * Applies a provider receipt (a webhook status). Moves a record forward only
   * (`sent → delivered → read`; `failed` from any non-final state); replays change nothing.
   */
  applyReceipt(receipt: {
    providerMessageId?: string;
    deliveryId?: string;
    status: 'sent' | 'delivered' | 'read' | 'failed';
    error?: DeliveryFailure;
  }): Promise<DeliveryRecord | undefined>;
}

type Listener<T> = (event: T) => void;

export interface Herald<S extends Store = Store> {
  notify<D extends AnyNotificationDefinition>(definition: D, options: NotifyOptions<D, S>): Promise<NotifyResult>;
  /** Cancels a scheduled notification, by the idempotency key it was sent with, if it has not gone out. */
  cancel(idempotencyKey: string): Promise<CancelResult>;
  readonly inbox: InboxApi;
  readonly devices: DevicesApi;
  readonly preferences: PreferencesApi;
  readonly deliveries: DeliveriesApi;
  /** Digests: close a key's open digests now (`flush`) instead of at the end of their window. */
  readonly digests: DigestsApi;
  readonly store: S;
  on<E extends keyof HeraldEvents>(event: E, listener: Listener<HeraldEvents[E]>): Herald<S>;
  off<E extends keyof HeraldEvents>(event: E, listener: Listener<HeraldEvents[E]>): Herald<S>;
  once<E extends keyof HeraldEvents>(event: E, listener: Listener<HeraldEvents[E]>): Herald<S>;
  /** Waits for in-flight deliveries, then closes runner and channels; later calls to notify reject. */
  close(): Promise<void>;
}
