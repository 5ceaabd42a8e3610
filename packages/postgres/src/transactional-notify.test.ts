// notify(def, { transaction }) against a real PostgreSQL server (and PGlite): the notification commits or rolls
// back with the host's change, and the outbox relay hands committed deliveries over exactly once — after a SIGKILL,
// with two relays racing, and never for a transaction that a serialization failure aborted.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { createHerald } from '@herald/core';
import { testPostgresUrl } from '@herald/test-peers/postgres';
import { createTestChannel, waitUntil } from '@herald/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { migratedPool, rowsOf, type TestHerald, testHerald, ticketAssigned } from './outbox.fixture';
import { PostgresStore } from './postgres-store';

const schema = `outbox_${Math.random().toString(36).slice(2, 10)}`;
const producerScript = fileURLToPath(new URL('./outbox-process.fixture.ts', import.meta.url));
let pool: pg.Pool;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pool = await migratedPool(testPostgresUrl(), schema);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.query(`DROP TABLE IF EXISTS ${schema}_tickets`);
  await pool.end();
});

function started(settings: Parameters<typeof testHerald>[2] = {}, db: pg.Pool = pool): TestHerald {
  const made = testHerald(db, schema, settings);
  cleanups.push(() => made.herald.close());
  return made;
}

const to = (...ids: string[]) => ids.map((id) => ({ id, email: `${id}@example.test` }));
const payload = { ticketId: 'T-1', title: 'Printer on fire' };

/** Each delivery id sent, with how often. */
function sendCounts(...sent: TestHerald['email'][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const channel of sent) {
    for (const request of channel.delivered) counts.set(request.deliveryId, (counts.get(request.deliveryId) ?? 0) + 1);
  }
  return counts;
}

