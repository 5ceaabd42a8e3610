// Timing features on RedisStore and BullMQ, with real worker processes: bursts from four processes into one
// digest and one throttle, workers SIGKILLed while a digest is open, being handed over, or closing, and while an
// escalation is between its due time and its send; quiet hours waited out as delayed jobs.
import type { Clock, DeliveryRecord } from '@herald/core';
import { createHerald, defineNotification } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { deliveryPages } from '@herald/core/store-kit';
import { RedisStore } from '@herald/storage/redis';
import { testRedisUrl } from '@herald/test-peers/redis';
import { createTestChannel, waitUntil } from '@herald/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectionFor, uniqueName } from './bullmq.fixture';
import { type BullMQRunner, createBullMQRunner } from './bullmq-runner';
import {
  killWorkflowChildren,
  type LoggedSend,
  spawnWorkflowChild,
  ticketDigested,
  ticketEscalated,
  ticketThrottled,
  type WorkflowChildConfig,
} from './workflows.fixture';

/** Long enough that a join a few milliseconds after another always lands in the same digest. */
const WINDOW_MS = 3_000;

let redis: Redis;
/** Heralds and queues a test opened, closed after it. */
const opened: { close(): Promise<unknown> }[] = [];

beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 3 });
});

afterEach(async () => {
  await killWorkflowChildren();
  for (const item of opened.splice(0).reverse()) await item.close();
});

afterAll(async () => {
  await redis.quit();
});

/** A second worker process, booted now and started when told: it takes over from a killed one at once. */
function standby(config: Omit<WorkflowChildConfig, 'role'>): { start(): Promise<void> } {
  const startOn = `${config.runKey}:start-second`;
  const child = spawnWorkflowChild({ ...config, role: 'second', startOn });
  return {
    async start() {
      await redis.set(startOn, '1');
      await child.started;
    },
  };
}

function lane(label: string) {
  const config: Omit<WorkflowChildConfig, 'role'> = {
    redisUrl: testRedisUrl(),
    namespace: uniqueName(label),
    runKey: uniqueName(`${label}-run`),
    digestWindowMs: WINDOW_MS,
  };
  const store = new RedisStore({ redis, namespace: config.namespace });
  // Reads the lane's queues; works on nothing.
  const inspector = createBullMQRunner({
    connection: connectionFor(testRedisUrl()),
    prefix: 'hbq',
    namespace: config.namespace,
    worker: false,
  });
  opened.push(inspector);
  const records = async (): Promise<DeliveryRecord[]> => {
    const all: DeliveryRecord[] = [];
    for await (const page of deliveryPages(store, { limit: 100 })) all.push(...page.records);
    return all;
  };
  const sends = async (kind: 'letter' | 'pager'): Promise<LoggedSend[]> =>
    (await redis.lrange(`${config.runKey}:sends:${kind}`, 0, -1)).map((line) => JSON.parse(line) as LoggedSend);
  /** A producer on the lane's store and queues that works on nothing: it reads and notifies as a web server does. */
  const producer = () => {
    const runner = createBullMQRunner({
      connection: connectionFor(testRedisUrl()),
      prefix: 'hbq',
      namespace: config.namespace,
      worker: false,
      settleFromEvents: false,
    });
    const herald = createHerald({
      store,
      channels: [
        createTestChannel('letter', { skipsRecipientsWithoutAddress: false }),
        createTestChannel('pager', { skipsRecipientsWithoutAddress: false }),
      ],
      notifications: [ticketDigested(WINDOW_MS), ticketEscalated, ticketThrottled],
      runner,
      relay: false,
    });
    opened.push(herald);
    return { herald, runner };
  };
  /** Nothing is left to run: every record final and no job of the lane waiting, delayed or active. */
  const settled = async (expectedRecords: number): Promise<boolean> => {
    const all = await records();
    if (all.length < expectedRecords || all.some((record) => record.status === 'pending')) return false;
    for (const kind of ['letter', 'pager', 'inApp'] as const) {
      const counts = await inspector.queue(kind).getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      if (Object.values(counts).some((count) => count > 0)) return false;
    }
    return true;
  };
  return { config, store, records, sends, producer, settled };
}

