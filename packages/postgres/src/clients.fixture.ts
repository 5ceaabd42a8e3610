// Shared by the tests that run a store on bare node-postgres Clients (not published: *.fixture.ts): a schema of
// their own, migrated before them and dropped after, and every Client they opened ended.

import { testPostgresUrl } from '@herald/test-peers/postgres';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate } from './migrate';

export function useClientsOnFreshSchema(prefix: string): { schema: string; connect(): Promise<pg.Client> } {
  const schema = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const clients: pg.Client[] = [];
  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: testPostgresUrl() });
    await client.connect();
    clients.push(client);
    return client;
  }
  beforeAll(async () => {
    await migrate(await connect(), { schema });
  });
  afterAll(async () => {
    await clients[0]?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await Promise.all(clients.map((client) => client.end()));
  });
  return { schema, connect };
}
