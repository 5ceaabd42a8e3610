// Shared by the transactional-notify tests and the process they SIGKILL (not published: *.fixture.ts).
import { createHerald, defineNotification, type Herald, type HeraldSettings } from '@herald/core';
import { createTestChannel, type TestChannel } from '@herald/testing';
import pg from 'pg';
import { z } from 'zod';
import { migrate } from './migrate';
import { PostgresStore } from './postgres-store';

declare module '@herald/core' {
  interface ChannelContentMap {
    email: { subject: string; text?: string };
  }
}

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }),
    email: ({ payload }) => ({ subject: `Assigned: ${payload.title}` }),
  },
});

/** A host table the business change writes to, beside Herald's. */
export async function createTicketsTable(db: pg.Pool, schema: string): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${schema}_tickets (id text PRIMARY KEY, assignee text)`);
}

export async function migratedPool(url: string, schema: string, max = 10): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max });
  await migrate(pool, { schema });
  await createTicketsTable(pool, schema);
  return pool;
}

export interface TestHerald {
  herald: Herald<PostgresStore>;
  store: PostgresStore;
  email: TestChannel<'email'>;
}

export function testHerald(
  db: pg.Pool,
  schema: string,
  settings: Partial<HeraldSettings<PostgresStore>> = {},
): TestHerald {
  const store = new PostgresStore({ db, schema });
  const email = createTestChannel('email');
  const herald = createHerald({
    store,
    channels: [email],
    notifications: [ticketAssigned],
    relay: { intervalMs: 200 },
    ...settings,
  });
  return { herald, store, email };
}

/** Row counts of everything a notification writes. */
export async function rowsOf(db: pg.Pool, schema: string, notificationId: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM ${schema}.notifications WHERE id = $1)::int AS notifications,
            (SELECT count(*) FROM ${schema}.inbox_items WHERE notification_id = $1)::int AS items,
            (SELECT count(*) FROM ${schema}.deliveries WHERE notification_id = $1)::int AS deliveries`,
    [notificationId],
  );
  return rows[0] as Record<string, number>;
}
