// `defineNotification`: one typed entry of the host's notification catalog — its payload schema (any Standard
// Schema v1 validator; core depends on none), a content builder per channel kind, and how it unfolds over time:
// escalation steps (`after` + `unless`), a digest, a throttle, and what quiet hours do to it.

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigurationError } from './errors';
import type { Recipient } from './recipient';
import type { Skip } from './skip';
import type { ChannelContentMap, ChannelKind } from './spec/channel';
import type { InboxItem } from './spec/store';
import { type Duration, durationMs } from './timing/duration';
import { clockMinutes, type Weekday, weekdays } from './timing/zoned-time';

export type { StandardSchemaV1 };

export interface ContentContext<Payload> {
  payload: Payload;
  recipient: Recipient;
  /** The recipient's locale, when known. */
  locale: string | undefined;
  notificationId: string;
  actorId: string | undefined;
}

/** One event gathered into a digest. */
export interface DigestEventView<Payload> {
  payload: Payload;
  actorId?: string;
  createdAt: string;
}

/** What a builder of a digested kind sees besides the latest event's payload. */
export interface DigestContext<Payload> {
  /** Every event when there are at most `2 × keep`, else the first `keep` and the last `keep`, oldest first. */
  events: DigestEventView<Payload>[];
  digest: {
    /** Exactly how many events the digest holds. */
    count: number;
    /** Distinct actors, in the order they first appear. */
    actorIds: string[];
    /** Events left out of `events` (between its first and last parts). */
    omitted: number;
  };
}

/** A content builder: the content for a recipient, or `skip(reason)` for nothing. */
export type ContentBuilder<Payload, K extends ChannelKind, Extra = unknown> = (
  context: ContentContext<Payload> & Extra,
) => ChannelContentMap[K] | Skip;

/** What an escalation condition sees: the recipient's in-app item of the same notification, when it has one. */
export interface ItemState {
  read: boolean;
  delivered: boolean;
  item: InboxItem | undefined;
}

/** `'read'`: withheld once the in-app item is read; `'delivered'`: once a client acknowledged it; or your own test. */
export type StepCondition = 'read' | 'delivered' | ((state: ItemState) => boolean);

/** A channel that goes out later than the rest, and only if its condition does not hold by then. */
export interface ChannelStep<Payload, K extends ChannelKind, Extra = unknown> {
  content: ContentBuilder<Payload, K, Extra>;
  /** How long after the notification (after its `delayMs`/`at`, when scheduled) this channel is due. */
  after?: Duration;
  /** Checked when the step falls due (and as the item changes): when it holds, the delivery is withheld. */
  unless?: StepCondition;
}

export type ChannelEntry<Payload, K extends ChannelKind, Extra = unknown> =
  | ContentBuilder<Payload, K, Extra>
  | ChannelStep<Payload, K, Extra>;

/** One content builder (or step) per channel kind; digested kinds' builders also see the digest's events. */
export type ContentBuilders<Payload, Digested extends ChannelKind = never> = {
  [K in ChannelKind]?: ChannelEntry<Payload, K, [K] extends [Digested] ? DigestContext<Payload> : unknown>;
};

/** A digest that closes at a local time in the recipient's zone (daily, or weekly on a given day). */
export interface CalendarWindow {
  every: 'day' | 'week';
  /** Local time `HH:MM`. */
  at: string;
  /** For weekly windows (default monday). */
  on?: Weekday;
}

export interface DigestSettings<Payload, K extends ChannelKind> {
  /** Events with the same key (for one recipient, of one type) gather together; default: all of the type. */
  key?: (context: { payload: Payload }) => string;
  /** A sliding window after each event (`'10m'`), or a calendar window in the recipient's time zone. */
  window: Duration | CalendarWindow;
  /** Sliding windows: the latest a digest closes after it opened (default: no cap beyond the window). */
  maxWindow?: Duration;
  /** A digest with this many events closes at once (default 500, at most 10,000). */
  maxEvents?: number;
  /** How many of the first and of the last events a builder sees (default 10). */
  keep?: number;
  /** The kinds delivered as one digest; the notification's other kinds go out per event. */
  channels: readonly K[];
}

