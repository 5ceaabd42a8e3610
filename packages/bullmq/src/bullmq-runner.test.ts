import { ConfigurationError, createHerald, HeraldError } from '@herald/core';
import type { Channel, DeliveryTask, SendRequest, SendResult } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { testRedisUrl } from '@herald/test-peers/redis';
import { createTestChannel, failPermanently, failTimes, waitUntil } from '@herald/testing';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connectionFor, redisClient, rig, ticketAssigned, uniqueName } from './bullmq.fixture';
import { createBullMQRunner, limiterForRate } from './bullmq-runner';

afterEach(closeAll);

const payload = { title: 'Printer on fire' };

describe('deliveries through BullMQ', () => {
  it('delivers through BullMQ jobs with a MemoryStore, a job per delivery named by its id', async () => {
    const pager = createTestChannel('pager');
    const { herald, runner } = rig({ channels: [pager], namespace: uniqueName('memory') });
    const added: string[] = [];
    const events = new QueueEvents(runner.queueName('pager'), {
      connection: connectionFor(testRedisUrl()),
      prefix: 'hbq',
    });
    await events.waitUntilReady();
    events.on('added', ({ jobId }) => added.push(jobId));

    const result = await herald.notify(ticketAssigned, { to: ['ann', 'bob', 'cy'], payload, channels: ['pager'] });
    const report = await result.settled;

    expect(report).toMatchObject({ total: 3, sent: 3, failed: 0 });
    expect(pager.delivered.map((request) => request.recipient.id).sort()).toEqual(['ann', 'bob', 'cy']);
    await waitUntil('three added events', () => added.length === 3);
    expect(added.sort()).toEqual(pager.delivered.map((request) => request.deliveryId).sort());
    expect(runner.queueName('pager')).toMatch(/^memory-.*\.pager$/);
    await events.close();
  });

  it('delivers with a RedisStore, in-app items and pager messages alike', async () => {
    const pager = createTestChannel('pager');
    const inApp = createTestChannel('inApp', { id: 'realtime' });
    const store = new RedisStore({ redis: redisClient(), namespace: uniqueName('store') });
    const { herald } = rig({ channels: [pager, inApp], namespace: uniqueName('redis'), store });

    const result = await herald.notify(ticketAssigned, { to: ['ann', 'bob'], payload });
    const report = await result.settled;

    expect(report).toMatchObject({ total: 4, sent: 4 });
    expect(pager.delivered).toHaveLength(2);
    expect(inApp.delivered.map((request) => request.inboxItem?.title)).toEqual(['Ticket assigned', 'Ticket assigned']);
    const records = await store.listDeliveries({ notificationId: result.id, limit: 10 });
    expect(records.records.map((record) => record.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it('adds a delivery once however often it is enqueued, and sends it once', async () => {
    const pager = createTestChannel('pager');
    const { herald, runner } = rig({ channels: [pager], namespace: uniqueName('twice') });
    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'], delayMs: 300 });
    const [job] = await runner.queue('pager').getDelayed();
    const task = job?.data as DeliveryTask;

    await runner.enqueue([task]);
    await runner.enqueue([task], { runAt: Date.now() + 300 });

    expect(await runner.queue('pager').getJobCounts('delayed', 'waiting', 'active')).toMatchObject({
      delayed: 1,
      waiting: 0,
      active: 0,
    });
    expect(await result.settled).toMatchObject({ sent: 1 });
    expect(pager.calls).toHaveLength(1);
  });

  it('retries a transient failure after the delay the retry policy chose, as BullMQ backoff', async () => {
    const pager = createTestChannel('pager', { script: failTimes(2) });
    const { herald, runner, store } = rig({ channels: [pager], namespace: uniqueName('retry') });
    const retries: number[] = [];
    herald.on('delivery.retrying', ({ retryInMs }) => retries.push(retryInMs));
    const delayedEvents: number[] = [];
    const events = new QueueEvents(runner.queueName('pager'), {
      connection: connectionFor(testRedisUrl()),
      prefix: 'hbq',
    });
    await events.waitUntilReady();
    events.on('delayed', ({ delay }) => delayedEvents.push(delay));

    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });

    expect(await result.settled).toMatchObject({ sent: 1, failed: 0 });
    expect(pager.calls.map((call) => call.request.attempt)).toEqual([1, 2, 3]);
    expect(retries).toHaveLength(2);
    const [record] = (await store.listDeliveries({ notificationId: result.id, limit: 5 })).records;
    expect(record).toMatchObject({ status: 'sent', attempts: 3 });
    // Each non-zero delay went through BullMQ's delayed set (a zero delay is an immediate BullMQ retry).
    await waitUntil('delayed events', () => delayedEvents.length === retries.filter((delay) => delay > 0).length);
    await events.close();
  });

  it('ends a permanently failing delivery at once: job failed as unrecoverable, record failed, no retry', async () => {
    const pager = createTestChannel('pager', { script: failPermanently('INVALID_RECIPIENT') });
    const { herald, runner, store } = rig({ channels: [pager], namespace: uniqueName('permanent') });

    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });
    const report = await result.settled;

    expect(report).toMatchObject({ failed: 1, sent: 0 });
    expect(report.failures[0]).toMatchObject({ recipientId: 'ann', kind: 'pager', code: 'INVALID_RECIPIENT' });
    expect(pager.calls).toHaveLength(1);
    const [record] = (await store.listDeliveries({ notificationId: result.id, limit: 5 })).records;
    expect(record).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'INVALID_RECIPIENT' } });
    await waitUntil('the failed job', async () => (await runner.queue('pager').getFailedCount()) === 1);
    const [job] = await runner.queue('pager').getFailed();
    expect(job?.id).toBe(record?.id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe('INVALID_RECIPIENT: test-pager: scripted INVALID_RECIPIENT');
  });

  it('sends a scheduled notification only when it is due, from a delayed job', async () => {
    const pager = createTestChannel('pager');
    const { herald, runner, store } = rig({ channels: [pager], namespace: uniqueName('delayed') });

    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'], delayMs: 400 });

    expect(await runner.queue('pager').getDelayedCount()).toBe(1);
    expect(pager.calls).toHaveLength(0);
    expect(await result.settled).toMatchObject({ sent: 1 });
    expect(result.scheduledFor).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [record] = (await store.listDeliveries({ notificationId: result.id, limit: 5 })).records;
    // Sent no earlier than due (BullMQ promotes a delayed job at its time, never before).
    expect(Date.parse(record?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(result.scheduledFor ?? ''));
  });

  it('withdraws the jobs of a notification cancelled before it is due', async () => {
    const pager = createTestChannel('pager');
    const inApp = createTestChannel('inApp');
    const { herald, runner, store } = rig({ channels: [pager, inApp], namespace: uniqueName('cancel') });
    const result = await herald.notify(ticketAssigned, {
      to: ['ann', 'bob'],
      payload,
      delayMs: 60_000,
      idempotencyKey: uniqueName('key'),
    });
    const key = (await store.getNotification(result.id))?.idempotencyKey as string;
    expect(await runner.queue('pager').getDelayedCount()).toBe(2);

    const cancelled = await herald.cancel(key);

    expect(cancelled).toEqual({ notificationId: result.id, cancelled: 4 });
    expect(await runner.queue('pager').getDelayedCount()).toBe(0);
    expect(await runner.queue('inApp').getDelayedCount()).toBe(0);
    expect(await result.settled).toMatchObject({ total: 4, cancelled: 4, sent: 0 });
    const records = (await store.listDeliveries({ notificationId: result.id, limit: 10 })).records;
    expect(records.map((record) => record.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(pager.calls).toHaveLength(0);
    expect(inApp.calls).toHaveLength(0);
  });

  it('withdraws nothing it does not hold: unknown ids and finished jobs are not reported', async () => {
    const pager = createTestChannel('pager');
    const { herald, runner } = rig({ channels: [pager], namespace: uniqueName('withdraw') });
    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });
    await result.settled;

    expect(await runner.cancel([pager.delivered[0]?.deliveryId as string, 'nX.0.pager', 'no-kind-here.'])).toEqual([]);
    expect(pager.calls).toHaveLength(1);
  });

  it('does not send again when the job of a delivery already sent runs again (a stalled re-run)', async () => {
    const pager = createTestChannel('pager');
    const { herald, runner } = rig({ channels: [pager], namespace: uniqueName('rerun') });
    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });
    await result.settled;
    const task = { ...(pager.delivered[0] as SendRequest<unknown>) };
    const data: DeliveryTask = {
      deliveryId: task.deliveryId,
      notificationId: task.notificationId,
      type: task.type,
      kind: 'pager',
      recipient: task.recipient,
      attempt: 1,
    };
    const events = new QueueEvents(runner.queueName('pager'), {
      connection: connectionFor(testRedisUrl()),
      prefix: 'hbq',
    });
    await events.waitUntilReady();

    // The same delivery under another job id: what a job lost mid-run and run again looks like to the executor.
    const job = await runner.queue('pager').add(data.type, data, { jobId: `${data.deliveryId}-again` });
    const returned = await job.waitUntilFinished(events, 20_000);

    expect(returned).toEqual({
      deliveryId: data.deliveryId,
      notificationId: data.notificationId,
      recipientId: 'ann',
      kind: 'pager',
      status: 'sent',
    });
    expect(pager.calls).toHaveLength(1);
    await events.close();
  });
});

