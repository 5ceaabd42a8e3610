import { MemoryStore } from '@herald/storage';
import { createTestChannel, createTestClock } from '@herald/testing';
import { describe, expect, it } from 'vitest';
import { DispatchIncompleteError } from './errors';
import { createHerald } from './herald';
import { recordingLogger, ticketAssigned } from './herald.fixture';
import type { HeraldSettings } from './herald-types';
import type { Runner } from './spec/runner';
import type { Store } from './spec/store';

const payload = { ticketId: 't-1', title: 'Printer on fire' };

/** A store whose named method fails (after doing its work, when `applied`) while `broken` is set. */
function faultyStore(method: keyof Store, options: { applied?: boolean } = {}) {
  const store = new MemoryStore();
  const state = { broken: true, failures: 0 };
  const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = (methods[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  methods[method] = async (...args: unknown[]) => {
    if (!state.broken) return original(...args);
    state.failures += 1;
    if (options.applied) await original(...args);
    throw new Error(options.applied ? `${String(method)} timed out (but applied)` : `${String(method)} failed`);
  };
  return { store, state };
}

// These tests name recipients by bare id, with no address: the test channel sends to them as if it had one.
const sendsToAnyone = { skipsRecipientsWithoutAddress: false };

function heraldOn(store: Store, extra: Partial<HeraldSettings> = {}) {
  const clock = createTestClock();
  const email = createTestChannel('email', sendsToAnyone);
  const herald = createHerald({
    store,
    clock,
    channels: [email],
    notifications: [ticketAssigned],
    retry: { random: () => 1 },
    relay: { leaseMs: 30_000, intervalMs: 10_000 },
    ...extra,
  });
  return { herald, clock, email };
}

async function expectExactlyOnce(
  store: Store,
  users: string[],
  email: { calls: { request: { recipient: { id: string } } }[] },
) {
  for (const user of users) {
    expect((await store.listInbox(user)).items, user).toHaveLength(1);
    expect((await store.unreadCount(user)).total, user).toBe(1);
  }
  expect(email.calls.map((call) => call.request.recipient.id).sort()).toEqual([...users].sort());
}

describe('a dispatch that stops part-way', () => {
  it.each([
    ['getPreferences', false],
    ['insertInboxItems', false],
    ['insertInboxItems', true],
    ['createDeliveries', false],
    ['createDeliveries', true],
    ['markNotificationDispatched', false],
  ] as const)(
    'is completed by the outbox relay once its lease ends (%s fails, applied: %s)',
    async (method, applied) => {
      const { store, state } = faultyStore(method, { applied });
      const { herald, clock, email } = heraldOn(store);
      const resumed: string[] = [];
      herald.on('notification.resumed', ({ notificationId }) => resumed.push(notificationId));
      const error = await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload }).catch((thrown) => thrown);
      expect(DispatchIncompleteError.is(error)).toBe(true);
      state.broken = false;
      // Within the lease nothing takes it over.
      await clock.advance(20_000);
      expect(resumed).toEqual([]);
      await clock.advance(25_000);
      expect(resumed).toEqual([(error as DispatchIncompleteError).notificationId]);
      await clock.flush();
      await expectExactlyOnce(store, ['ana', 'ben'], email);
      const record = await store.getNotification((error as DispatchIncompleteError).notificationId);
      expect(record?.status).toBe('dispatched');
      const report = await herald.deliveries.report(record?.id ?? '');
      expect(report).toMatchObject({ total: 4, sent: 4 });
      await herald.close();
    },
  );

  it('hands each delivery over once when relays of several processes race', async () => {
    const { store, state } = faultyStore('createDeliveries');
    const first = heraldOn(store);
    await first.herald.notify(ticketAssigned, { to: ['ana', 'ben', 'cy'], payload }).catch(() => undefined);
    state.broken = false;
    const clock = first.clock;
    const email = createTestChannel('email', sendsToAnyone);
    const others = [1, 2, 3].map(() =>
      createHerald({ store, clock, channels: [email], notifications: [ticketAssigned], relay: { leaseMs: 30_000 } }),
    );
    await clock.advance(45_000);
    await clock.flush();
    const sends = [...first.email.calls, ...email.calls].map((call) => call.request.recipient.id).sort();
    expect(sends).toEqual(['ana', 'ben', 'cy']);
    for (const user of ['ana', 'ben', 'cy']) expect((await store.listInbox(user)).items).toHaveLength(1);
    await Promise.all([first.herald.close(), ...others.map((other) => other.close())]);
  });

  it('applies what the store holds on resume: a new opt-out skips what was still pending', async () => {
    const { store, state } = faultyStore('createDeliveries');
    const { herald, clock, email } = heraldOn(store);
    const error = (await herald
      .notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k1' })
      .catch((thrown) => thrown)) as DispatchIncompleteError;
    state.broken = false;
    await herald.preferences.set('ben', { channels: { email: false } });
    const resumed = await herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k1' });
    expect(resumed).toMatchObject({ id: error.notificationId, resumed: true });
    expect(await resumed.settled).toMatchObject({ total: 4, sent: 3, skipped: 1 });
    await clock.flush();
    expect(email.calls.map((call) => call.request.recipient.id)).toEqual(['ana']);
    await herald.close();
  });

  it('joins a dispatch still running in this process instead of starting a second one', async () => {
    const { herald, email } = heraldOn(new MemoryStore());
    const [first, second] = await Promise.all([
      herald.notify(ticketAssigned, { to: 'ana', payload, idempotencyKey: 'same' }),
      herald.notify(ticketAssigned, { to: 'ana', payload, idempotencyKey: 'same' }),
    ]);
    expect(first.id).toBe(second.id);
    expect([first.deduplicated, second.deduplicated].sort()).toEqual([false, true]);
    await first.settled;
    expect(email.calls).toHaveLength(1);
    await herald.close();
  });

  it('never hands a delivery over twice within one process when a resume and a relay overlap', async () => {
    const { store, state } = faultyStore('markNotificationDispatched');
    const { herald, clock, email } = heraldOn(store);
    const error = (await herald
      .notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k2' })
      .catch((thrown) => thrown)) as DispatchIncompleteError;
    state.broken = false;
    await clock.advance(31_000); // the lease has ended: the relay may take it now
    const retry = herald.notify(ticketAssigned, { to: ['ana', 'ben'], payload, idempotencyKey: 'k2' });
    await clock.advance(10_000);
    expect((await retry).id).toBe(error.notificationId);
    await clock.flush();
    await expectExactlyOnce(store, ['ana', 'ben'], email);
    await herald.close();
  });
});

