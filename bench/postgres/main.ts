// PostgresStore benchmarks, each figure beside a baseline from the same run on the same server:
//  1. notify to 10,000 recipients × 2 channels (inApp + a no-op email channel) through PostgresStore, beside the
//     same rows inserted with one hand-written `unnest` INSERT per table;
//  2. unreadCount p50 / p99 for a user with 100,000 items, beside a user with 10 (and a COUNT(*) for contrast);
//  3. what a `transaction` adds to the host's own transaction: ms per transaction, and the tps of a pgbench-like
//     update loop with and without a notify in it;
// on a throwaway PostgreSQL server (fsync on, synchronous_commit on) and on PGlite (in-memory).
// Knobs: BENCH_RECIPIENTS (10000), BENCH_UNREAD_ITEMS (100000), BENCH_TPS_SECONDS (5), BENCH_TPS_CLIENTS (16).
import { PGlite } from '@electric-sql/pglite';
import { createHerald, defineNotification } from '@herald/core';
import type { Channel, Runner } from '@herald/core/spec';
import type {} from '@herald/email';
import { migrate, type PostgresQueryable, PostgresStore, withTransaction } from '@herald/postgres';
import { startPostgresServer } from '@herald/test-peers/postgres';
import pg from 'pg';
import { z } from 'zod';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const UNREAD_ITEMS = Number(process.env.BENCH_UNREAD_ITEMS ?? 100_000);
const TPS_SECONDS = Number(process.env.BENCH_TPS_SECONDS ?? 5);
const TPS_CLIENTS = Number(process.env.BENCH_TPS_CLIENTS ?? 16);

const assigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, url: `/tickets/${payload.ticketId}` }),
    email: ({ payload }) => ({ subject: `Assigned: ${payload.title}`, text: payload.title }),
  },
});

const noopEmail: Channel<'email'> = {
  specificationVersion: 'v1',
  kind: 'email',
  id: 'noop',
  send: async () => ({ status: 'sent' }),
};

/** A producer's runner (as with BullMQ): tasks are handed over and run elsewhere, so only the write path is timed. */
function handOverOnly(): Runner {
  return {
    specificationVersion: 'v1',
    id: 'hand-over-only',
    capabilities: { executesHere: false, settlesHere: false },
    start() {},
    enqueue: async () => {},
    cancel: async () => [],
    close: async () => {},
  };
}

