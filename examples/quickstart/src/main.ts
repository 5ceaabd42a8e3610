// Herald quickstart: two notifications, three users (one of them the actor), in-app + email,
// on embedded defaults: an in-memory store and a local SMTP sink (set SMTP_HOST/SMTP_PORT to use yours).
// HERALD_PGLITE_DIR=./.herald-data (or `--pglite <dir>`) stores everything in an embedded Postgres (PGlite) in that
// directory instead, so the demo's inbox survives a restart.
import { createHerald, type Store } from '@herald/core';
import { createEmailChannel } from '@herald/email';
import { migrate, PostgresStore } from '@herald/postgres';
import { MemoryStore } from '@herald/storage';
import { ticketAssigned, ticketCommented } from './notifications';
import { startSmtpSink } from './smtp-sink';

const users = [
  { id: 'ana', name: 'Ana', email: 'ana@example.com' },
  { id: 'ben', name: 'Ben', email: 'ben@example.com' },
  { id: 'cy', name: 'Cy', email: 'cy@example.com' },
];

const flag = process.argv.indexOf('--pglite');
const pgliteDir = flag >= 0 ? process.argv[flag + 1] : process.env.HERALD_PGLITE_DIR;

/** The in-memory store, or PostgresStore on a PGlite data directory (created and migrated on first start). */
async function openStore(): Promise<{ store: Store; close(): Promise<void> }> {
  if (!pgliteDir) return { store: new MemoryStore(), close: async () => {} };
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(pgliteDir);
  await migrate(db);
  console.log(`Storing in PGlite at ${pgliteDir}`);
  return { store: new PostgresStore({ db }), close: () => db.close() };
}

const opened = await openStore();
const sink = process.env.SMTP_HOST ? undefined : await startSmtpSink();
const smtp = sink
  ? { host: sink.host, port: sink.port, ignoreTLS: true }
  : { host: process.env.SMTP_HOST as string, port: Number(process.env.SMTP_PORT ?? 587) };

const herald = createHerald({
  store: opened.store,
  channels: [createEmailChannel({ smtp, from: 'Helpdesk <helpdesk@example.com>' })],
  resolveRecipients: (ids) => users.filter((user) => ids.includes(user.id)),
});

// Ana assigns a ticket to everyone on the team; she is the actor, so she is not notified.
const assigned = await herald.notify(ticketAssigned, {
  to: users.map((user) => user.id),
  actor: 'ana',
  payload: { ticketId: 'T-42', title: 'Printer on fire', assignedBy: 'Ana' },
  idempotencyKey: 'ticket:T-42:assigned',
});
const commented = await herald.notify(ticketCommented, {
  to: ['ana', 'ben'],
  actor: 'cy',
  payload: { ticketId: 'T-42', author: 'Cy', comment: 'Extinguisher is on its way.' },
});

// The same key again (a retried request, say) sends nothing.
const again = await herald.notify(ticketAssigned, {
  to: users.map((user) => user.id),
  actor: 'ana',
  payload: { ticketId: 'T-42', title: 'Printer on fire', assignedBy: 'Ana' },
  idempotencyKey: 'ticket:T-42:assigned',
});
console.log(
  `Second notify with the same key: deduplicated=${again.deduplicated}, same id=${again.id === assigned.id}\n`,
);

for (const result of [assigned, commented]) {
  const report = await result.settled;
  console.log(
    `Delivery report ${result.id}: ${report.sent} sent, ${report.failed} failed, ${report.skipped} skipped, ${report.queued} queued`,
  );
}

await herald.inbox.markRead(
  'ben',
  (await herald.inbox.list('ben', { type: 'ticket.commented' })).items.map((item) => item.id),
);

for (const user of users) {
  const { items } = await herald.inbox.list(user.id);
  const unread = await herald.inbox.unreadCount(user.id);
  console.log(`\n${user.name}: ${unread.total} unread ${JSON.stringify(unread.byType)}`);
  for (const item of items) console.log(`  ${item.readAt ? ' ' : '•'} [${item.type}] ${item.title}: ${item.body}`);
}

if (sink) {
  console.log(`\nEmail received by the local SMTP sink (${sink.messages.length}):`);
  for (const message of sink.messages)
    console.log(`  to ${message.to}: "${message.subject}" — ${message.text.replace(/\s+/g, ' ')}`);
}

await herald.close();
await opened.close();
await sink?.close();
