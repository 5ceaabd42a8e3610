// createTestChannel skips a recipient with no address for its kind, as the real channel of that kind does: same
// result, same reason, and nothing taken from its script. Checked against the real email, FCM and WhatsApp channels.
import { createHerald, defineNotification } from '@herald/core';
import type { Channel, SendResult } from '@herald/core/spec';
import { createEmailChannel } from '@herald/email';
import { createFcmChannel, type FcmChannelSettings } from '@herald/fcm';
import { MemoryStore } from '@herald/storage';
import { createWhatsAppChannel } from '@herald/whatsapp';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSendRequest } from './send-request';
import { createTestChannel, failTimes } from './test-channel';

/** A provider the real channels must not reach for these recipients. */
const unreachable = (): Promise<never> => Promise.reject(new Error('the provider was called'));

const realChannels = {
  email: createEmailChannel({ transport: { sendMail: unreachable }, from: 'desk@acme.test' }),
  push: createFcmChannel({
    messaging: { sendEach: unreachable } as unknown as NonNullable<FcmChannelSettings['messaging']>,
  }),
  whatsapp: createWhatsAppChannel({ phoneNumberId: '1', accessToken: 'token', fetch: unreachable }),
};
const contents = { email: { subject: 'Hi', text: 'Hi' }, push: { title: 'Hi', body: 'Hi' }, whatsapp: { text: 'Hi' } };
const addressless = [{ id: 'nobody' }, { id: 'blank', email: '  ', phone: '', pushTokens: [] }];

async function resultOf(
  channel: Channel<'email' | 'push' | 'whatsapp'>,
  kind: keyof typeof contents,
  recipient: object,
) {
  const request = createSendRequest(contents[kind], { recipient: recipient as { id: string } });
  return (channel.send as (request: unknown) => Promise<SendResult>)(request);
}

describe('createTestChannel and recipients without an address', () => {
  for (const kind of ['email', 'push', 'whatsapp'] as const) {
    it(`skips them for ${kind} as the real ${kind} channel does, keeping its script for the sends that go out`, async () => {
      const channel = createTestChannel(kind, { script: failTimes(1) });
      for (const recipient of addressless) {
        const real = await resultOf(realChannels[kind], kind, recipient);
        expect(real.status).toBe('skipped');
        expect(await resultOf(channel, kind, recipient)).toEqual(real);
      }
      expect(channel.delivered).toEqual([]);
      expect(channel.calls.map((call) => call.step.type)).toEqual(['skip', 'skip']);
      const addressed = { id: 'ana', email: 'ana@acme.test', phone: '+14155550123', pushTokens: ['token-1'] };
      await expect(resultOf(channel, kind, addressed)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });
  }

  it('skips them in a notify, reporting why, and sends to the others', async () => {
    const email = createTestChannel('email');
    const herald = createHerald({ store: new MemoryStore(), channels: [email] });
    const welcome = defineNotification({
      type: 'welcome',
      schema: z.object({ name: z.string() }),
      channels: { email: ({ payload }) => ({ subject: `Welcome, ${payload.name}`, text: 'Hello' }) },
    });
    const result = await herald.notify(welcome, {
      to: [{ id: 'ana', email: 'ana@acme.test' }, { id: 'ben' }],
      payload: { name: 'team' },
    });
    const report = await result.settled;
    expect(report).toMatchObject({ sent: 1, skipped: 1 });
    expect(report.skips).toEqual([
      expect.objectContaining({ recipientId: 'ben', reason: 'recipient has no email address' }),
    ]);
    expect(email.delivered.map((request) => request.recipient.id)).toEqual(['ana']);
    await herald.close();
  });

  it('sends to them anyway when told not to check, for tests that script the skip themselves', async () => {
    const channel = createTestChannel('email', { skipsRecipientsWithoutAddress: false });
    expect(await resultOf(channel, 'email', { id: 'nobody' })).toMatchObject({ status: 'sent' });
  });

  it('checks no address for kinds whose channels need none', async () => {
    const channel = createTestChannel('inApp');
    const sent = await channel.send(createSendRequest({ title: 'Hi', body: 'Hi' }, { recipient: { id: 'nobody' } }));
    expect(sent).toMatchObject({ status: 'sent' });
  });
});
