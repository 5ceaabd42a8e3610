import { DeliveryError } from '@herald/core';
import { type GraphPeer, graphError, startGraphPeer } from '@herald/test-peers/whatsapp';
import { describeChannelContract, rejectionOf } from '@herald/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { whatsAppRequest } from './whatsapp.fixture';
import { createWhatsAppChannel } from './whatsapp-channel';
import type { WhatsAppContent } from './whatsapp-content';

let peer: GraphPeer;

beforeAll(async () => {
  peer = await startGraphPeer();
});
afterAll(async () => {
  await peer.close();
});
afterEach(() => {
  peer.requests.length = 0;
  peer.queue.length = 0;
  peer.script = undefined;
});

function channel(overrides: { accessToken?: string } = {}) {
  return createWhatsAppChannel({
    phoneNumberId: peer.phoneNumberId,
    accessToken: overrides.accessToken ?? peer.accessToken,
    graphBaseUrl: peer.url,
  });
}

const request = whatsAppRequest;
const rejection = (call: Promise<unknown>): Promise<DeliveryError> => rejectionOf(call, DeliveryError);

const template = { name: 'ticket_assigned', language: 'en_US', body: ['Ada', '#42'] };

describe('createWhatsAppChannel', () => {
  it('sends text with the bearer token, the number without "+", and the delivery id as callback data', async () => {
    const sent = request({ text: 'Ticket #42 is yours — ¡hola!', previewUrl: true });
    const result = await channel().send(sent);
    expect(result).toEqual({ status: 'sent', providerMessageId: expect.stringMatching(/^wamid\./) });
    expect(peer.requests).toHaveLength(1);
    const [seen] = peer.requests;
    expect(seen?.authorization).toBe(`Bearer ${peer.accessToken}`);
    expect(seen?.contentType).toBe('application/json');
    expect(seen?.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '14155550123',
      biz_opaque_callback_data: sent.deliveryId,
      type: 'text',
      text: { body: 'Ticket #42 is yours — ¡hola!', preview_url: true },
    });
  });

  it('sends a template, turning the body short form into a body component after the given components', async () => {
    const result = await channel().send(
      request({
        template: {
          ...template,
          components: [{ type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: '42' }] }],
        },
      }),
    );
    expect(result.status).toBe('sent');
    expect(peer.requests[0]?.body.type).toBe('template');
    expect(peer.requests[0]?.body.template).toEqual({
      name: 'ticket_assigned',
      language: { code: 'en_US' },
      components: [
        { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: '42' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ada' },
            { type: 'text', text: '#42' },
          ],
        },
      ],
    });
  });

  it('sends the text first when content has both, while the window is open', async () => {
    const result = await channel().send(request({ text: 'Ticket #42 is yours', template }));
    expect(result).toEqual({ status: 'sent', providerMessageId: expect.any(String) });
    expect(peer.requests.map((seen) => seen.body.type)).toEqual(['text']);
  });

  it('falls back to the template in the same send when the 24-hour window is closed (131047)', async () => {
    peer.queue.push(graphError(131047, 'Re-engagement message'));
    const sent = request({ text: 'Ticket #42 is yours', template });
    const result = await channel().send(sent);
    expect(result).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
      detail: 'template-fallback',
    });
    expect(peer.requests.map((seen) => seen.body.type)).toEqual(['text', 'template']);
    expect(peer.requests[1]?.body.biz_opaque_callback_data).toBe(sent.deliveryId);
  });

  it('fails text-only content with INVALID_CONTENT saying a template is needed when the window is closed', async () => {
    peer.queue.push(graphError(131047, 'Re-engagement message'));
    const error = await rejection(channel().send(request({ text: 'Ticket #42 is yours' })));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe(131047);
    expect(error.message).toMatch(/window is closed.*template/);
    expect(peer.requests).toHaveLength(1);
  });

  it('reports the template send failure when the fallback template is rejected too', async () => {
    peer.queue.push(
      graphError(131047, 'Re-engagement message'),
      graphError(132001, 'Template name does not exist in the translation'),
    );
    const error = await rejection(channel().send(request({ text: 'hi', template })));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.providerCode).toBe(132001);
    expect(error.message).toContain('approved template');
    expect(peer.requests).toHaveLength(2);
  });

  it('rejects an expired token (190) as UNAUTHORIZED, not retryable', async () => {
    const error = await rejection(channel({ accessToken: 'expired' }).send(request({ text: 'hi' })));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe(190);
    expect(error.message).toContain('renew');
  });

  it('classifies 130429 as retryable RATE_LIMITED, and the next attempt of the same delivery goes through', async () => {
    peer.queue.push(graphError(130429, 'Rate limit hit'));
    const first = request({ text: 'hi' });
    const error = await rejection(channel().send(first));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(true);
    const retry = await channel().send({ ...first, attempt: 2 });
    expect(retry.status).toBe('sent');
    expect(peer.requests.map((seen) => seen.body.biz_opaque_callback_data)).toEqual([
      first.deliveryId,
      first.deliveryId,
    ]);
  });

  it.each([
    [130429, 'RATE_LIMITED', true],
    [131056, 'RATE_LIMITED', true],
    [4, 'RATE_LIMITED', true],
    [80007, 'RATE_LIMITED', true],
    [1, 'UNAVAILABLE', true],
    [2, 'UNAVAILABLE', true],
    [131000, 'UNAVAILABLE', true],
    [131026, 'INVALID_RECIPIENT', false],
    [100, 'INVALID_CONTENT', false],
    [131008, 'INVALID_CONTENT', false],
    [131009, 'INVALID_CONTENT', false],
    [132000, 'INVALID_CONTENT', false],
    [132012, 'INVALID_CONTENT', false],
    [131051, 'INVALID_CONTENT', false],
    [190, 'UNAUTHORIZED', false],
  ] as const)('Graph error %i → %s (retryable %s), whatever the HTTP status', async (code, expected, retryable) => {
    // Meta answers most errors with 400; the code decides, not the status.
    peer.queue.push(graphError(code, `error ${code}`, 400));
    const error = await rejection(channel().send(request({ text: 'hi' })));
    expect(error.code).toBe(expected);
    expect(error.retryable).toBe(retryable);
    expect(error.providerCode).toBe(code);
  });

  it('honours Retry-After on a 429 with a code it does not know', async () => {
    peer.queue.push({ ...graphError(999999, 'Something new', 429), headers: { 'retry-after': '7' } });
    const error = await rejection(channel().send(request({ text: 'hi' })));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBe(7000);
  });

  it('treats a 502 page that is not JSON as UNAVAILABLE', async () => {
    peer.queue.push({ status: 502, body: '<html>Bad gateway</html>' });
    const error = await rejection(channel().send(request({ text: 'hi' })));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('treats a refused connection as UNAVAILABLE', async () => {
    const closed = await startGraphPeer();
    await closed.close();
    const unreachable = createWhatsAppChannel({ phoneNumberId: '1', accessToken: 't', graphBaseUrl: closed.url });
    const error = await rejection(unreachable.send(request({ text: 'hi' })));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('passes the signal to fetch: aborting an attempt in flight rejects with TIMEOUT', async () => {
    peer.queue.push('hang');
    const controller = new AbortController();
    const pending = channel().send(request({ text: 'hi' }, { signal: controller.signal }));
    await peer.waitForRequests(1);
    controller.abort(new Error('attempt timed out'));
    const error = await rejection(pending);
    expect(error.code).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('answers skipped, sending nothing, for a recipient without a phone', async () => {
    const result = await channel().send(
      request({ text: 'hi' }, { recipient: { id: 'user-2', email: 'a@example.com' } }),
    );
    expect(result).toEqual({ status: 'skipped', reason: 'Recipient user-2 has no phone number.', code: 'no-address' });
    expect(peer.requests).toHaveLength(0);
  });

  it.each(['14155550123', '+0415555012', '+1 415 555 0123', '+12', '+1234567890123456'])(
    'rejects phone %j as INVALID_RECIPIENT before sending',
    async (phone) => {
      const error = await rejection(channel().send(request({ text: 'hi' }, { recipient: { id: 'user-3', phone } })));
      expect(error.code).toBe('INVALID_RECIPIENT');
      expect(error.message).toContain('not E.164');
      expect(error.message).toContain('user-3');
      expect(peer.requests).toHaveLength(0);
    },
  );

  it.each([
    [{}, 'needs `text`, a `template`, or both'],
    [{ text: '' }, 'text must be a non-empty string'],
    [{ template: { name: 'x' } }, 'template.language'],
    [{ template: { name: 'x', language: 'en', body: [1] } }, 'body must be an array of strings'],
    [
      { template: { name: 'x', language: 'en', body: ['a'], components: [{ type: 'body', parameters: [] }] } },
      'not both',
    ],
  ])('rejects content %j as INVALID_CONTENT before sending', async (content, message) => {
    const error = await rejection(channel().send(request(content as WhatsAppContent)));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(message);
    expect(peer.requests).toHaveLength(0);
  });

  it('refuses to build without phoneNumberId or accessToken', () => {
    expect(() => createWhatsAppChannel({ phoneNumberId: '', accessToken: 't' })).toThrow(/phoneNumberId is required/);
    expect(() => createWhatsAppChannel({ phoneNumberId: '1', accessToken: '' })).toThrow(/accessToken is required/);
  });

  it('names itself whatsapp-cloud and declares receipts', () => {
    const built = channel();
    expect(built.id).toBe('whatsapp-cloud');
    expect(built.kind).toBe('whatsapp');
    expect(built.capabilities).toEqual({ receipts: true });
  });
});

describeChannelContract('whatsapp-cloud', async () => {
  const contractPeer = await startGraphPeer({ record: false });
  return {
    channel: createWhatsAppChannel({
      phoneNumberId: contractPeer.phoneNumberId,
      accessToken: contractPeer.accessToken,
      graphBaseUrl: contractPeer.url,
    }),
    content: { text: 'Contract check' },
    recipient: { id: 'contract-user', phone: '+447700900123' },
    recipientWithoutAddress: { id: 'contract-user-2' },
    teardown: () => contractPeer.close(),
  };
});