let runCounter = 0;
const run = (): string => `${Date.now().toString(36)}${(runCounter++).toString(36)}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (value: number, digits = 2): string => value.toFixed(digits);

/** notify to RECIPIENTS × 2 through PostgresStore, beside one hand-written unnest INSERT per table. */
async function notifyBench(db: PostgresQueryable, label: string): Promise<void> {
  const store = new PostgresStore({ db });
  const herald = createHerald({ store, channels: [noopEmail], runner: handOverOnly(), relay: false });
  const rounds = 3;
  const heraldMs: number[] = [];
  const rawMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const id = run();
    const recipients = Array.from({ length: RECIPIENTS }, (_, index) => ({ id: `u-${id}-${index}`, email: 'x@y.z' }));
    let started = performance.now();
    const result = await herald.notify(assigned, {
      to: recipients,
      payload: { ticketId: id, title: 'Printer on fire' },
    });
    heraldMs.push(performance.now() - started);
    if (result.deliveryCount !== RECIPIENTS * 2) throw new Error(`expected ${RECIPIENTS * 2} deliveries`);

    // The same rows, written the way a careful hand would: one statement per table, no counters or positions logic.
    const now = new Date().toISOString();
    const users = recipients.map((recipient) => `raw-${recipient.id}`);
    started = performance.now();
    await withTransaction(db, async (tx) => {
      await tx.query(
        `INSERT INTO bench_raw.notifications (id, type, status, created_at, record) VALUES ($1, 'ticket.assigned', 'dispatched', now(), '{}')`,
        [`raw-${id}`],
      );
      await tx.query(
        `INSERT INTO bench_raw.inbox_items (user_id, position, id, notification_id, type, title, body, url, created_at)
         SELECT u, 1, 'item-' || u, $2, 'ticket.assigned', 'Ticket assigned', 'Printer on fire', '/tickets/x', $3
         FROM unnest($1::text[]) AS t(u)`,
        [users, `raw-${id}`, now],
      );
      const ids: string[] = [];
      const userIds: string[] = [];
      const kinds: string[] = [];
      for (const userId of users) {
        for (const kind of ['inApp', 'email']) {
          ids.push(`d-${userId}-${kind}`);
          userIds.push(userId);
          kinds.push(kind);
        }
      }
      await tx.query(
        `INSERT INTO bench_raw.deliveries (id, notification_id, type, recipient_id, kind, status, attempts, created_at, updated_at)
         SELECT id, $4, 'ticket.assigned', u, k, 'pending', 0, $5, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, u, k)`,
        [ids, userIds, kinds, `raw-${id}`, now],
      );
    });
    rawMs.push(performance.now() - started);
  }
  await herald.close();
  const best = (values: number[]): number => Math.min(...values);
  const heraldRate = RECIPIENTS / (best(heraldMs) / 1000);
  const rawRate = RECIPIENTS / (best(rawMs) / 1000);
  console.log(
    `[${label}] notify ${RECIPIENTS} recipients × 2 channels: Herald ${fmt(best(heraldMs), 0)} ms (${fmt(heraldRate, 0)} recipients/s) | raw unnest INSERTs ${fmt(best(rawMs), 0)} ms (${fmt(rawRate, 0)} recipients/s) | ratio ${fmt(heraldRate / rawRate)} (target ≥ 0.5; best of ${rounds})`,
  );
}

/** unreadCount latency, a user with UNREAD_ITEMS items beside one with 10. */
async function unreadBench(db: PostgresQueryable, label: string): Promise<void> {
  const store = new PostgresStore({ db });
  const id = run();
  const big = `big-${id}`;
  const small = `small-${id}`;
  const createdAt = new Date().toISOString();
  const make = (userId: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({
      id: `${userId}-${index}`,
      userId,
      notificationId: `n-${index}`,
      type: index % 3 === 0 ? 'ticket.assigned' : index % 3 === 1 ? 'ticket.closed' : 'comment.added',
      title: 'Ticket assigned',
      body: `Ticket ${index}`,
      createdAt,
    }));
  await store.insertInboxItems(make(big, UNREAD_ITEMS));
  await store.insertInboxItems(make(small, 10));
  await store.markRead(big, [`${big}-1`, `${big}-2`], createdAt);
  await db.query('ANALYZE herald.inbox_items');
  const measureAlternating = async (
    first: () => Promise<unknown>,
    second: () => Promise<unknown>,
    samples = 2_000,
  ): Promise<[{ p50: number; p99: number }, { p50: number; p99: number }]> => {
    for (let index = 0; index < 100; index++) await Promise.all([first(), second()]);
    const times: [number[], number[]] = [[], []];
    for (let index = 0; index < samples; index++) {
      for (const [slot, call] of [first, second].entries()) {
        const started = performance.now();
        await call();
        times[slot]!.push(performance.now() - started);
      }
    }
    return times.map((each) => {
      each.sort((a, b) => a - b);
      return { p50: percentile(each, 50), p99: percentile(each, 99) };
    }) as [{ p50: number; p99: number }, { p50: number; p99: number }];
  };
  const measure = async (call: () => Promise<unknown>, samples = 2_000): Promise<{ p50: number; p99: number }> => {
    for (let index = 0; index < 100; index++) await call();
    const times: number[] = [];
    for (let index = 0; index < samples; index++) {
      const started = performance.now();
      await call();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  };
  // The two users' reads alternate, so both meet the same background work (the server still writing out and
  // vacuuming the 100,000 rows just inserted): what differs between them is the item count alone.
  const [large, tiny] = await measureAlternating(
    () => store.unreadCount(big),
    () => store.unreadCount(small),
  );
  // The same reads with every statement parsed and planned again (node-postgres only; PGlite never names them).
  const unprepared = new PostgresStore({ db, preparedStatements: false });
  const largeUnprepared = await measure(() => unprepared.unreadCount(big));
  const scan = await measure(
    () =>
      db.query('SELECT type, count(*) FROM herald.inbox_items WHERE user_id = $1 AND read_at IS NULL GROUP BY type', [
        big,
      ]),
    50,
  );
  console.log(
    `[${label}] unreadCount: ${UNREAD_ITEMS} items p50 ${fmt(large.p50, 3)} ms p99 ${fmt(large.p99, 3)} ms | 10 items p50 ${fmt(tiny.p50, 3)} ms p99 ${fmt(tiny.p99, 3)} ms (target p99 < 2 ms, flat) | ${UNREAD_ITEMS} items, preparedStatements: false p50 ${fmt(largeUnprepared.p50, 3)} ms p99 ${fmt(largeUnprepared.p99, 3)} ms | COUNT(*) over the partial index: p50 ${fmt(scan.p50)} ms`,
  );
}

/** The cost a transactional notify adds to the host's transaction. */
async function transactionBench(
  label: string,
  storeDb: PostgresQueryable,
  connect: () => Promise<{ db: PostgresQueryable; done(): void }>,
  inTransaction: <T>(db: PostgresQueryable, run: (tx: PostgresQueryable) => Promise<T>) => Promise<T>,
  clients: number,
): Promise<void> {
  const first = await connect();
  await first.db.query(
    'CREATE TABLE IF NOT EXISTS bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)',
  );
  await first.db.query('INSERT INTO bench_accounts (id) SELECT generate_series(1, 100000) ON CONFLICT DO NOTHING');
  first.done();
  const herald = createHerald({
    store: new PostgresStore({ db: storeDb }),
    channels: [noopEmail],
    runner: handOverOnly(),
    relay: false,
  });
  const quiet = createHerald({
    store: new PostgresStore({ db: storeDb, notifyOnCommit: false }),
    channels: [noopEmail],
    runner: handOverOnly(),
    relay: false,
  });
  const loop = async (notifier: typeof herald | undefined): Promise<{ tps: number; msPerTransaction: number }> => {
    let count = 0;
    const deadline = performance.now() + TPS_SECONDS * 1000;
    const workers = Array.from({ length: clients }, async (_, worker) => {
      const connection = await connect();
      while (performance.now() < deadline) {
        const account = 1 + Math.floor(Math.random() * 100_000);
        await inTransaction(connection.db, async (tx) => {
          await tx.query('UPDATE bench_accounts SET balance = balance + 1 WHERE id = $1', [account]);
          if (notifier) {
            await notifier.notify(assigned, {
              to: { id: `tps-${worker}-${account}`, email: 'x@y.z' },
              payload: { ticketId: String(account), title: 'Balance changed' },
              transaction: tx,
            });
          }
        });
        count += 1;
      }
      connection.done();
    });
    const started = performance.now();
    await Promise.all(workers);
    const seconds = (performance.now() - started) / 1000;
    return { tps: count / seconds, msPerTransaction: (seconds * 1000 * clients) / count };
  };
  const plain = await loop(undefined);
  const notifying = await loop(herald);
  const withoutWake = await loop(quiet);
  await herald.close();
  await quiet.close();
  const line = (name: string, result: { tps: number; msPerTransaction: number }): string =>
    `${name} ${fmt(result.tps, 0)} tps (${fmt(result.msPerTransaction)} ms/tx, +${fmt(result.msPerTransaction - plain.msPerTransaction)} ms, ratio ${fmt(result.tps / plain.tps)})`;
  console.log(
    `[${label}] update loop, ${clients} client(s), ${TPS_SECONDS} s each: plain ${fmt(plain.tps, 0)} tps (${fmt(plain.msPerTransaction)} ms/tx) | ${line('+ notify (1 recipient × 2 channels)', notifying)} | ${line('+ notify, notifyOnCommit: false', withoutWake)}`,
  );
}

async function prepare(db: PostgresQueryable): Promise<void> {
  await migrate(db);
  await migrate(db, { schema: 'bench_raw' });
}

const server = await startPostgresServer({
  settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_connections: 100 },
});
try {
  const pool = new pg.Pool({ connectionString: server.url, max: TPS_CLIENTS + 4 });
  await prepare(pool);
  console.log(`PostgreSQL server (fsync on, synchronous_commit on), pool of ${TPS_CLIENTS + 4}:`);
  await notifyBench(pool, 'server');
  await unreadBench(pool, 'server');
  await transactionBench(
    'server',
    pool,
    async () => {
      const client = await pool.connect();
      return { db: client, done: () => client.release() };
    },
    (db, body) => withTransaction(db, body),
    TPS_CLIENTS,
  );
  await pool.end();

  const lite = new PGlite();
  await prepare(lite);
  console.log('PGlite (in memory, one connection):');
  await notifyBench(lite, 'pglite');
  await unreadBench(lite, 'pglite');
  await transactionBench(
    'pglite',
    lite,
    async () => ({ db: lite, done: () => {} }),
    (db, body) => (db as PGlite).transaction(body),
    1,
  );
  await lite.close();
} finally {
  await server.stop();
}
