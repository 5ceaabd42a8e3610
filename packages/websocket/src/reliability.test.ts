// Reliability under churn: clients cut at random while items stream, and a slow reader cut at the buffer bound.
// Every client must end up showing every item of its user exactly once.

import { defineNotification, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createHeraldClient, type HeraldClient } from './client';
import { startTestGateway, type TestGateway, waitUntil } from './test-support';

const CLIENTS = Number(process.env.HERALD_JITTER_CLIENTS ?? 300);

const update = defineNotification({
  type: 'ticket.updated',
  schema: z.object({ n: z.number(), padding: z.string().optional() }),
  channels: { inApp: ({ payload }) => ({ title: `update ${payload.n}`, body: payload.padding ?? '' }) },
});

const cleanups: (() => Promise<void> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Tracked {
  client: HeraldClient;
  sockets: WebSocket[];
  shown: string[];
  /** Error frames from the gateway (connection losses are not counted). */
  refusals: string[];
}

function trackedClient(url: string, userId: string): Tracked {
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  const client = createHeraldClient({
    url,
    token: `user:${userId}`,
    WebSocket: TrackedWebSocket,
    reconnect: { baseMs: 20, capMs: 200 },
    maxItems: 1_000,
  });
  const shown: string[] = [];
  client.on('notification', ({ item }) => shown.push(item.id));
  const refusals: string[] = [];
  client.on('error', ({ code }) => {
    if (code !== 'CONNECTION') refusals.push(code);
  });
  cleanups.push(async () => client.close());
  return { client, sockets, shown, refusals };
}

async function setup(
  settings: { maxBufferedBytes?: number } = {},
): Promise<{ store: MemoryStore; herald: Herald; gateway: TestGateway }> {
  const store = new MemoryStore();
  // Default rate limits: a busy stream's acks must fit in them.
  const gateway = await startTestGateway({ ...settings, store });
  cleanups.push(() => gateway.stop());
  return { store, herald: gateway.herald, gateway };
}

describe('reliability', () => {
  it(`shows every item exactly once on each of ${CLIENTS} clients cut at random while items stream`, async () => {
    const { store, herald, gateway } = await setup();
    const users = Array.from({ length: CLIENTS / 2 }, (_, index) => `user-${index}`);
    // Two tabs per user.
    const clients = users.flatMap((userId) => [trackedClient(gateway.url, userId), trackedClient(gateway.url, userId)]);
    await waitUntil(() => clients.every((tracked) => tracked.client.getSnapshot().status === 'open'), 20_000);

    let cuts = 0;
    let streaming = true;
    const chaos = (async () => {
      while (streaming) {
        for (let index = 0; index < Math.ceil(CLIENTS / 100); index++) {
          const victim = clients[Math.floor(Math.random() * clients.length)]!;
          const socket = victim.sockets.at(-1);
          if (socket?.readyState !== WebSocket.OPEN) continue;
          // Half the cuts are abrupt (no close frame), half are clean closes from the client side.
          if (Math.random() < 0.5) socket.terminate();
          else socket.close(4000, 'chaos');
          cuts += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    // Stream until every client has been cut about once on average (and at least 20 items went out).
    let rounds = 0;
    while (rounds < 20 || cuts < CLIENTS) {
      await herald.notify(update, { to: users, payload: { n: rounds++ } });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    streaming = false;
    await chaos;
    if (process.env.HERALD_TEST_VERBOSE) process.stdout.write(`jitter: ${rounds} rounds, ${cuts} cuts\n`);

    await waitUntil(() => clients.every((tracked) => tracked.shown.length >= rounds), 25_000);
    // Let stragglers (replays racing live sends) land, then look for anything shown twice.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const [index, tracked] of clients.entries()) {
      const userId = users[Math.floor(index / 2)]!;
      const stored = await store.listInboxAfter(userId, 0, 1_000);
      expect(tracked.shown).toHaveLength(rounds);
      expect(new Set(tracked.shown)).toEqual(new Set(stored.map((item) => item.id)));
    }
    expect(cuts).toBeGreaterThanOrEqual(CLIENTS);
    expect(clients.flatMap((tracked) => tracked.refusals)).toEqual([]);
    await waitUntil(async () => {
      for (const userId of users) if ((await herald.inbox.undelivered(userId)).length > 0) return false;
      return true;
    });
  }, 60_000);

  it('cuts a slow reader at the buffer bound; the client reconnects and recovers every item once', async () => {
    const { store, herald, gateway } = await setup({ maxBufferedBytes: 64 * 1024 });
    const reader = trackedClient(gateway.url, 'ann');
    await waitUntil(() => reader.client.getSnapshot().status === 'open');
    const socket = reader.sockets.at(-1)!;
    socket.pause();
    const padding = 'x'.repeat(8 * 1024);
    let sent = 0;
    while (gateway.gateway.stats().slowConsumerCloses === 0 && sent < 5_000) {
      await herald.notify(update, { to: 'ann', payload: { n: sent++, padding } });
    }
    expect(gateway.gateway.stats().slowConsumerCloses).toBe(1);
    for (let index = 0; index < 3; index++) await herald.notify(update, { to: 'ann', payload: { n: sent++, padding } });
    socket.resume();
    await waitUntil(() => reader.shown.length === sent, 20_000);
    expect(reader.sockets.length).toBeGreaterThan(1);
    expect(new Set(reader.shown).size).toBe(sent);
    const stored = await store.listInboxAfter('ann', 0, 10_000);
    expect(reader.shown).toEqual(stored.map((item) => item.id));
    await waitUntil(async () => (await herald.inbox.undelivered('ann')).length === 0);
  }, 60_000);
});
