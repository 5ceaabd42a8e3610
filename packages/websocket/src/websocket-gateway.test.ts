import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Authenticate, createHerald, DeliveryError, defineNotification, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { CloseCode, HERALD_SUBPROTOCOL } from './protocol';
import {
  authenticateTestToken,
  connectProtocolClient,
  insertItems,
  newItem,
  type ProtocolClient,
  rejectedUpgrade,
  startTestGateway,
  type TestGateway,
  waitUntil,
} from './test-support';
import { createWebSocketGateway, type WebSocketGatewaySettings } from './websocket-gateway';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  store: MemoryStore;
  herald: Herald;
  gateway: TestGateway;
  connect(userId: string, hello?: { lastPosition?: number } | false): Promise<ProtocolClient>;
}

async function setup(settings: Partial<WebSocketGatewaySettings> = {}): Promise<Setup> {
  const store = new MemoryStore();
  const gateway = await startTestGateway({ ...settings, store });
  const { herald } = gateway;
  cleanups.push(() => gateway.stop());
  return {
    store,
    herald,
    gateway,
    async connect(userId, hello = {}) {
      const client = await connectProtocolClient(gateway.url, { token: `user:${userId}` });
      cleanups.push(() => client.close());
      if (hello !== false) {
        client.send({ type: 'hello', ...hello });
        await client.next('welcome');
        await client.next('synced');
      }
      return client;
    },
  };
}

