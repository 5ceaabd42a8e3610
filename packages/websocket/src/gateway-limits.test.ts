// The gateway against abuse: foreign origins, too many sockets, readers that never read, items too large to
// send, and binary floods. Each case is a real `ws` peer behaving badly.

import { ConfigurationError, defineNotification } from '@herald/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createHeraldClient, type HeraldClient } from './client';
import { CloseCode, HERALD_SUBPROTOCOL } from './protocol';
import {
  connectProtocolClient,
  insertItems,
  type ProtocolClient,
  rejectedUpgrade,
  startTestGateway,
  type TestGateway,
  waitUntil,
} from './test-support';
import { tokenFromCookie } from './token-extraction';
import { createWebSocketGateway, type WebSocketGatewaySettings } from './websocket-gateway';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string(), body: z.string().optional() }),
  channels: { inApp: ({ payload }) => ({ title: payload.title, body: payload.body ?? '' }) },
});

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(settings: Partial<WebSocketGatewaySettings> = {}): Promise<TestGateway> {
  const gateway = await startTestGateway(settings);
  cleanups.push(() => gateway.stop());
  return gateway;
}

async function connect(url: string, userId: string): Promise<ProtocolClient> {
  const client = await connectProtocolClient(url, { token: `user:${userId}` });
  cleanups.push(() => client.close());
  return client;
}

describe('settings', () => {
  it('refuses limits that are not positive integers with a ConfigurationError naming the setting', () => {
    const cases: [Partial<WebSocketGatewaySettings>, string][] = [
      [{ maxConnectionsPerUser: 0 }, 'maxConnectionsPerUser: expected a positive integer, got 0'],
      [{ maxConnections: 1.5 }, 'maxConnections: expected a positive integer, got 1.5'],
      [{ drainTimeoutMs: -1 }, 'drainTimeoutMs: expected a positive integer, got -1'],
      [{ maxBufferedBytes: Number.NaN }, 'maxBufferedBytes: expected a positive integer, got NaN'],
      [
        { namespace: 'herald:realtime:' },
        'createWebSocketGateway namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got "herald:realtime:".',
      ],
      [
        { redisPrefix: 'herald:realtime:' } as Partial<WebSocketGatewaySettings>,
        'createWebSocketGateway has no `redisPrefix` setting any more: give it `namespace` (default "herald"), the one name the store, the runner, the gateway and the publisher share.',
      ],
    ];
    for (const [settings, message] of cases) {
      let thrown: unknown;
      try {
        createWebSocketGateway({ authenticate: () => null, ...settings });
      } catch (error) {
        thrown = error;
      }
      expect(ConfigurationError.is(thrown)).toBe(true);
      expect((thrown as Error).message).toBe(message);
    }
    expect(() => createWebSocketGateway({} as WebSocketGatewaySettings)).toThrow(
      'authenticate: expected a function (request) => { userId } | null',
    );
  });
});

describe('origin', () => {
  it('refuses a foreign page by default (cookie auth would let it read the victim’s inbox); same origin passes', async () => {
    const gateway = await setup({
      authenticate: (request) => {
        const session = tokenFromCookie(request, 'session');
        return session?.startsWith('user:') ? { userId: session.slice(5) } : null;
      },
    });
    const cookie = 'session=user:victim';
    const host = `127.0.0.1:${gateway.port}`;
    expect(await rejectedUpgrade(gateway.url, { headers: { cookie, origin: 'https://evil.example' } })).toEqual({
      status: 403,
      opened: false,
    });
    expect(await rejectedUpgrade(gateway.url, { headers: { cookie, origin: 'null' } })).toEqual({
      status: 403,
      opened: false,
    });
    expect(await rejectedUpgrade(gateway.url, { headers: { cookie, origin: `http://${host}` } })).toEqual({
      status: 101,
      opened: true,
    });
    // Browsers always send Origin on a WebSocket handshake: without one it is not a page, and not this attack.
    expect(await rejectedUpgrade(gateway.url, { headers: { cookie } })).toEqual({ status: 101, opened: true });
  });

  it('lets `allowedOrigins` name other origins, or any with a function', async () => {
    const listed = await setup({ allowedOrigins: ['https://app.example.com'] });
    const headers = { authorization: 'Bearer user:ann' };
    expect(await rejectedUpgrade(listed.url, { headers: { ...headers, origin: 'https://app.example.com' } })).toEqual({
      status: 101,
      opened: true,
    });
    const host = `http://127.0.0.1:${listed.port}`;
    expect(await rejectedUpgrade(listed.url, { headers: { ...headers, origin: host } })).toEqual({
      status: 403,
      opened: false,
    });
    const any = await setup({ allowedOrigins: () => true });
    expect(await rejectedUpgrade(any.url, { headers: { ...headers, origin: 'https://elsewhere.example' } })).toEqual({
      status: 101,
      opened: true,
    });
  });
});