describe('rate limits', () => {
  function limitedChannel(ratePerSecond: number): Channel<'pager'> {
    return {
      specificationVersion: 'v1',
      kind: 'pager',
      id: 'limited',
      capabilities: { ratePerSecond },
      async send(): Promise<SendResult> {
        return { status: 'sent' };
      },
    };
  }

  it("makes a channel's ratePerSecond its queue's worker limiter", async () => {
    const { herald, runner } = rig({ channels: [limitedChannel(5)], namespace: uniqueName('rate') });
    const result = await herald.notify(ticketAssigned, { to: ['a', 'b'], payload, channels: ['pager'] });
    expect(await result.settled).toMatchObject({ sent: 2 });

    expect(runner.worker('pager')?.opts.limiter).toEqual({ max: 5, duration: 1_000 });
    expect(runner.worker('inApp')?.opts.limiter).toBeUndefined();
  });

  it('lets a limiter setting override the channel rate for its kind', async () => {
    const { herald, runner } = rig({
      channels: [limitedChannel(5)],
      namespace: uniqueName('override'),
      runner: { limiter: { pager: { max: 100, duration: 10_000 } } },
    });
    await (await herald.notify(ticketAssigned, { to: 'a', payload, channels: ['pager'] })).settled;
    expect(runner.worker('pager')?.opts.limiter).toEqual({ max: 100, duration: 10_000 });
  });

  it('turns rates into whole jobs per window', () => {
    expect(limiterForRate(50)).toEqual({ max: 50, duration: 1_000 });
    expect(limiterForRate(2.5)).toEqual({ max: 2, duration: 1_000 });
    expect(limiterForRate(0.5)).toEqual({ max: 1, duration: 2_000 });
  });
});

