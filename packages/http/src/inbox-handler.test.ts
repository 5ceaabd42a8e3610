import type { Authenticate, HeraldEvents, InboxItem } from '@herald/core';
import { StoreError } from '@herald/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInboxHandler } from './inbox-handler';
import { type InboxTestServer, startInboxServer, ticketAssigned } from './inbox-server.fixture';

let server: InboxTestServer;

beforeEach(async () => {
  server = await startInboxServer();
});

afterEach(async () => {
  await server.close();
});

async function errorOf(response: Response): Promise<{ code: string; message: string; issues?: { path: string }[] }> {
  const body = (await response.json()) as { error: { code: string; message: string; issues?: { path: string }[] } };
  return body.error;
}

/** What every write declares, with or without a body (the API's CSRF rule). */
const asJson = { 'content-type': 'application/json' };

/** A bodyless write by a signed-in user. */
function write(method: 'POST' | 'DELETE', user = 'alice'): RequestInit & { user: string } {
  return { method, user, headers: asJson };
}

function issuePaths(error: { issues?: { path: string }[] }): string[] {
  return (error.issues ?? []).map((issue) => issue.path).sort();
}

describe('GET /notifications', () => {
  it('lists the caller’s items newest first, and only theirs', async () => {
    const items = await server.seed('alice', 3);
    await server.seed('bob', 2);
    const response = await server.api('/notifications', { user: 'alice' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { items: InboxItem[]; nextCursor?: string };
    expect(body.items.map((item) => item.id)).toEqual(items.map((item) => item.id));
    expect(body.items.every((item) => item.userId === 'alice')).toBe(true);
    expect(body.items.map((item) => item.body)).toEqual(['comment 2', 'comment 1', 'comment 0']);
    expect(body).not.toHaveProperty('nextCursor');
  });

  it('pages through every item with limit and cursor', async () => {
    const items = await server.seed('alice', 7);
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const query = cursor === undefined ? '?limit=3' : `?limit=3&cursor=${encodeURIComponent(cursor)}`;
      const response = await server.api(`/notifications${query}`, { user: 'alice' });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: InboxItem[]; nextCursor?: string };
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(items.map((item) => item.id));
  });

  it('filters by status and type', async () => {
    const comments = await server.seed('alice', 2);
    const tickets = (await server.seed('alice', 2, ticketAssigned)).filter((item) => item.type === 'ticket.assigned');
    const firstComment = comments[0] as InboxItem;
    await server.herald.inbox.markRead('alice', [firstComment.id]);

    const read = (await (await server.api('/notifications?status=read', { user: 'alice' })).json()) as {
      items: InboxItem[];
    };
    expect(read.items.map((item) => item.id)).toEqual([firstComment.id]);

    const unread = (await (await server.api('/notifications?status=unread', { user: 'alice' })).json()) as {
      items: InboxItem[];
    };
    expect(unread.items).toHaveLength(3);
    expect(unread.items.some((item) => item.id === firstComment.id)).toBe(false);

    const undelivered = (await (await server.api('/notifications?status=undelivered', { user: 'alice' })).json()) as {
      items: InboxItem[];
    };
    expect(undelivered.items).toHaveLength(4);

    const byType = (await (await server.api('/notifications?type=ticket.assigned', { user: 'alice' })).json()) as {
      items: InboxItem[];
    };
    expect(byType.items.map((item) => item.id)).toEqual(tickets.map((item) => item.id));
  });

  it('ignores query parameters it does not know', async () => {
    await server.seed('alice', 1);
    const response = await server.api('/notifications?_=12345', { user: 'alice' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { items: InboxItem[] }).items).toHaveLength(1);
  });

  it.each([
    ['status=archived', ['status']],
    ['limit=0', ['limit']],
    ['limit=101', ['limit']],
    ['limit=abc', ['limit']],
    ['limit=2.5', ['limit']],
    ['limit=3&limit=4', ['limit']],
    ['type=', ['type']],
    ['cursor=', ['cursor']],
    ['status=nope&limit=-1', ['limit', 'status']],
    // Refused by Herald itself: a cursor it never issued.
    ['cursor=garbage', ['cursor']],
  ])('rejects ?%s with 400 VALIDATION naming %j', async (query, paths) => {
    const response = await server.api(`/notifications?${query}`, { user: 'alice' });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(paths);
  });
});

describe('GET /notifications/unread-count', () => {
  it('counts unread items in total and by type', async () => {
    await server.seed('alice', 3);
    await server.seed('alice', 2, ticketAssigned);
    await server.seed('bob', 4);
    const response = await server.api('/notifications/unread-count', { user: 'alice' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      total: 5,
      unseen: 5,
      byType: { 'comment.added': 3, 'ticket.assigned': 2 },
    });
  });
});

describe('POST /notifications/:id/read and /unread', () => {
  it('marks one item read and unread, reporting whether it changed and the new counts', async () => {
    const [newest, older] = (await server.seed('alice', 2)) as [InboxItem, InboxItem];

    const first = await server.api(`/notifications/${newest.id}/read`, write('POST'));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      id: newest.id,
      changed: true,
      unread: { total: 1, unseen: 1, byType: { 'comment.added': 1 } },
    });

    const again = await server.api(`/notifications/${newest.id}/read`, write('POST'));
    expect(await again.json()).toEqual({
      id: newest.id,
      changed: false,
      unread: { total: 1, unseen: 1, byType: { 'comment.added': 1 } },
    });

    const [stored] = await server.herald.inbox.get('alice', [newest.id]);
    expect(stored?.readAt).toBeDefined();
    const [untouched] = await server.herald.inbox.get('alice', [older.id]);
    expect(untouched?.readAt).toBeUndefined();

    const unread = await server.api(`/notifications/${newest.id}/unread`, write('POST'));
    expect(await unread.json()).toEqual({
      id: newest.id,
      changed: true,
      // Unread again, but it stays seen.
      unread: { total: 2, unseen: 1, byType: { 'comment.added': 2 } },
    });
    const unreadAgain = await server.api(`/notifications/${newest.id}/unread`, write('POST'));
    expect(((await unreadAgain.json()) as { changed: boolean }).changed).toBe(false);
  });

  it('answers 404 for another user’s item, exactly as for an unknown id, and changes nothing', async () => {
    const [bobsItem] = (await server.seed('bob', 1)) as [InboxItem];
    await server.seed('alice', 1);

    const foreign = await server.api(`/notifications/${bobsItem.id}/read`, write('POST'));
    const unknown = await server.api('/notifications/no-such-id/read', write('POST'));
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const foreignError = await errorOf(foreign);
    expect(foreignError).toEqual({ code: 'NOT_FOUND', message: 'No such notification' });
    expect(await errorOf(unknown)).toEqual(foreignError);

    const [stillUnread] = await server.herald.inbox.get('bob', [bobsItem.id]);
    expect(stillUnread?.readAt).toBeUndefined();
    expect((await server.herald.inbox.unreadCount('bob')).total).toBe(1);
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(1);

    // Marking unread is held to the same rule.
    await server.herald.inbox.markRead('bob', [bobsItem.id]);
    const foreignUnread = await server.api(`/notifications/${bobsItem.id}/unread`, write('POST'));
    expect(foreignUnread.status).toBe(404);
    expect((await server.herald.inbox.unreadCount('bob')).total).toBe(0);
  });

  it('decodes percent-encoded ids', async () => {
    const [item] = (await server.seed('alice', 1)) as [InboxItem];
    const response = await server.api(`/notifications/${encodeURIComponent(item.id)}/read`, {
      method: 'POST',
      user: 'alice',
      headers: asJson,
    });
    expect(response.status).toBe(200);
  });

  it('emits herald’s inbox.read event for a read over HTTP (what the WebSocket gateway relays)', async () => {
    const [item] = (await server.seed('alice', 2)) as [InboxItem];
    const events: HeraldEvents['inbox.read'][] = [];
    server.herald.on('inbox.read', (event) => events.push(event));

    const response = await server.api(`/notifications/${item.id}/read`, write('POST'));
    expect(response.status).toBe(200);
    expect(events).toEqual([
      { userId: 'alice', ids: [item.id], all: false, unread: { total: 1, unseen: 1, byType: { 'comment.added': 1 } } },
    ]);

    const readAll = await server.api('/notifications/read-all', write('POST'));
    expect(readAll.status).toBe(200);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ userId: 'alice', all: true, unread: { total: 0 } });
  });

  it('emits inbox.unread for an unread over HTTP', async () => {
    const [item] = (await server.seed('alice', 1)) as [InboxItem];
    await server.herald.inbox.markRead('alice', [item.id]);
    const events: HeraldEvents['inbox.unread'][] = [];
    server.herald.on('inbox.unread', (event) => events.push(event));
    await server.api(`/notifications/${item.id}/unread`, write('POST'));
    expect(events).toEqual([
      { userId: 'alice', ids: [item.id], unread: { total: 1, unseen: 0, byType: { 'comment.added': 1 } } },
    ]);
  });
});

