// A producer process: commits a transactional notify (its relay off, so nothing hands it over), says so, and
// waits to be SIGKILLed. Run with: node --import tsx --conditions=herald-source outbox-process.fixture.ts
import pg from 'pg';
import { testHerald, ticketAssigned } from './outbox.fixture';

const url = process.env.OUTBOX_URL!;
const schema = process.env.OUTBOX_SCHEMA!;
const recipients = Number(process.env.OUTBOX_RECIPIENTS ?? 3);
const pool = new pg.Pool({ connectionString: url, max: 2 });
const { herald } = testHerald(pool, schema, { relay: false });

const client = await pool.connect();
await client.query('BEGIN');
await client.query(`INSERT INTO ${schema}_tickets (id, assignee) VALUES ('T-1', 'ann')`);
const result = await herald.notify(ticketAssigned, {
  to: Array.from({ length: recipients }, (_, index) => ({ id: `user-${index}`, email: `user-${index}@example.test` })),
  payload: { ticketId: 'T-1', title: 'Printer on fire' },
  transaction: client,
});
await client.query('COMMIT');
process.stdout.write(`committed ${result.id}\n`);
// Stay alive until killed; nothing here ever hands the deliveries over.
setInterval(() => {}, 1_000);
