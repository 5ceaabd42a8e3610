import { DeliveryError } from '@herald/core';
import { startTwilioPeer, type TwilioPeer, twilioError } from '@herald/test-peers/whatsapp';
import { describeChannelContract, rejectionOf } from '@herald/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioWhatsAppChannel, type TwilioWhatsAppChannelSettings } from './twilio-whatsapp-channel';
import { whatsAppRequest } from './whatsapp.fixture';

let peer: TwilioPeer;

beforeAll(async () => {
  peer = await startTwilioPeer();
});
afterAll(async () => {
  await peer.close();
});
afterEach(() => {
  peer.requests.length = 0;
  peer.queue.length = 0;
});

const contentSid = 'HX0123456789abcdef0123456789abcdef';

function channel(overrides: Partial<TwilioWhatsAppChannelSettings> = {}) {
  return createTwilioWhatsAppChannel({
    accountSid: peer.accountSid,
    authToken: peer.authToken,
    from: '+14155238886',
    baseUrl: peer.url,
    contentSids: { 'ticket_assigned:en_US': contentSid },
    ...overrides,
  });
}

const request = whatsAppRequest;
const rejection = (call: Promise<unknown>): Promise<DeliveryError> => rejectionOf(call, DeliveryError);

const template = { name: 'ticket_assigned', language: 'en_US', body: ['Ada', '#42'] };