export interface ThrottleSettings<Payload, K extends ChannelKind> {
  /** At most this many deliveries per recipient … */
  limit: number;
  /** … in this sliding window. */
  per: Duration;
  /** The kinds counted (each on its own); default every kind but `inApp`. */
  channels?: readonly K[];
  /** Count separately per key (e.g. per ticket); default one count for the type. */
  key?: (context: { payload: Payload }) => string;
}

/** What quiet hours do to a delivery that falls inside them: wait for their end, drop it, or ignore them. */
export type QuietHoursPolicy = 'defer' | 'drop' | 'ignore';

/** A channel entry normalised: the builder, and its step settings in milliseconds. */
export interface NormalisedStep {
  build: (context: unknown) => unknown;
  afterMs: number;
  unless: StepCondition | undefined;
}

export interface NormalisedDigest {
  key: ((context: { payload: unknown }) => string) | undefined;
  kinds: readonly ChannelKind[];
  windowMs: number | undefined;
  maxWindowMs: number | undefined;
  calendar: { every: 'day' | 'week'; atMinutes: number; weekday: number } | undefined;
  maxEvents: number;
  keep: number;
}

export interface NormalisedThrottle {
  limit: number;
  perMs: number;
  kinds: readonly ChannelKind[] | undefined;
  key: ((context: { payload: unknown }) => string) | undefined;
}

/** The payload a caller passes to `notify` (the schema's input). */
export type SchemaInput<Schema extends StandardSchemaV1> = StandardSchemaV1.InferInput<Schema>;
/** The payload content builders see (the schema's output). */
export type SchemaOutput<Schema extends StandardSchemaV1> = StandardSchemaV1.InferOutput<Schema>;

export interface NotificationDefinition<
  Type extends string = string,
  Schema extends StandardSchemaV1 = StandardSchemaV1,
> {
  readonly type: Type;
  readonly schema: Schema;
  /** The channel entries as given (builders and steps); `steps` holds them normalised. */
  readonly channels: Readonly<Record<string, unknown>>;
  /** Critical notifications ignore opt-outs, throttles, digests and quiet hours (security alerts, legal notices). */
  readonly critical: boolean;
  readonly kinds: readonly ChannelKind[];
  /** Each kind's builder and step settings, normalised. */
  readonly steps: Readonly<Record<string, NormalisedStep>>;
  readonly digest: NormalisedDigest | undefined;
  readonly throttle: NormalisedThrottle | undefined;
  readonly quietHours: QuietHoursPolicy;
  /** Sample payloads by name, for previews in development (`@herald/devtools`); empty when none were given. */
  readonly previews: Readonly<Record<string, SchemaInput<Schema>>>;
}

/** Any definition, whatever its payload. */
// biome-ignore lint/suspicious/noExplicitAny: the schema's type parameter must stay open here.
export type AnyNotificationDefinition = NotificationDefinition<string, any>;

/** The payload a caller passes to `notify` (the schema's input). */
export type PayloadInput<D extends AnyNotificationDefinition> = SchemaInput<D['schema']>;
/** The payload content builders see (the schema's output). */
export type PayloadOutput<D extends AnyNotificationDefinition> = SchemaOutput<D['schema']>;

export interface NotificationDefinitionInput<
  Type extends string,
  Schema extends StandardSchemaV1,
  Digested extends ChannelKind = never,
> {
  type: Type;
  schema: Schema;
  channels: ContentBuilders<SchemaOutput<Schema>, Digested>;
  critical?: boolean;
  digest?: DigestSettings<SchemaOutput<Schema>, Digested>;
  throttle?: ThrottleSettings<SchemaOutput<Schema>, ChannelKind>;
  /** Default `'defer'`; critical notifications always ignore quiet hours. */
  quietHours?: QuietHoursPolicy;
  /**
   * Sample payloads by name (`{ default: {...}, urgent: {...} }`), typed as what `notify` takes: development tools
   * render every channel's content with each. Herald never sends them.
   */
  previews?: Readonly<Record<string, SchemaInput<Schema>>>;
}

const typePattern = /^[A-Za-z0-9][\w.:-]*$/;
const previewNamePattern = /^[A-Za-z0-9][\w.:-]*$/;
const kindPattern = /^[A-Za-z][A-Za-z0-9]*$/;
const MAX_DIGEST_EVENTS = 10_000;

