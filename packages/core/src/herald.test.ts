import { MemoryStore } from '@herald/storage';
import {
  createTestChannel,
  failPermanently,
  failTimes,
  hangUntilAborted,
  rateLimited,
  recordNotifications,
} from '@herald/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, DispatchIncompleteError, HeraldError, ValidationError } from './errors';
import { createHerald } from './herald';
import { securityAlert, setup, ticketAssigned } from './herald.fixture';
import { defineNotification } from './notification';
import type { AnyChannel } from './spec/channel';

const payload = { ticketId: 't-1', title: 'Printer on fire' };

describe('notify', () => {
  it('stores an inbox item per recipient, sends each channel, and settles with the counts', async () => {
    const { herald, email } = setup();
    const result = await herald.notify(ticketAssigned, {
      to: [{ id: 'ana', email: 'ana@example.com', name: 'Ana' }, 'ben'],
      payload,
    });
    expect(result.deduplicated).toBe(false);
    expect(result.recipients).toEqual(['ana', 'ben']);
    expect(result.deliveryCount).toBe(4);
    const report = await result.settled;
    expect(report).toMatchObject({ total: 4, sent: 4, failed: 0, skipped: 0, queued: 0 });
    expect(email.delivered.map((request) => request.recipient.id).sort()).toEqual(['ana', 'ben']);
    expect(email.delivered.find((request) => request.recipient.id === 'ana')?.content).toEqual({
      subject: 'Assigned: Printer on fire',
      text: 'Hi Ana',
    });
    const page = await herald.inbox.list('ana');
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      title: 'Ticket assigned',
      body: 'Printer on fire',
      url: '/tickets/t-1',
      type: 'ticket.assigned',
      position: 1,
    });
    expect(await herald.inbox.unreadCount('ben')).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
  });

  it('never notifies the actor unless asked', async () => {
    const { herald } = setup();
    const recorder = recordNotifications(herald);
    const first = await herald.notify(ticketAssigned, { to: ['ana', 'ben'], actor: 'ana', payload });
    expect(first.recipients).toEqual(['ben']);
    expect(first.excluded).toEqual([{ recipientId: 'ana', reason: 'actor' }]);
    await first.settled;
    recorder.assertNotNotified('ana', 'ticket.assigned', { because: 'actor' });
    recorder.assertNotified('ben', 'ticket.assigned', { kind: 'email' });
    const second = await herald.notify(ticketAssigned, { to: ['ana'], actor: 'ana', notifyActor: true, payload });
    expect(second.recipients).toEqual(['ana']);
  });

  it('resolves ids through resolveRecipients, inline fields winning, and drops duplicate recipients', async () => {
    const { herald, email } = setup({
      settings: {
        resolveRecipients: (ids) => ids.map((id) => ({ id, email: `${id}@example.com`, name: id.toUpperCase() })),
      },
    });
    const result = await herald.notify(ticketAssigned, {
      to: ['ana', { id: 'ben', name: 'Benjamin' }, 'ana'],
      payload,
    });
    expect(result.recipients).toEqual(['ana', 'ben']);
    expect(result.excluded).toEqual([{ recipientId: 'ana', reason: 'duplicate-recipient' }]);
    await result.settled;
    const ana = email.delivered.find((request) => request.recipient.id === 'ana');
    expect(ana?.recipient).toMatchObject({ email: 'ana@example.com', name: 'ANA' });
    const ben = email.delivered.find((request) => request.recipient.id === 'ben');
    expect(ben?.content).toMatchObject({ text: 'Hi Benjamin' });
  });

  it('limits a call to the channel kinds asked for', async () => {
    const { herald, email } = setup();
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['inApp'] });
    expect(result.deliveryCount).toBe(1);
    await result.settled;
    expect(email.calls).toHaveLength(0);
  });

  it('groups deliveries into sendBatch calls for channels that batch', async () => {
    const { herald, email } = setup({ email: { batchSize: 100 } });
    const to = Array.from({ length: 250 }, (_, index) => `user-${index}`);
    const report = await (await herald.notify(ticketAssigned, { to, payload })).settled;
    expect(report.sent).toBe(500);
    expect(email.batches).toEqual([100, 100, 50]);
  });
});

