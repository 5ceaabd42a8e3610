import { MemoryStore } from '@herald/storage';
import { createTestChannel, createTestClock } from '@herald/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from '../errors';
import { createHerald } from '../herald';
import type { HeraldSettings } from '../herald-types';
import { defineNotification } from '../notification';
import { skip } from '../skip';
import type { Channel } from '../spec/channel';

declare module '../spec/channel' {
  interface ChannelContentMap {
    email: { subject: string; text?: string; html?: string };
    push: { title: string; body: string };
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const schema = z.object({ ticketId: z.string(), text: z.string() });

function rig(settings: Partial<HeraldSettings> = {}, start = Date.UTC(2026, 5, 10, 15, 0)) {
  const clock = createTestClock(start);
  const store = new MemoryStore({ clock });
  // Recipients here are bare ids: the test channels send to them as a resolver-less host's real channels would not.
  const email = createTestChannel('email', { skipsRecipientsWithoutAddress: false });
  const push = createTestChannel('push', { skipsRecipientsWithoutAddress: false });
  const herald = createHerald({
    store,
    clock,
    channels: [email, push],
    retry: { random: () => 1 },
    relay: false,
    ...settings,
  });
  return { clock, store, email, push, herald };
}

const escalated = defineNotification({
  type: 'ticket.escalated',
  schema,
  channels: {
    inApp: ({ payload }) => ({ title: 'New comment', body: payload.text }),
    email: { after: '15m', unless: 'read', content: ({ payload }) => ({ subject: `Unread: ${payload.text}` }) },
  },
});

const payload = { ticketId: 't-1', text: 'Printer on fire' };

async function itemOf(herald: ReturnType<typeof rig>['herald'], userId: string): Promise<string> {
  const [item] = (await herald.inbox.list(userId)).items;
  if (!item) throw new Error(`no item for ${userId}`);
  return item.id;
}

describe('escalation: after + unless', () => {
  it('sends the step when it falls due and the item is still unread', async () => {
    const { herald, clock, email } = rig();
    const result = await herald.notify(escalated, { to: 'ana', payload });
    const [record] = (await herald.deliveries.list({ notificationId: result.id, recipientId: 'ana' })).records.filter(
      (entry) => entry.kind === 'email',
    );
    expect(record?.scheduledFor).toBe(new Date(clock.now() + 15 * MINUTE).toISOString());
    await clock.advance(15 * MINUTE - 1);
    expect(email.calls).toHaveLength(0);
    await clock.advance(1);
    expect(email.calls.map((call) => call.request.content.subject)).toEqual(['Unread: Printer on fire']);
    expect(await result.settled).toMatchObject({ total: 2, sent: 2 });
  });

  it('withdraws the step at once when the item is read before it is due, saying why', async () => {
    const { herald, clock, email } = rig();
    const skipped: string[] = [];
    herald.on('delivery.skipped', ({ delivery, code }) => skipped.push(`${delivery.kind}:${code}`));
    const result = await herald.notify(escalated, { to: 'ana', payload });
    await clock.advance(5 * MINUTE);
    await herald.inbox.markRead('ana', [await itemOf(herald, 'ana')]);
    expect(skipped).toEqual(['email:condition']);
    const report = await result.settled;
    expect(report.skips).toEqual([
      expect.objectContaining({ kind: 'email', code: 'condition', reason: 'condition: read' }),
    ]);
    await clock.advance(HOUR);
    expect(email.calls).toHaveLength(0);
  });

  it('withholds the step when it falls due after a read-all (no ids to withdraw one by one)', async () => {
    const { herald, clock, email } = rig();
    const result = await herald.notify(escalated, { to: 'ana', payload });
    await herald.inbox.markAllRead('ana');
    await clock.advance(15 * MINUTE);
    expect(email.calls).toHaveLength(0);
    expect((await result.settled).skips).toEqual([expect.objectContaining({ code: 'condition' })]);
  });

  it('gives a read at the due instant exactly one outcome, recorded', async () => {
    for (const readFirst of [true, false]) {
      const { herald, clock, email } = rig();
      const result = await herald.notify(escalated, { to: 'ana', payload });
      const itemId = await itemOf(herald, 'ana');
      await clock.advance(15 * MINUTE - 1);
      // The step falls due and the item is read in the same instant, in either order.
      const due = clock.advance(1);
      const read = herald.inbox.markRead('ana', [itemId]);
      if (readFirst) await read;
      await due;
      await read;
      await clock.flush();
      const report = await result.settled;
      const [emailRecord] = (await herald.deliveries.list({ notificationId: result.id })).records.filter(
        (record) => record.kind === 'email',
      );
      expect(email.calls.length === 1).toBe(emailRecord?.status === 'sent');
      expect(email.calls.length === 0).toBe(emailRecord?.status === 'skipped');
      expect(report.sent + report.skipped).toBe(2);
    }
  });

  it('checks "delivered" and function conditions', async () => {
    const acknowledged = defineNotification({
      type: 'ticket.acknowledged',
      schema,
      channels: {
        inApp: ({ payload: p }) => ({ title: 'Ack', body: p.text }),
        email: { after: '10m', unless: 'delivered', content: () => ({ subject: 'Not seen on any device' }) },
        push: {
          after: '5m',
          unless: ({ item }) => item?.data?.muted === true,
          content: () => ({ title: 't', body: 'b' }),
        },
      },
    });
    const { herald, clock, email, push } = rig();
    await herald.notify(acknowledged, { to: 'ana', payload });
    await herald.inbox.markDelivered('ana', [await itemOf(herald, 'ana')]);
    await clock.advance(HOUR);
    expect(email.calls).toHaveLength(0);
    expect(push.calls).toHaveLength(1);
  });

  it('refuses steps it cannot run: a bad duration, a conditional in-app step, an unknown condition', () => {
    const base = { type: 'bad.step', schema };
    expect(() =>
      defineNotification({
        ...base,
        channels: { email: { after: '15 minutes' as never, content: () => ({ subject: 's' }) } },
      }),
    ).toThrow(
      new ConfigurationError(
        'defineNotification("bad.step"): channels.email.after: "15 minutes" is not a duration; write it as "15m", "1h", "90s", "2d", "500ms" or milliseconds.',
      ),
    );
    expect(() =>
      defineNotification({
        ...base,
        channels: { inApp: { after: '1m', content: () => ({ title: 't', body: 'b' }) } },
      }),
    ).toThrow(/channels.inApp cannot be a delayed or conditional step/);
    expect(() =>
      defineNotification({
        ...base,
        channels: { email: { unless: 'clicked' as never, content: () => ({ subject: 's' }) } },
      }),
    ).toThrow(/channels.email.unless must be 'read', 'delivered' or a function/);
  });
});

describe('skip(reason)', () => {
  it('withholds a delivery a builder declines, in-app or not, with reason code skip', async () => {
    const picky = defineNotification({
      type: 'ticket.picky',
      schema,
      channels: {
        inApp: ({ recipient }) => (recipient.id === 'ben' ? skip('ben reads email only') : { title: 't', body: 'b' }),
        push: ({ recipient }) => (recipient.pushTokens?.length ? { title: 't', body: 'b' } : skip('no device')),
      },
    });
    const { herald } = rig();
    const result = await herald.notify(picky, { to: ['ana', 'ben'], payload });
    const report = await result.settled;
    expect(report.skips.map((entry) => [entry.recipientId, entry.kind, entry.code, entry.reason]).sort()).toEqual([
      ['ana', 'push', 'skip', 'no device'],
      ['ben', 'inApp', 'skip', 'ben reads email only'],
      ['ben', 'push', 'skip', 'no device'],
    ]);
    expect((await herald.inbox.list('ben')).items).toHaveLength(0);
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
  });
});

const commented = defineNotification({
  type: 'ticket.commented',
  schema,
  channels: {
    inApp: ({ payload: p }) => ({ title: 'Comment', body: p.text }),
    email: ({ payload: p, events, digest }) => ({
      subject: `${digest.count} comments on ${p.ticketId}`,
      text: events.map((event) => `${event.actorId ?? '?'}: ${event.payload.text}`).join('\n'),
    }),
  },
  digest: {
    key: ({ payload: p }) => p.ticketId,
    window: '10m',
    maxWindow: '1h',
    maxEvents: 50,
    keep: 2,
    channels: ['email'],
  },
});

describe('digest', () => {
  it('folds events inside a sliding window into one delivery; other kinds go out per event', async () => {
    const { herald, clock, email } = rig();
    const results = [];
    for (const [index, actor] of ['cy', 'dee', 'cy', 'eve', 'fay'].entries()) {
      results.push(
        await herald.notify(commented, { to: 'ana', actor, payload: { ticketId: 't-1', text: `c${index}` } }),
      );
      await clock.advance(4 * MINUTE);
    }
    expect((await herald.inbox.list('ana')).items).toHaveLength(5);
    expect(email.calls).toHaveLength(0);
    // Each event's email record points at the digest.
    const first = (await results[0]?.settled)?.skips[0];
    expect(first).toMatchObject({ kind: 'email', code: 'digested' });
    // 10 minutes after the last event (t = 16m, last at 16m → closes at 26m; now 20m).
    await clock.advance(6 * MINUTE);
    expect(email.calls).toHaveLength(1);
    const content = email.calls[0]?.request.content;
    expect(content?.subject).toBe('5 comments on t-1');
    // keep: 2 → the first two and the last two events, oldest first.
    expect(content?.text).toBe('cy: c0\ndee: c1\neve: c3\nfay: c4');
    const digestId = first?.reason.replace('digested into ', '') ?? '';
    const digestRecord = await herald.deliveries.get(digestId);
    expect(digestRecord).toMatchObject({ status: 'sent', kind: 'email', recipientId: 'ana' });
  });

  it('digests the in-app kind too: one inbox item when the digest closes, none before', async () => {
    const reacted = defineNotification({
      type: 'post.reacted',
      schema: z.object({ postId: z.string() }),
      channels: {
        inApp: ({ digest }) => ({ title: `${digest.count} reactions`, body: digest.actorIds.join(', ') }),
        push: ({ digest }) => ({ title: `${digest.count} reactions`, body: 'open the app' }),
      },
      digest: { key: ({ payload: p }) => p.postId, window: '30s', channels: ['inApp', 'push'] },
    });
    const { herald, clock, push } = rig();
    const created: unknown[] = [];
    herald.on('inbox.created', (event) => created.push(...event.items));
    for (const actor of ['cy', 'dee', 'eve']) {
      await herald.notify(reacted, { to: ['ana', 'ben'], actor, payload: { postId: 'p-1' } });
    }
    expect((await herald.inbox.list('ana')).items).toHaveLength(0);
    expect((await herald.inbox.unreadCount('ana')).total).toBe(0);

    await clock.advance(30_000);
    for (const userId of ['ana', 'ben']) {
      const { items } = await herald.inbox.list(userId);
      expect(items.map((item) => [item.type, item.title, item.body])).toEqual([
        ['post.reacted', '3 reactions', 'cy, dee, eve'],
      ]);
      expect((await herald.inbox.unreadCount(userId)).total).toBe(1);
    }
    expect(created).toHaveLength(2);
    expect(push.calls.map((call) => [call.request.recipient.id, call.request.content.title]).sort()).toEqual([
      ['ana', '3 reactions'],
      ['ben', '3 reactions'],
    ]);
    // Running the digest's delivery again (a resumed dispatch) stores nothing twice.
    await clock.advance(60_000);
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
  });

  it('caps a sliding window at maxWindow and closes early at maxEvents', async () => {
    const { herald, clock, email } = rig();
    // One event every 9 minutes keeps sliding the 10-minute window; the 1-hour cap closes it.
    for (let index = 0; index < 8; index++) {
      await herald.notify(commented, { to: 'ana', payload: { ticketId: 't-2', text: `c${index}` } });
      await clock.advance(9 * MINUTE);
    }
    expect(email.calls.map((call) => call.request.content.subject)).toEqual(['7 comments on t-2']);
    // maxEvents (50) reached: the digest closes at once.
    const burst = rig();
    for (let index = 0; index < 50; index++) {
      await burst.herald.notify(commented, { to: 'ana', payload: { ticketId: 't-3', text: `c${index}` } });
    }
    await burst.clock.advance(1);
    expect(burst.email.calls.map((call) => call.request.content.subject)).toEqual(['50 comments on t-3']);
  });

  it('keeps keys and recipients apart, and flushes on demand', async () => {
    const { herald, clock, email } = rig();
    await herald.notify(commented, { to: ['ana', 'ben'], payload: { ticketId: 't-4', text: 'a' } });
    await herald.notify(commented, { to: ['ana'], payload: { ticketId: 't-5', text: 'b' } });
    expect(await herald.digests.flush(commented, { key: 't-4', recipientId: 'ana' })).toBe(1);
    await clock.advance(1);
    expect(email.calls.map((call) => [call.request.recipient.id, call.request.content.subject])).toEqual([
      ['ana', '1 comments on t-4'],
    ]);
    expect(await herald.digests.flush(commented, { key: 't-4' })).toBe(1);
    await clock.advance(1);
    expect(email.calls).toHaveLength(2);
    await clock.advance(10 * MINUTE);
    expect(email.calls.map((call) => call.request.content.subject).sort()).toEqual([
      '1 comments on t-4',
      '1 comments on t-4',
      '1 comments on t-5',
    ]);
  });

  it('takes a cancelled event out of its open digest; a digest left empty sends nothing', async () => {
    const { herald, clock, email } = rig();
    await herald.notify(commented, { to: 'ana', payload: { ticketId: 't-6', text: 'keep' }, idempotencyKey: 'k1' });
    await herald.notify(commented, { to: 'ana', payload: { ticketId: 't-6', text: 'drop' }, idempotencyKey: 'k2' });
    expect((await herald.cancel('k2')).cancelled).toBe(1);
    await clock.advance(10 * MINUTE);
    expect(email.calls.map((call) => call.request.content.subject)).toEqual(['1 comments on t-6']);

    await herald.notify(commented, { to: 'ana', payload: { ticketId: 't-7', text: 'gone' }, idempotencyKey: 'k3' });
    await herald.cancel('k3');
    await clock.advance(10 * MINUTE);
    expect(email.calls).toHaveLength(1);
    const empty = (await herald.deliveries.list({ status: 'skipped' })).records.find(
      (record) => record.reasonCode === 'empty-digest',
    );
    expect(empty).toMatchObject({ kind: 'email', reason: 'every event of the digest was cancelled' });
  });

  it('never digests a critical notification: it goes out at once, as a digest of one', async () => {
    const urgent = defineNotification({
      type: 'ticket.urgent-comment',
      schema,
      critical: true,
      channels: { email: ({ payload: p, digest }) => ({ subject: `${digest.count} x ${p.text}` }) },
      digest: { window: '10m', channels: ['email'] },
    });
    const { herald, email } = rig();
    await (await herald.notify(urgent, { to: 'ana', payload })).settled;
    expect(email.calls.map((call) => call.request.content.subject)).toEqual(['1 x Printer on fire']);
  });

  it('closes a calendar digest at a local time in the recipient zone', async () => {
    const daily = defineNotification({
      type: 'ticket.daily',
      schema,
      channels: { email: ({ digest }) => ({ subject: `Today: ${digest.count}` }) },
      digest: { window: { every: 'day', at: '09:00' }, channels: ['email'] },
    });
    // 15:00Z on 10 June is 11:00 in New York: the digest closes at 09:00 EDT on 11 June (13:00Z).
    const { herald, clock, email } = rig();
    await herald.notify(daily, { to: { id: 'ana', timeZone: 'America/New_York' }, payload });
    await clock.advance(22 * HOUR - 1);
    expect(email.calls).toHaveLength(0);
    await clock.advance(1);
    expect(email.calls.map((call) => call.request.content.subject)).toEqual(['Today: 1']);
  });
});

describe('throttle', () => {
  const pushed = defineNotification({
    type: 'ticket.pushed',
    schema,
    channels: { push: () => ({ title: 'Ticket', body: 'update' }), inApp: () => ({ title: 't', body: 'b' }) },
    throttle: { limit: 3, per: '1h', channels: ['push'] },
  });

  it('lets exactly the limit through, records the rest throttled, and slides', async () => {
    const { herald, clock, push } = rig();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        herald.notify(pushed, { to: 'ana', payload: { ...payload, text: `${index}` } }),
      ),
    );
    const reports = await Promise.all(results.map((result) => result.settled));
    expect(push.calls).toHaveLength(3);
    expect(reports.flatMap((report) => report.skips).filter((entry) => entry.code === 'throttled')).toHaveLength(97);
    expect((await herald.inbox.list('ana', { limit: 100 })).items).toHaveLength(100);
    await clock.advance(HOUR + 1);
    await (await herald.notify(pushed, { to: 'ana', payload })).settled;
    expect(push.calls).toHaveLength(4);
  });

