// migrate() on a real server: applied once however many processes start at once, a no-op afterwards; a store on a
// schema nobody migrated says what to do; text PostgreSQL cannot store is refused before anything is written.

import { readFileSync } from 'node:fs';
import { ConfigurationError, ValidationError } from '@herald/core';
import { testPostgresUrl } from '@herald/test-peers/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationSql, SCHEMA_VERSION } from './migrate';
import { migrations } from './migrations/index';
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
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1));
  });

  it('prints SQL that builds the same schema for a team’s own migration tool', async () => {
    const schema = newSchema();
    await newPool().query(migrationSql({ schema }));
    expect(await migrate(pools[pools.length - 1]!, { schema })).toEqual({ applied: [], version: SCHEMA_VERSION });
  });

  it('prints the same SQL in the README as migrationSql() returns', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const printed = /```sql\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(printed?.trim()).toBe(migrationSql().trim());
  });

  it('upgrades a version 2 schema in use: read items become seen, counters stay exact, devices keep their order', async () => {
    const schema = newSchema();
    const pool = newPool();
    // The schema as version 2 left it, with a user who has read one of three items and registered two devices.
    const [bootstrap] = migrationSql({ schema }).split(`-- 1: `);
    const older = migrations.filter((migration) => migration.version <= 2);
    await pool.query(
      [
        bootstrap,
        ...older.map(
          (migration) =>
            `${migration.sql(schema)}\nINSERT INTO ${schema}.schema_migrations (version, name) VALUES (${migration.version}, '${migration.name}');`,
        ),
      ].join('\n'),
    );
    await pool.query(`
      INSERT INTO ${schema}.inbox_users VALUES ('ann', 3);
      INSERT INTO ${schema}.inbox_items (user_id, position, id, notification_id, type, title, body, created_at, read_at)
      VALUES ('ann', 1, 'a', 'n', 'ticket.assigned', 'T', 'B', now(), now()),
             ('ann', 2, 'b', 'n', 'ticket.assigned', 'T', 'B', now(), NULL),
             ('ann', 3, 'c', 'n', 'ticket.closed', 'T', 'B', now(), NULL);
      INSERT INTO ${schema}.inbox_unread VALUES ('ann', 'ticket.assigned', 1), ('ann', 'ticket.closed', 1);
      INSERT INTO ${schema}.devices VALUES ('t-new', 'ann', 'ios', now()), ('t-old', 'ann', 'web', now() - interval '1 day');
    `);
    expect(await migrate(pool, { schema })).toEqual({
      applied: Array.from({ length: SCHEMA_VERSION - 2 }, (_, index) => index + 3),
      version: SCHEMA_VERSION,
    });
    const store = new PostgresStore({ db: pool, schema });
    expect(await store.unreadCount('ann')).toEqual({
      total: 2,
      unseen: 2,
      byType: { 'ticket.assigned': 1, 'ticket.closed': 1 },
    });
    const [read] = await store.getInboxItems('ann', ['a']);
    expect(read!.seenAt).toBe(read!.readAt);
    expect((await store.listDevices(['ann'])).get('ann')!.map((device) => device.token)).toEqual(['t-old', 't-new']);
    // The oldest registration is the one evicted past the cap.
    const registered = await store.registerDevice(
      { token: 't-3', userId: 'ann', platform: 'android', createdAt: new Date().toISOString() },
      { maxDevices: 2 },
    );
    expect(registered).toMatchObject({ status: 'registered', evicted: [{ token: 't-old' }] });
    expect(await store.markAllSeen('ann', {}, new Date().toISOString())).toBe(2);
    expect(await store.unreadCount('ann')).toMatchObject({ total: 2, unseen: 0 });
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
    const at = new Date().toISOString();
    const join = (overrides: Record<string, unknown>, event: Record<string, unknown> = {}) => ({
      key: 'digest',
      openAs: `d-${Math.random()}`,
      type: 'comment.added',
      recipientId: 'ann',
      event: { notificationId: `n-${Math.random()}`, payload: { raw: 'a\u0000b' }, createdAt: at, ...event },
      at,
      closesAt: at,
      maxEvents: 10,
      ...overrides,
    });
    const digestRefusal = await store
      .joinDigests([join({}), join({ key: 'a\u0000b' }, { notificationId: 'x\ud800' })])
      .catch((error: unknown) => error);
    expect(ValidationError.is(digestRefusal)).toBe(true);
    expect((digestRefusal as ValidationError).issues.map((issue) => issue.path)).toEqual([
      'joins.1.key',
      'joins.1.event.notificationId',
    ]);
    expect(await store.listOpenDigests('', { limit: 10 })).toEqual([]);
    const throttleRefusal = await store
      .takeThrottles([{ recipientId: 'ann', key: 'k', member: 'm\u0000', limit: 1, windowMs: 1_000, at }])
      .catch((error: unknown) => error);
    expect((throttleRefusal as ValidationError).issues.map((issue) => issue.path)).toEqual(['requests.0.member']);
    // JSON keeps what text cannot: a digest event's payload comes back as it joined.
    const [joined] = await store.joinDigests([join({})]);
    const bucket = await store.getDigest('ann', joined!.digestId);
    expect(bucket!.events[0]!.payload).toEqual({ raw: 'a\u0000b' });
  });
});
