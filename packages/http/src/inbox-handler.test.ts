import type { Authenticate, HeraldEvents, InboxItem } from '@herald/core';
import { StoreError } from '@herald/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    expect(await response.json()).toEqual({ total: 5, byType: { 'comment.added': 3, 'ticket.assigned': 2 } });
  });
});

describe('POST /notifications/:id/read and /unread', () => {
  it('marks one item read and unread, reporting whether it changed and the new counts', async () => {
    const [newest, older] = (await server.seed('alice', 2)) as [InboxItem, InboxItem];

    const first = await server.api(`/notifications/${newest.id}/read`, { method: 'POST', user: 'alice' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      id: newest.id,
      changed: true,
      unread: { total: 1, byType: { 'comment.added': 1 } },
    });

    const again = await server.api(`/notifications/${newest.id}/read`, { method: 'POST', user: 'alice' });
    expect(await again.json()).toEqual({
      id: newest.id,
      changed: false,
      unread: { total: 1, byType: { 'comment.added': 1 } },
    });

    const [stored] = await server.herald.inbox.get('alice', [newest.id]);
    expect(stored?.readAt).toBeDefined();
    const [untouched] = await server.herald.inbox.get('alice', [older.id]);
    expect(untouched?.readAt).toBeUndefined();

    const unread = await server.api(`/notifications/${newest.id}/unread`, { method: 'POST', user: 'alice' });
    expect(await unread.json()).toEqual({
      id: newest.id,
      changed: true,
      unread: { total: 2, byType: { 'comment.added': 2 } },
    });
    const unreadAgain = await server.api(`/notifications/${newest.id}/unread`, { method: 'POST', user: 'alice' });
    expect(((await unreadAgain.json()) as { changed: boolean }).changed).toBe(false);
  });

  it('answers 404 for another user’s item, exactly as for an unknown id, and changes nothing', async () => {
    const [bobsItem] = (await server.seed('bob', 1)) as [InboxItem];
    await server.seed('alice', 1);

    const foreign = await server.api(`/notifications/${bobsItem.id}/read`, { method: 'POST', user: 'alice' });
    const unknown = await server.api('/notifications/no-such-id/read', { method: 'POST', user: 'alice' });
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
    const foreignUnread = await server.api(`/notifications/${bobsItem.id}/unread`, { method: 'POST', user: 'alice' });
    expect(foreignUnread.status).toBe(404);
    expect((await server.herald.inbox.unreadCount('bob')).total).toBe(0);
  });

  it('decodes percent-encoded ids', async () => {
    const [item] = (await server.seed('alice', 1)) as [InboxItem];
    const response = await server.api(`/notifications/${encodeURIComponent(item.id)}/read`, {
      method: 'POST',
      user: 'alice',
    });
    expect(response.status).toBe(200);
  });

  it('emits herald’s inbox.read event for a read over HTTP (what the WebSocket gateway relays)', async () => {
    const [item] = (await server.seed('alice', 2)) as [InboxItem];
    const events: HeraldEvents['inbox.read'][] = [];
    server.herald.on('inbox.read', (event) => events.push(event));

    const response = await server.api(`/notifications/${item.id}/read`, { method: 'POST', user: 'alice' });
    expect(response.status).toBe(200);
    expect(events).toEqual([
      { userId: 'alice', ids: [item.id], all: false, unread: { total: 1, byType: { 'comment.added': 1 } } },
    ]);

    const readAll = await server.api('/notifications/read-all', { method: 'POST', user: 'alice' });
    expect(readAll.status).toBe(200);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ userId: 'alice', all: true, unread: { total: 0 } });
  });

  it('emits inbox.unread for an unread over HTTP', async () => {
    const [item] = (await server.seed('alice', 1)) as [InboxItem];
    await server.herald.inbox.markRead('alice', [item.id]);
    const events: HeraldEvents['inbox.unread'][] = [];
    server.herald.on('inbox.unread', (event) => events.push(event));
    await server.api(`/notifications/${item.id}/unread`, { method: 'POST', user: 'alice' });
    expect(events).toEqual([{ userId: 'alice', ids: [item.id], unread: { total: 1, byType: { 'comment.added': 1 } } }]);
  });
});

describe('POST /notifications/read-all', () => {
  it('marks everything read without a body', async () => {
    await server.seed('alice', 3);
    await server.seed('bob', 2);
    const response = await server.api('/notifications/read-all', { method: 'POST', user: 'alice' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ changed: 3, unread: { total: 0, byType: {} } });
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
    expect(await response.json()).toEqual({ changed: 3, unread: { total: 2, byType: { 'comment.added': 2 } } });
  });

  it('accepts an empty JSON object', async () => {
    await server.seed('alice', 1);
    const response = await server.api('/notifications/read-all', { method: 'POST', user: 'alice', json: {} });
    expect(await response.json()).toEqual({ changed: 1, unread: { total: 0, byType: {} } });
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

    const removed = await server.api(`/devices/${encodeURIComponent('tok:A-1')}`, { method: 'DELETE', user: 'alice' });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
    expect(await server.herald.devices.list('alice')).toEqual([]);
  });

  it('answers 404 when deleting another user’s device, which stays registered', async () => {
    await server.herald.devices.register('bob', { token: 'bobs-phone', platform: 'android' });
    const response = await server.api('/devices/bobs-phone', { method: 'DELETE', user: 'alice' });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: 'NOT_FOUND', message: 'No such device' });
    expect((await server.herald.devices.list('bob')).map((d) => d.token)).toEqual(['bobs-phone']);
    const unknown = await server.api('/devices/never-registered', { method: 'DELETE', user: 'alice' });
    expect(unknown.status).toBe(404);
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
    for (const path of ['/', '/notification', '/notifications/x/y/z', '/notifications//read', '/devices//x']) {
      const response = await server.api(path, { user: 'alice' });
      expect(response.status, path).toBe(404);
      expect((await errorOf(response)).code).toBe('NOT_FOUND');
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