  it('spans types with a budget in the settings; critical notifications pass', async () => {
    const other = defineNotification({
      type: 'ticket.other',
      schema,
      channels: { push: () => ({ title: 'o', body: 'o' }) },
    });
    const alarm = defineNotification({
      type: 'ticket.alarm',
      schema,
      critical: true,
      channels: { push: () => ({ title: 'a', body: 'a' }) },
    });
    const { herald, push } = rig({ throttle: { limit: 2, per: '1h' } });
    for (const definition of [pushed, other, other, alarm])
      await (await herald.notify(definition, { to: 'ana', payload })).settled;
    expect(push.calls.map((call) => call.request.type)).toEqual(['ticket.pushed', 'ticket.other', 'ticket.alarm']);
  });
});

describe('quiet hours', () => {
  const original = process.env.TZ;
  // A host whose own zone is neither UTC nor the recipient's: nothing may depend on it.
  beforeAll(() => {
    process.env.TZ = 'Asia/Kolkata';
  });
  afterAll(() => {
    process.env.TZ = original;
  });

  const nightly = (quietHours: 'defer' | 'drop' | 'ignore', critical = false) =>
    defineNotification({
      type: `ticket.night.${quietHours}${critical ? '.critical' : ''}`,
      schema,
      critical,
      quietHours,
      channels: { inApp: () => ({ title: 't', body: 'b' }), push: () => ({ title: 'Night', body: 'b' }) },
    });

  async function quietRig(start: number) {
    const setup = rig({}, start);
    await setup.herald.preferences.set('ana', {
      timeZone: 'America/New_York',
      quietHours: { from: '22:00', to: '07:00' },
    });
    return setup;
  }

  it.each([
    ['the night clocks spring forward', Date.UTC(2026, 2, 8, 4, 30), Date.UTC(2026, 2, 8, 11, 0)],
    ['the night clocks fall back', Date.UTC(2026, 10, 1, 3, 30), Date.UTC(2026, 10, 1, 12, 0)],
    ['an ordinary night, after midnight', Date.UTC(2026, 5, 10, 7, 0), Date.UTC(2026, 5, 10, 11, 0)],
  ])('defers a delivery inside them to their end, once, on %s', async (_night, start, end) => {
    const { herald, clock, push } = await quietRig(start);
    const result = await herald.notify(nightly('defer'), { to: 'ana', payload });
    // In-app is not silenced by default.
    expect((await herald.inbox.list('ana')).items).toHaveLength(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records.filter(
      (r) => r.kind === 'push',
    );
    expect(record?.scheduledFor).toBe(new Date(end).toISOString());
    await clock.advance(end - start - 1);
    expect(push.calls).toHaveLength(0);
    await clock.advance(1);
    expect(push.calls).toHaveLength(1);
    await clock.advance(24 * HOUR);
    expect(push.calls).toHaveLength(1);
    expect(push.calls[0]?.request.deliveryId).toBe(record?.id);
  });

  it('drops with a reason, ignores when told to, and lets critical notifications through', async () => {
    const start = Date.UTC(2026, 5, 10, 7, 0); // 03:00 in New York
    const { herald, push } = await quietRig(start);
    const dropped = await (await herald.notify(nightly('drop'), { to: 'ana', payload })).settled;
    expect(dropped.skips).toEqual([expect.objectContaining({ kind: 'push', code: 'quiet-hours' })]);
    await (await herald.notify(nightly('ignore'), { to: 'ana', payload })).settled;
    await (await herald.notify(nightly('defer', true), { to: 'ana', payload })).settled;
    expect(push.calls).toHaveLength(2);
  });

  it('leaves a delivery outside them alone', async () => {
    const { herald, push } = await quietRig(Date.UTC(2026, 5, 10, 16, 0)); // 12:00 in New York
    await (await herald.notify(nightly('defer'), { to: 'ana', payload })).settled;
    expect(push.calls).toHaveLength(1);
  });
});

describe('reason codes', () => {
  it('names why each withheld delivery did not go out', async () => {
    const addressed: Channel<'email'> = {
      specificationVersion: 'v1',
      kind: 'email',
      id: 'addressed',
      async send(request) {
        return request.recipient.email
          ? { status: 'sent' }
          : { status: 'skipped', reason: 'recipient has no email address', code: 'no-address' };
      },
    };
    const plain = defineNotification({
      type: 'ticket.plain',
      schema,
      channels: { inApp: () => ({ title: 't', body: 'b' }), email: () => ({ subject: 's' }) },
    });
    const { herald } = rig({
      channels: [addressed],
      resolveRecipients: (ids) => ids.filter((id) => id !== 'ghost').map((id) => ({ id })),
    });
    await herald.preferences.set('ben', { channels: { email: false } });
    const report = await (await herald.notify(plain, { to: ['ana', 'ben', 'ghost'], payload })).settled;
    expect(report.skips.map((entry) => `${entry.recipientId}.${entry.kind}:${entry.code}`).sort()).toEqual([
      'ana.email:no-address',
      'ben.email:preference',
      'ghost.email:unknown-recipient',
      'ghost.inApp:unknown-recipient',
    ]);
    const records = (await herald.deliveries.list({ recipientId: 'ben' })).records;
    expect(records.find((record) => record.kind === 'email')).toMatchObject({ reasonCode: 'preference' });
  });
});

describe('reason codes in every place a host looks', () => {
  it('gives each withheld delivery the same code in its record, the settled report, the event and herald.deliveries', async () => {
    const plain = defineNotification({
      type: 'ticket.plain-everywhere',
      schema,
      channels: { inApp: () => ({ title: 't', body: 'b' }), email: () => ({ subject: 's' }) },
    });
    const picky = defineNotification({
      type: 'ticket.picky-everywhere',
      schema,
      channels: { push: () => skip('no device') },
    });
    const once = defineNotification({
      type: 'ticket.once-an-hour',
      schema,
      quietHours: 'drop',
      throttle: { limit: 1, per: '1h', channels: ['push'] },
      channels: { push: () => ({ title: 't', body: 'b' }) },
    });
    const addressed = createTestChannel('email');
    const push = createTestChannel('push', { skipsRecipientsWithoutAddress: false });
    const { herald, clock } = rig({
      channels: [addressed, push],
      resolveRecipients: (ids) =>
        ids.filter((id) => id !== 'ghost').map((id) => (id === 'ana' ? { id } : { id, email: `${id}@example.test` })),
    });
    const events = new Map<string, string>();
    herald.on('delivery.skipped', ({ delivery, code }) => events.set(delivery.id, code));
    await herald.preferences.set('ben', { channels: { email: false } });
    // 15:00 UTC falls inside dee's quiet hours.
    await herald.preferences.set('dee', { timeZone: 'UTC', quietHours: { from: '14:00', to: '16:00' } });

    const results = [
      await herald.notify(plain, { to: ['ana', 'ben', 'ghost'], payload }),
      await herald.notify(picky, { to: 'cy', payload }),
      await herald.notify(once, { to: 'cy', payload }),
      await herald.notify(once, { to: 'cy', payload }),
      await herald.notify(once, { to: 'dee', payload }),
      await herald.notify(escalated, { to: 'cy', payload }),
      await herald.notify(commented, { to: 'cy', payload }),
      await herald.notify(commented, { to: 'cy', payload: { ...payload, ticketId: 't-9' }, idempotencyKey: 'gone' }),
    ];
    const [escalatedItem] = (await herald.inbox.list('cy')).items.filter((item) => item.type === 'ticket.escalated');
    await herald.inbox.markRead('cy', [escalatedItem?.id as string]);
    await herald.cancel('gone');
    await clock.advance(HOUR);

    const reported = new Map<string, string>();
    for (const result of results) {
      for (const entry of (await result.settled).skips) reported.set(entry.deliveryId, entry.code);
    }
    const records = (await herald.deliveries.list({ status: 'skipped', limit: 100 })).records;
    const byCode = new Map(records.map((record) => [record.reasonCode, record]));
    expect([...byCode.keys()].sort()).toEqual(
      [
        'condition',
        'digested',
        'empty-digest',
        'no-address',
        'preference',
        'quiet-hours',
        'skip',
        'throttled',
        'unknown-recipient',
      ].sort(),
    );
    for (const record of records) {
      expect(events.get(record.id), record.id).toBe(record.reasonCode);
      expect((await herald.deliveries.get(record.id))?.reasonCode).toBe(record.reasonCode);
      // A digest's own delivery belongs to no notification's report.
      if (record.reasonCode !== 'empty-digest') expect(reported.get(record.id), record.id).toBe(record.reasonCode);
    }
    // A digested event names the digest it went out in.
    const digestId = byCode.get('digested')?.digestDeliveryId as string;
    expect(await herald.deliveries.get(digestId)).toMatchObject({ status: 'sent', kind: 'email', recipientId: 'cy' });
    expect(byCode.get('skip')?.reason).toBe('no device');
  });
});