describe('upgrade', () => {
  it('refuses a missing or bad token in a shape browsers see: the socket opens and closes with 4001', async () => {
    const { gateway } = await setup();
    for (const headers of [{}, { authorization: 'Bearer nobody' }]) {
      const refused = await connectProtocolClient(gateway.url, { headers });
      expect(await refused.closed).toEqual({ code: CloseCode.UNAUTHORIZED, reason: 'unauthorized' });
      expect(refused.frames).toEqual([]);
    }
    expect(gateway.gateway.stats()).toMatchObject({ connections: 0, rejectedUpgrades: 2 });
  });

  it('accepts the token as a subprotocol, a cookie-free query parameter or a header', async () => {
    const { gateway } = await setup();
    const encoded = Buffer.from('user:ann').toString('base64url');
    const viaProtocol = await connectProtocolClient(gateway.url, {
      protocols: [HERALD_SUBPROTOCOL, `herald.auth.${encoded}`],
    });
    expect(viaProtocol.socket.protocol).toBe(HERALD_SUBPROTOCOL);
    viaProtocol.send({ type: 'hello' });
    expect(await viaProtocol.next('welcome')).toMatchObject({ userId: 'ann' });
    const viaQuery = await connectProtocolClient(`${gateway.url}?token=user:bob`);
    viaQuery.send({ type: 'hello' });
    expect(await viaQuery.next('welcome')).toMatchObject({ userId: 'bob' });
    await viaProtocol.close();
    await viaQuery.close();
  });

  it('answers 500 when authenticate throws, and keeps serving others', async () => {
    const { gateway } = await setup({
      authenticate: async (request) => {
        if (request.headers.get('authorization') === 'Bearer boom') throw new Error('auth backend down');
        return { userId: 'ann' };
      },
    });
    expect(await rejectedUpgrade(gateway.url, { headers: { authorization: 'Bearer boom' } })).toEqual({
      status: 500,
      opened: false,
    });
    const ok = await connectProtocolClient(gateway.url, { token: 'fine' });
    ok.send({ type: 'hello' });
    expect(await ok.next('welcome')).toMatchObject({ userId: 'ann' });
    await ok.close();
  });

  it('answers 403 for an origin outside the allow-list, and allows listed or absent origins', async () => {
    const { gateway } = await setup({ allowedOrigins: ['https://app.example.com'] });
    const headers = { authorization: 'Bearer user:ann' };
    expect(await rejectedUpgrade(gateway.url, { headers: { ...headers, origin: 'https://evil.example' } })).toEqual({
      status: 403,
      opened: false,
    });
    expect(await rejectedUpgrade(gateway.url, { headers: { ...headers, origin: 'https://app.example.com' } })).toEqual({
      status: 101,
      opened: true,
    });
    expect(await rejectedUpgrade(gateway.url, { headers })).toEqual({ status: 101, opened: true });
  });

  it('answers 400 when the client does not offer the herald.v1 subprotocol', async () => {
    const { gateway } = await setup();
    const headers = { authorization: 'Bearer user:ann' };
    expect(await rejectedUpgrade(gateway.url, { headers, protocols: ['herald.v0'] })).toEqual({
      status: 400,
      opened: false,
    });
  });

  it('runs a server of its own with `port`: 426 for plain requests, 404 off the path', async () => {
    const gateway = createWebSocketGateway({ port: 0, host: '127.0.0.1', authenticate: authenticateTestToken });
    const herald = createHerald({ store: new MemoryStore(), channels: [gateway.channel] });
    cleanups.push(() => herald.close());
    await gateway.ready;
    const port = gateway.address()!.port;
    const plain = await fetch(`http://127.0.0.1:${port}/realtime`);
    expect(plain.status).toBe(426);
    await plain.text();
    const headers = { authorization: 'Bearer user:ann' };
    expect(await rejectedUpgrade(`ws://127.0.0.1:${port}/elsewhere`, { headers })).toEqual({
      status: 404,
      opened: false,
    });
    const client = await connectProtocolClient(`ws://127.0.0.1:${port}/realtime?x=1`, { token: 'user:ann' });
    client.send({ type: 'hello' });
    expect(await client.next('welcome')).toMatchObject({ userId: 'ann' });
    await client.close();
  });

  it('closes a socket that never says hello with 4002', async () => {
    const { connect } = await setup({ helloTimeoutMs: 50 });
    const client = await connect('ann', false);
    expect((await client.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
  });
});

describe('authenticate', () => {
  it('gets the fetch-style view HTTP handlers get — headers and the absolute URL — plus the Node request', async () => {
    const seen: { url: string; cookie: string | null; remote: string | undefined }[] = [];
    const shared: Authenticate = (request) => {
      const userId = new URL(request.url).searchParams.get('as') ?? request.headers.get('x-user');
      return userId ? { userId } : null;
    };
    const { gateway } = await setup({
      authenticate: (request) => {
        seen.push({
          url: request.url,
          cookie: request.headers.get('Cookie'),
          remote: request.nodeRequest.socket.remoteAddress,
        });
        return shared(request);
      },
    });
    const viaQuery = await connectProtocolClient(`${gateway.url}?as=ann`, { headers: { cookie: 'a=1' } });
    viaQuery.send({ type: 'hello' });
    expect(await viaQuery.next('welcome')).toMatchObject({ userId: 'ann' });
    const viaHeader = await connectProtocolClient(gateway.url, { headers: { 'x-user': 'bob' } });
    viaHeader.send({ type: 'hello' });
    expect(await viaHeader.next('welcome')).toMatchObject({ userId: 'bob' });
    expect(seen[0]).toEqual({
      url: `${gateway.url.replace('ws:', 'http:')}?as=ann`,
      cookie: 'a=1',
      remote: '127.0.0.1',
    });
    await viaQuery.close();
    await viaHeader.close();
  });
});

describe('replay and live delivery', () => {
  it('replays everything undelivered on a first connect, in position order, then streams live items', async () => {
    const { store, herald, connect } = await setup();
    const items = await insertItems(store, 'ann', 4);
    await store.markDelivered('ann', [items[1]!.id], new Date().toISOString());
    const client = await connect('ann');
    const welcome = client.frames.find((frame) => frame.type === 'welcome');
    expect(welcome).toEqual({
      type: 'welcome',
      userId: 'ann',
      unread: { total: 4, unseen: 4, byType: { 'ticket.assigned': 4 } },
      lastPosition: 4,
      heartbeatMs: 30_000,
    });
    const replayed = [
      await client.next('notification'),
      await client.next('notification'),
      await client.next('notification'),
    ];
    expect(replayed.map((frame) => [frame.item.position, frame.replay])).toEqual([
      [1, true],
      [3, true],
      [4, true],
    ]);
    expect(client.frames.map((frame) => frame.type)).toEqual([
      'welcome',
      'notification',
      'notification',
      'notification',
      'synced',
    ]);
    expect(client.frames.at(-1)).toEqual({ type: 'synced', lastPosition: 4 });
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'live one' } });
    const live = await client.next('notification');
    expect(live.item).toMatchObject({ position: 5, body: 'live one', userId: 'ann' });
    expect(live.replay).toBeUndefined();
  });

  it('replays everything after the last position a client saw, delivered or not', async () => {
    const { store, connect } = await setup();
    const items = await insertItems(store, 'ann', 5);
    await store.markDelivered(
      'ann',
      items.map((item) => item.id),
      new Date().toISOString(),
    );
    const client = await connect('ann', { lastPosition: 2 });
    const positions: number[] = [];
    for (let index = 0; index < 3; index++) positions.push((await client.next('notification')).item.position);
    expect(positions).toEqual([3, 4, 5]);
  });

  it('treats a client ahead of the store as a first connect', async () => {
    const { store, connect } = await setup();
    await insertItems(store, 'ann', 2);
    const client = await connect('ann', { lastPosition: 99 });
    expect(client.frames[0]).toMatchObject({ type: 'welcome', lastPosition: 2 });
    expect((await client.next('notification')).item.position).toBe(1);
    expect((await client.next('notification')).item.position).toBe(2);
  });

  it('send() answers sent while a socket is open and queued when the user is offline', async () => {
    const { store, herald, connect } = await setup();
    const offline = await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'while away' } });
    expect((await offline.settled).queued).toBe(1);
    const client = await connect('ann');
    expect((await client.next('notification')).item.body).toBe('while away');
    const online = await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'now' } });
    expect((await online.settled).sent).toBe(1);
    expect((await client.next('notification', (frame) => frame.item.body === 'now')).item.position).toBe(2);
    expect(await store.lastPosition('ann')).toBe(2);
  });

  it('send() skips a request without a stored inbox item and throws a DeliveryError once aborted', async () => {
    const { gateway } = await setup();
    const request = {
      deliveryId: 'd1',
      notificationId: 'n1',
      type: 'ticket.assigned',
      recipient: { id: 'ann' },
      content: { title: 't', body: 'b' },
      attempt: 1,
      signal: new AbortController().signal,
    };
    expect(await gateway.gateway.channel.send(request)).toEqual({
      status: 'skipped',
      reason: 'No stored inbox item: the websocket channel announces inbox items',
    });
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const error = await gateway.gateway.channel
      .send({ ...request, signal: controller.signal })
      .catch((thrown) => thrown);
    expect(DeliveryError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('keeps users apart: one user never sees another user’s items or read state', async () => {
    const { herald, connect } = await setup();
    const ann = await connect('ann');
    const bob = await connect('bob');
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'for ann' } });
    const annItem = (await ann.next('notification')).item;
    await herald.inbox.markRead('ann', [annItem.id]);
    await ann.next('read');
    await herald.notify(ticketAssigned, { to: 'bob', payload: { title: 'for bob' } });
    expect((await bob.next('notification')).item.body).toBe('for bob');
    expect(bob.frames.map((frame) => frame.type)).toEqual(['welcome', 'synced', 'notification']);
  });
});