/** Whether a value implements Standard Schema v1 (what `schema` must be). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof standard === 'object' &&
    standard !== null &&
    standard.version === 1 &&
    typeof standard.validate === 'function'
  );
}

function normaliseStep(type: string, kind: string, entry: unknown): NormalisedStep {
  if (typeof entry === 'function') return { build: entry as NormalisedStep['build'], afterMs: 0, unless: undefined };
  const where = `defineNotification("${type}"): channels.${kind}`;
  if (typeof entry !== 'object' || entry === null || typeof (entry as { content?: unknown }).content !== 'function') {
    throw new ConfigurationError(
      `${where} must be a function returning the content, or { content, after?, unless? } with content a function.`,
    );
  }
  const step = entry as { content: NormalisedStep['build']; after?: unknown; unless?: unknown };
  const afterMs = step.after === undefined ? 0 : durationMs(step.after, `${where}.after`);
  const unless = step.unless;
  if (unless !== undefined && unless !== 'read' && unless !== 'delivered' && typeof unless !== 'function') {
    throw new ConfigurationError(`${where}.unless must be 'read', 'delivered' or a function of the item's state.`);
  }
  return { build: step.content, afterMs, unless: unless as StepCondition | undefined };
}

function checkKinds(where: string, value: unknown, kinds: readonly ChannelKind[]): readonly ChannelKind[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(`${where} must list at least one channel kind of the notification.`);
  }
  for (const kind of value) {
    if (!kinds.includes(kind)) {
      throw new ConfigurationError(
        `${where}: "${String(kind)}" is not a channel kind of the notification (it has: ${kinds.join(', ')}).`,
      );
    }
  }
  return Object.freeze([...value]);
}

function checkKey(where: string, key: unknown): NormalisedDigest['key'] {
  if (key !== undefined && typeof key !== 'function') throw new ConfigurationError(`${where} must be a function.`);
  return key as NormalisedDigest['key'];
}

function positiveInteger(where: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(`${where} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function normaliseDigest(
  type: string,
  digest: DigestSettings<unknown, ChannelKind>,
  kinds: readonly ChannelKind[],
  steps: Record<string, NormalisedStep>,
): NormalisedDigest {
  const where = `defineNotification("${type}"): digest`;
  if (typeof digest !== 'object' || digest === null) throw new ConfigurationError(`${where} must be an object.`);
  const digested = checkKinds(`${where}.channels`, digest.channels, kinds);
  for (const kind of digested) {
    if (steps[kind]?.afterMs || steps[kind]?.unless) {
      throw new ConfigurationError(
        `${where}.channels: "${kind}" is an escalation step; a digested kind cannot be one.`,
      );
    }
  }
  const window = digest.window;
  let windowMs: number | undefined;
  let calendar: NormalisedDigest['calendar'];
  if (typeof window === 'object' && window !== null) {
    if (window.every !== 'day' && window.every !== 'week') {
      throw new ConfigurationError(`${where}.window.every must be 'day' or 'week'.`);
    }
    const on = window.on ?? 'monday';
    if (!weekdays.includes(on))
      throw new ConfigurationError(`${where}.window.on must be a day of the week, e.g. 'monday'.`);
    calendar = {
      every: window.every,
      atMinutes: clockMinutes(window.at, `${where}.window.at`),
      weekday: weekdays.indexOf(on),
    };
  } else {
    windowMs = durationMs(window, `${where}.window`);
    if (windowMs <= 0) throw new ConfigurationError(`${where}.window must be longer than zero.`);
  }
  const maxWindowMs = digest.maxWindow === undefined ? undefined : durationMs(digest.maxWindow, `${where}.maxWindow`);
  if (maxWindowMs !== undefined && windowMs !== undefined && maxWindowMs < windowMs) {
    throw new ConfigurationError(`${where}.maxWindow must not be shorter than the window.`);
  }
  return Object.freeze({
    key: checkKey(`${where}.key`, digest.key),
    kinds: digested,
    windowMs,
    maxWindowMs,
    calendar,
    maxEvents: positiveInteger(`${where}.maxEvents`, digest.maxEvents, 500, MAX_DIGEST_EVENTS),
    keep: positiveInteger(`${where}.keep`, digest.keep, 10, MAX_DIGEST_EVENTS),
  });
}

function normaliseThrottle(
  type: string,
  throttle: ThrottleSettings<unknown, ChannelKind>,
  kinds: readonly ChannelKind[],
): NormalisedThrottle {
  const where = `defineNotification("${type}"): throttle`;
  if (typeof throttle !== 'object' || throttle === null) throw new ConfigurationError(`${where} must be an object.`);
  return Object.freeze({
    limit: positiveInteger(`${where}.limit`, throttle.limit ?? Number.NaN, 1, 10_000),
    perMs: durationMs(throttle.per, `${where}.per`),
    kinds: throttle.channels === undefined ? undefined : checkKinds(`${where}.channels`, throttle.channels, kinds),
    key: checkKey(`${where}.key`, throttle.key),
  });
}

// The payloads themselves are checked against the schema where they are used (a schema may validate asynchronously).
function normalisePreviews<Payload>(
  type: string,
  previews: Readonly<Record<string, Payload>> | undefined,
): Readonly<Record<string, Payload>> {
  if (previews === undefined) return Object.freeze({});
  if (typeof previews !== 'object' || previews === null || Array.isArray(previews)) {
    throw new ConfigurationError(
      `defineNotification("${type}"): previews must map preview names to sample payloads, e.g. { default: { … } }.`,
    );
  }
  for (const name of Object.keys(previews)) {
    if (!previewNamePattern.test(name)) {
      throw new ConfigurationError(
        `defineNotification("${type}"): previews: ${JSON.stringify(name)} is not a valid preview name (letters, digits, ".", "_", ":" or "-").`,
      );
    }
  }
  return Object.freeze({ ...previews });
}

/**
 * Defines a notification type: its payload schema, a content builder (or step) per channel kind, and its timing.
 * The payload type is inferred from the schema, each builder's return type is checked against the content type of
 * its kind (`ChannelContentMap`), and the builders of digested kinds also see the digest's `events`.
 */