describe('POST /notifications/read-all', () => {
  it('marks everything read without a body', async () => {
    await server.seed('alice', 3);
    await server.seed('bob', 2);
    const response = await server.api('/notifications/read-all', write('POST'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ changed: 3, unread: { total: 0, unseen: 0, byType: {} } });
    expect((await server.herald.inbox.unreadCount('bob')).total).toBe(2);
  });

  it('marks only one type read with { type }', async () => {
    await server.seed('alice', 2);
    await server.seed('alice', 3, ticketAssigned);
    const response = await server.api('/notifications/read-all', {
      method: 'POST',
      user: 'alice',
      json: { type: 'ticket.assigned' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      changed: 3,
      unread: { total: 2, unseen: 2, byType: { 'comment.added': 2 } },
    });
  });

  it('accepts an empty JSON object', async () => {
    await server.seed('alice', 1);
    const response = await server.api('/notifications/read-all', { method: 'POST', user: 'alice', json: {} });
    expect(await response.json()).toEqual({ changed: 1, unread: { total: 0, unseen: 0, byType: {} } });
  });

  it.each([
    [{ type: 5 }, ['type']],
    [{ type: '' }, ['type']],
    [{ kind: 'x' }, ['kind']],
    [[], ['']],
  ])('rejects body %j with 400 VALIDATION naming %j, marking nothing', async (json, paths) => {
    await server.seed('alice', 2);
    const response = await server.api('/notifications/read-all', { method: 'POST', user: 'alice', json });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(paths);
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(2);
  });

  it('rejects a non-JSON body with 415, marking nothing', async () => {
    await server.seed('alice', 2);
    const response = await server.api('/notifications/read-all', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'text/plain' },
      body: 'type=comment.added',
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(2);
  });
});

describe('seen and archive', () => {
  it('marks one item seen, archives and unarchives it, answering the counts; another user’s id is 404', async () => {
    const [newest, oldest] = await server.seed('alice', 2);
    const [bobs] = await server.seed('bob', 1);
    let response = await server.api(`/notifications/${newest!.id}/seen`, write('POST'));
    expect(await response.json()).toEqual({
      id: newest!.id,
      changed: true,
      unread: { total: 2, unseen: 1, byType: { 'comment.added': 2 } },
    });
    response = await server.api(`/notifications/${oldest!.id}/archive`, write('POST'));
    expect(await response.json()).toEqual({
      id: oldest!.id,
      changed: true,
      unread: { total: 1, unseen: 0, byType: { 'comment.added': 1 } },
    });
    const listed = async (query: string) =>
      (
        (await (await server.api(`/notifications${query}`, { user: 'alice' })).json()) as { items: InboxItem[] }
      ).items.map((item) => item.id);
    expect(await listed('')).toEqual([newest!.id]);
    expect(await listed('?archived=only')).toEqual([oldest!.id]);
    expect(await listed('?archived=include')).toEqual([newest!.id, oldest!.id]);
    response = await server.api(`/notifications/${oldest!.id}/unarchive`, write('POST'));
    expect(((await response.json()) as { changed: boolean }).changed).toBe(true);
    for (const action of ['seen', 'archive', 'unarchive']) {
      response = await server.api(`/notifications/${bobs!.id}/${action}`, write('POST'));
      expect(response.status).toBe(404);
    }
    expect(await server.herald.inbox.unreadCount('bob')).toEqual({
      total: 1,
      unseen: 1,
      byType: { 'comment.added': 1 },
    });
  });

  it('marks everything seen, and archives the read items, up to a watermark when one is given', async () => {
    const items = await server.seed('alice', 4);
    const positions = items.map((item) => item.position).sort((a, b) => a - b);
    let response = await server.api('/notifications/seen-all', {
      ...write('POST'),
      json: { upToPosition: positions[1] },
    });
    expect(await response.json()).toEqual({
      changed: 2,
      unread: { total: 4, unseen: 2, byType: { 'comment.added': 4 } },
    });
    response = await server.api('/notifications/read-all', {
      ...write('POST'),
      json: { upToPosition: positions[2] },
    });
    expect(await response.json()).toEqual({
      changed: 3,
      unread: { total: 1, unseen: 1, byType: { 'comment.added': 1 } },
    });
    response = await server.api('/notifications/archive-all-read', write('POST'));
    expect(await response.json()).toEqual({
      changed: 3,
      unread: { total: 1, unseen: 1, byType: { 'comment.added': 1 } },
    });
    const page = (await (await server.api('/notifications', { user: 'alice' })).json()) as { items: InboxItem[] };
    expect(page.items.map((item) => item.position)).toEqual([positions[3]]);
  });

  it.each([
    ['/notifications/seen-all', { upToPosition: -1 }, ['upToPosition']],
    ['/notifications/seen-all', { upToPosition: 1.5 }, ['upToPosition']],
    ['/notifications/seen-all', { type: 'comment.added' }, ['type']],
    ['/notifications/archive-all-read', { upToPosition: '3' }, ['upToPosition']],
    ['/notifications/archive-all-read', { type: '' }, ['type']],
    ['/notifications/read-all', { upToPosition: null }, ['upToPosition']],
  ])('rejects %s with body %j: 400 VALIDATION naming %j, changing nothing', async (path, json, paths) => {
    const items = await server.seed('alice', 2);
    await server.herald.inbox.markRead('alice', [items[0]!.id]);
    const before = await server.herald.inbox.list('alice', { archived: 'include' });
    const response = await server.api(path, { method: 'POST', user: 'alice', json });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(paths);
    expect(await server.herald.inbox.list('alice', { archived: 'include' })).toEqual(before);
  });

  it('rejects an unknown archived filter', async () => {
    const response = await server.api('/notifications?archived=yes', { user: 'alice' });
    expect(response.status).toBe(400);
    expect(issuePaths(await errorOf(response))).toEqual(['archived']);
  });
});

describe('POST /devices and DELETE /devices/:token', () => {
  it('registers a device (201) and removes it (204)', async () => {
    const created = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      json: { token: 'tok:A-1', platform: 'ios' },
    });
    expect(created.status).toBe(201);
    const device = (await created.json()) as { token: string; userId: string; platform: string; createdAt: string };
    expect(device).toMatchObject({ token: 'tok:A-1', userId: 'alice', platform: 'ios' });
    expect(typeof device.createdAt).toBe('string');
    expect((await server.herald.devices.list('alice')).map((d) => d.token)).toEqual(['tok:A-1']);

    const removed = await server.api(`/devices/${encodeURIComponent('tok:A-1')}`, write('DELETE'));
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
    expect(await server.herald.devices.list('alice')).toEqual([]);
  });

  it('answers 404 when deleting another user’s device, which stays registered', async () => {
    await server.herald.devices.register('bob', { token: 'bobs-phone', platform: 'android' });
    const response = await server.api('/devices/bobs-phone', write('DELETE'));
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: 'NOT_FOUND', message: 'No such device' });
    expect((await server.herald.devices.list('bob')).map((d) => d.token)).toEqual(['bobs-phone']);
    const unknown = await server.api('/devices/never-registered', write('DELETE'));
    expect(unknown.status).toBe(404);
  });

  it("answers 409 DEVICE_TAKEN for another account's token, without naming it, and moves nothing", async () => {
    await server.herald.devices.register('bob', { token: 'shared-tablet', platform: 'android' });
    const response = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      json: { token: 'shared-tablet', platform: 'android' },
    });
    expect(response.status).toBe(409);
    const text = await response.text();
    expect(text).not.toContain('bob');
    const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('DEVICE_TAKEN');
    expect(error.message).toContain('registered to another account');
    expect((await server.herald.devices.list('bob')).map((d) => d.token)).toEqual(['shared-tablet']);
    expect(await server.herald.devices.list('alice')).toEqual([]);
    // Its own token, registered again, is fine.
    await server.herald.devices.register('alice', { token: 'alices-phone', platform: 'ios' });
    const again = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      json: { token: 'alices-phone', platform: 'ios' },
    });
    expect(again.status).toBe(201);
  });

  it('refuses takeOver unless the handler allows it; allowed, takeOver moves the token', async () => {
    await server.herald.devices.register('bob', { token: 'shared-tablet', platform: 'android' });
    const json = { token: 'shared-tablet', platform: 'android', takeOver: true };
    const refused = await server.api('/devices', { method: 'POST', user: 'alice', json });
    expect(refused.status).toBe(400);
    const error = await errorOf(refused);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(['takeOver']);
    expect((await server.herald.devices.list('bob')).map((d) => d.token)).toEqual(['shared-tablet']);

    await server.close();
    server = await startInboxServer({ allowDeviceTakeOver: true });
    await server.herald.devices.register('bob', { token: 'shared-tablet', platform: 'android' });
    const plain = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      json: { token: 'shared-tablet', platform: 'android' },
    });
    expect(plain.status).toBe(409);
    expect((await errorOf(plain)).message).toContain('send takeOver: true');
    const moved = await server.api('/devices', { method: 'POST', user: 'alice', json });
    expect(moved.status).toBe(201);
    expect(await moved.json()).toMatchObject({ token: 'shared-tablet', userId: 'alice' });
    expect(await server.herald.devices.list('bob')).toEqual([]);
  });

  it('keeps at most 10 devices per user: the 11th registration evicts the oldest', async () => {
    for (let index = 0; index < 11; index++) {
      const response = await server.api('/devices', {
        method: 'POST',
        user: 'alice',
        json: { token: `browser-${index}`, platform: 'web' },
      });
      expect(response.status).toBe(201);
    }
    const tokens = (await server.herald.devices.list('alice')).map((d) => d.token).sort();
    expect(tokens).toHaveLength(10);
    expect(tokens).not.toContain('browser-0');
  });

  it.each([
    ['no token', { platform: 'ios' }, ['token']],
    ['an empty token', { token: '', platform: 'ios' }, ['token']],
    ['a numeric token', { token: 42, platform: 'ios' }, ['token']],
    ['a token over 4096 characters', { token: 'x'.repeat(4097), platform: 'web' }, ['token']],
    ['no platform', { token: 'x' }, ['platform']],
    ['a platform with a space', { token: 'x', platform: 'i os' }, ['platform']],
    ['an unknown field', { token: 'x', platform: 'ios', userId: 'bob' }, ['userId']],
    ['a string body', 'just a string', ['']],
  ])('rejects %s with 400 VALIDATION naming %j, registering nothing', async (_label, json, paths) => {
    const response = await server.api('/devices', { method: 'POST', user: 'alice', json });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(paths);
    expect(await server.herald.devices.list('alice')).toEqual([]);
  });
});

