// The Postgres relay carries the gateway's fan-out the way Redis does: items reach sockets on other gateways,
// `sent` counts remote sockets and `queued` means nobody holds one, a lost signal is repaired by position, a large
// item travels as its position, a gateway restarted under SIGKILL catches every client up, and the LISTEN session
// comes back after the database restarts. Items written in a host transaction reach sockets only after COMMIT.

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHerald, type Herald, type InboxItem } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { startPostgresServer, testPostgresUrl } from '@herald/test-peers/postgres';
import { createSendRequest, waitUntil } from '@herald/testing';
import { createWebSocketGateway, extractToken, type WebSocketGateway } from '@herald/websocket';
import { createHeraldClient, type HeraldClient } from '@herald/websocket/client';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { migrate } from './migrate';
import { ticketAssigned } from './outbox.fixture';
import { createPostgresRelay, encodeSignals, MAX_SIGNAL_BYTES } from './postgres-relay';
import { PostgresStore } from './postgres-store';

const schema = `relay_${Math.random().toString(36).slice(2, 10)}`;
const gatewayScript = fileURLToPath(new URL('./relay-gateway-process.fixture.ts', import.meta.url));
let pool: pg.Pool;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testPostgresUrl(), max: 10 });
  await migrate(pool, { schema });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

interface Gateway {
  gateway: WebSocketGateway;
  herald: Herald<PostgresStore>;
  store: PostgresStore;
  url: string;
}