describe('bad input', () => {
  it('rejects an invalid payload with every issue path, storing and sending nothing', async () => {
    const { herald, store, email } = setup();
    const error = await herald
      .notify(ticketAssigned, { to: 'ana', payload: { ticketId: 42, title: 'x', priority: 1.5 } as never })
      .catch((thrown: unknown) => thrown);
    expect(ValidationError.is(error)).toBe(true);
    const issues = (error as ValidationError).issues.map((issue) => issue.path).sort();
    expect(issues).toEqual(['payload.priority', 'payload.ticketId', 'payload.title']);
    expect((error as Error).message).toContain('payload.ticketId');
    expect((await store.listInbox('ana')).items).toHaveLength(0);
    expect((await store.listDeliveries({})).records).toHaveLength(0);
    expect(email.calls).toHaveLength(0);
  });

  it('rejects an empty or malformed `to` with the paths at fault', async () => {
    const { herald, store } = setup();
    await expect(herald.notify(ticketAssigned, { to: [], payload })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'to', message: 'At least one recipient is required' }],
    });
    const malformed = (await herald
      .notify(ticketAssigned, { to: ['ana', { name: 'no id' } as never, 7 as never, ''], payload })
      .catch((thrown: unknown) => thrown)) as ValidationError;
    expect(malformed.issues.map((issue) => issue.path)).toEqual(['to.1.id', 'to.2', 'to.3']);
    expect((await store.listDeliveries({})).records).toHaveLength(0);
  });

  it('rejects content for a channel kind that no channel serves, before storing anything', async () => {
    const store = new MemoryStore();
    const herald = createHerald({ store, channels: [] });
    const error = await herald.notify(ticketAssigned, { to: 'ana', payload }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('channel kind "email"');
    expect((error as Error).message).toContain('registered: inApp');
    expect((await store.listInbox('ana')).items).toHaveLength(0);
  });

  it('rejects a channels option naming a kind the definition lacks', async () => {
    const { herald } = setup();
    await expect(herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['push'] })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'channels' }],
    });
  });

  it('refuses channels of an unsupported specification, listing the supported ones', () => {
    const channel = { ...createTestChannel('email'), specificationVersion: 'v0' } as unknown as AnyChannel;
    expect(() => createHerald({ store: new MemoryStore(), channels: [channel] })).toThrow(
      /specification "v0".*Supported: v1/,
    );
  });

  it('treats a plain Error from a channel as a retryable UNAVAILABLE and logs its cause', async () => {
    const { herald, clock, email, logger } = setup({
      email: { script: [{ type: 'throw', message: 'socket hang up' }] },
    });
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await clock.advance(1_000);
    const report = await result.settled;
    expect(report.sent).toBe(1);
    expect(email.callsFor('ana')).toHaveLength(2);
    const warning = logger.lines.find((line) => line.message.includes('plain error'));
    expect(String(warning?.context?.error)).toContain('socket hang up');
  });

  it('fails only the delivery whose content builder throws; the others go out', async () => {
    const broken = defineNotification({
      type: 'broken.email',
      schema: z.object({ name: z.string() }),
      channels: {
        inApp: ({ payload }) => ({ title: 'Hello', body: payload.name }),
        email: ({ recipient }) => {
          if (recipient.id === 'ben') throw new Error('template exploded');
          return { subject: 'Hello', text: 'hi' };
        },
      },
    });
    const { herald, email } = setup();
    const report = await (await herald.notify(broken, { to: ['ana', 'ben'], payload: { name: 'x' } })).settled;
    expect(report).toMatchObject({ sent: 3, failed: 1 });
    expect(report.failures).toEqual([
      expect.objectContaining({
        recipientId: 'ben',
        kind: 'email',
        code: 'INVALID_CONTENT',
        message: expect.stringContaining('template exploded'),
      }),
    ]);
    expect(email.delivered.map((request) => request.recipient.id)).toEqual(['ana']);
  });

  it('refuses notify after close with a clear error', async () => {
    const { herald } = setup();
    await herald.close();
    const error = await herald.notify(ticketAssigned, { to: 'ana', payload }).catch((thrown: unknown) => thrown);
    expect(HeraldError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CLOSED', message: expect.stringContaining('after close()') });
  });
});

