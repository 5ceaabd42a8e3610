// `defineNotification`: one typed entry of the host's notification catalog.

import type { z } from 'zod';
import { ConfigurationError } from './errors';
import type { Recipient } from './recipient';
import type { ChannelContentMap, ChannelKind } from './spec/channel';

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

export interface NotificationDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly schema: Schema;
  readonly channels: ContentBuilders<z.output<Schema>>;
  /** Critical notifications ignore the recipient's opt-outs (security alerts, legal notices). */
  readonly critical: boolean;
  readonly kinds: readonly ChannelKind[];
}

/** Any definition, whatever its payload. */
// biome-ignore lint/suspicious/noExplicitAny: the schema's type parameter must stay open here.
export type AnyNotificationDefinition = NotificationDefinition<string, any>;

/** The payload a caller passes to `notify` (the schema's input). */
export type PayloadInput<D extends AnyNotificationDefinition> = z.input<D['schema']>;
/** The payload content builders see (the schema's output). */
export type PayloadOutput<D extends AnyNotificationDefinition> = z.output<D['schema']>;

export interface NotificationDefinitionInput<Type extends string, Schema extends z.ZodType> {
  type: Type;
  schema: Schema;
  channels: ContentBuilders<z.output<Schema>>;
  critical?: boolean;
}

const typePattern = /^[A-Za-z0-9][\w.:-]*$/;
const kindPattern = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Defines a notification type: its payload schema and a content builder per channel kind.
 * The payload type is inferred from the schema, and each builder's return type is checked against
 * the content type of its kind (`ChannelContentMap`).
 */
export function defineNotification<const Type extends string, Schema extends z.ZodType>(
  definition: NotificationDefinitionInput<Type, Schema>,
): NotificationDefinition<Type, Schema> {
  const { type, schema, channels, critical = false } = definition;
  if (typeof type !== 'string' || !typePattern.test(type)) {
    throw new ConfigurationError(
      `defineNotification: type must be a non-empty string of letters, digits, ".", "_", ":" or "-" (got ${JSON.stringify(type)}).`,
    );
  }
  if (typeof (schema as { safeParseAsync?: unknown })?.safeParseAsync !== 'function') {
    throw new ConfigurationError(`defineNotification("${type}"): schema must be a zod schema.`);
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