async function startGateway(db: pg.Pool = pool, settings: { heartbeatMs?: number } = {}): Promise<Gateway> {
  const server: Server = createServer();
  const gateway = createWebSocketGateway({
    server,
    authenticate: async (request) => {
      const token = extractToken(request);
      return token?.startsWith('user:') ? { userId: token.slice(5) } : null;
    },
    relay: createPostgresRelay({ db, schema }),
    ...settings,
  });
  const store = new PostgresStore({ db, schema });
  const herald = createHerald({
    store,
    channels: [gateway.channel],
    notifications: [ticketAssigned],
    relay: { intervalMs: 60_000 },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await herald.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { gateway, herald, store, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/realtime` };
}

interface Watched {
  client: HeraldClient;
  shown: InboxItem[];
}

async function connect(url: string, userId: string): Promise<Watched> {
  const shown: InboxItem[] = [];
  const client = createHeraldClient({ url, token: `user:${userId}`, WebSocket, reconnect: { baseMs: 50, capMs: 400 } });
  client.on('notification', ({ item }) => shown.push(item));
  cleanups.push(() => client.close());
  await waitUntil('the socket to open', () => client.getSnapshot().status === 'open');
  return { client, shown };
}

let itemSequence = 0;
function items(userId: string, count: number, body = 'hello'): NewInboxItem[] {
  return Array.from({ length: count }, () => {
    itemSequence += 1;
    return {
      id: `relay-item-${itemSequence}`,
      userId,
      notificationId: `relay-notification-${itemSequence}`,
      type: 'ticket.assigned',
      title: 'Ticket assigned',
      body,
      createdAt: new Date().toISOString(),
    };
  });
}

function sendItem(gateway: Gateway, item: InboxItem) {
  return gateway.gateway.channel.send(
    createSendRequest({ title: item.title, body: item.body }, { recipient: { id: item.userId }, inboxItem: item }),
  );
}

const user = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 8)}`;

describe('realtime fan-out over LISTEN / NOTIFY', () => {
  it('delivers an item sent on one gateway to a socket on another; sent counts remote sockets, queued nobody', async () => {
    const first = await startGateway();
    const second = await startGateway();
    const ann = user('ann');
    const watched = await connect(second.url, ann);
    const [item] = await first.store.insertInboxItems(items(ann, 1));
    expect(await sendItem(first, item!)).toEqual({ status: 'sent' });
    await waitUntil('the item on the other gateway', () => watched.shown.length === 1);
    expect(watched.shown[0]!.id).toBe(item!.id);
    const [forBob] = await first.store.insertInboxItems(items(user('bob'), 1));
    expect((await sendItem(first, forBob!)).status).toBe('queued');
  });

  it('repairs a lost signal from the store when the next position shows the gap', async () => {
    const first = await startGateway();
    const second = await startGateway();
    const ann = user('ann');
    const watched = await connect(second.url, ann);
    const [lost, next] = await first.store.insertInboxItems(items(ann, 2));
    await sendItem(first, next!); // `lost` never signalled
    await waitUntil('both items', () => watched.shown.length === 2);
    expect(watched.shown.map((item) => item.position)).toEqual([lost!.position, next!.position]);
    expect(second.gateway.stats().repairs).toBe(1);
  });

  it('finds a lost newest item on the next heartbeat', async () => {
    const gateway = await startGateway(pool, { heartbeatMs: 50 });
    const ann = user('ann');
    const watched = await connect(gateway.url, ann);
    await gateway.store.insertInboxItems(items(ann, 1)); // stored, never signalled
    await waitUntil('the item', () => watched.shown.length === 1);
  });

  it('sends an item too large for NOTIFY as its position, and the other gateway reads it', async () => {
    const first = await startGateway();
    const second = await startGateway();
    const ann = user('ann');
    const watched = await connect(second.url, ann);
    const [large] = await first.store.insertInboxItems(items(ann, 1, 'x'.repeat(20_000)));
    const signals = encodeSignals({ kind: 'item', origin: 'o', item: large! });
    expect(signals).toHaveLength(1);
    expect(JSON.parse(signals[0]!)).toEqual({ kind: 'item-at', origin: 'o', userId: ann, position: large!.position });
    expect(await sendItem(first, large!)).toEqual({ status: 'sent' });
    await waitUntil('the large item', () => watched.shown.length === 1);
    expect(watched.shown[0]!.body).toHaveLength(20_000);
  });

  it('splits a read of many ids over signals under the limit', () => {
    const ids = Array.from({ length: 2_000 }, (_, index) => `item-${index}-${'i'.repeat(20)}`);
    const signals = encodeSignals({
      kind: 'read',
      origin: 'o',
      userId: 'ann',
      ids,
      all: false,
      unread: { total: 0, unseen: 0, byType: {} },
    });
    expect(signals.length).toBeGreaterThan(1);
    for (const signal of signals) expect(Buffer.byteLength(signal)).toBeLessThanOrEqual(MAX_SIGNAL_BYTES);
    expect(signals.flatMap((signal) => (JSON.parse(signal) as { ids: string[] }).ids)).toEqual(ids);
  });

  it('syncs read state between tabs held by different gateways', async () => {
    const first = await startGateway();
    const second = await startGateway();
    const ann = user('ann');
    const [item] = await first.store.insertInboxItems(items(ann, 1));
    const tabA = await connect(first.url, ann);
    const tabB = await connect(second.url, ann);
    await waitUntil('both tabs to have the item', () => tabA.shown.length === 1 && tabB.shown.length === 1);
    await first.herald.inbox.markRead(ann, [item!.id]);
    await waitUntil('the read on the other gateway', () => tabB.client.getSnapshot().unread.total === 0);
  });

  it('items written in a host transaction reach open sockets after the commit, not before', async () => {
    const gateway = await startGateway();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cat = user('cat');
    const watched = await connect(gateway.url, cat);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await gateway.herald.notify(ticketAssigned, {
        to: cat,
        payload: { ticketId: 'T-9', title: 'In a transaction' },
        channels: ['inApp'],
        transaction: client,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(watched.shown).toHaveLength(0);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await waitUntil('the committed item on the socket', () => watched.shown.length === 1);
    expect(watched.shown[0]!.body).toBe('In a transaction');
  });
});

describe('restarts', () => {
  it('clients reconnect to a gateway restarted after SIGKILL and catch up on everything, once and in order', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const startProcess = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=herald-source', gatewayScript], {
        env: {
          ...process.env,
          GATEWAY_PORT: String(port),
          GATEWAY_POSTGRES_URL: testPostgresUrl(),
          GATEWAY_SCHEMA: schema,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve));
        }
      });
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`gateway process exited early (${code})`)));
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      });
      return child;
    };
    let gatewayProcess = await startProcess();
    const { createRealtimePublisher } = await import('@herald/websocket');
    const worker = createHerald({
      store: new PostgresStore({ db: pool, schema }),
      channels: [createRealtimePublisher({ relay: createPostgresRelay({ db: pool, schema }) })],
      notifications: [ticketAssigned],
    });
    cleanups.push(() => worker.close());
    const users = Array.from({ length: 5 }, () => user('restart'));
    const clients = await Promise.all(users.map((userId) => connect(`ws://127.0.0.1:${port}/realtime`, userId)));
    let n = 0;
    const notifyAll = async (count: number) => {
      const reports = [];
      for (let index = 0; index < count; index++) {
        const result = await worker.notify(ticketAssigned, {
          to: users,
          payload: { ticketId: `T-${n}`, title: `update ${n++}` },
          channels: ['inApp'],
        });
        reports.push(await result.settled);
      }
      return reports;
    };
    await notifyAll(3);
    gatewayProcess.kill('SIGKILL');
    await new Promise((resolve) => gatewayProcess.once('exit', resolve));
    await waitUntil('every client to notice', () =>
      clients.every(({ client }) => client.getSnapshot().status === 'reconnecting'),
    );
    // The dead gateway's LISTEN session is gone: nobody holds these users' sockets, so the sends are queued.
    const whileDown = await notifyAll(3);
    expect(whileDown.every((report) => report.queued === users.length)).toBe(true);
    gatewayProcess = await startProcess();
    await waitUntil(
      'every client to reconnect',
      () => clients.every(({ client }) => client.getSnapshot().status === 'open'),
      {
        timeoutMs: 20_000,
      },
    );
    await notifyAll(3);
    await waitUntil('every item on every client', () => clients.every(({ shown }) => shown.length >= n), {
      timeoutMs: 20_000,
    });
    const expected = Array.from({ length: n }, (_, index) => index + 1);
    for (const { shown } of clients) expect(shown.map((item) => item.position)).toEqual(expected);
  }, 60_000);

  it('the LISTEN session comes back after the database restarts, and the gateway resyncs its sockets', async () => {
    const server = await startPostgresServer();
    cleanups.push(() => server.stop());
    const db = new pg.Pool({ connectionString: server.url, max: 4 });
    db.on('error', () => {});
    cleanups.push(() => db.end());
    await migrate(db, { schema });
    const gateway = await startGateway(db);
    const ann = user('ann');
    const watched = await connect(gateway.url, ann);
    // Written with no signal (a store write is not a publish): only the reconnect's resync can bring it to the
    // socket. Written before the crash, so the gateway's session cannot come back before it exists.
    const stored = await new PostgresStore({ db, schema }).insertInboxItems(items(ann, 1));
    // The throwaway server commits asynchronously: make what was written survive the crash.
    await db.query('CHECKPOINT');
    expect(watched.shown.some((item) => item.id === stored[0]!.id)).toBe(false);
    await server.kill();
    await server.restart();
    await waitUntil('the item after the reconnect', () => watched.shown.some((item) => item.id === stored[0]!.id), {
      timeoutMs: 20_000,
    });
  }, 60_000);
});