describe('idempotency', () => {
  it('sends once for concurrent calls with one key, and both callers learn the same id', async () => {
    const { herald, email } = setup();
    const [first, second] = await Promise.all([
      herald.notify(ticketAssigned, { to: 'ana', payload, idempotencyKey: 'ticket-t-1-assigned' }),
      herald.notify(ticketAssigned, { to: 'ana', payload, idempotencyKey: 'ticket-t-1-assigned' }),
    ]);
    expect(first?.id).toBe(second?.id);
    expect([first?.deduplicated, second?.deduplicated].sort()).toEqual([false, true]);
    await first?.settled;
    await second?.settled;
    expect(email.calls).toHaveLength(1);
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
  });

  it('never frees a key once anything was written: a retry resumes the same notification', async () => {
    const { herald, store, email } = setup();
    const original = store.createDeliveries.bind(store);
    store.createDeliveries = async () => {
      throw new Error('disk full');
    };
    const failed = await herald
      .notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k' })
      .catch((error: unknown) => error);
    expect(DispatchIncompleteError.is(failed)).toBe(true);
    expect((failed as DispatchIncompleteError).message).toMatch(/disk full/);
    expect((failed as DispatchIncompleteError).message).toMatch(/same idempotencyKey resumes it/);
    // The items were stored before the failure; the notification is still dispatching.
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
    store.createDeliveries = original;
    const retried = await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k' });
    expect(retried).toMatchObject({
      id: (failed as DispatchIncompleteError).notificationId,
      deduplicated: false,
      resumed: true,
      deliveryCount: 4,
    });
    expect(await retried.settled).toMatchObject({ total: 4, sent: 4 });
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
    expect(await herald.inbox.unreadCount('ana')).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
    expect(email.calls).toHaveLength(2);
    const again = await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k' });
    expect(again).toMatchObject({ deduplicated: true, resumed: false, deliveryCount: 0 });
    expect(email.calls).toHaveLength(2);
  });
});

