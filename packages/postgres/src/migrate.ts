// Applies Herald's schema migrations: each once, in order, in one transaction that first takes an advisory lock, so
// two processes starting at once apply them once (the second waits, then finds nothing left to do).

import { migrations } from './migrations/index';
import { type PostgresQueryable, withTransaction } from './postgres-client';
import { checkSchemaName } from './schema-name';

export interface MigrateOptions {
  /** The schema to create the tables in (default `herald`). */
  schema?: string | undefined;
}

export interface MigrateResult {
  /** Versions applied by this call, in order (empty when the schema was up to date). */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

/** The newest schema version this package knows. */
export const SCHEMA_VERSION = migrations[migrations.length - 1]!.version;

function migrationsTable(schema: string): string {
  return `${schema}.schema_migrations`;
}

/**
 * The SQL of every migration (or of those after `fromVersion`), each followed by its row in the migrations table: for
 * teams that run their own migration tool. Running it is what `migrate()` does, without the lock.
 */
export function migrationSql(options: MigrateOptions & { fromVersion?: number } = {}): string {
  const schema = checkSchemaName(options.schema);
  const from = options.fromVersion ?? 0;
  const parts: string[] = [];
  if (from === 0) parts.push(bootstrapSql(schema));
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    parts.push(`-- ${migration.version}: ${migration.name}${migration.sql(schema)}`);
    parts.push(
      `INSERT INTO ${migrationsTable(schema)} (version, name) VALUES (${migration.version}, '${migration.name}');\n`,
    );
  }
  return parts.join('\n');
}

function bootstrapSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${migrationsTable(schema)} (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
`;
}

/**
 * Splits a migration's SQL into statements (PGlite's `query` runs one at a time): at each `;` that ends a line,
 * except inside a dollar-quoted function body (`$fn$ … $fn$`). The SQL has no `;` in strings.
 */
function statements(sql: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const line of sql.split('\n')) {
    for (const tag of line.match(/\$[a-z_]*\$/g) ?? []) {
      if (quote === undefined) quote = tag;
      else if (tag === quote) quote = undefined;
    }
    const isComment = /^\s*--/.test(line);
    if (!isComment) current += `${line}\n`;
    if (quote === undefined && /;\s*$/.test(line) && !isComment) {
      parts.push(current.trim().replace(/;$/, ''));
      current = '';
    }
  }
  parts.push(current.trim());
  return parts.filter((statement) => statement.length > 0);
}

/**
 * Brings the schema up to date. Idempotent and safe to run from every process at start-up: a transaction-scoped
 * advisory lock (keyed by the schema name) lets one process apply what is missing while the others wait.
 */
export async function migrate(db: PostgresQueryable, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = checkSchemaName(options.schema);
  return withTransaction(db, async (transaction) => {
    // Keyed by the schema, so Herald schemas of several apps in one database migrate independently.
    await transaction.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`herald.migrate:${schema}`]);
    for (const statement of statements(bootstrapSql(schema))) await transaction.query(statement);
    const { rows } = await transaction.query(`SELECT version::text AS version FROM ${migrationsTable(schema)}`);
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of statements(migration.sql(schema))) await transaction.query(statement);
      await transaction.query(`INSERT INTO ${migrationsTable(schema)} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(0, ...done, ...applied) };
  });
}