describe('GET and PUT /preferences', () => {
  it('round-trips preferences, merging each update into what is stored', async () => {
    const initial = await server.api('/preferences', { user: 'alice' });
    expect(initial.status).toBe(200);
    expect(await initial.json()).toEqual({ channels: {}, types: {} });

    const first = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      json: { channels: { email: false } },
    });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ channels: { email: false }, types: {} });

    const second = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      json: { types: { 'comment.added': { push: false, inApp: true } } },
    });
    const merged = { channels: { email: false }, types: { 'comment.added': { push: false, inApp: true } } };
    expect(await second.json()).toEqual(merged);
    expect(await (await server.api('/preferences', { user: 'alice' })).json()).toEqual(merged);
    expect(await server.herald.preferences.get('bob')).toEqual({ channels: {}, types: {} });
  });

  it.each([
    [{ channels: { email: 'no' } }, ['channels.email']],
    [{ channels: [] }, ['channels']],
    [{ types: { 'comment.added': { push: 0 } } }, ['types.comment.added.push']],
    [{ types: { 'comment.added': true } }, ['types.comment.added']],
    [{ channels: { '': true } }, ['channels.']],
    [{ channels: { constructor: true } }, ['channels.constructor']],
    [JSON.parse('{"channels":{"__proto__":true}}'), ['channels.__proto__']],
    [{ chanels: { email: false } }, ['chanels']],
    [{ channels: { email: 1, push: 'x' }, extra: true }, ['channels.email', 'channels.push', 'extra']],
  ])('rejects %j with 400 VALIDATION naming %j, storing nothing', async (json, paths) => {
    await server.herald.preferences.set('alice', { channels: { inApp: false } });
    const response = await server.api('/preferences', { method: 'PUT', user: 'alice', json });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(paths);
    expect(await server.herald.preferences.get('alice')).toEqual({ channels: { inApp: false }, types: {} });
  });
});