export function defineNotification<
  const Type extends string,
  Schema extends StandardSchemaV1,
  const Digested extends ChannelKind = never,
>(definition: NotificationDefinitionInput<Type, Schema, Digested>): NotificationDefinition<Type, Schema> {
  const { type, schema, channels, critical = false } = definition;
  if (typeof type !== 'string' || !typePattern.test(type)) {
    throw new ConfigurationError(
      `defineNotification: type must be a non-empty string of letters, digits, ".", "_", ":" or "-" (got ${JSON.stringify(type)}).`,
    );
  }
  if (!isStandardSchema(schema)) {
    throw new ConfigurationError(
      `defineNotification("${type}"): schema must implement Standard Schema v1 (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2, …).`,
    );
  }
  if (typeof channels !== 'object' || channels === null) {
    throw new ConfigurationError(`defineNotification("${type}"): channels must map channel kinds to content builders.`);
  }
  const kinds = Object.keys(channels) as ChannelKind[];
  if (kinds.length === 0) {
    throw new ConfigurationError(
      `defineNotification("${type}"): channels is empty; give at least one content builder.`,
    );
  }
  const steps: Record<string, NormalisedStep> = {};
  for (const kind of kinds) {
    if (!kindPattern.test(kind)) {
      throw new ConfigurationError(`defineNotification("${type}"): "${kind}" is not a valid channel kind.`);
    }
    steps[kind] = normaliseStep(type, kind, (channels as Record<string, unknown>)[kind]);
  }
  if (steps.inApp && (steps.inApp.afterMs > 0 || steps.inApp.unless !== undefined)) {
    throw new ConfigurationError(
      `defineNotification("${type}"): channels.inApp cannot be a delayed or conditional step (conditions are about the in-app item).`,
    );
  }
  const quietHours = definition.quietHours ?? 'defer';
  if (quietHours !== 'defer' && quietHours !== 'drop' && quietHours !== 'ignore') {
    throw new ConfigurationError(`defineNotification("${type}"): quietHours must be 'defer', 'drop' or 'ignore'.`);
  }
  const digest =
    definition.digest === undefined
      ? undefined
      : normaliseDigest(type, definition.digest as DigestSettings<unknown, ChannelKind>, kinds, steps);
  const throttle =
    definition.throttle === undefined
      ? undefined
      : normaliseThrottle(type, definition.throttle as ThrottleSettings<unknown, ChannelKind>, kinds);
  const previews = normalisePreviews(type, definition.previews);
  return Object.freeze({
    type,
    schema,
    channels,
    critical,
    kinds: Object.freeze(kinds),
    steps: Object.freeze(steps),
    digest,
    throttle,
    quietHours,
    previews,
  });
}
