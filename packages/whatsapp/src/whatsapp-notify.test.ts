// WhatsApp through Herald's notify: retries on the test clock, the template fallback, provider fallback, records.

import { createHerald, defineNotification, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import {
  type GraphPeer,
  graphError,
  startGraphPeer,
  startTwilioPeer,
  type TwilioPeer,
} from '@herald/test-peers/whatsapp';
import { createTestClock, type TestClock } from '@herald/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTwilioWhatsAppChannel } from './twilio-whatsapp-channel';
import { ticketAssigned } from './whatsapp.fixture';
import { createWhatsAppChannel } from './whatsapp-channel';

let graph: GraphPeer;
let twilio: TwilioPeer;
let herald: Herald;
let clock: TestClock;

beforeAll(async () => {
  [graph, twilio] = await Promise.all([startGraphPeer(), startTwilioPeer()]);
});
afterAll(async () => {
  await Promise.all([graph.close(), twilio.close()]);
});
afterEach(async () => {
  await herald?.close();
  graph.requests.length = 0;
  graph.queue.length = 0;
  twilio.requests.length = 0;
  twilio.queue.length = 0;
});

function setup(options: { accessToken?: string; withTwilio?: boolean } = {}): Herald {
  clock = createTestClock();
  herald = createHerald({
    store: new MemoryStore(),
    clock,
    retry: { random: () => 1, baseDelayMs: 1_000, attemptTimeoutMs: 10_000 },
    channels: [
      createWhatsAppChannel({
        phoneNumberId: graph.phoneNumberId,
        accessToken: options.accessToken ?? graph.accessToken,
        graphBaseUrl: graph.url,
      }),
      ...(options.withTwilio
        ? [
            createTwilioWhatsAppChannel({
              accountSid: twilio.accountSid,
              authToken: twilio.authToken,
              from: '+14155238886',
              baseUrl: twilio.url,
              contentSids: { ticket_assigned: 'HX0123456789abcdef0123456789abcdef' },
            }),
          ]
        : []),
    ],
  });
  return herald;
}

const ana = { id: 'ana', phone: '+14155550123' };
const payload = { ticketId: 't-42', title: 'Printer on fire' };

const textOnly = defineNotification({
  type: 'chat.reply',
  schema: z.object({ text: z.string() }),
  channels: { whatsapp: ({ payload }) => ({ text: payload.text }) },
});

describe('notify over WhatsApp', () => {
  it('retries 130429 after the backoff on the clock, then records the wamid', async () => {
    setup();
    graph.queue.push(graphError(130429, '(#130429) Rate limit hit'));
    const retrying = new Promise<{ code: string; retryInMs: number }>((resolve) =>
      herald.once('delivery.retrying', (event) => resolve({ code: event.error.code, retryInMs: event.retryInMs })),
    );
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    expect(await retrying).toEqual({ code: 'RATE_LIMITED', retryInMs: 1_000 });
    expect(graph.requests).toHaveLength(1);
    await clock.advance(1_000);
    const report = await result.settled;
    expect(report).toMatchObject({ total: 1, sent: 1, failed: 0 });
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent', attempts: 2, channelId: 'whatsapp-cloud' });
    expect(record?.providerMessageId).toMatch(/^wamid\./);
    // Both attempts carried the same delivery id to Meta.
    expect(graph.requests.map((seen) => seen.body.biz_opaque_callback_data)).toEqual([record?.id, record?.id]);
  });

  it('records a template fallback in the delivery record when the window is closed', async () => {
    setup();
    graph.queue.push(graphError(131047, 'Re-engagement message'));
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    expect((await result.settled).sent).toBe(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent', attempts: 1, detail: 'template-fallback' });
    expect(graph.requests.map((seen) => seen.body.type)).toEqual(['text', 'template']);
    expect(graph.requests[1]?.body.template).toEqual({
      name: 'ticket_assigned',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Printer on fire' }] }],
    });
  });

  it('fails text-only content for good when the window is closed, without retrying', async () => {
    setup();
    graph.queue.push(graphError(131047, 'Re-engagement message'));
    const retries: unknown[] = [];
    herald.on('delivery.retrying', (event) => retries.push(event));
    const result = await herald.notify(textOnly, { to: ana, payload: { text: 'Thanks!' } });
    const report = await result.settled;
    expect(report.failed).toBe(1);
    expect(report.failures[0]).toMatchObject({ code: 'INVALID_CONTENT', kind: 'whatsapp' });
    expect(report.failures[0]?.message).toContain('template');
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INVALID_CONTENT', providerCode: 131047 },
    });
    expect(retries).toEqual([]);
    expect(graph.requests).toHaveLength(1);
  });

  it('records an expired token (190) as a failure without retrying', async () => {
    setup({ accessToken: 'expired' });
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    const report = await result.settled;
    expect(report).toMatchObject({ failed: 1, sent: 0 });
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record?.error).toMatchObject({ code: 'UNAUTHORIZED', providerCode: 190 });
    expect(graph.requests).toHaveLength(1);
  });

  it('falls back to Twilio when the Cloud API refuses the token', async () => {
    setup({ accessToken: 'expired', withTwilio: true });
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    expect((await result.settled).sent).toBe(1);
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent', channelId: 'whatsapp-twilio', detail: 'template' });
    expect(record?.providerMessageId).toMatch(/^SM/);
    expect(twilio.requests[0]?.form.ContentVariables).toBe(JSON.stringify({ 1: 'Printer on fire' }));
  });

  it('skips recipients without a phone and fails a malformed one, while others are sent', async () => {
    setup();
    const result = await herald.notify(ticketAssigned, {
      to: [ana, { id: 'ben' }, { id: 'cy', phone: '0049 151 1234567' }],
      payload,
    });
    const report = await result.settled;
    expect(report).toMatchObject({ total: 3, sent: 1, skipped: 1, failed: 1 });
    expect(report.skips[0]).toMatchObject({ recipientId: 'ben', kind: 'whatsapp' });
    const { records } = await herald.deliveries.list({ notificationId: result.id });
    expect(records.find((record) => record.recipientId === 'ben')).toMatchObject({
      status: 'skipped',
      reason: 'Recipient ben has no phone number.',
    });
    expect(report.failures[0]).toMatchObject({ recipientId: 'cy', code: 'INVALID_RECIPIENT' });
    expect(graph.requests.map((seen) => seen.body.to)).toEqual(['14155550123']);
  });
});
