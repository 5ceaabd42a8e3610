// What a failed statement becomes. Outside a host transaction: a lost deadlock or serialization race is run again
// (the statement changed nothing), a missing schema is a ConfigurationError saying to migrate, anything else a
// StoreError carrying the driver's error. Inside the host's transaction the driver's own error is passed on as it
// is, so the host's retry logic (`error.code === '40001'`) sees what it knows; the transaction is aborted either way.

import { ConfigurationError, HeraldError, StoreError } from '@herald/core/spec';

export interface PostgresFailureContext {
  operation: string;
  schema: string;
  inTransaction: boolean;
  attempt: number;
}

/** SQLSTATEs of a statement that lost a race and did nothing: serialization_failure, deadlock_detected. */
const RACE_LOST = new Set(['40001', '40P01']);
/** undefined_table, invalid_schema_name, undefined_function, undefined_column (a schema older than this package). */
const NOT_MIGRATED = new Set(['42P01', '3F000', '42883', '42703']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toStoreFailure(error: unknown, context: PostgresFailureContext): 'retry' | Error {
  if (HeraldError.is(error)) return error;
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (state !== undefined && NOT_MIGRATED.has(state)) {
    return new ConfigurationError(
      `PostgresStore.${context.operation}: the "${context.schema}" schema is missing or older than this @herald/postgres (${message}). Run migrate(db${context.schema === 'herald' ? '' : `, { schema: '${context.schema}' }`}) at start-up, or apply migrationSql() with your migration tool.`,
      { cause: error },
    );
  }
  if (context.inTransaction) return error instanceof Error ? error : new StoreError(message, { cause: error });
  if (state !== undefined && RACE_LOST.has(state) && context.attempt < 5) return 'retry';
  return new StoreError(`PostgresStore.${context.operation} failed: ${message}`, { cause: error });
}
