import { createHerald, DeliveryError, defineNotification } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeChannelContract } from './channel-contract';
import { NotificationAssertionError, recordNotifications } from './notification-recorder';
import { createSendRequest } from './send-request';
import { createTestChannel, failTimes, hangUntilAborted } from './test-channel';
import { createTestClock } from './test-clock';

describeChannelContract('test channel', () => ({
  channel: createTestChannel('inApp', {
    script: (request) =>
      request.recipient.id === 'nobody' ? { type: 'skip', reason: 'no address' } : { type: 'send' },
  }),
  content: { title: 'Hello', body: 'World' },
  recipient: { id: 'ana' },
  recipientWithoutAddress: { id: 'nobody' },
}));

describeChannelContract(
  'test channel with sendBatch',
  () => ({
    channel: createTestChannel('inApp', { batchSize: 10 }),
    content: { title: 'Hello', body: 'World' },
    recipient: { id: 'ana' },
  }),
  { addressless: true },
);

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Assigned', body: payload.title }) },
});

describe('createTestChannel', () => {
  it('follows its script per delivery and records every call', async () => {
    const channel = createTestChannel('inApp', { script: failTimes(1, 'RATE_LIMITED') });
    const request = createSendRequest({ title: 'a', body: 'b' }, { deliveryId: 'd1', recipient: { id: 'ana' } });
    await expect(channel.send(request)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    await expect(channel.send({ ...request, attempt: 2 })).resolves.toMatchObject({ status: 'sent' });
    await expect(channel.send({ ...request, deliveryId: 'd2' })).rejects.toBeInstanceOf(DeliveryError);
    expect(channel.calls.map((call) => call.step.type)).toEqual(['fail', 'send', 'fail']);
    expect(channel.delivered).toHaveLength(1);
    channel.reset();
    expect(channel.calls).toHaveLength(0);
  });

  it('hangs until the attempt is aborted', async () => {
    const channel = createTestChannel('inApp', { script: hangUntilAborted() });
    const controller = new AbortController();
    const pending = channel.send(createSendRequest({ title: 'a', body: 'b' }, { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('createTestClock', () => {
  it('runs timers in order as time advances, including ones scheduled by timers', async () => {
    const clock = createTestClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('a@100');
      clock.setTimeout(() => fired.push('c@150'), 50);
    }, 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 120);
    clock.setTimeout(() => fired.push('b@200'), 200);
    clock.clearTimeout(cancelled);
    await clock.advance(150);
    expect(fired).toEqual(['a@100', 'c@150']);
    expect(clock.now()).toBe(150);
    expect(clock.nextTimerAt()).toBe(200);
    await clock.runAll();
    expect(fired).toEqual(['a@100', 'c@150', 'b@200']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('recordNotifications', () => {
  it('answers who was notified, and explains who was not and why', async () => {
    const herald = createHerald({ store: new MemoryStore() });
    const recorder = recordNotifications(herald);
    await (await herald.notify(ticketAssigned, { to: ['ana', 'ben'], actor: 'ana', payload: { title: 'x' } })).settled;
    await herald.preferences.set('cy', { channels: { inApp: false } });
    await (await herald.notify(ticketAssigned, { to: ['cy'], payload: { title: 'y' } })).settled;
    await herald.notify(ticketAssigned, { to: ['dee'], payload: { title: 'z' }, idempotencyKey: 'k' });
    await herald.notify(ticketAssigned, { to: ['dee'], payload: { title: 'z' }, idempotencyKey: 'k' });

    recorder.assertNotified('ben', 'ticket.assigned', { kind: 'inApp', times: 1 });
    recorder.assertNotNotified('ana', 'ticket.assigned', { because: 'actor' });
    recorder.assertNotNotified('cy', 'ticket.assigned', { kind: 'inApp', because: 'preference' });
    recorder.assertCount('ticket.assigned', 3);
    expect(recorder.deduplicated).toHaveLength(1);

    expect(() => recorder.assertNotified('ana', 'ticket.assigned')).toThrow(
      /Expected ana to be notified of "ticket.assigned", but they were not \(actor\)/,
    );
    expect(() => recorder.assertNotNotified('ben', 'ticket.assigned')).toThrow(NotificationAssertionError);
    expect(() => recorder.assertNotNotified('zed', 'ticket.assigned', { because: 'preference' })).toThrow(
      /because of preference, but the reason was that no notification named them/,
    );
    expect(() => recorder.assertNothingSent()).toThrow(/ticket.assigned → ben \(inApp:sent\); left out: ana \(actor\)/);
    expect(() => recorder.assertNotified('dee', 'ticket.assigned', { times: 2 })).toThrow(
      /2 time\(s\), but it was 1 \(a repeated call was deduplicated\)/,
    );
    recorder.stop();
  });
});