describe('retries', () => {
  it('retries transient failures with full-jitter backoff, without holding up notify', async () => {
    const { herald, clock, email } = setup({ email: { script: failTimes(2) } });
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    let settled = false;
    void result.settled.then(() => {
      settled = true;
    });
    await clock.flush();
    expect(email.calls).toHaveLength(1);
    expect(settled).toBe(false);
    // random() = 1 gives the ceiling of each window: 1 s, then 2 s.
    await clock.advance(999);
    expect(email.calls).toHaveLength(1);
    await clock.advance(1);
    expect(email.calls).toHaveLength(2);
    await clock.advance(2_000);
    expect((await result.settled).sent).toBe(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent', attempts: 3, channelId: 'test-email' });
  });

  it('honours retryAfterMs from the provider', async () => {
    const { herald, clock, email } = setup({ email: { script: rateLimited(1, 7_000) } });
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await clock.advance(6_999);
    expect(email.calls).toHaveLength(1);
    await clock.advance(1);
    expect((await result.settled).sent).toBe(1);
  });

  it('never retries a permanent error', async () => {
    const { herald, clock, email } = setup({ email: { script: failPermanently('INVALID_RECIPIENT') } });
    const events: string[] = [];
    herald.on('delivery.failed', ({ error }) => events.push(error.code));
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await clock.advance(10 * 60_000);
    const report = await result.settled;
    expect(report.failures).toEqual([expect.objectContaining({ code: 'INVALID_RECIPIENT' })]);
    expect(email.calls).toHaveLength(1);
    expect(events).toEqual(['INVALID_RECIPIENT']);
  });

  it('gives up after maxAttempts', async () => {
    const { herald, clock, email } = setup({ email: { script: () => ({ type: 'fail', code: 'UNAVAILABLE' }) } });
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await clock.advance(10 * 60_000);
    expect((await result.settled).failed).toBe(1);
    expect(email.calls).toHaveLength(5);
  });

  it('keeps trying a delivery the store cannot record, past maxAttempts, until the store is back', async () => {
    const { herald, clock, email, store } = setup();
    const read = store.getDeliveries.bind(store);
    let isStoreDown = false;
    store.getDeliveries = async (ids) => {
      if (isStoreDown) throw new Error('store down');
      return read(ids);
    };
    isStoreDown = true;
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    // Far longer than five attempts' backoff (1 + 2 + 4 + 8 s): giving up would leave the record pending for good.
    await clock.advance(10 * 60_000);
    expect(email.calls).toHaveLength(0);
    isStoreDown = false;
    await clock.advance(60_000);
    expect((await result.settled).sent).toBe(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent' });
    expect(email.calls).toHaveLength(1);
  });

  it('aborts an attempt that hangs past the timeout, then retries it', async () => {
    const { herald, clock, email } = setup({ email: { script: hangUntilAborted(1) } });
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await clock.advance(9_999);
    expect(email.calls).toHaveLength(0);
    // Deadlines are shared per start window of 1% of the timeout: 10 s + at most 100 ms.
    await clock.advance(101);
    expect(email.calls[0]?.outcome).toMatchObject({ code: 'TIMEOUT' });
    await clock.advance(1_000);
    expect((await result.settled).sent).toBe(1);
  });

  it('tries channels of one kind in order as fallbacks', async () => {
    const primary = createTestChannel('email', { id: 'primary', script: failPermanently('UNAUTHORIZED') });
    const secondary = createTestChannel('email', { id: 'secondary' });
    const herald = createHerald({ store: new MemoryStore(), channels: [primary, secondary] });
    const ana = { id: 'ana', email: 'ana@example.com' };
    const result = await herald.notify(ticketAssigned, { to: ana, payload, channels: ['email'] });
    expect((await result.settled).sent).toBe(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record?.channelId).toBe('secondary');
    expect(primary.calls).toHaveLength(1);
  });
});

describe('preferences', () => {
  it('reports the reason of a delivery its channel skipped', async () => {
    const { herald } = setup({ email: { script: [{ type: 'skip', reason: 'no email address' }] } });
    const report = await (await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] })).settled;
    expect(report.skips).toEqual([
      {
        deliveryId: expect.any(String),
        recipientId: 'ana',
        kind: 'email',
        reason: 'no email address',
        code: 'channel',
      },
    ]);
  });

  it('skips opted-out kinds and type × kind pairs, saying why; critical notifications ignore them', async () => {
    const { herald, email } = setup();
    await herald.preferences.set('ana', { channels: { email: false } });
    await herald.preferences.set('ben', { types: { 'ticket.assigned': { inApp: false } } });
    const report = await (await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload })).settled;
    expect(report).toMatchObject({ sent: 2, skipped: 2 });
    expect(report.skips.map((skip) => [skip.recipientId, skip.kind, skip.reason])).toEqual([
      ['ana', 'email', 'preference: ana opted out of email'],
      ['ben', 'inApp', 'preference: ben opted out of inApp for ticket.assigned'],
    ]);
    expect((await herald.inbox.list('ben')).items).toHaveLength(0);
    const critical = await (await herald.notify(securityAlert, { to: 'ana', payload: { message: 'new login' } }))
      .settled;
    expect(critical.sent).toBe(2);
    expect(email.delivered.map((request) => request.type)).toEqual(['ticket.assigned', 'security.alert']);
  });

  it('merges updates and rejects non-boolean flags with their paths', async () => {
    const { herald } = setup();
    await herald.preferences.set('ana', { channels: { email: false } });
    const merged = await herald.preferences.set('ana', { types: { digest: { email: true } } });
    expect(merged).toEqual({ channels: { email: false }, types: { digest: { email: true } } });
    await expect(herald.preferences.set('ana', { channels: { email: 'no' as never } })).rejects.toMatchObject({
      issues: [{ path: 'channels.email' }],
    });
    expect(await herald.preferences.get('ana')).toEqual(merged);
  });
});