describe('PUT /preferences: limits', () => {
  it('refuses an update that would store more than 200 types, naming types, and stores nothing', async () => {
    const types = (from: number, count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`type.${from + index}`, { email: false }]));
    expect(
      (await server.api('/preferences', { method: 'PUT', user: 'alice', json: { types: types(0, 150) } })).status,
    ).toBe(200);
    const response = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      json: { types: types(150, 51) },
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(error.issues).toEqual([
      { path: 'types', message: 'Expected at most 200 types; with this update there would be 201' },
    ]);
    expect(Object.keys((await server.herald.preferences.get('alice')).types)).toHaveLength(150);
  });

  it('refuses a type or kind name over 128 characters', async () => {
    const long = 'x'.repeat(129);
    const response = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      json: { channels: { [long]: false }, types: { [long]: { email: false } } },
    });
    expect(response.status).toBe(400);
    expect(issuePaths(await errorOf(response))).toEqual([`channels.${long}`, `types.${long}`]);
    expect(await server.herald.preferences.get('alice')).toEqual({ channels: {}, types: {} });
  });
});

describe('bodies', () => {
  it('refuses a body without a JSON content-type with 415', async () => {
    const response = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=x&platform=ios',
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await server.herald.devices.list('alice')).toEqual([]);
  });

  it('refuses a PUT without any content-type with 415', async () => {
    const response = await server.api('/preferences', { method: 'PUT', user: 'alice', body: '{"channels":{}}' });
    // fetch labels a string body text/plain; the API wants JSON said out loud.
    expect(response.status).toBe(415);
  });

  it('accepts application/*+json and a charset parameter', async () => {
    const response = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
      body: JSON.stringify({ token: 't', platform: 'web' }),
    });
    expect(response.status).toBe(201);
  });

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const response = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
      body: '{"token": "x", ',
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('INVALID_JSON');
    expect(await server.herald.devices.list('alice')).toEqual([]);
  });

  it('answers an empty required body with 400 INVALID_JSON', async () => {
    const response = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('INVALID_JSON');
  });

  it('answers invalid UTF-8 with 400 INVALID_JSON', async () => {
    const response = await server.api('/devices', {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('INVALID_JSON');
  });

  it('answers a body over 64 KiB with 413, storing nothing', async () => {
    const response = await server.api('/preferences', {
      method: 'PUT',
      user: 'alice',
      json: { types: { big: { [`k${'x'.repeat(70 * 1024)}`]: true } } },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await server.herald.preferences.get('alice')).toEqual({ channels: {}, types: {} });
  });
});

describe('cross-site requests (CSRF)', () => {
  // What a foreign page can make a signed-in browser send without a CORS preflight: a form post, a text/plain
  // fetch or beacon, or a request with no content type at all.
  const simpleRequests: [string, Record<string, string>, string | undefined][] = [
    ['no content-type', {}, undefined],
    ['an empty text/plain body', { 'content-type': 'text/plain' }, ''],
    ['a text/plain body', { 'content-type': 'text/plain;charset=UTF-8' }, '{"type":"comment.added"}'],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 'type=comment.added'],
    ['a multipart form', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--\r\n'],
  ];
  const writes: [string, string][] = [
    ['POST', '/notifications/ID/read'],
    ['POST', '/notifications/ID/unread'],
    ['POST', '/notifications/read-all'],
    ['POST', '/devices'],
    ['DELETE', '/devices/alices-phone'],
    ['PUT', '/preferences'],
  ];
  const cases = writes.flatMap(([method, path]) =>
    simpleRequests.map(([label, headers, body]) => [method, path, label, headers, body] as const),
  );

  it.each(cases)('%s %s with %s answers 415 and changes nothing', async (method, path, _label, headers, body) => {
    const [item] = (await server.seed('alice', 2)) as [InboxItem];
    await server.herald.inbox.markRead('alice', [item.id]);
    await server.herald.devices.register('alice', { token: 'alices-phone', platform: 'ios' });
    const response = await server.api(path.replace('ID', item.id), {
      method,
      user: 'alice',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(415);
    const error = await errorOf(response);
    expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(error.message).toContain(`${method} requests must say content-type: application/json`);
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(1);
    expect((await server.herald.inbox.get('alice', [item.id]))[0]?.readAt).toBeDefined();
    expect((await server.herald.devices.list('alice')).map((device) => device.token)).toEqual(['alices-phone']);
    expect(await server.herald.preferences.get('alice')).toEqual({ channels: {}, types: {} });
  });

  it('takes a bodyless write with a JSON content type and no body, or an empty object', async () => {
    const [newest, older] = (await server.seed('alice', 2)) as [InboxItem, InboxItem];
    const bare = await server.api(`/notifications/${newest.id}/read`, write('POST'));
    expect(bare.status).toBe(200);
    const empty = await server.api(`/notifications/${older.id}/read`, { method: 'POST', user: 'alice', json: {} });
    expect(empty.status).toBe(200);
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(0);
    await server.herald.devices.register('alice', { token: 'alices-phone', platform: 'ios' });
    const removed = await server.api('/devices/alices-phone', { method: 'DELETE', user: 'alice', json: {} });
    expect(removed.status).toBe(204);
  });

  it('refuses fields on a write that takes none, changing nothing', async () => {
    const [item] = (await server.seed('alice', 1)) as [InboxItem];
    const response = await server.api(`/notifications/${item.id}/read`, {
      method: 'POST',
      user: 'alice',
      json: { read: false },
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION');
    expect(issuePaths(error)).toEqual(['read']);
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(1);
  });

  it('checks credentials first: a cross-site request without them answers 401', async () => {
    const response = await server.api('/notifications/read-all', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '',
    });
    expect(response.status).toBe(401);
  });
});

describe('authentication', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/notifications'],
    ['GET', '/notifications/unread-count'],
    ['POST', '/notifications/ID/read'],
    ['POST', '/notifications/ID/unread'],
    ['POST', '/notifications/read-all', {}],
    ['POST', '/devices', { token: 'stolen', platform: 'ios' }],
    ['DELETE', '/devices/alices-phone'],
    ['GET', '/preferences'],
    ['PUT', '/preferences', { channels: { email: false } }],
  ];

  it.each(routes)('%s %s without credentials answers 401 and changes nothing', async (method, path, json) => {
    const [item] = (await server.seed('alice', 2)) as [InboxItem];
    await server.herald.devices.register('alice', { token: 'alices-phone', platform: 'ios' });
    const response = await server.api(path.replace('ID', item.id), { method, json });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual({ code: 'UNAUTHENTICATED', message: 'Sign in to use the inbox' });
    expect((await server.herald.inbox.unreadCount('alice')).total).toBe(2);
    expect((await server.herald.devices.list('alice')).map((d) => d.token)).toEqual(['alices-phone']);
    expect(await server.herald.preferences.get('alice')).toEqual({ channels: {}, types: {} });
  });

  it('answers 500 INTERNAL, without the cause, when authenticate throws; the logger gets the cause', async () => {
    await server.close();
    server = await startInboxServer({
      authenticate: () => {
        throw new Error('session store password=hunter2 refused');
      },
    });
    const response = await server.api('/notifications', { user: 'alice' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(text).not.toContain('hunter2');
    expect(server.logs).toHaveLength(1);
    expect(server.logs[0]?.level).toBe('error');
    expect(String(server.logs[0]?.context?.error)).toContain('hunter2');
  });
});

describe('one authenticate for HTTP and WebSocket', () => {
  it('serves an authenticate written on the shared view — headers and the absolute URL — as the gateway does', async () => {
    const seen: string[] = [];
    // Typed on core's view, not on Request: this very function is what the WebSocket gateway takes too.
    const authenticate: Authenticate = (request) => {
      seen.push(request.url);
      const session = request.headers.get('Cookie')?.match(/session=(\w+)/)?.[1];
      return session === undefined ? null : { userId: session };
    };
    await server.close();
    server = await startInboxServer({ authenticate });
    await server.seed('alice', 1);
    const signedIn = await server.api('/notifications/unread-count?x=1', { headers: { cookie: 'session=alice' } });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ total: 1 });
    expect((await server.api('/notifications/unread-count')).status).toBe(401);
    expect(seen[0]).toBe(`${server.url}/notifications/unread-count?x=1`);
  });
});

describe('routing', () => {
  it('answers 404 NOT_FOUND for unknown routes', async () => {
    for (const path of ['/', '/notification', '/notifications/x/y/z']) {
      const response = await server.api(path, { user: 'alice' });
      expect(response.status, path).toBe(404);
      expect((await errorOf(response)).code).toBe('NOT_FOUND');
    }
  });

  it('matches no route with an empty segment; over node:http such a path never reaches the handler', async () => {
    const handler = createInboxHandler({ herald: server.herald, authenticate: () => ({ userId: 'alice' }) });
    for (const path of ['/notifications//read', '/devices//x']) {
      const direct = await handler(new Request(`http://localhost${path}`, { method: 'POST', headers: asJson }));
      expect(direct.status, path).toBe(404);
      // toNodeHandler refuses a path that is not in normal form before the handler runs.
      const overNode = await server.api(path, write('POST'));
      expect(overNode.status, path).toBe(400);
      expect((await errorOf(overNode)).code).toBe('BAD_REQUEST');
    }
  });

  it.each([
    ['DELETE', '/notifications', 'GET, OPTIONS'],
    ['GET', '/notifications/read-all', 'POST, OPTIONS'],
    ['POST', '/notifications/unread-count', 'GET, OPTIONS'],
    ['GET', '/notifications/abc/read', 'POST, OPTIONS'],
    ['GET', '/devices', 'POST, OPTIONS'],
    ['PUT', '/devices/abc', 'DELETE, OPTIONS'],
    ['POST', '/preferences', 'GET, PUT, OPTIONS'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const response = await server.api(path, { method, user: 'alice' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect((await errorOf(response)).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const response = await server.api('/preferences', { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, PUT, OPTIONS');
  });

  it('serves under basePath and nowhere else', async () => {
    await server.close();
    server = await startInboxServer({ basePath: '/api/inbox/' });
    await server.seed('alice', 1);
    expect((await server.api('/api/inbox/notifications', { user: 'alice' })).status).toBe(200);
    expect((await server.api('/api/inbox/notifications/', { user: 'alice' })).status).toBe(200);
    expect((await server.api('/notifications', { user: 'alice' })).status).toBe(404);
    expect((await server.api('/api/inboxnotifications', { user: 'alice' })).status).toBe(404);
  });
});

describe('failures inside Herald', () => {
  it('answers 503 UNAVAILABLE when the store is down, logging the cause', async () => {
    await server.close();
    server = await startInboxServer({
      wrapHerald: (herald) => ({
        devices: herald.devices,
        preferences: herald.preferences,
        inbox: {
          ...herald.inbox,
          unreadCount: async () => {
            throw new StoreError('connection to 10.0.0.7:6379 lost');
          },
        },
      }),
    });
    const response = await server.api('/notifications/unread-count', { user: 'alice' });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text).error.code).toBe('UNAVAILABLE');
    expect(text).not.toContain('10.0.0.7');
    expect(String(server.logs[0]?.context?.error)).toContain('10.0.0.7');
  });

  it('answers 500 INTERNAL for anything unexpected, without leaking it', async () => {
    await server.close();
    server = await startInboxServer({
      wrapHerald: (herald) => ({
        devices: herald.devices,
        inbox: herald.inbox,
        preferences: {
          ...herald.preferences,
          get: async () => {
            throw new TypeError('Cannot read properties of undefined (reading secretColumn)');
          },
        },
      }),
    });
    const response = await server.api('/preferences', { user: 'alice' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(text).not.toContain('secretColumn');
    expect(server.logs.map((log) => [log.level, log.context?.method, log.context?.path])).toEqual([
      ['error', 'GET', '/preferences'],
    ]);
  });
});
