// PostgresStore passes the Store contract on a real PostgreSQL server, its concurrency cases spread over four
// stores with pools of their own (12 connections in all), and on PGlite (one in-process connection).

import { PGlite } from '@electric-sql/pglite';
import { testPostgresUrl } from '@herald/test-peers/postgres';
import { describeStoreContract } from '@herald/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate } from './migrate';
import { PostgresStore } from './postgres-store';

const schema = `contract_${Math.random().toString(36).slice(2, 10)}`;
const pools: pg.Pool[] = [];

function pool(max: number): pg.Pool {
  const created = new pg.Pool({ connectionString: testPostgresUrl(), max });
  pools.push(created);
  return created;
}

const serverPool = pool(10);
beforeAll(async () => {
  await migrate(serverPool, { schema });
});
afterAll(async () => {
  await serverPool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all(pools.map((each) => each.end()));
});

describeStoreContract('PostgresStore on a PostgreSQL server', () => new PostgresStore({ db: serverPool, schema }), {
  makePeer: () => new PostgresStore({ db: pool(3), schema }),
});

let pglite: PGlite | undefined;
beforeAll(async () => {
  pglite = new PGlite();
  await migrate(pglite);
});
afterAll(async () => {
  await pglite?.close();
});

describeStoreContract('PostgresStore on PGlite', () => new PostgresStore({ db: pglite! }));
