// A store given one connection (a node-postgres Client) as `db`: its own transactions (BEGIN … COMMIT on that
// connection) must have it to themselves, or the statements of other calls would run inside them.

import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useClientsOnFreshSchema } from './clients.fixture';
import { PostgresStore } from './postgres-store';

const { schema, connect } = useClientsOnFreshSchema('single');

/** The texts of the statements sent on `client`, in the order it sent them. */
function recordStatements(client: pg.Client): string[] {
  const sent: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [first] = args;
    sent.push(typeof first === 'string' ? first : (first as { text: string }).text);
    return query(...args);
  };
  return sent;
}

const at = () => new Date().toISOString();
const item = (userId: string, id: string) => ({
  id,
  userId,
  notificationId: `n-${id}`,
  type: 'ticket.assigned',
  title: 'Assigned',
  body: 'A ticket',
  createdAt: at(),
});

describe('a store on a single connection', () => {
  it('keeps every other call out of its own transactions: nothing runs between BEGIN and COMMIT but theirs', async () => {
    const client = await connect();
    const sent = recordStatements(client);
    const store = new PostgresStore({ db: client, schema });
    const calls: Promise<unknown>[] = [];
    for (let index = 0; index < 10; index++) {
      calls.push(
        store.registerDevice({ token: `tok-${index}`, userId: 'dana', platform: 'android', createdAt: at() }),
        store.insertInboxItems([item(`user-${index}`, `i-${index}`)]),
        store.unreadCount(`user-${index}`),
      );
    }
    await Promise.all(calls);

    expect(
      (await store.listDevices(['dana']))
        .get('dana')
        ?.map((device) => device.token)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, index) => `tok-${index}`).sort());
    for (let index = 0; index < 10; index++) expect((await store.unreadCount(`user-${index}`)).total).toBe(1);
    // Each BEGIN is followed by its own statements only (the lock, the device write), then COMMIT.
    const transactions: string[][] = [];
    let open: string[] | undefined;
    for (const text of sent) {
      if (text === 'BEGIN') {
        expect(open).toBeUndefined();
        open = [];
      } else if (text === 'COMMIT' || text === 'ROLLBACK') {
        transactions.push(open ?? []);
        open = undefined;
      } else open?.push(text);
    }
    expect(transactions).toHaveLength(10);
    for (const statements of transactions) {
      expect(statements).toHaveLength(2);
      expect(statements[0]).toContain('pg_advisory_xact_lock');
      expect(statements[1]).toContain(`${schema}.devices`);
    }
  });

  it('a transaction that fails takes no other call with it: the insert sent meanwhile waits, then succeeds', async () => {
    const client = await connect();
    const holder = await connect();
    const store = new PostgresStore({ db: client, schema });
    // Another session holds the token's lock, and this connection waits for a lock at most 300 ms: the
    // registration's transaction fails (and rolls back) while the insert below is waiting to run.
    await holder.query(`SELECT pg_advisory_lock(hashtextextended($1 || chr(31) || 'device' || chr(31) || $2, 0))`, [
      schema,
      'token:tok-held',
    ]);
    await client.query(`SET lock_timeout = '300ms'`);
    const registration = store.registerDevice({ token: 'tok-held', userId: 'erin', platform: 'ios', createdAt: at() });
    const registrationFailed = expect(registration).rejects.toMatchObject({ code: 'STORE' });
    const inserted = store.insertInboxItems([item('erin', 'while-locked')]);

    await registrationFailed;
    expect((await inserted).map((stored) => stored.id)).toEqual(['while-locked']);
    expect((await store.unreadCount('erin')).total).toBe(1);
    expect((await store.listDevices(['erin'])).get('erin') ?? []).toEqual([]);
    await holder.query('SELECT pg_advisory_unlock_all()');
  });
});
