// On node-postgres every statement is named, so a connection parses and plans it once; `preparedStatements: false`
// sends them unnamed (for poolers that cannot keep prepared statements). Both give the same answers.

import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useClientsOnFreshSchema } from './clients.fixture';
import { statementName } from './postgres-client';
import { PostgresStore } from './postgres-store';

const { schema, connect } = useClientsOnFreshSchema('prepared');

async function preparedNames(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name');
  return rows.map((row) => row.name);
}

async function useStore(store: PostgresStore, userId: string): Promise<unknown> {
  const at = new Date().toISOString();
  const item = { userId, notificationId: 'n-1', type: 'ticket.assigned', title: 'T', body: 'B', createdAt: at };
  await store.insertInboxItems([
    { ...item, id: 'a' },
    { ...item, id: 'b' },
  ]);
  await store.markRead(userId, ['a'], at);
  await store.markRead(userId, ['b'], at);
  return store.unreadCount(userId);
}

describe('prepared statements', () => {
  it('names each statement on node-postgres, preparing it once per connection', async () => {
    const client = await connect();
    const store = new PostgresStore({ db: client, schema });
    expect(await useStore(store, 'ann')).toEqual({ total: 0, unseen: 0, byType: {} });
    const names = await preparedNames(client);
    // insert, mark read (twice, one statement), count.
    expect(names).toHaveLength(3);
    expect(names.every((name) => /^herald_[0-9a-z]+_[0-9a-z]+$/.test(name))).toBe(true);
  });

  it('sends them unnamed with preparedStatements: false, with the same answers', async () => {
    const client = await connect();
    const store = new PostgresStore({ db: client, schema, preparedStatements: false });
    expect(await useStore(store, 'bob')).toEqual({ total: 0, unseen: 0, byType: {} });
    expect(await preparedNames(client)).toEqual([]);
  });

  it('gives different texts different names and one text one name', () => {
    expect(statementName('SELECT 1')).toBe(statementName('SELECT 1'));
    expect(statementName('SELECT 1')).not.toBe(statementName('SELECT 2'));
    expect(statementName('SELECT 1 FROM a.t')).not.toBe(statementName('SELECT 1 FROM b.t'));
  });
});