describe('notify in the host transaction (PostgreSQL server)', () => {
  it('writes nothing and sends nothing when the transaction rolls back', async () => {
    const { herald, email } = started({ relay: { intervalMs: 50 } });
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${schema}_tickets (id, assignee) VALUES ('T-rollback', 'ann')`);
      const result = await herald.notify(ticketAssigned, { to: to('ann', 'ben'), payload, transaction: client });
      id = result.id;
      expect(result.deliveryCount).toBe(4);
      // Inside the transaction it is all there; outside it, nothing yet.
      expect(
        (await client.query(`SELECT count(*)::int AS n FROM ${schema}.deliveries WHERE notification_id = $1`, [id]))
          .rows[0].n,
      ).toBe(4);
      expect(await rowsOf(pool, schema, id)).toEqual({ notifications: 0, items: 0, deliveries: 0 });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // Several relay passes later: still nothing anywhere.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await rowsOf(pool, schema, id)).toEqual({ notifications: 0, items: 0, deliveries: 0 });
    expect(email.calls).toHaveLength(0);
    expect(await herald.inbox.list('ann')).toEqual({ items: [] });
  });

  it('hands the deliveries over once the transaction commits, woken by NOTIFY long before the sweep', async () => {
    // A sweep every minute: only the commit's NOTIFY can explain a prompt send.
    const { herald, email } = started({ relay: { intervalMs: 60_000 } });
    await herald.store.listDevices(['warm-up']);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the LISTEN session is up
    const client = await pool.connect();
    const committedAt = { ms: 0 };
    let id: string;
    try {
      await client.query('BEGIN');
      const result = await herald.notify(ticketAssigned, { to: to('cat', 'dan'), payload, transaction: client });
      id = result.id;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(email.calls).toHaveLength(0);
      await client.query('COMMIT');
      committedAt.ms = Date.now();
    } finally {
      client.release();
    }
    await waitUntil('both emails', () => email.delivered.length === 2, { timeoutMs: 5_000 });
    expect(Date.now() - committedAt.ms).toBeLessThan(5_000);
    expect((await herald.inbox.list('cat')).items).toHaveLength(1);
    await waitUntil('the notification to leave the outbox', async () => {
      return (await herald.store.getNotification(id))?.status === 'dispatched';
    });
    expect((await herald.deliveries.report(id)).sent).toBe(4);
  });

  it('after a commit and a SIGKILL before any relay ran, a new process sends each delivery once', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=herald-source', producerScript], {
      env: { ...process.env, OUTBOX_URL: testPostgresUrl(), OUTBOX_SCHEMA: schema, OUTBOX_RECIPIENTS: '25' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const id = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the producer exited early (${code})`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        const match = /committed (\S+)/.exec(chunk.toString());
        if (match) resolve(match[1]!);
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await rowsOf(pool, schema, id)).toEqual({ notifications: 1, items: 25, deliveries: 50 });

    const { herald, email } = started({ relay: { intervalMs: 50 } });
    await waitUntil('25 emails', () => email.delivered.length >= 25, { timeoutMs: 10_000 });
    await waitUntil('the notification to leave the outbox', async () => {
      return (await herald.store.getNotification(id))?.status === 'dispatched';
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counts = sendCounts(email);
    expect(counts.size).toBe(25);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect((await herald.deliveries.report(id)).sent).toBe(50);
  });

  it('two relays racing on one outbox hand each delivery over once', async () => {
    const producer = started({ relay: false });
    const ids: string[] = [];
    for (let round = 0; round < 20; round++) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const recipients = to(...Array.from({ length: 10 }, (_, index) => `race-${round}-${index}`));
        ids.push((await producer.herald.notify(ticketAssigned, { to: recipients, payload, transaction: client })).id);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }
    const poolB = new pg.Pool({ connectionString: testPostgresUrl(), max: 5 });
    cleanups.push(() => poolB.end());
    const first = started({ relay: { intervalMs: 20, batchSize: 3 } });
    const second = started({ relay: { intervalMs: 20, batchSize: 3 } }, poolB);
    await waitUntil('200 emails', () => first.email.delivered.length + second.email.delivered.length >= 200, {
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const counts = sendCounts(first.email, second.email);
    expect(counts.size).toBe(200);
    expect([...counts.values()].filter((count) => count !== 1)).toEqual([]);
    // Both relays took part (each lease takes 3 at most).
    expect(first.email.delivered.length).toBeGreaterThan(0);
    expect(second.email.delivered.length).toBeGreaterThan(0);
    for (const id of ids) expect((await first.herald.store.getNotification(id))?.status).toBe('dispatched');
  });

  it('sends nothing for a transaction aborted by a serialization failure', async () => {
    const { herald, email } = started({ relay: { intervalMs: 50 } });
    await pool.query(`INSERT INTO ${schema}_tickets (id, assignee) VALUES ('T-race', NULL)`);
    const first = await pool.connect();
    const second = await pool.connect();
    try {
      await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await second.query(`SELECT assignee FROM ${schema}_tickets WHERE id = 'T-race'`); // its snapshot
      await first.query(`UPDATE ${schema}_tickets SET assignee = 'eve' WHERE id = 'T-race'`);
      const won = await herald.notify(ticketAssigned, { to: to('eve'), payload, transaction: first });
      await first.query('COMMIT');
      const lost = await herald.notify(ticketAssigned, { to: to('fay'), payload, transaction: second });
      const failure = await second.query(`UPDATE ${schema}_tickets SET assignee = 'fay' WHERE id = 'T-race'`).then(
        () => undefined,
        (error: { code?: string }) => error,
      );
      expect(failure?.code).toBe('40001');
      await second.query('ROLLBACK');
      await waitUntil('the winner’s email', () => email.delivered.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(email.delivered.map((request) => request.recipient.id)).toEqual(['eve']);
      expect(await rowsOf(pool, schema, lost.id)).toEqual({ notifications: 0, items: 0, deliveries: 0 });
      expect((await rowsOf(pool, schema, won.id)).deliveries).toBe(2);
    } finally {
      first.release();
      second.release();
    }
  });

  it('a serialization failure inside notify itself passes the driver error to the host', async () => {
    const { herald } = started({ relay: false });
    const key = `key-${Math.random()}`;
    const first = await pool.connect();
    const second = await pool.connect();
    try {
      await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await second.query('SELECT 1'); // its snapshot, before the key exists
      await first.query('BEGIN');
      await herald.notify(ticketAssigned, { to: to('gus'), payload, idempotencyKey: key, transaction: first });
      await first.query('COMMIT');
      const failure = await herald
        .notify(ticketAssigned, { to: to('gus'), payload, idempotencyKey: key, transaction: second })
        .then(
          () => undefined,
          (error: { code?: string }) => error,
        );
      await second.query('ROLLBACK');
      // Claiming a key committed after the snapshot: REPEATABLE READ cannot, and says so with its own code.
      expect(failure?.code).toBe('40001');
    } finally {
      first.release();
      second.release();
    }
  });

  it('refuses a transaction on a store that cannot join one', async () => {
    const { MemoryStore } = await import('@herald/storage');
    const herald = createHerald({
      store: new MemoryStore(),
      notifications: [ticketAssigned],
      channels: [createTestChannel('email')],
    });
    cleanups.push(() => herald.close());
    await expect(herald.notify(ticketAssigned, { to: to('hal'), payload, transaction: {} as never })).rejects.toThrow(
      /needs a store that can join a transaction/,
    );
  });
});

describe('notify in the host transaction (PGlite)', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('commits with the transaction and rolls back with it, on one connection', async () => {
    const store = new PostgresStore({ db });
    const email = createTestChannel('email');
    const herald = createHerald({ store, channels: [email], relay: { intervalMs: 60_000 } });
    cleanups.push(() => herald.close());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const rolledBack = await db
      .transaction(async (tx) => {
        await herald.notify(ticketAssigned, { to: to('ivy'), payload, transaction: tx });
        throw new Error('the business change failed');
      })
      .catch((error: Error) => error.message);
    expect(rolledBack).toBe('the business change failed');
    const committed = await db.transaction(async (tx) =>
      herald.notify(ticketAssigned, { to: to('jon'), payload, transaction: tx }),
    );
    await waitUntil('the committed email', () => email.delivered.length === 1);
    expect(email.delivered[0]!.recipient.id).toBe('jon');
    expect((await herald.inbox.list('ivy')).items).toEqual([]);
    expect((await herald.inbox.list('jon')).items).toHaveLength(1);
    await waitUntil('dispatched', async () => (await store.getNotification(committed.id))?.status === 'dispatched');
  });
});
