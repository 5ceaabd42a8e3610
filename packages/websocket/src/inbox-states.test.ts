// Seen and archived over the socket: the frames, their answers to every tab of the user, the clients' snapshots,
// and a client that only knows the first version of the protocol.
import { defineNotification, type InboxItem } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createHeraldClient, type HeraldClient } from './client';
import { connectProtocolClient, startTestGateway, type TestGateway, waitUntil } from './test-support';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

/** Notifies the user `count` times through Herald (so the items go out live) and returns the items, oldest first. */
async function notifyItems(gateway: TestGateway, userId: string, count: number): Promise<InboxItem[]> {
  for (let index = 0; index < count; index++) {
    await (await gateway.herald.notify(ticketAssigned, { to: userId, payload: { title: `Ticket ${index}` } })).settled;
  }
  const page = await gateway.herald.inbox.list(userId, { limit: count });
  return page.items.reverse();
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ store: MemoryStore; gateway: TestGateway }> {
  const store = new MemoryStore();
  const gateway = await startTestGateway({ store });
  cleanups.push(() => gateway.stop());
  return { store, gateway };
}

function client(gateway: TestGateway, userId: string): HeraldClient {
  const created = createHeraldClient({
    url: gateway.url,
    token: `user:${userId}`,
    WebSocket,
    reconnect: { baseMs: 10, capMs: 50 },
  });
  cleanups.push(() => created.close());
  return created;
}