describe('devices', () => {
  const pushed = defineNotification({
    type: 'chat.message',
    schema: z.object({ text: z.string() }),
    channels: { push: ({ payload }) => ({ title: 'Message', body: payload.text }) },
  });

  it('merges registered tokens into the recipient and removes a token the channel names as dead', async () => {
    const push = createTestChannel('push', {
      script: (request) =>
        request.recipient.pushTokens?.includes('dead')
          ? { type: 'send', invalidTokens: ['dead'] }
          : { type: 'fail', code: 'INVALID_RECIPIENT', token: 'gone' },
    });
    const herald = createHerald({ store: new MemoryStore(), channels: [push] });
    await herald.devices.register('ana', { token: 'live', platform: 'ios' });
    await herald.devices.register('ana', { token: 'dead', platform: 'android' });
    await herald.devices.register('ben', { token: 'gone', platform: 'web' });
    const removed: string[] = [];
    herald.on('device.removed', ({ device }) => removed.push(device.token));
    const report = await (
      await herald.notify(pushed, { to: [{ id: 'ana', pushTokens: ['inline'] }, 'ben'], payload: { text: 'hi' } })
    ).settled;
    expect(
      push.calls.find((call) => call.request.recipient.id === 'ana')?.request.recipient.pushTokens?.sort(),
    ).toEqual(['dead', 'inline', 'live']);
    expect(report).toMatchObject({ sent: 1, failed: 1 });
    expect(removed.sort()).toEqual(['dead', 'gone']);
    expect((await herald.devices.list('ana')).map((device) => device.token)).toEqual(['live']);
    expect(await herald.devices.list('ben')).toEqual([]);
  });

  it('removes dead tokens named by a failure of any code, and retries the delivery', async () => {
    const push = createTestChannel('push', {
      script: [{ type: 'fail', code: 'RATE_LIMITED', retryAfterMs: 10, invalidTokens: ['dead'] }],
    });
    const herald = createHerald({ store: new MemoryStore(), channels: [push], retry: { baseDelayMs: 1 } });
    await herald.devices.register('ana', { token: 'live', platform: 'ios' });
    await herald.devices.register('ana', { token: 'dead', platform: 'android' });
    const report = await (await herald.notify(pushed, { to: 'ana', payload: { text: 'hi' } })).settled;
    expect(report).toMatchObject({ sent: 1, failed: 0 });
    expect(push.calls).toHaveLength(2);
    expect((await herald.devices.list('ana')).map((device) => device.token)).toEqual(['live']);
  });

  it("removes a device only for its owner when a userId is given; another user's token is untouched", async () => {
    const herald = createHerald({ store: new MemoryStore(), channels: [] });
    await herald.devices.register('ana', { token: 'anas-phone', platform: 'ios' });
    const removed: string[] = [];
    herald.on('device.removed', ({ device }) => removed.push(device.token));
    expect(await herald.devices.remove('anas-phone', { userId: 'ben' })).toBe(false);
    expect(await herald.devices.list('ana')).toHaveLength(1);
    expect(removed).toEqual([]);
    expect(await herald.devices.remove('anas-phone', { userId: 'ana' })).toBe(true);
    expect(removed).toEqual(['anas-phone']);
    await expect(herald.devices.remove('x', { userId: '' })).rejects.toMatchObject({ issues: [{ path: 'userId' }] });
  });
});