describe('recipients', () => {
  it('reports ids the resolver does not know, and gives them nothing', async () => {
    const logger = recordingLogger();
    const { herald, email } = heraldOn(new MemoryStore(), {
      logger,
      resolveRecipients: (ids) => ids.filter((id) => id !== 'ghost').map((id) => ({ id, email: `${id}@example.com` })),
    });
    const result = await herald.notify(ticketAssigned, { to: ['ana', 'ghost'], payload });
    expect(result.unknown).toEqual(['ghost']);
    const report = await result.settled;
    expect(report).toMatchObject({ total: 4, sent: 2, skipped: 2 });
    expect(report.skips.map((skip) => [skip.recipientId, skip.reason])).toEqual([
      ['ghost', 'unknown recipient: resolveRecipients does not know ghost'],
      ['ghost', 'unknown recipient: resolveRecipients does not know ghost'],
    ]);
    expect((await herald.inbox.list('ghost')).items).toHaveLength(0);
    expect(email.calls.map((call) => call.request.recipient.id)).toEqual(['ana']);
    expect(logger.lines.filter((line) => /unknown to resolveRecipients/.test(line.message))).toHaveLength(1);
    await herald.close();
  });

  it('warns once when recipients given by id can have no address', async () => {
    const logger = recordingLogger();
    const { herald } = heraldOn(new MemoryStore(), { logger });
    await (await herald.notify(ticketAssigned, { to: 'ana', payload })).settled;
    await (await herald.notify(ticketAssigned, { to: 'ben', payload })).settled;
    expect(logger.lines.filter((line) => /no resolveRecipients is set/.test(line.message))).toHaveLength(1);
    await herald.close();
  });
});

describe('a producer that cannot see outcomes', () => {
  it('tracks nothing in memory and reads the counts from the store when asked', async () => {
    const store = new MemoryStore();
    const handed: string[] = [];
    const runner: Runner = {
      specificationVersion: 'v1',
      id: 'enqueue-only',
      capabilities: { executesHere: false, settlesHere: false },
      start() {},
      async enqueue(tasks) {
        for (const task of tasks) handed.push(task.deliveryId);
      },
      async cancel() {
        return [];
      },
      async close() {},
    };
    const herald = createHerald({ store, runner, relay: false, channels: [createTestChannel('email', sendsToAnyone)] });
    const result = await herald.notify(ticketAssigned, { to: ['ana'], payload });
    expect(handed).toHaveLength(1);
    // Stored inbox items count as sent at once; the email waits for a worker elsewhere.
    await store.updateDelivery(handed[0] as string, { status: 'sent', attempts: 1 }, ['pending']);
    expect(await result.settled).toMatchObject({ total: 2, sent: 2 });
    await herald.close();
  });
});

describe('a fan-out of 200,000 recipients', () => {
  it('stores one item and one record per recipient and kind, in bounded stalls', async () => {
    const store = new MemoryStore();
    const email = createTestChannel('email', sendsToAnyone);
    const herald = createHerald({ store, channels: [email], relay: false, concurrency: 256 });
    const to = Array.from({ length: 200_000 }, (_, index) => `user-${index}`);
    const stall = stallMeter();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const result = await herald.notify(ticketAssigned, { to, payload });
    const notifyMs = performance.now() - started;
    const report = await result.settled;
    stall.stop();
    expect(report).toMatchObject({ total: 400_000, sent: 400_000 });
    expect(email.calls).toHaveLength(200_000);
    expect((await store.listInbox('user-199999')).items).toHaveLength(1);
    expect((await store.getNotification(result.id))?.status).toBe('dispatched');
    const figures = {
      notifyMs: Math.round(notifyMs),
      settledMs: Math.round(performance.now() - started),
      maxStallMs: stall.maxMs(),
      stallTicks: stall.ticks(),
      heapGrowthMiB: Math.round((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20),
    };
    process.stdout.write(`fan-out of 200,000 × 2 on MemoryStore: ${JSON.stringify(figures)}\n`);
    await herald.close();
  }, 120_000);
});

/** The longest time the event loop was held, seen by a 10 ms ticker. */
function stallMeter(): { stop(): void; maxMs(): number; ticks(): number } {
  let last = performance.now();
  let max = 0;
  let ticks = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 10);
    last = now;
    ticks += 1;
  }, 10);
  return { stop: () => clearInterval(ticker), maxMs: () => Math.round(max), ticks: () => ticks };
}
