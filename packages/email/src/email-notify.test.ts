// Email through Herald's notify: retries on the test clock, permanent failures recorded once, skips.

import { createHerald, defineNotification, type Herald, html } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { type SmtpPeer, type SmtpPeerOptions, startSmtpPeer } from '@herald/test-peers/smtp';
import { createTestClock, type TestClock } from '@herald/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEmailChannel } from './email-channel';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    email: ({ payload, recipient }) => ({
      subject: `Assigned: ${payload.title}`,
      html: html`<p>Hi ${recipient.name}, <a href="https://desk.acme.test/t/${payload.ticketId}">${payload.title}</a> is yours.</p>`,
    }),
  },
});

const ana = { id: 'ana', email: 'ana@example.test', name: 'Ana' };
const payload = { ticketId: 't-42', title: 'Printer <on> fire' };

let herald: Herald | undefined;
let server: SmtpPeer | undefined;
let clock: TestClock;

afterEach(async () => {
  await herald?.close();
  await server?.close();
  herald = undefined;
  server = undefined;
});

async function setup(options: SmtpPeerOptions = {}): Promise<{ herald: Herald; server: SmtpPeer }> {
  server = await startSmtpPeer(options);
  clock = createTestClock();
  herald = createHerald({
    store: new MemoryStore(),
    clock,
    retry: { random: () => 1, baseDelayMs: 1_000, attemptTimeoutMs: 10_000 },
    channels: [
      createEmailChannel({
        smtp: { host: server.host, port: server.port, ignoreTLS: true },
        from: 'Acme Desk <desk@acme.test>',
      }),
    ],
  });
  return { herald, server };
}

describe('notify over email', () => {
  it('retries a 451 after the backoff on the clock, then records the Message-ID', async () => {
    let replies = 0;
    const { herald, server } = await setup({
      onRecipient: () => (replies++ === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined),
    });
    const retrying = new Promise<{ code: string; retryInMs: number; attempt: number }>((resolve) =>
      herald.once('delivery.retrying', (event) =>
        resolve({ code: event.error.code, retryInMs: event.retryInMs, attempt: event.attempt }),
      ),
    );
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    expect(await retrying).toEqual({ code: 'RATE_LIMITED', retryInMs: 1_000, attempt: 1 });
    expect(server.recipientAttempts).toEqual(['ana@example.test']);
    expect(server.received).toEqual([]);

    await clock.advance(1_000);
    const report = await result.settled;
    expect(report).toMatchObject({ total: 1, sent: 1, failed: 0 });
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({ status: 'sent', attempts: 2, channelId: 'smtp', kind: 'email' });
    expect(record?.providerMessageId).toBe(`<${record?.id}@acme.test>`);

    const [mail] = await server.waitForMessages(1);
    expect(server.recipientAttempts).toEqual(['ana@example.test', 'ana@example.test']);
    expect(mail?.parsed.subject).toBe('Assigned: Printer <on> fire');
    expect(mail?.parsed.html).toContain('<a href="https://desk.acme.test/t/t-42">Printer &lt;on&gt; fire</a>');
    expect(mail?.parsed.text?.trim()).toBe('Hi Ana, Printer <on> fire (https://desk.acme.test/t/t-42) is yours.');
    expect(mail?.parsed.messageId).toBe(record?.providerMessageId);
  });

  it('records a 550 as failed INVALID_RECIPIENT after one attempt, without retrying', async () => {
    const { herald, server } = await setup({ onRecipient: () => ({ code: 550, message: '5.1.1 No such user' }) });
    const retries: unknown[] = [];
    herald.on('delivery.retrying', (event) => retries.push(event));
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    const report = await result.settled;
    expect(report).toMatchObject({ total: 1, sent: 0, failed: 1 });
    expect(report.failures[0]).toMatchObject({ code: 'INVALID_RECIPIENT', kind: 'email', recipientId: 'ana' });
    const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INVALID_RECIPIENT', providerCode: 550 },
    });
    // However long we wait, the server is not asked again.
    await clock.advance(10 * 60_000);
    expect(retries).toEqual([]);
    expect(server.recipientAttempts).toEqual(['ana@example.test']);
  });

  it('records a recipient without an email as skipped, and still mails the others', async () => {
    const { herald, server } = await setup();
    const result = await herald.notify(ticketAssigned, { to: [{ id: 'no-mail' }, ana], payload });
    const report = await result.settled;
    expect(report).toMatchObject({ total: 2, sent: 1, skipped: 1 });
    expect(report.skips).toEqual([expect.objectContaining({ recipientId: 'no-mail', kind: 'email' })]);
    const records = (await herald.deliveries.list({ notificationId: result.id })).records;
    expect(records.find((record) => record.recipientId === 'no-mail')).toMatchObject({
      status: 'skipped',
      reason: 'recipient has no email address',
    });
    const mails = await server.waitForMessages(1);
    expect(mails.map((mail) => mail.envelopeTo)).toEqual([['ana@example.test']]);
  });

  it('records a subject with a line break as INVALID_CONTENT; nothing reaches the server', async () => {
    const { herald, server } = await setup();
    const result = await herald.notify(ticketAssigned, {
      to: ana,
      payload: { ticketId: 't-1', title: 'Hi\r\nBcc: everyone@example.test' },
    });
    const report = await result.settled;
    expect(report).toMatchObject({ failed: 1, sent: 0 });
    expect(report.failures[0]).toMatchObject({ code: 'INVALID_CONTENT' });
    expect(server.connectionCount()).toBe(0);
  });
});