describe('seen and archived over the socket', () => {
  it('syncs seen, read and archive across two tabs of one user, with exact counts in both', async () => {
    const { store, gateway } = await setup();
    const tabA = client(gateway, 'ann');
    const tabB = client(gateway, 'ann');
    await waitUntil(() => tabA.getSnapshot().status === 'open' && tabB.getSnapshot().status === 'open');
    const [first, second] = await notifyItems(gateway, 'ann', 2);
    await waitUntil(() => tabA.getSnapshot().items.length === 2 && tabB.getSnapshot().items.length === 2);
    expect(tabB.getSnapshot().unseen).toBe(2);

    tabA.markAllSeen();
    await waitUntil(() => tabB.getSnapshot().unseen === 0);
    expect(tabB.getSnapshot().items.every((item) => item.seenAt !== undefined)).toBe(true);
    expect(tabB.getSnapshot().unread.total).toBe(2);

    tabB.markRead(first!.id);
    await waitUntil(() => tabA.getSnapshot().items.find((item) => item.id === first!.id)?.readAt !== undefined);

    tabA.archive(second!.id);
    await waitUntil(() => tabB.getSnapshot().items.length === 1);
    expect(tabB.getSnapshot().items[0]!.id).toBe(first!.id);
    await waitUntil(() => tabB.getSnapshot().unread.total === 0);

    tabB.unarchive(second!.id);
    await waitUntil(() => tabA.getSnapshot().items.length === 2 && tabB.getSnapshot().items.length === 2);
    await waitUntil(() => tabA.getSnapshot().unread.total === 1);

    tabA.archiveAllRead();
    await waitUntil(() => tabB.getSnapshot().items.length === 1);
    expect(tabB.getSnapshot().items[0]!.id).toBe(second!.id);
    expect(await store.unreadCount('ann')).toEqual({ total: 1, unseen: 0, byType: { 'ticket.assigned': 1 } });
    expect(tabA.getSnapshot().unread).toEqual({ total: 1, unseen: 0, byType: { 'ticket.assigned': 1 } });
  });

  it('leaves items that arrived after the tab’s position out of its seen-all and read-all', async () => {
    const { store, gateway } = await setup();
    const tab = client(gateway, 'ann');
    await waitUntil(() => tab.getSnapshot().status === 'open');
    await notifyItems(gateway, 'ann', 2);
    await waitUntil(() => tab.getSnapshot().lastPosition === 2);
    // Written behind the gateway's back: the tab has not received it when it asks.
    await store.insertInboxItems([
      {
        id: 'late',
        userId: 'ann',
        notificationId: 'n-late',
        type: 'ticket.assigned',
        title: 'Late',
        body: '',
        createdAt: new Date().toISOString(),
      },
    ]);
    tab.markAllSeen();
    tab.markAllRead();
    await waitUntil(async () => (await store.unreadCount('ann')).total === 1);
    const [late] = await store.getInboxItems('ann', ['late']);
    expect(late!.seenAt).toBeUndefined();
    expect(late!.readAt).toBeUndefined();
    expect(await store.unreadCount('ann')).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
  });

  it('answers the new frames with precise errors, and reports ids that are not the user’s', async () => {
    const { store, gateway } = await setup();
    const [bens] = await notifyItems(gateway, 'ben', 1);
    const raw = await connectProtocolClient(gateway.url, { token: 'user:ann' });
    cleanups.push(() => raw.close());
    raw.send({ type: 'hello' });
    await raw.next('synced');
    raw.send({ type: 'seenAll', upToPosition: -1, ref: 'a' });
    expect(await raw.next('error', (frame) => frame.ref === 'a')).toMatchObject({
      code: 'INVALID_FRAME',
      message: 'upToPosition: expected a non-negative integer',
    });
    raw.send({ type: 'archive', ids: [], ref: 'b' });
    expect(await raw.next('error', (frame) => frame.ref === 'b')).toMatchObject({
      code: 'INVALID_FRAME',
      message: 'ids: expected at least one id',
    });
    raw.send({ type: 'archiveAllRead', notificationType: '', ref: 'c' });
    expect(await raw.next('error', (frame) => frame.ref === 'c')).toMatchObject({ code: 'INVALID_FRAME' });
    raw.send({ type: 'seen', ids: [bens!.id], ref: 'd' });
    expect(await raw.next('error', (frame) => frame.ref === 'd')).toMatchObject({
      code: 'NOT_FOUND',
      ids: [bens!.id],
    });
    const [stored] = await store.getInboxItems('ben', [bens!.id]);
    expect(stored!.seenAt).toBeUndefined();
  });

  it('keeps a first-version client working: it reads, counts and ignores the frames it does not know', async () => {
    const { store, gateway } = await setup();
    const modern = client(gateway, 'ann');
    await waitUntil(() => modern.getSnapshot().status === 'open');
    // A client of protocol v1 as first released: hello, read, and the v1 frames only.
    const old = await connectProtocolClient(gateway.url, { token: 'user:ann' });
    cleanups.push(() => old.close());
    old.send({ type: 'hello' });
    const welcome = await old.next('welcome');
    expect(welcome.unread.total).toBe(0);
    await old.next('synced');
    const [item] = await notifyItems(gateway, 'ann', 1);
    expect((await old.next('notification')).item.id).toBe(item!.id);
    modern.markAllSeen();
    modern.archive(item!.id);
    // The v1 fields of the counts are all there; `unseen` rides along.
    const counts = await old.next('unread', (frame) => frame.counts.total === 0);
    expect(counts.counts.byType).toEqual({});
    // Unarchive it (from the modern tab), then read it from the old one.
    modern.unarchive(item!.id);
    await waitUntil(async () => (await store.getInboxItems('ann', [item!.id]))[0]?.archivedAt === undefined);
    old.send({ type: 'read', ids: [item!.id] });
    await old.next('read', (frame) => frame.ids.includes(item!.id));
    expect((await store.getInboxItems('ann', [item!.id]))[0]?.readAt).toBeDefined();
    old.send({ type: 'readAll' });
    old.send({ type: 'ping', ref: 'still-here' });
    expect(await old.next('pong')).toEqual({ type: 'pong', ref: 'still-here' });
    expect(old.frames.filter((frame) => frame.type === 'error')).toEqual([]);
  });
});
