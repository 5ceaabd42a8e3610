// `defineNotification`: one typed entry of the host's notification catalog. The payload schema is any
// Standard Schema v1 validator (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2, …); core depends on none of them.

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigurationError } from './errors';
import type { Recipient } from './recipient';
import type { ChannelContentMap, ChannelKind } from './spec/channel';

export type { StandardSchemaV1 };

export interface ContentContext<Payload> {
  payload: Payload;
  recipient: Recipient;
  /** The recipient's locale, when known. */
  locale: string | undefined;
  notificationId: string;
  actorId: string | undefined;
}

export type ContentBuilder<Payload, K extends ChannelKind> = (context: ContentContext<Payload>) => ChannelContentMap[K];

/** One content builder per channel kind the notification goes out on. */
export type ContentBuilders<Payload> = { [K in ChannelKind]?: ContentBuilder<Payload, K> };

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
  readonly channels: ContentBuilders<SchemaOutput<Schema>>;
  /** Critical notifications ignore the recipient's opt-outs (security alerts, legal notices). */
  readonly critical: boolean;
  readonly kinds: readonly ChannelKind[];
}

/** Any definition, whatever its payload. */
// biome-ignore lint/suspicious/noExplicitAny: the schema's type parameter must stay open here.
export type AnyNotificationDefinition = NotificationDefinition<string, any>;

/** The payload a caller passes to `notify` (the schema's input). */
export type PayloadInput<D extends AnyNotificationDefinition> = SchemaInput<D['schema']>;
/** The payload content builders see (the schema's output). */
export type PayloadOutput<D extends AnyNotificationDefinition> = SchemaOutput<D['schema']>;

export interface NotificationDefinitionInput<Type extends string, Schema extends StandardSchemaV1> {
  type: Type;
  schema: Schema;
  channels: ContentBuilders<SchemaOutput<Schema>>;
  critical?: boolean;
}

const typePattern = /^[A-Za-z0-9][\w.:-]*$/;
const kindPattern = /^[A-Za-z][A-Za-z0-9]*$/;

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

/**
 * Defines a notification type: its payload schema and a content builder per channel kind.
 * The payload type is inferred from the schema, and each builder's return type is checked against
 * the content type of its kind (`ChannelContentMap`).
 */
export function defineNotification<const Type extends string, Schema extends StandardSchemaV1>(
  definition: NotificationDefinitionInput<Type, Schema>,
): NotificationDefinition<Type, Schema> {
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
  for (const kind of kinds) {
    if (!kindPattern.test(kind)) {
      throw new ConfigurationError(`defineNotification("${type}"): "${kind}" is not a valid channel kind.`);
    }
    if (typeof channels[kind] !== 'function') {
      throw new ConfigurationError(
        `defineNotification("${type}"): channels.${kind} must be a function returning the content.`,
      );
    }
  }
  return Object.freeze({ type, schema, channels, critical, kinds: Object.freeze(kinds) });
}