describe('connection limits', () => {
  it('closes a user’s socket past maxConnectionsPerUser with 4009; other users and freed slots still connect', async () => {
    const gateway = await setup({ maxConnectionsPerUser: 3 });
    const tabs = [];
    for (let index = 0; index < 3; index++) tabs.push(await connect(gateway.url, 'ann'));
    const fourth = await connect(gateway.url, 'ann');
    expect(await fourth.closed).toEqual({ code: CloseCode.TOO_MANY_CONNECTIONS, reason: 'too many connections' });
    const bob = await connect(gateway.url, 'bob');
    bob.send({ type: 'hello' });
    expect(await bob.next('welcome')).toMatchObject({ userId: 'bob' });
    await tabs[0]!.close();
    await waitUntil(() => gateway.gateway.stats().connections === 3);
    const again = await connect(gateway.url, 'ann');
    again.send({ type: 'hello' });
    expect(await again.next('welcome')).toMatchObject({ userId: 'ann' });
  });

  it('holds a default per-user limit of 32: the sockets past it are closed with 4009', async () => {
    const gateway = await setup();
    const sockets: ProtocolClient[] = [];
    for (let index = 0; index < 40; index++) sockets.push(await connect(gateway.url, 'ann'));
    const refused: number[] = [];
    for (const socket of sockets) void socket.closed.then(({ code }) => refused.push(code));
    await waitUntil(() => refused.length === 8);
    expect(refused).toEqual(Array(8).fill(CloseCode.TOO_MANY_CONNECTIONS));
    expect(gateway.gateway.stats().connections).toBe(32);
  });

  it('answers 503 past maxConnections, before calling authenticate', async () => {
    let authenticated = 0;
    const gateway = await setup({
      maxConnections: 2,
      authenticate: () => {
        authenticated += 1;
        return { userId: `user-${authenticated}` };
      },
    });
    await connect(gateway.url, 'a');
    await connect(gateway.url, 'b');
    expect(await rejectedUpgrade(gateway.url)).toEqual({ status: 503, opened: false });
    expect(authenticated).toBe(2);
  });
});

describe('readers that never read', () => {
  it('closes a replaying socket whose peer never reads but keeps answering heartbeats, at drainTimeoutMs', async () => {
    const gateway = await setup({ maxBufferedBytes: 64 * 1024, heartbeatMs: 50, drainTimeoutMs: 300 });
    await insertItems(gateway.store, 'ann', 2_000, { body: 'x'.repeat(8 * 1024) });
    const socket = new WebSocket(gateway.url, [HERALD_SUBPROTOCOL], { headers: { authorization: 'Bearer user:ann' } });
    cleanups.push(async () => socket.terminate());
    await new Promise((resolve) => socket.once('open', resolve));
    socket.pause(); // never reads another byte…
    socket.send(JSON.stringify({ type: 'hello', lastPosition: 0 }));
    // …but sends pongs of its own, so the heartbeat always finds it alive.
    const pongs = setInterval(() => socket.pong(), 10);
    cleanups.push(async () => clearInterval(pongs));
    await waitUntil(() => gateway.gateway.stats().slowConsumerCloses === 1);
    await waitUntil(() => gateway.gateway.stats().connections === 0);
    expect(gateway.gateway.stats().heartbeatTerminations).toBe(0);
  });
});

describe('items too large to send', () => {
  it('skips an item larger than half of maxBufferedBytes with an error frame; later items flow', async () => {
    const gateway = await setup({ maxBufferedBytes: 256 * 1024 });
    const { herald } = gateway;
    const client: HeraldClient = createHeraldClient({ url: gateway.url, token: 'user:ann', WebSocket });
    cleanups.push(async () => client.close());
    const errors: { code: string; ids?: string[] }[] = [];
    client.on('error', (error) => errors.push(error));
    await waitUntil(() => client.getSnapshot().status === 'open');

    const big = await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'big', body: 'x'.repeat(4e6) } });
    const small = await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'small' } });
    expect(await big.settled).toMatchObject({ skipped: 1 });
    await waitUntil(() => client.getSnapshot().items.length === 1);
    expect(client.getSnapshot().items[0]?.title).toBe('small');
    expect((await small.settled).sent).toBe(1);
    const [bigItem] = (await herald.inbox.list('ann', { limit: 2 })).items.filter((item) => item.title === 'big');
    expect(errors).toEqual([expect.objectContaining({ code: 'ITEM_TOO_LARGE', ids: [bigItem!.id] })]);
    // The client moved past it and counts it: it is in the inbox, unread, served by the HTTP API.
    await waitUntil(() => client.getSnapshot().unread.total === 2);
    expect(client.getSnapshot().lastPosition).toBe(2);
    expect(gateway.gateway.stats().slowConsumerCloses).toBe(0);
  });

  it('skips it on replay too, so a reconnecting client is never stuck behind it', async () => {
    const gateway = await setup({ maxBufferedBytes: 256 * 1024 });
    await insertItems(gateway.store, 'ann', 1, { body: 'x'.repeat(4e6) });
    await insertItems(gateway.store, 'ann', 1, { title: 'after' });
    const client = await connect(gateway.url, 'ann');
    client.send({ type: 'hello', lastPosition: 0 });
    expect(await client.next('error')).toMatchObject({
      code: 'ITEM_TOO_LARGE',
      position: 1,
      notificationType: 'ticket.assigned',
    });
    expect((await client.next('notification')).item).toMatchObject({ position: 2, title: 'after' });
    expect(await client.next('synced')).toEqual({ type: 'synced', lastPosition: 2 });
  });
});

describe('binary frames', () => {
  it('counts binary frames against the rate limit: a binary flood is closed with 4029', async () => {
    const gateway = await setup({ rateLimit: { burst: 5, framesPerSecond: 1, closeAfterRefusals: 20 } });
    const client = await connect(gateway.url, 'ann');
    client.send({ type: 'hello' });
    await client.next('welcome');
    for (let index = 0; index < 40; index++) client.socket.send(Buffer.from([index]), { binary: true });
    expect((await client.closed).code).toBe(CloseCode.RATE_LIMITED);
    expect(client.frames.some((frame) => frame.type === 'error' && frame.code === 'RATE_LIMITED')).toBe(true);
    expect(gateway.gateway.stats().rateLimitCloses).toBe(1);
  });
});