describe('inbox', () => {
  it('marks read and unread, ignoring ids of other users, and keeps counts exact', async () => {
    const { herald } = setup();
    await (await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload, channels: ['inApp'] })).settled;
    await (await herald.notify(ticketAssigned, { to: ['ana'], payload, channels: ['inApp'] })).settled;
    const [newest, oldest] = (await herald.inbox.list('ana')).items;
    const [bens] = (await herald.inbox.list('ben')).items;
    const reads: string[][] = [];
    herald.on('inbox.read', ({ ids }) => reads.push(ids));
    expect(await herald.inbox.markRead('ana', [newest!.id, bens!.id])).toEqual([newest!.id]);
    expect(await herald.inbox.markRead('ana', [newest!.id])).toEqual([]);
    expect(reads).toEqual([[newest!.id]]);
    expect(await herald.inbox.unreadCount('ben')).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
    expect(await herald.inbox.markAllRead('ana')).toBe(1);
    expect(await herald.inbox.unreadCount('ana')).toEqual({ total: 0, unseen: 0, byType: {} });
    expect(await herald.inbox.markUnread('ana', [oldest!.id, bens!.id])).toEqual([oldest!.id]);
    expect((await herald.inbox.unreadCount('ana')).total).toBe(1);
    expect((await herald.inbox.list('ana', { status: 'unread' })).items.map((item) => item.id)).toEqual([oldest!.id]);
  });

  it('says which type a read-all was limited to', async () => {
    const { herald } = setup();
    await (await herald.notify(ticketAssigned, { to: ['ana'], payload, channels: ['inApp'] })).settled;
    await (await herald.notify(securityAlert, { to: ['ana'], payload: { message: 'new login' } })).settled;
    const events: unknown[] = [];
    herald.on('inbox.read', (event) => events.push(event));
    expect(await herald.inbox.markAllRead('ana', { type: 'security.alert' })).toBe(1);
    expect(await herald.inbox.markAllRead('ana', { type: 'security.alert' })).toBe(0);
    expect(await herald.inbox.markAllRead('ana')).toBe(1);
    expect(events).toEqual([
      {
        userId: 'ana',
        ids: [],
        all: true,
        type: 'security.alert',
        upToPosition: 2,
        unread: { total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } },
      },
      { userId: 'ana', ids: [], all: true, upToPosition: 2, unread: { total: 0, unseen: 0, byType: {} } },
    ]);
  });

  it('marks items seen and archives them, emitting each change with the counts after it', async () => {
    const { herald } = setup();
    for (let index = 0; index < 3; index++) {
      await (await herald.notify(ticketAssigned, { to: ['ana'], payload, channels: ['inApp'] })).settled;
    }
    const [third, second, first] = (await herald.inbox.list('ana')).items;
    const events: unknown[] = [];
    herald.on('inbox.seen', (event) => events.push({ seen: event }));
    herald.on('inbox.archived', (event) => events.push({ archived: event }));
    herald.on('inbox.unarchived', (event) => events.push({ unarchived: event }));
    expect(await herald.inbox.markSeen('ana', [first!.id])).toEqual([first!.id]);
    expect(await herald.inbox.markAllSeen('ana', { upToPosition: second!.position })).toBe(1);
    expect(await herald.inbox.markAllSeen('ana', { upToPosition: second!.position })).toBe(0);
    expect(await herald.inbox.unreadCount('ana')).toEqual({ total: 3, unseen: 1, byType: { 'ticket.assigned': 3 } });
    await herald.inbox.markRead('ana', [first!.id]);
    expect(await herald.inbox.archiveAllRead('ana')).toBe(1);
    expect(await herald.inbox.archive('ana', [third!.id, 'not-anas'])).toEqual([third!.id]);
    expect((await herald.inbox.list('ana')).items.map((item) => item.id)).toEqual([second!.id]);
    expect((await herald.inbox.list('ana', { archived: 'only' })).items.map((item) => item.id)).toEqual([
      third!.id,
      first!.id,
    ]);
    expect(await herald.inbox.unarchive('ana', [third!.id])).toEqual([third!.id]);
    const counts = (total: number, unseen: number) => ({ total, unseen, byType: { 'ticket.assigned': total } });
    expect(events).toEqual([
      { seen: { userId: 'ana', ids: [first!.id], all: false, unread: counts(3, 2) } },
      { seen: { userId: 'ana', ids: [], all: true, upToPosition: second!.position, unread: counts(3, 1) } },
      { archived: { userId: 'ana', ids: [], all: true, upToPosition: 3, unread: counts(2, 1) } },
      {
        archived: {
          userId: 'ana',
          ids: [third!.id],
          all: false,
          unread: { total: 1, unseen: 0, byType: { 'ticket.assigned': 1 } },
        },
      },
      { unarchived: { userId: 'ana', ids: [third!.id], unread: counts(2, 1) } },
    ]);
    await expect(herald.inbox.markAllSeen('ana', { upToPosition: -1 })).rejects.toThrow(/upToPosition/);
    await expect(herald.inbox.archive('', [third!.id])).rejects.toThrow(/userId/);
  });

  it('tracks delivery acknowledgements and prunes old read items', async () => {
    const { herald, clock } = setup();
    await (await herald.notify(ticketAssigned, { to: ['ana'], payload, channels: ['inApp'] })).settled;
    const [item] = await herald.inbox.undelivered('ana');
    expect(await herald.inbox.markDelivered('ana', [item!.id])).toEqual([item!.id]);
    expect(await herald.inbox.undelivered('ana')).toEqual([]);
    await herald.inbox.markRead('ana', [item!.id]);
    await clock.advance(60_000);
    expect(await herald.inbox.prune({ readBefore: new Date(clock.now()) })).toBe(1);
    expect((await herald.inbox.list('ana')).items).toEqual([]);
  });

  it('rejects malformed arguments with the path at fault', async () => {
    const { herald } = setup();
    await expect(herald.inbox.markRead('ana', 'id' as never)).rejects.toMatchObject({ issues: [{ path: 'ids' }] });
    await expect(herald.inbox.markRead('', [])).rejects.toMatchObject({ issues: [{ path: 'userId' }] });
    expect(() => herald.inbox.prune({ readBefore: new Date('nope') })).toThrow(ValidationError);
  });
});