describe('createTwilioWhatsAppChannel', () => {
  it('posts a form with basic auth, whatsapp: addresses and the text as Body', async () => {
    const result = await channel().send(request({ text: 'Ticket #42 — ça marche' }));
    expect(result).toEqual({ status: 'sent', providerMessageId: expect.stringMatching(/^SM/) });
    const [seen] = peer.requests;
    expect(seen?.authorization).toBe(`Basic ${Buffer.from(`${peer.accountSid}:${peer.authToken}`).toString('base64')}`);
    expect(seen?.contentType).toBe('application/x-www-form-urlencoded');
    expect(seen?.form).toEqual({
      To: 'whatsapp:+14155550123',
      From: 'whatsapp:+14155238886',
      Body: 'Ticket #42 — ça marche',
    });
  });

  it('maps a template to ContentSid (by name:language) and its body to numbered ContentVariables', async () => {
    await channel().send(request({ template }));
    expect(peer.requests[0]?.form).toEqual({
      To: 'whatsapp:+14155550123',
      From: 'whatsapp:+14155238886',
      ContentSid: contentSid,
      ContentVariables: JSON.stringify({ 1: 'Ada', 2: '#42' }),
    });
  });

  it('accepts a Content SID as the template name, and a from already prefixed', async () => {
    await channel({ contentSids: {}, from: 'whatsapp:+14155238886' }).send(
      request({ template: { name: contentSid, language: 'en' } }),
    );
    expect(peer.requests[0]?.form).toEqual({
      To: 'whatsapp:+14155550123',
      From: 'whatsapp:+14155238886',
      ContentSid: contentSid,
    });
  });

  it('sends the template when content has both, and says so in detail', async () => {
    const result = await channel().send(request({ text: 'hi', template }));
    expect(result).toEqual({ status: 'sent', providerMessageId: expect.any(String), detail: 'template' });
    expect(peer.requests[0]?.form.ContentSid).toBe(contentSid);
    expect(peer.requests[0]?.form.Body).toBeUndefined();
  });

  it('adds the status callback with the delivery id in its query', async () => {
    const sent = request({ text: 'hi' });
    await channel({ statusCallbackUrl: 'https://example.com/hooks/twilio?tenant=7' }).send(sent);
    expect(peer.requests[0]?.form.StatusCallback).toBe(
      `https://example.com/hooks/twilio?tenant=7&heraldDeliveryId=${sent.deliveryId}`,
    );
  });

  it('fails a template without a Content SID as INVALID_CONTENT, sending nothing', async () => {
    const error = await rejection(channel().send(request({ template: { name: 'unknown', language: 'en' } })));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('add it to contentSids');
    expect(peer.requests).toHaveLength(0);
  });

  it('fails template components (Twilio takes body variables only) as INVALID_CONTENT, sending nothing', async () => {
    const error = await rejection(
      channel().send(request({ template: { ...template, body: undefined, components: [{ type: 'body' }] } as never })),
    );
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('body parameters only');
    expect(peer.requests).toHaveLength(0);
  });

  it('rejects a wrong auth token (20003) as UNAUTHORIZED', async () => {
    const error = await rejection(channel({ authToken: 'wrong' }).send(request({ text: 'hi' })));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe(20003);
  });

  it.each([
    [twilioError(21211, "Invalid 'To' Phone Number"), 'INVALID_RECIPIENT', false],
    [twilioError(21610, 'Attempt to send to unsubscribed recipient'), 'INVALID_RECIPIENT', false],
    [twilioError(63016, 'Outside the allowed window'), 'INVALID_CONTENT', false],
    [twilioError(21408, 'Permission to send an SMS has not been enabled for the region'), 'CONFIGURATION', false],
    [twilioError(20429, 'Too Many Requests', 429), 'RATE_LIMITED', true],
    [twilioError(20500, 'Internal Server Error', 500), 'UNAVAILABLE', true],
    [{ status: 503, body: 'Service Unavailable' }, 'UNAVAILABLE', true],
    [{ status: 429, body: {}, headers: { 'retry-after': '3' } }, 'RATE_LIMITED', true],
  ] as const)('classifies %j as %s (retryable %s)', async (answer, expected, retryable) => {
    peer.queue.push(answer);
    const error = await rejection(channel().send(request({ text: 'hi' })));
    expect(error.code).toBe(expected);
    expect(error.retryable).toBe(retryable);
  });

  it('keeps Retry-After from a 429', async () => {
    peer.queue.push({ ...twilioError(20429, 'Too Many Requests', 429), headers: { 'retry-after': '3' } });
    const error = await rejection(channel().send(request({ text: 'hi' })));
    expect(error.retryAfterMs).toBe(3000);
  });

  it('answers skipped for no phone, and INVALID_RECIPIENT for a malformed one, sending nothing', async () => {
    expect((await channel().send(request({ text: 'hi' }, { recipient: { id: 'u2' } }))).status).toBe('skipped');
    const error = await rejection(
      channel().send(request({ text: 'hi' }, { recipient: { id: 'u3', phone: '555-0123' } })),
    );
    expect(error.code).toBe('INVALID_RECIPIENT');
    expect(peer.requests).toHaveLength(0);
  });

  it('refuses bad settings', () => {
    expect(() => channel({ accountSid: '' })).toThrow(/accountSid is required/);
    expect(() => channel({ authToken: '' })).toThrow(/authToken is required/);
    expect(() => channel({ from: '4155238886' })).toThrow(/from must be the WhatsApp sender's E.164 number/);
  });

  it('names itself whatsapp-twilio; receipts only with a status callback', () => {
    expect(channel().id).toBe('whatsapp-twilio');
    expect(channel().capabilities?.receipts).toBe(false);
    expect(channel({ statusCallbackUrl: 'https://example.com/t' }).capabilities?.receipts).toBe(true);
  });
});

describeChannelContract('whatsapp-twilio', async () => {
  const contractPeer = await startTwilioPeer();
  return {
    channel: createTwilioWhatsAppChannel({
      accountSid: contractPeer.accountSid,
      authToken: contractPeer.authToken,
      from: '+14155238886',
      baseUrl: contractPeer.url,
    }),
    content: { text: 'Contract check' },
    recipient: { id: 'contract-user', phone: '+447700900123' },
    recipientWithoutAddress: { id: 'contract-user-2' },
    teardown: () => contractPeer.close(),
  };
});