describe('bursts from four processes, each with its own Redis connections', () => {
  it('50 events into one digest key make one digest of 50; 100 notifies past a limit of 3 send exactly 3', async () => {
    const { config, records, sends, settled } = lane('burst');
    const titles = Array.from({ length: 50 }, (_, index) => `event-${index}`);
    const go = `${config.runKey}:go`;
    const children = [0, 1, 2, 3].map((place) =>
      spawnWorkflowChild({
        ...config,
        role: `process-${place}`,
        waitFor: go,
        digestEvents: titles.filter((_, index) => index % 4 === place),
        throttled: 25,
      }),
    );
    await Promise.all(children.map((child) => child.started));
    await redis.set(go, '1');
    await Promise.all(children.map((child) => child.ready));
    // 50 event records, one digest record, 100 pager records.
    await waitUntil('the digest and every page to be final', () => settled(151), { timeoutMs: 30_000 });

    const letters = await sends('letter');
    expect(letters).toHaveLength(1);
    expect(letters[0]?.subject).toBe('50 on t-1');
    expect(letters[0]?.text.split('\n').sort()).toEqual([...titles].sort());
    const all = await records();
    const digestRecord = all.find((record) => record.id === letters[0]?.deliveryId);
    expect(digestRecord).toMatchObject({ status: 'sent', kind: 'letter', recipientId: 'ana' });
    const events = all.filter((record) => record.type === 'ticket.digested' && record.id !== digestRecord?.id);
    expect(events).toHaveLength(50);
    for (const event of events) {
      expect(event).toMatchObject({ status: 'skipped', reasonCode: 'digested', digestDeliveryId: digestRecord?.id });
    }

    const pages = all.filter((record) => record.type === 'ticket.throttled');
    expect(pages).toHaveLength(100);
    expect(pages.filter((record) => record.status === 'sent')).toHaveLength(3);
    expect(pages.filter((record) => record.status === 'skipped' && record.reasonCode === 'throttled')).toHaveLength(97);
    expect((await sends('pager')).map((send) => send.deliveryId).sort()).toEqual(
      pages
        .filter((record) => record.status === 'sent')
        .map((record) => record.id)
        .sort(),
    );
  }, 60_000);
});

describe('a digest outlives the worker that was to close it', () => {
  it('killed before it handed the close over: the relay of another process hands it over, one digest is sent', async () => {
    const { config, sends, records, producer, settled } = lane('dg-handover');
    const first = spawnWorkflowChild({ ...config, role: 'first', stallDigestHandOver: true, digestEvents: ['opened'] });
    const second = standby(config);
    await first.started;
    await waitUntil(
      'the close to be about to be handed over',
      async () => (await redis.exists(`${config.runKey}:stalled`)) === 1,
      {
        timeoutMs: 20_000,
      },
    );
    await first.kill();
    // Two more events join the bucket the killed process opened (its close still not handed over).
    const { herald } = producer();
    const digested = ticketDigested(WINDOW_MS);
    for (const title of ['joined-1', 'joined-2']) {
      await herald.notify(digested, { to: 'ana', payload: { ticketId: 't-1', title } });
    }
    await second.start();
    await waitUntil('the digest to go out', () => settled(4), { timeoutMs: 30_000 });
    const letters = await sends('letter');
    expect(letters.map((send) => [send.role, send.subject])).toEqual([['second', '3 on t-1']]);
    expect(letters[0]?.text.split('\n').sort()).toEqual(['joined-1', 'joined-2', 'opened']);
    expect((await records()).find((record) => record.id === letters[0]?.deliveryId)?.status).toBe('sent');
  }, 60_000);

  it('killed while the digest is open: the delayed close runs in the next worker, one digest is sent', async () => {
    const { config, sends, settled } = lane('dg-open');
    const first = spawnWorkflowChild({ ...config, role: 'first', digestEvents: ['one', 'two', 'three'] });
    const second = standby(config);
    await first.ready;
    await first.kill();
    await second.start();
    await waitUntil('the digest to go out', () => settled(4), { timeoutMs: 30_000 });
    const letters = await sends('letter');
    expect(letters.map((send) => [send.role, send.subject])).toEqual([['second', '3 on t-1']]);
  }, 60_000);

  it('killed while the digest is closing (claimed, not yet sent): the next worker sends it, once', async () => {
    const { config, sends, records, settled } = lane('dg-closing');
    const first = spawnWorkflowChild({
      ...config,
      role: 'first',
      hang: ['letter'],
      digestEvents: ['one', 'two', 'three'],
    });
    const second = standby(config);
    await first.ready;
    await waitUntil(
      'the digest send to begin',
      async () => (await redis.llen(`${config.runKey}:entered:letter`)) === 1,
      {
        timeoutMs: 20_000,
      },
    );
    const [claimed] = await redis.lrange(`${config.runKey}:entered:letter`, 0, -1);
    await first.kill();
    await second.start();
    await waitUntil('the digest to go out', () => settled(4), { timeoutMs: 30_000 });
    const letters = await sends('letter');
    expect(letters.map((send) => [send.deliveryId, send.role, send.subject])).toEqual([
      [claimed, 'second', '3 on t-1'],
    ]);
    expect((await records()).find((record) => record.id === claimed)?.status).toBe('sent');
  }, 60_000);
});

