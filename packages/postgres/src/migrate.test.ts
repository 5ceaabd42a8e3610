// migrate() on a real server: applied once however many processes start at once, a no-op afterwards; a store on a
// schema nobody migrated says what to do; text PostgreSQL cannot store is refused before anything is written.

import { ConfigurationError, ValidationError } from '@herald/core';
import { testPostgresUrl } from '@herald/test-peers/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql, SCHEMA_VERSION } from './migrate';
import { PostgresStore } from './postgres-store';

const pools: pg.Pool[] = [];
const schemas: string[] = [];
function newPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: testPostgresUrl(), max: 2 });
  pools.push(pool);
  return pool;
}
function newSchema(): string {
  const schema = `migrate_${Math.random().toString(36).slice(2, 10)}`;
  schemas.push(schema);
  return schema;
}
afterAll(async () => {
  for (const schema of schemas) await pools[0]!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all(pools.map((pool) => pool.end()));
});

describe('migrate', () => {
  it('applies every version once when five processes start at once, and nothing afterwards', async () => {
    const schema = newSchema();
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(newPool(), { schema })));
    const applied = results.flatMap((result) => result.applied);
    expect(applied).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1));
    expect(results.every((result) => result.version === SCHEMA_VERSION)).toBe(true);
    expect(await migrate(pools[0]!, { schema })).toEqual({ applied: [], version: SCHEMA_VERSION });
    const { rows } = await pools[0]!.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    expect(rows.map((row) => row.version)).toEqual([1, 2]);
  });

  it('prints SQL that builds the same schema for a team’s own migration tool', async () => {
    const schema = newSchema();
    await newPool().query(migrationSql({ schema }));
    expect(await migrate(pools[pools.length - 1]!, { schema })).toEqual({ applied: [], version: SCHEMA_VERSION });
  });

  it('says to migrate when the schema is missing, and refuses a schema name it cannot quote safely', async () => {
    const store = new PostgresStore({ db: newPool(), schema: newSchema() });
    const failure = await store.unreadCount('ann').catch((error: unknown) => error);
    expect(ConfigurationError.is(failure)).toBe(true);
    expect(String(failure)).toMatch(/Run migrate\(db, \{ schema: 'migrate_/);
    expect(() => new PostgresStore({ db: newPool(), schema: 'Herald; DROP' })).toThrow(/lower-case identifier/);
  });

  it('refuses NUL and lone surrogates in text fields before writing, and keeps them in JSON data', async () => {
    const schema = newSchema();
    const pool = newPool();
    await migrate(pool, { schema });
    const store = new PostgresStore({ db: pool, schema });
    const item = (overrides: Record<string, unknown>) => ({
      id: `item-${Math.random()}`,
      userId: 'ann',
      notificationId: 'n-1',
      type: 'ticket.assigned',
      title: 'Ticket',
      body: 'Body',
      createdAt: new Date().toISOString(),
      ...overrides,
    });
    const refusal = await store
      .insertInboxItems([item({}), item({ title: 'a\u0000b', body: 'x\ud800y' })])
      .catch((error: unknown) => error);
    expect(ValidationError.is(refusal)).toBe(true);
    expect((refusal as ValidationError).issues.map((issue) => issue.path)).toEqual(['items.1.title', 'items.1.body']);
    expect(await store.lastPosition('ann')).toBe(0);
    const [stored] = await store.insertInboxItems([item({ data: { raw: 'a\u0000b\ud800' } })]);
    expect((await store.getInboxItems('ann', [stored!.id]))[0]!.data).toEqual({ raw: 'a\u0000b\ud800' });
    // An id PostgreSQL could never have stored matches nothing.
    expect(await store.markRead('ann', ['a\u0000b'], new Date().toISOString())).toEqual([]);
  });
});
