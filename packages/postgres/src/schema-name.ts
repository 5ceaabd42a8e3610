// The schema Herald's tables live in (default `herald`), checked once: it is written into SQL and into LISTEN
// channel names, so it must be a plain lower-case identifier.

import { ConfigurationError } from '@herald/core/spec';

export const DEFAULT_SCHEMA = 'herald';

/** Longest schema name: its channel names (`<schema>_realtime`) must fit PostgreSQL's 63-byte identifiers. */
const MAX_SCHEMA_LENGTH = 48;

export function checkSchemaName(schema: unknown): string {
  if (schema === undefined) return DEFAULT_SCHEMA;
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(schema) || schema.length > MAX_SCHEMA_LENGTH) {
    throw new ConfigurationError(
      `schema ${JSON.stringify(schema) ?? String(schema)}: expected a lower-case identifier (a-z, 0-9, _; not starting with a digit) of at most ${MAX_SCHEMA_LENGTH} characters, e.g. "herald"`,
    );
  }
  return schema;
}

/** The LISTEN / NOTIFY channel that wakes outbox relays when a transaction with a notification commits. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/** The LISTEN / NOTIFY channel the realtime relay carries signals on. */
export function realtimeChannel(schema: string): string {
  return `${schema}_realtime`;
}
