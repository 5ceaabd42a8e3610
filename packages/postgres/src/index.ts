export { type MigrateOptions, type MigrateResult, migrate, migrationSql, SCHEMA_VERSION } from './migrate';
export type { Migration } from './migrations/index';
export {
  type PostgresListenable,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryable,
  type PostgresQueryResult,
  withTransaction,
} from './postgres-client';
export { createPostgresRelay, MAX_SIGNAL_BYTES, type PostgresRelaySettings } from './postgres-relay';
export { createPostgresStore, PostgresStore, type PostgresStoreSettings } from './postgres-store';
export { DEFAULT_SCHEMA } from './schema-name';