describe('settings and lifecycle', () => {
  it('needs a connection', () => {
    expect(() => createBullMQRunner(undefined as never)).toThrow(
      'createBullMQRunner needs a connection: pass { connection: { host, port } } or an ioredis client.',
    );
  });

  it('refuses a namespace BullMQ cannot use, and the queueName setting it replaced, with a ConfigurationError', () => {
    const connection = connectionFor(testRedisUrl());
    const refusalOf = (settings: object): unknown => {
      try {
        createBullMQRunner({ connection, ...settings });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const colon = refusalOf({ namespace: 'a:b' });
    expect(ConfigurationError.is(colon)).toBe(true);
    expect((colon as Error).message).toBe(
      'createBullMQRunner namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got "a:b".',
    );
    const former = refusalOf({ queueName: 'herald' });
    expect(ConfigurationError.is(former)).toBe(true);
    expect((former as Error).message).toBe(
      'createBullMQRunner has no `queueName` setting any more: give it `namespace` (default "herald"), the one name the store, the runner, the gateway and the publisher share.',
    );
  });

  it('starts working on the kinds of its channels at once, not at the next discovery pass', async () => {
    const pager = createTestChannel('pager');
    const { runner } = rig({
      channels: [pager],
      namespace: uniqueName('eager'),
      runner: { discoveryIntervalMs: 60_000 },
    });
    await waitUntil('the runner to start', () => runner.workingKinds().length > 0);
    expect(runner.workingKinds().sort()).toEqual(['inApp', 'pager']);
  });

  it('closes cleanly while its connections are still being set up, with no unhandled rejection', async () => {
    // BullMQ 5 rejects, unhandled, a connection closed before its setup (a version check) has finished.
    const unhandled: unknown[] = [];
    const collect = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', collect);
    try {
      for (let round = 0; round < 12; round += 1) {
        const pager = createTestChannel('pager');
        const { herald, runner } = rig({ channels: [pager], namespace: uniqueName('quick-close') });
        await waitUntil('the workers to be made', () => runner.workingKinds().length > 0);
        await herald.close();
      }
      // Rejections are reported a turn or two after they happen.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.off('unhandledRejection', collect);
    }
    expect(unhandled).toEqual([]);
  });

  it('shares one ioredis client, set up for RedisStore (maxRetriesPerRequest: 1), between store and runner', async () => {
    const client = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, showFriendlyErrorStack: true });
    const pager = createTestChannel('pager');
    const store = new RedisStore({ redis: client, namespace: uniqueName('shared') });
    const runner = createBullMQRunner({ connection: client, prefix: 'hbq', namespace: uniqueName('shared') });
    const herald = createHerald({ store, runner, channels: [pager], notifications: [ticketAssigned] });
    const result = await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });
    expect(await result.settled).toMatchObject({ sent: 1 });
    await herald.close();
    // The runner closed only what it made: the host's client is still usable.
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('refuses to enqueue before it is started, and adds nothing', async () => {
    const runner = createBullMQRunner({
      connection: connectionFor(testRedisUrl()),
      namespace: uniqueName('unstarted'),
    });
    const task: DeliveryTask = {
      deliveryId: 'n1.0.pager',
      notificationId: 'n1',
      type: 't',
      kind: 'pager',
      recipient: { id: 'ann' },
      attempt: 1,
    };
    await expect(runner.enqueue([task])).rejects.toMatchObject({ code: 'NOT_STARTED' });
    expect(await runner.queue('pager').getJobCounts('waiting', 'delayed')).toMatchObject({ waiting: 0, delayed: 0 });
    await runner.close();
  });

  it('refuses new deliveries once closed, with CLOSED, and adds nothing', async () => {
    const pager = createTestChannel('pager');
    const namespace = uniqueName('closed');
    const { herald, runner } = rig({ channels: [pager], namespace });
    await (await herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] })).settled;
    await runner.close();

    const task: DeliveryTask = {
      deliveryId: 'n2.0.pager',
      notificationId: 'n2',
      type: 't',
      kind: 'pager',
      recipient: { id: 'ann' },
      attempt: 1,
    };
    const error = await runner.enqueue([task]).catch((thrown: unknown) => thrown);
    expect(HeraldError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'CLOSED',
      message: 'The BullMQ runner is closed: it accepts no new deliveries.',
    });
    await expect(runner.cancel(['n2.0.pager'])).rejects.toMatchObject({
      code: 'CLOSED',
      message: 'The BullMQ runner is closed: it cannot withdraw deliveries.',
    });
    const check = createBullMQRunner({ connection: connectionFor(testRedisUrl()), prefix: 'hbq', namespace });
    expect(await check.queue('pager').getJobCounts('waiting', 'delayed')).toMatchObject({ waiting: 0, delayed: 0 });
    await check.close();
    expect(pager.calls).toHaveLength(1);
  });

  it('a producer-only runner starts no worker; the deliveries wait in Redis for one', async () => {
    const pager = createTestChannel('pager');
    const namespace = uniqueName('producer');
    const producer = rig({ channels: [pager], namespace, runner: { worker: false } });
    const result = await producer.herald.notify(ticketAssigned, { to: ['ann', 'bob'], payload, channels: ['pager'] });

    expect(producer.runner.workingKinds()).toEqual([]);
    expect(await producer.runner.queue('pager').getWaitingCount()).toBe(2);

    // A worker that shares the store (a MemoryStore here, so the same process) works on its channels' kinds.
    const workerPager = createTestChannel('pager', { id: 'worker-pager' });
    const worker = rig({ channels: [workerPager], namespace, store: producer.store });
    await waitUntil('the worker to send both', () => workerPager.delivered.length === 2);
    expect(worker.runner.workingKinds().sort()).toEqual(['inApp', 'pager']);
    // The producer hears about it through QueueEvents.
    expect(await result.settled).toMatchObject({ sent: 2 });
    expect(pager.calls).toHaveLength(0);
  });

  it('settles in the producer what a worker elsewhere failed for good, with the code', async () => {
    const namespace = uniqueName('remote-fail');
    const producer = rig({ channels: [createTestChannel('pager')], namespace, runner: { worker: false } });
    const result = await producer.herald.notify(ticketAssigned, { to: 'ann', payload, channels: ['pager'] });
    const failing = createTestChannel('pager', { script: failPermanently('UNAUTHORIZED') });
    rig({ channels: [failing], namespace, store: producer.store });

    const report = await result.settled;

    expect(report).toMatchObject({ total: 1, failed: 1 });
    expect(report.failures).toEqual([
      {
        deliveryId: `${result.id}.0.pager`,
        recipientId: 'ann',
        kind: 'pager',
        code: 'UNAUTHORIZED',
        message: 'test-pager: scripted UNAUTHORIZED',
      },
    ]);
  });

  it('works only on the kinds it is given', async () => {
    const pager = createTestChannel('pager');
    const inApp = createTestChannel('inApp');
    const namespace = uniqueName('kinds');
    const { herald, runner } = rig({ channels: [pager, inApp], namespace, runner: { kinds: ['pager'] } });
    const result = await herald.notify(ticketAssigned, { to: 'ann', payload });
    await waitUntil('the pager send', () => pager.delivered.length === 1);

    expect(runner.workingKinds()).toEqual(['pager']);
    expect(await runner.queue('inApp').getWaitingCount()).toBe(1);
    expect(inApp.calls).toHaveLength(0);
    // Another worker that takes in-app deliveries finishes the notification.
    const other = createTestChannel('inApp', { id: 'other-realtime' });
    rig({ channels: [pager, other], namespace, store: herald.store, runner: { kinds: ['inApp'] } });
    expect(await result.settled).toMatchObject({ total: 2, sent: 2 });
    expect(other.delivered).toHaveLength(1);
  });
});