describe('an escalation read before it is due', () => {
  it('is withdrawn from BullMQ at the read: its delayed job removed, its record skipped with the reason', async () => {
    const { store, config, records } = lane('esc-early');
    const letter = createTestChannel('letter', { skipsRecipientsWithoutAddress: false });
    const runner = createBullMQRunner({
      connection: connectionFor(testRedisUrl()),
      prefix: 'hbq',
      namespace: config.namespace,
    });
    const herald = createHerald({ store, channels: [letter], notifications: [ticketEscalated], runner, relay: false });
    opened.push(herald);
    const skipped: string[] = [];
    herald.on('delivery.skipped', ({ delivery, code }) => skipped.push(`${delivery.kind}:${code}`));
    const result = await herald.notify(ticketEscalated, { to: 'ana', payload: { ticketId: 't-3', title: 'Read me' } });
    const step = (await records()).find((record) => record.kind === 'letter');
    expect(await runner.queue('letter').getJobState(step?.id as string)).toBe('delayed');
    const [item] = (await herald.inbox.list('ana')).items;
    await herald.inbox.markRead('ana', [item?.id as string]);
    expect(skipped).toEqual(['letter:condition']);
    expect(await runner.queue('letter').getJobState(step?.id as string)).toBe('unknown');
    expect((await store.getDeliveries([step?.id as string]))[0]).toMatchObject({
      status: 'skipped',
      reasonCode: 'condition',
      reason: 'condition: read',
    });
    expect((await result.settled).skips).toEqual([expect.objectContaining({ kind: 'letter', code: 'condition' })]);
    expect(letter.calls).toHaveLength(0);
  });
});

describe('an escalation whose worker dies between its due time and its send', () => {
  async function killedAtTheSend(label: string) {
    const setup = lane(label);
    const first = spawnWorkflowChild({ ...setup.config, role: 'first', hang: ['letter'], escalateTo: 'ana' });
    const second = standby(setup.config);
    await first.ready;
    await waitUntil(
      'the escalation to fall due and reach its send',
      async () => (await redis.llen(`${setup.config.runKey}:entered:letter`)) === 1,
      { timeoutMs: 20_000 },
    );
    const [deliveryId] = await redis.lrange(`${setup.config.runKey}:entered:letter`, 0, -1);
    await first.kill();
    return { ...setup, second, deliveryId: deliveryId as string };
  }

  it('is sent once by the next worker', async () => {
    const { sends, records, settled, deliveryId, second } = await killedAtTheSend('esc-sent');
    await second.start();
    await waitUntil('the escalation to be final', () => settled(2), { timeoutMs: 30_000 });
    expect((await sends('letter')).map((send) => [send.deliveryId, send.role])).toEqual([[deliveryId, 'second']]);
    expect((await records()).find((record) => record.id === deliveryId)?.status).toBe('sent');
  }, 60_000);

  it('is withdrawn, with the reason, when the item was read meanwhile', async () => {
    const { sends, records, settled, deliveryId, producer, second } = await killedAtTheSend('esc-read');
    const { herald } = producer();
    const [item] = (await herald.inbox.list('ana')).items;
    await herald.inbox.markRead('ana', [item?.id as string]);
    await second.start();
    await waitUntil('the escalation to be final', () => settled(2), { timeoutMs: 30_000 });
    expect(await sends('letter')).toEqual([]);
    expect((await records()).find((record) => record.id === deliveryId)).toMatchObject({
      status: 'skipped',
      reasonCode: 'condition',
      reason: 'condition: read',
    });
  }, 60_000);
});