describe('acknowledgements and read state', () => {
  it('marks acknowledged items delivered in the store; first connects then skip them', async () => {
    const { store, connect } = await setup();
    const items = await insertItems(store, 'ann', 3);
    const client = await connect('ann');
    for (let index = 0; index < 3; index++) await client.next('notification');
    client.send({ type: 'ack', ids: items.map((item) => item.id), ref: 'a1' });
    await waitUntil(async () =>
      (
        await store.getInboxItems(
          'ann',
          items.map((item) => item.id),
        )
      ).every((item) => item.deliveredAt),
    );
    await client.close();
    const again = await connect('ann');
    client.send({ type: 'ping' });
    again.send({ type: 'ping', ref: 'p' });
    await again.next('pong');
    expect(again.frames.filter((frame) => frame.type === 'notification')).toHaveLength(0);
  });

  it('syncs read, unread and read-all across two connections of one user with exact counts', async () => {
    const { store, herald, connect } = await setup();
    const items = await insertItems(store, 'ann', 2);
    await insertItems(store, 'ann', 1, { type: 'comment.added' });
    const tabA = await connect('ann', { lastPosition: 3 });
    const tabB = await connect('ann', { lastPosition: 3 });

    tabA.send({ type: 'read', ids: [items[0]!.id] });
    for (const tab of [tabA, tabB]) {
      expect(await tab.next('read')).toEqual({ type: 'read', ids: [items[0]!.id] });
      expect(await tab.next('unread')).toEqual({
        type: 'unread',
        counts: { total: 2, unseen: 2, byType: { 'ticket.assigned': 1, 'comment.added': 1 } },
      });
    }

    tabB.send({ type: 'unread', ids: [items[0]!.id] });
    for (const tab of [tabA, tabB]) {
      expect(await tab.next('unreadItems')).toEqual({ type: 'unreadItems', ids: [items[0]!.id] });
      expect((await tab.next('unread')).counts.total).toBe(3);
    }

    tabA.send({ type: 'readAll', notificationType: 'ticket.assigned' });
    for (const tab of [tabA, tabB]) {
      expect(await tab.next('read')).toMatchObject({ all: true });
      const { counts } = await tab.next('unread');
      expect([counts.total, counts.byType['ticket.assigned'] ?? 0, counts.byType['comment.added']]).toEqual([1, 0, 1]);
    }
    const stored = await herald.inbox.unreadCount('ann');
    expect([stored.total, stored.byType['ticket.assigned'] ?? 0, stored.byType['comment.added']]).toEqual([1, 0, 1]);

    // A change made over HTTP (herald.inbox) reaches the sockets the same way.
    await herald.inbox.markAllRead('ann');
    for (const tab of [tabA, tabB]) expect((await tab.next('unread')).counts.total).toBe(0);
  });

  it('syncs tabs and pushes items handed to channel.send directly, reading through Herald only', async () => {
    const { store, gateway, connect } = await setup();
    const [item] = await insertItems(store, 'ann', 1);
    const tabA = await connect('ann', { lastPosition: 1 });
    const tabB = await connect('ann', { lastPosition: 1 });
    tabA.send({ type: 'read', ids: [item!.id] });
    expect(await tabB.next('read')).toEqual({ type: 'read', ids: [item!.id] });
    expect((await tabB.next('unread')).counts.total).toBe(0);
    const [live] = await insertItems(store, 'ann', 1);
    const result = await gateway.gateway.channel.send({
      deliveryId: 'd1',
      notificationId: live!.notificationId,
      type: live!.type,
      recipient: { id: 'ann' },
      content: { title: live!.title, body: live!.body },
      attempt: 1,
      signal: new AbortController().signal,
      inboxItem: live!,
    });
    expect(result.status).toBe('sent');
    expect((await tabA.next('notification')).item.id).toBe(live!.id);
  });

  it('answers 503 until its channel is registered with Herald, and serves once it is', async () => {
    const server = createServer();
    const gateway = createWebSocketGateway({ server, authenticate: authenticateTestToken });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/realtime`;
    cleanups.push(async () => {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const headers = { authorization: 'Bearer user:ann' };
    expect(await rejectedUpgrade(url, { headers })).toEqual({ status: 503, opened: false });
    const herald = createHerald({ store: new MemoryStore(), channels: [gateway.channel] });
    cleanups.push(() => herald.close());
    const client = await connectProtocolClient(url, { token: 'user:ann' });
    cleanups.push(() => client.close());
    client.send({ type: 'hello' });
    expect(await client.next('welcome')).toMatchObject({ userId: 'ann', lastPosition: 0 });
  });

  it('refuses a second Herald with a ConfigurationError, and keeps serving the first', async () => {
    const { gateway, herald, connect } = await setup();
    expect(() => createHerald({ store: new MemoryStore(), channels: [gateway.gateway.channel] })).toThrow(
      'The gateway is already attached to another Herald: create one gateway each',
    );
    const client = await connect('ann');
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'still the first' } });
    expect((await client.next('notification')).item.body).toBe('still the first');
  });
});

describe('bad frames', () => {
  it('answers each malformed frame with a precise error and changes nothing', async () => {
    const { store, connect } = await setup();
    const [item] = await insertItems(store, 'ann', 1);
    const client = await connect('ann', { lastPosition: 1 });
    const cases: [string, string, string][] = [
      ['{not json', 'MALFORMED_FRAME', 'Frame is not valid JSON'],
      ['[1,2]', 'MALFORMED_FRAME', 'Frame must be a JSON object'],
      ['{"type":"explode"}', 'UNKNOWN_TYPE', 'type: unknown frame type "explode"'],
      ['{"ids":["x"]}', 'UNKNOWN_TYPE', 'type: expected a string'],
      ['{"type":"read"}', 'INVALID_FRAME', 'ids: expected an array of strings'],
      ['{"type":"read","ids":[]}', 'INVALID_FRAME', 'ids: expected at least one id'],
      [
        '{"type":"ack","ids":["ok",7]}',
        'INVALID_FRAME',
        'ids.1: expected a non-empty string of at most 200 characters',
      ],
      [
        '{"type":"readAll","notificationType":5}',
        'INVALID_FRAME',
        'notificationType: expected a non-empty string of at most 200 characters',
      ],
      ['{"type":"ping","ref":{}}', 'INVALID_FRAME', 'ref: expected a string of at most 64 characters'],
      ['{"type":"hello"}', 'ALREADY_GREETED', 'hello was already received on this connection'],
    ];
    for (const [text, code, message] of cases) {
      client.sendText(text);
      expect(await client.next('error')).toEqual({ type: 'error', code, message });
    }
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next('error')).toMatchObject({
      code: 'MALFORMED_FRAME',
      message: 'Binary frames are not supported',
    });
    client.send({ type: 'read', ids: [...Array(101).keys()].map(String), ref: 'big' });
    expect(await client.next('error')).toEqual({
      type: 'error',
      code: 'INVALID_FRAME',
      message: 'ids: at most 100 per frame, got 101',
      ref: 'big',
    });
    expect((await store.getInboxItems('ann', [item!.id]))[0]?.readAt).toBeUndefined();
    client.send({ type: 'ping', ref: 'still-here' });
    expect(await client.next('pong')).toEqual({ type: 'pong', ref: 'still-here' });
  });

  it('requires hello before anything but ping', async () => {
    const { connect } = await setup();
    const client = await connect('ann', false);
    client.send({ type: 'read', ids: ['x'], ref: 'r' });
    expect(await client.next('error')).toEqual({
      type: 'error',
      code: 'HELLO_REQUIRED',
      message: 'Send hello before read',
      ref: 'r',
    });
  });

  it('writes the acks of many sockets through one bulk store call each turn, answering each frame on its own', async () => {
    const { store, herald, connect } = await setup();
    const bulk: number[] = [];
    let singles = 0;
    const markDeliveredMany = store.markDeliveredMany.bind(store);
    const markDelivered = store.markDelivered.bind(store);
    store.markDeliveredMany = (acks, at) => {
      bulk.push(acks.length);
      return markDeliveredMany(acks, at);
    };
    store.markDelivered = (userId, ids, at) => {
      singles += 1;
      return markDelivered(userId, ids, at);
    };
    const delivered: string[] = [];
    herald.on('inbox.delivered', (event) => delivered.push(...event.ids));
    const users = Array.from({ length: 8 }, (_, index) => `user-${index}`);
    const items = await Promise.all(users.map(async (userId) => (await insertItems(store, userId, 1))[0]!));
    const clients = await Promise.all(users.map((userId) => connect(userId)));
    const [strayItem] = await insertItems(store, 'stranger', 1);
    clients.forEach((client, index) => {
      // The first client also acks an item of another user: only its own frame hears about it.
      const ids = index === 0 ? [items[index]!.id, strayItem!.id] : [items[index]!.id];
      client.send({ type: 'ack', ids, ref: `ack-${index}` });
    });
    expect(await clients[0]!.next('error', (frame) => frame.ref === 'ack-0')).toMatchObject({
      code: 'NOT_FOUND',
      ids: [strayItem!.id],
    });
    await waitUntil(async () => delivered.length === users.length);
    expect([...delivered].sort()).toEqual(items.map((item) => item.id).sort());
    for (const [index, userId] of users.entries()) {
      expect((await store.getInboxItems(userId, [items[index]!.id]))[0]?.deliveredAt).toBeDefined();
    }
    expect((await store.getInboxItems('stranger', [strayItem!.id]))[0]?.deliveredAt).toBeUndefined();
    expect(singles).toBe(0);
    expect(bulk.reduce((sum, entries) => sum + entries, 0)).toBe(users.length);
    expect(clients.slice(1).every((client) => client.frames.every((frame) => frame.type !== 'error'))).toBe(true);
  });

  it('reports other users’ ids as not found and leaves their items alone', async () => {
    const { store, connect } = await setup();
    const [annItem] = await insertItems(store, 'ann', 1);
    const [bobItem] = await insertItems(store, 'bob', 1);
    const bob = await connect('bob', { lastPosition: 1 });
    const ann = await connect('ann', { lastPosition: 1 });
    for (const type of ['read', 'ack'] as const) {
      ann.send({ type, ids: [annItem!.id, bobItem!.id, 'no-such-id'], ref: type });
      expect(await ann.next('error', (frame) => frame.ref === type)).toEqual({
        type: 'error',
        code: 'NOT_FOUND',
        message: 'Not found for this user: 2 id(s)',
        ref: type,
        ids: [bobItem!.id, 'no-such-id'],
      });
    }
    const [bobStored] = await store.getInboxItems('bob', [bobItem!.id]);
    expect(bobStored?.readAt).toBeUndefined();
    expect(bobStored?.deliveredAt).toBeUndefined();
    expect(await store.unreadCount('bob')).toMatchObject({ total: 1 });
    expect((await store.getInboxItems('ann', [annItem!.id]))[0]?.readAt).toBeDefined();
    expect(bob.frames.map((frame) => frame.type)).toEqual(['welcome', 'synced']);
  });

  it('closes a socket sending an oversize frame with 1009; other sockets carry on', async () => {
    const { herald, connect } = await setup({ maxPayloadBytes: 1024 });
    const sameUser = await connect('ann');
    const otherUser = await connect('bob');
    const sender = await connect('ann');
    sender.send({ type: 'ping', ref: 'x'.repeat(2000) });
    expect((await sender.closed).code).toBe(1009);
    for (const bystander of [sameUser, otherUser]) {
      bystander.send({ type: 'ping' });
      expect(await bystander.next('pong')).toEqual({ type: 'pong' });
    }
    await herald.notify(ticketAssigned, { to: ['ann', 'bob'], payload: { title: 'still flowing' } });
    expect((await sameUser.next('notification')).item.body).toBe('still flowing');
    expect((await otherUser.next('notification')).item.body).toBe('still flowing');
  });

  it('rate-limits each connection: excess frames get RATE_LIMITED, sustained abuse closes with 4029', async () => {
    const { gateway, connect } = await setup({
      rateLimit: { burst: 5, framesPerSecond: 1, closeAfterRefusals: 20 },
    });
    const other = await connect('ann');
    const otherUser = await connect('bob');
    const abuser = await connect('ann'); // hello took one token
    for (let index = 0; index < 4; index++) abuser.send({ type: 'ping', ref: String(index) });
    for (let index = 0; index < 4; index++) await abuser.next('pong');
    abuser.send({ type: 'ping', ref: 'over' });
    expect(await abuser.next('error')).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'Too many frames; this one was dropped',
      ref: 'over',
    });
    for (let index = 0; index < 30; index++) abuser.send({ type: 'ping' });
    expect((await abuser.closed).code).toBe(CloseCode.RATE_LIMITED);
    expect(gateway.gateway.stats().rateLimitCloses).toBe(1);
    for (const bystander of [other, otherUser]) {
      bystander.send({ type: 'ping', ref: 'fine' });
      expect(await bystander.next('pong')).toEqual({ type: 'pong', ref: 'fine' });
    }
  });
});

describe('liveness and back-pressure', () => {
  it('terminates a peer that stops answering heartbeats', async () => {
    const { gateway } = await setup({ heartbeatMs: 50 });
    const silent = new WebSocket(gateway.url, [HERALD_SUBPROTOCOL], {
      headers: { authorization: 'Bearer user:ann' },
      autoPong: false,
    });
    const code = await new Promise<number>((resolve) => silent.on('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1006);
    expect(gateway.gateway.stats().heartbeatTerminations).toBe(1);
    await waitUntil(() => gateway.gateway.stats().connections === 0);
  });

  it('keeps a peer that answers heartbeats', async () => {
    const { gateway, connect } = await setup({ heartbeatMs: 30 });
    const client = await connect('ann');
    let pings = 0;
    client.socket.on('ping', () => {
      pings += 1;
    });
    await waitUntil(() => pings >= 4);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect(gateway.gateway.stats().heartbeatTerminations).toBe(0);
  });

  it('closes a slow consumer with 4008 at the buffer bound; it recovers everything by replay', async () => {
    const { store, gateway, connect } = await setup({ maxBufferedBytes: 64 * 1024 });
    const client = await connect('ann');
    client.socket.pause();
    const body = 'x'.repeat(8 * 1024);
    const sendOne = async (index: number) => {
      const [item] = await store.insertInboxItems([newItem('ann', { body })]);
      return gateway.gateway.channel.send({
        deliveryId: `d${index}`,
        notificationId: item!.notificationId,
        type: item!.type,
        recipient: { id: 'ann' },
        content: { title: item!.title, body },
        attempt: 1,
        signal: new AbortController().signal,
        inboxItem: item!,
      });
    };
    let sent = 0;
    // Loopback kernel buffers hold a few MiB; keep sending until the gateway gives up on the reader.
    while (gateway.gateway.stats().slowConsumerCloses === 0 && sent < 5_000) await sendOne(sent++);
    expect(gateway.gateway.stats().slowConsumerCloses).toBe(1);
    // The user now has no open connection: later items wait in the store.
    for (let index = 0; index < 5; index++) expect((await sendOne(sent++)).status).toBe('queued');
    client.socket.resume();
    expect((await client.closed).code).toBe(CloseCode.SLOW_CONSUMER);
    const first = client.frames.flatMap((frame) => (frame.type === 'notification' ? [frame.item.position] : []));
    expect(first.length).toBeLessThan(sent);
    expect(first).toEqual(Array.from({ length: first.length }, (_, index) => index + 1));

    const lastSeen = first.at(-1) ?? 0;
    const again = await connect('ann', { lastPosition: lastSeen });
    const positions: number[] = [];
    while (positions.length < sent - lastSeen) positions.push((await again.next('notification')).item.position);
    expect([...first, ...positions]).toEqual(Array.from({ length: sent }, (_, index) => index + 1));
  });

  it('closes every socket with 1001 when the gateway closes', async () => {
    const { gateway, connect } = await setup();
    const client = await connect('ann');
    await gateway.gateway.close();
    expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
  });
});