describe('scheduling', () => {
  it('holds a delayed notification, inbox item included, until it is due', async () => {
    const { herald, clock, email } = setup();
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, delayMs: 60_000 });
    expect(result.scheduledFor).toBe(new Date(clock.now() + 60_000).toISOString());
    await clock.advance(59_999);
    expect(email.calls).toHaveLength(0);
    expect((await herald.inbox.list('ana')).items).toHaveLength(0);
    await clock.advance(1);
    expect((await result.settled).sent).toBe(2);
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
  });

  it('cancels a scheduled notification by its idempotency key', async () => {
    const { herald, clock, email } = setup();
    const result = await herald.notify(ticketAssigned, {
      to: 'ana',
      payload,
      at: new Date(clock.now() + 5_000),
      idempotencyKey: 'remind-1',
    });
    expect(await herald.cancel('remind-1')).toEqual({ notificationId: result.id, cancelled: 2 });
    await clock.advance(10_000);
    expect((await result.settled).cancelled).toBe(2);
    expect(email.calls).toHaveLength(0);
    expect(await herald.cancel('unknown-key')).toEqual({ cancelled: 0 });
  });

  it('leaves a delivery already running to its own outcome: only withdrawn deliveries are cancelled', async () => {
    const gate = gatedEmail();
    const { herald, clock } = setup({ settings: { channels: [gate.channel] } });
    const cancelledKinds: string[] = [];
    herald.on('delivery.cancelled', ({ delivery }) => cancelledKinds.push(delivery.kind));
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, idempotencyKey: 'running-1' });
    await clock.flush();
    expect(gate.started).toEqual(['ana']);
    // The email send is at the provider; the in-app delivery is done.
    expect(await herald.cancel('running-1')).toEqual({ notificationId: result.id, cancelled: 0 });
    gate.release();
    expect(await result.settled).toMatchObject({ sent: 2, cancelled: 0 });
    expect(cancelledKinds).toEqual([]);
  });

  it('withdraws deliveries still waiting for a free slot', async () => {
    const gate = gatedEmail();
    const { herald, clock } = setup({ settings: { channels: [gate.channel], concurrency: 1 } });
    const busy = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    const waiting = await herald.notify(ticketAssigned, {
      to: 'ben',
      payload,
      channels: ['email'],
      idempotencyKey: 'queued-1',
    });
    await clock.flush();
    expect(gate.started).toEqual(['ana']);
    expect(await herald.cancel('queued-1')).toEqual({ notificationId: waiting.id, cancelled: 1 });
    gate.release();
    expect(await busy.settled).toMatchObject({ sent: 1 });
    expect(await waiting.settled).toMatchObject({ total: 1, cancelled: 1 });
    await clock.flush();
    expect(gate.started).toEqual(['ana']);
  });
});

