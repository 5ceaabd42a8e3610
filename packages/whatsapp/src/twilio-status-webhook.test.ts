import { createHmac } from 'node:crypto';
import { createHerald, type DeliveryRecord, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { startTwilioPeer, type TwilioPeer } from '@herald/test-peers/whatsapp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioStatusWebhook, twilioSignaturePayload } from './twilio-status-webhook';
import { createTwilioWhatsAppChannel } from './twilio-whatsapp-channel';
import { ticketAssigned } from './whatsapp.fixture';

const callbackUrl = 'https://hooks.example.com/twilio/status';
let peer: TwilioPeer;
let herald: Herald;

beforeAll(async () => {
  peer = await startTwilioPeer();
});
afterAll(async () => {
  await peer.close();
});
afterEach(async () => {
  await herald?.close();
});

/** Signs as Twilio documents it: HMAC-SHA1 over the URL followed by each sorted name and its value. */
function twilioSignature(url: string, params: [string, string][], token = peer.authToken): string {
  const sorted = [...params].sort(([a, va], [b, vb]) => (a === b ? (va < vb ? -1 : 1) : a < b ? -1 : 1));
  return createHmac('sha1', token)
    .update(url + sorted.map(([name, value]) => name + value).join(''))
    .digest('base64');
}

function callback(url: string, params: [string, string][], signature = twilioSignature(url, params)): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
}

async function sentDelivery(): Promise<{ record: DeliveryRecord; statusCallback: string }> {
  herald = createHerald({
    store: new MemoryStore(),
    channels: [
      createTwilioWhatsAppChannel({
        accountSid: peer.accountSid,
        authToken: peer.authToken,
        from: '+14155238886',
        baseUrl: peer.url,
        statusCallbackUrl: callbackUrl,
        contentSids: { ticket_assigned: 'HX0123456789abcdef0123456789abcdef' },
      }),
    ],
  });
  const result = await herald.notify(ticketAssigned, {
    to: { id: 'ana', phone: '+14155550123' },
    payload: { ticketId: 't-1', title: 'Printer on fire' },
  });
  expect((await result.settled).sent).toBe(1);
  const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
  if (!record?.providerMessageId) throw new Error('expected a sent record');
  const statusCallback = peer.requests.at(-1)?.form.StatusCallback;
  if (!statusCallback) throw new Error('expected a StatusCallback in the request');
  return { record, statusCallback };
}

function statusParams(sid: string, status: string, extra: [string, string][] = []): [string, string][] {
  return [
    ['AccountSid', peer.accountSid],
    ['From', 'whatsapp:+14155238886'],
    ['To', 'whatsapp:+14155550123'],
    ['MessageSid', sid],
    ['SmsSid', sid],
    ['MessageStatus', status],
    ['SmsStatus', status],
    ['ChannelPrefix', 'whatsapp'],
    ['ApiVersion', '2010-04-01'],
    ...extra,
  ];
}