describe('quiet hours through BullMQ', () => {
  const original = process.env.TZ;
  // A host whose own zone is neither UTC nor the recipient's: nothing may depend on it.
  beforeAll(() => {
    process.env.TZ = 'Asia/Kolkata';
  });
  afterAll(() => {
    process.env.TZ = original;
  });

  const schema = z.object({ title: z.string() });
  const nightly = defineNotification({
    type: 'ticket.nightly',
    schema,
    channels: { inApp: () => ({ title: 't', body: 'b' }), pager: ({ payload }) => ({ text: payload.title }) },
  });
  const nightlyDigest = defineNotification({
    type: 'ticket.nightly-digest',
    schema,
    channels: { pager: ({ digest }) => ({ text: `digest of ${digest.count}` }) },
    digest: { window: '500ms', channels: ['pager'] },
  });

  /** Herald's clock, a few seconds before quiet hours end in New York: real time, moved by a fixed offset. */
  function shiftedClock(startsAt: number): Clock {
    const offset = startsAt - Date.now();
    return {
      now: () => Date.now() + offset,
      setTimeout(callback, ms) {
        const timer = setTimeout(callback, Math.max(0, ms));
        timer.unref();
        return timer;
      },
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
  }

  it.each([
    ['the morning after clocks spring forward', Date.UTC(2026, 2, 8, 11, 0)],
    ['the morning after clocks fall back', Date.UTC(2026, 10, 1, 12, 0)],
  ])(
    'defers a delivery and a digest to 07:00 in New York on %s, as delayed jobs sent once',
    async (_night, end) => {
      const clock = shiftedClock(end - 2_500);
      const namespace = uniqueName('quiet');
      const store = new RedisStore({ redis, namespace });
      const sent: { deliveryId: string; text: string; at: number }[] = [];
      const pager: Channel<'pager'> = {
        specificationVersion: 'v1',
        kind: 'pager',
        id: 'clocked-pager',
        async send(request) {
          sent.push({ deliveryId: request.deliveryId, text: request.content.text, at: clock.now() });
          return { status: 'sent' };
        },
      };
      const runner: BullMQRunner = createBullMQRunner({
        connection: connectionFor(testRedisUrl()),
        prefix: 'hbq',
        namespace,
        clock,
      });
      const herald = createHerald({
        store,
        clock,
        channels: [pager],
        notifications: [nightly, nightlyDigest],
        runner,
        relay: false,
      });
      try {
        await herald.preferences.set('ana', {
          timeZone: 'America/New_York',
          quietHours: { from: '22:00', to: '07:00' },
        });
        const single = await herald.notify(nightly, { to: 'ana', payload: { title: 'wake up' } });
        const grouped = await herald.notify(nightlyDigest, { to: 'ana', payload: { title: 'a' } });
        await herald.notify(nightlyDigest, { to: 'ana', payload: { title: 'b' } });
        const records = (await herald.deliveries.list({ notificationId: single.id })).records;
        const page = records.find((record) => record.kind === 'pager');
        expect(page?.scheduledFor).toBe(new Date(end).toISOString());
        expect(await runner.queue('pager').getJobState(page?.id as string)).toBe('delayed');
        // The in-app item is not silenced.
        expect((await herald.inbox.list('ana')).items).toHaveLength(1);

        const digestId = (await grouped.settled).skips[0]?.reason.replace('digested into ', '') ?? '';
        await waitUntil(
          'both to be sent',
          async () => {
            const [one, two] = await store.getDeliveries([page?.id as string, digestId]);
            return one?.status === 'sent' && two?.status === 'sent';
          },
          { timeoutMs: 20_000 },
        );
        await waitUntil('no job of the lane to be left', async () => {
          const counts = await runner.queue('pager').getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          return Object.values(counts).every((count) => count === 0);
        });
        expect(sent.map((send) => [send.deliveryId, send.text]).sort()).toEqual(
          [
            [page?.id, 'wake up'],
            [digestId, 'digest of 2'],
          ].sort(),
        );
        for (const send of sent) expect(send.at).toBeGreaterThanOrEqual(end);
      } finally {
        await herald.close();
      }
    },
    30_000,
  );
});