/** An email channel whose sends wait until released, to hold deliveries in flight. */
function gatedEmail() {
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  const channel: AnyChannel = {
    specificationVersion: 'v1',
    kind: 'email',
    id: 'gated',
    async send(request) {
      started.push(request.recipient.id);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { status: 'sent' };
    },
  };
  const release = (): void => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { channel, started, release };
}

describe('receipts', () => {
  it('moves delivery records forward only, and ignores replays', async () => {
    const { herald } = setup();
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await result.settled;
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    const providerMessageId = record!.providerMessageId!;
    expect((await herald.deliveries.applyReceipt({ providerMessageId, status: 'read' }))?.status).toBe('read');
    expect(await herald.deliveries.applyReceipt({ providerMessageId, status: 'delivered' })).toBeUndefined();
    expect(await herald.deliveries.applyReceipt({ providerMessageId, status: 'read' })).toBeUndefined();
    expect((await herald.deliveries.get(record!.id))?.status).toBe('read');
  });

  it('falls back to the provider message id when the delivery id matches nothing', async () => {
    const { herald } = setup();
    const result = await herald.notify(ticketAssigned, { to: 'ana', payload, channels: ['email'] });
    await result.settled;
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    const providerMessageId = record!.providerMessageId!;
    const updated = await herald.deliveries.applyReceipt({
      deliveryId: 'n-from-another-deployment.0.email',
      providerMessageId,
      status: 'delivered',
    });
    expect(updated).toMatchObject({ id: record!.id, status: 'delivered' });
    expect(await herald.deliveries.applyReceipt({ deliveryId: 'nothing', status: 'read' })).toBeUndefined();
    expect((await herald.deliveries.get(record!.id))?.status).toBe('delivered');
  });
});

describe('close', () => {
  it('waits for in-flight deliveries before resolving', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = createTestChannel('email');
    const send = slow.send;
    const channel = { ...slow, send: async (request: Parameters<typeof send>[0]) => gate.then(() => send(request)) };
    const herald = createHerald({ store: new MemoryStore(), channels: [channel] });
    const ana = { id: 'ana', email: 'ana@example.com' };
    const result = await herald.notify(ticketAssigned, { to: ana, payload, channels: ['email'] });
    let closed = false;
    const closing = herald.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    expect((await result.settled).sent).toBe(1);
  });
});