describe('createTwilioStatusWebhook', () => {
  it("accepts Twilio's documented signature example", async () => {
    herald = createHerald({ store: new MemoryStore() });
    const handle = createTwilioStatusWebhook({ herald, authToken: '12345' });
    const params = new URLSearchParams({
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    });
    const response = await handle(
      new Request('https://mycompany.com/myapp.php?foo=1&bar=2', {
        method: 'POST',
        headers: { 'x-twilio-signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' },
        body: params.toString(),
      }),
    );
    // Signed correctly, but no MessageSid: a 400, not a 401.
    expect(response.status).toBe(400);
  });

  it('moves the record sent → delivered → read, finding it by the delivery id in the callback URL', async () => {
    const { record, statusCallback } = await sentDelivery();
    expect(statusCallback).toBe(`${callbackUrl}?heraldDeliveryId=${record.id}`);
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const sid = record.providerMessageId as string;
    expect((await handle(callback(statusCallback, statusParams(sid, 'delivered')))).status).toBe(200);
    expect((await herald.deliveries.get(record.id))?.status).toBe('delivered');
    expect((await handle(callback(statusCallback, statusParams(sid, 'read')))).status).toBe(200);
    expect((await herald.deliveries.get(record.id))?.status).toBe('read');
  });

  it('finds the record by MessageSid when the URL carries no delivery id, and signs against the configured public URL', async () => {
    const { record } = await sentDelivery();
    const publicUrl = 'https://public.example.com/twilio/status';
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken, url: publicUrl });
    const params = statusParams(record.providerMessageId as string, 'delivered');
    // The request reaches us under an internal URL; the signature is over the public one.
    const internal = new Request('http://10.0.0.7:8080/twilio/status', {
      method: 'POST',
      headers: { 'x-twilio-signature': twilioSignature(publicUrl, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect((await handle(internal)).status).toBe(200);
    expect((await herald.deliveries.get(record.id))?.status).toBe('delivered');
  });

  it('ignores queued and sending, keeps read over a late delivered, and changes nothing on a replay', async () => {
    const { record, statusCallback } = await sentDelivery();
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const sid = record.providerMessageId as string;
    expect((await handle(callback(statusCallback, statusParams(sid, 'queued')))).status).toBe(200);
    expect((await handle(callback(statusCallback, statusParams(sid, 'sending')))).status).toBe(200);
    expect((await herald.deliveries.get(record.id))?.status).toBe('sent');
    await handle(callback(statusCallback, statusParams(sid, 'read')));
    const read = await herald.deliveries.get(record.id);
    expect(read?.status).toBe('read');
    await handle(callback(statusCallback, statusParams(sid, 'delivered')));
    await handle(callback(statusCallback, statusParams(sid, 'read')));
    expect(await herald.deliveries.get(record.id)).toEqual(read);
  });

  it('records undelivered as failed with the Twilio error code classified', async () => {
    const { record, statusCallback } = await sentDelivery();
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const params = statusParams(record.providerMessageId as string, 'undelivered', [['ErrorCode', '63016']]);
    expect((await handle(callback(statusCallback, params))).status).toBe(200);
    const failed = await herald.deliveries.get(record.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toEqual({
      code: 'INVALID_CONTENT',
      message: 'Twilio reported the message undelivered (error 63016).',
      providerCode: 63016,
    });
  });

  it.each([
    [
      'a signature with the wrong token',
      (url: string, params: [string, string][]) => twilioSignature(url, params, 'wrong'),
    ],
    [
      'a signature over another URL',
      (_url: string, params: [string, string][]) => twilioSignature('https://evil.example.com/', params),
    ],
    ['no signature', () => ''],
    ['a signature that is not base64', () => '!!!not-base64!!!'],
  ])('answers 401 and records nothing for %s', async (_case, signer) => {
    const { record, statusCallback } = await sentDelivery();
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const params = statusParams(record.providerMessageId as string, 'read');
    const response = await handle(callback(statusCallback, params, signer(statusCallback, params)));
    expect(response.status).toBe(401);
    expect(await herald.deliveries.get(record.id)).toEqual(record);
  });

  it('answers 401 when a parameter was changed after signing', async () => {
    const { record, statusCallback } = await sentDelivery();
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const sid = record.providerMessageId as string;
    const signature = twilioSignature(statusCallback, statusParams(sid, 'delivered'));
    expect((await handle(callback(statusCallback, statusParams(sid, 'read'), signature))).status).toBe(401);
    expect(await herald.deliveries.get(record.id)).toEqual(record);
  });

  it("computes Twilio's published vectors, including a repeated name (distinct values, sorted)", () => {
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const digest = (params: URLSearchParams) =>
      createHmac('sha1', '12345').update(twilioSignaturePayload(url, params)).digest('base64');
    const documented = new URLSearchParams({
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    });
    expect(digest(documented)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    const repeated = new URLSearchParams([
      ['Sid', 'CA123'],
      ['SidAccount', 'AC123'],
      ['Digits', '5678'],
      ['Digits', '1234'],
      ['Digits', '1234'],
    ]);
    expect(digest(repeated)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  it('accepts a signature over the URL with the default port, as Twilio sometimes signs it', async () => {
    const { record } = await sentDelivery();
    const handle = createTwilioStatusWebhook({
      herald,
      authToken: peer.authToken,
      url: 'https://hooks.example.com/twilio/status',
    });
    const params = statusParams(record.providerMessageId as string, 'delivered');
    const signature = twilioSignature('https://hooks.example.com:443/twilio/status', params);
    expect((await handle(callback('https://hooks.example.com/twilio/status', params, signature))).status).toBe(200);
    expect((await herald.deliveries.get(record.id))?.status).toBe('delivered');
  });

  it('checks repeated parameters sorted by value', async () => {
    herald = createHerald({ store: new MemoryStore() });
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    const params: [string, string][] = [
      ['MessageSid', 'SM1'],
      ['MessageStatus', 'queued'],
      ['Tag', 'b'],
      ['Tag', 'a'],
    ];
    expect((await handle(callback('https://hooks.example.com/t', params))).status).toBe(200);
  });

  it('answers 413 for a body over maxBodyBytes, recording nothing', async () => {
    const { record, statusCallback } = await sentDelivery();
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken, maxBodyBytes: 128 });
    const params = statusParams(record.providerMessageId as string, 'read', [['Padding', 'x'.repeat(200)]]);
    expect((await handle(callback(statusCallback, params))).status).toBe(413);
    expect(await herald.deliveries.get(record.id)).toEqual(record);
  });

  it('answers 405 to GET and refuses to build without an auth token', async () => {
    herald = createHerald({ store: new MemoryStore() });
    const handle = createTwilioStatusWebhook({ herald, authToken: peer.authToken });
    expect((await handle(new Request('https://hooks.example.com/t'))).status).toBe(405);
    expect(() => createTwilioStatusWebhook({ herald, authToken: '' })).toThrow(/authToken is required/);
  });
});
