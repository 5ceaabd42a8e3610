import { DeliveryError } from '@herald/core';
import type { SendRequest, SendResult } from '@herald/core/spec';
import { createFcmPeer, type FcmPeer, fcmReplies } from '@herald/test-peers/fcm';
import { createSendRequest, describeChannelContract, rejectionOf } from '@herald/testing';
import { SDK_VERSION } from 'firebase-admin/app';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFcmChannel } from './fcm-channel';
import type { PushContent } from './push-content';

let peer: FcmPeer;
const firebaseAdminMajor = Number(SDK_VERSION.split('.')[0]);

beforeAll(async () => {
  peer = await createFcmPeer({ projectId: 'herald-fcm-test' });
});

afterAll(async () => {
  await peer?.close();
});

beforeEach(() => {
  peer.reset();
});

function pushRequest(
  pushTokens: string[] | undefined,
  content: Partial<PushContent> = {},
  signal?: AbortSignal,
): SendRequest<PushContent> {
  const request = createSendRequest<PushContent>(
    { title: 'Ticket assigned', body: 'Printer on fire', ...content },
    { type: 'ticket.assigned', ...(signal ? { signal } : {}) },
  );
  return pushTokens === undefined ? request : { ...request, recipient: { ...request.recipient, pushTokens } };
}

const rejection = (call: Promise<unknown>): Promise<DeliveryError> => rejectionOf(call, DeliveryError);

describe.each([
  { transport: 'h2', legacy: false },
  { transport: 'http/1.1', legacy: true },
] as const)('createFcmChannel over $transport', ({ transport, legacy }) => {
  const invalid: { token: string; code: string }[] = [];
  const channel = () =>
    createFcmChannel({
      messaging: peer.createMessaging({ legacy }),
      onInvalidToken: (token, error) => invalid.push({ token, code: error.code }),
    });
  let fcm: ReturnType<typeof createFcmChannel>;

  beforeAll(() => {
    fcm = channel();
  });

  beforeEach(() => {
    invalid.length = 0;
  });

  it('sends to every token of the recipient and answers with FCM message ids', async () => {
    const result = await fcm.send(pushRequest(['token-a', 'token-b', 'token-a']));

    expect(result).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^projects\/herald-fcm-test\/messages\//),
      detail: 'sent to 2 of 2 devices',
    });
    expect(peer.requests.map((request) => request.token).sort()).toEqual(['token-a', 'token-b']);
    for (const request of peer.requests) {
      expect(request.transport).toBe(transport);
      expect(request.body.message?.notification).toEqual({ title: 'Ticket assigned', body: 'Printer on fire' });
    }
  });

  it('delivers to live tokens and names the dead ones without failing', async () => {
    peer.deadTokens.add('token-unregistered');
    peer.malformedTokens.add('token-malformed');

    const result = await fcm.send(pushRequest(['token-unregistered', 'token-live', 'token-malformed']));

    expect(result.status).toBe('sent');
    expect(result).toMatchObject({
      invalidTokens: ['token-unregistered', 'token-malformed'],
      detail: 'sent to 1 of 3 devices; 2 dead',
    });
    expect(invalid).toEqual([
      { token: 'token-unregistered', code: 'INVALID_RECIPIENT' },
      { token: 'token-malformed', code: 'INVALID_RECIPIENT' },
    ]);
    expect(peer.requests).toHaveLength(3);
  });

  it('fails INVALID_RECIPIENT naming the token when every token is dead', async () => {
    peer.deadTokens.add('token-gone-1');
    peer.malformedTokens.add('token-gone-2');

    const error = await rejection(fcm.send(pushRequest(['token-gone-1', 'token-gone-2'])));

    expect(error.code).toBe('INVALID_RECIPIENT');
    expect(error.retryable).toBe(false);
    expect(error.token).toBe('token-gone-1');
    expect(error.invalidTokens).toEqual(['token-gone-1', 'token-gone-2']);
    expect(error.providerCode).toBe('messaging/registration-token-not-registered');
  });

  it('classifies a lone unregistered token with the provider code', async () => {
    peer.deadTokens.add('token-only');
    const error = await rejection(fcm.send(pushRequest(['token-only'])));
    expect(error).toMatchObject({ code: 'INVALID_RECIPIENT', token: 'token-only', invalidTokens: ['token-only'] });
    expect(error.message).toContain('token-only');
  });

  it('rides out a 503 (firebase-admin retries it) and sends', async () => {
    peer.enqueue(fcmReplies.unavailable());
    const result = await fcm.send(pushRequest(['token-after-503']));
    expect(result.status).toBe('sent');
    expect(peer.requests.map((request) => request.token)).toEqual(['token-after-503', 'token-after-503']);
  });

  it('answers a 429 with a retryable RATE_LIMITED error, honouring Retry-After where firebase-admin keeps it', async () => {
    peer.enqueue(fcmReplies.quotaExceeded());
    const error = await rejection(fcm.send(pushRequest(['token-throttled'])));
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      providerCode: 'messaging/message-rate-exceeded',
    });
    // firebase-admin 14 keeps the response on its errors; 13 drops the header, and the retry policy decides.
    expect(error.retryAfterMs).toBe(firebaseAdminMajor >= 14 ? 30_000 : undefined);
    expect(error.token).toBeUndefined();
    expect(peer.requests).toHaveLength(1);
  });

  it('answers a 500 with a retryable UNAVAILABLE error', async () => {
    peer.enqueue(fcmReplies.internal());
    const error = await rejection(fcm.send(pushRequest(['token-500'])));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, providerCode: 'messaging/internal-error' });
  });

  it('answers credential problems with CONFIGURATION, never retried', async () => {
    peer.enqueue(fcmReplies.senderIdMismatch(), fcmReplies.thirdPartyAuth());
    const mismatch = await rejection(fcm.send(pushRequest(['token-403'])));
    const thirdParty = await rejection(fcm.send(pushRequest(['token-401'])));
    expect(mismatch).toMatchObject({
      code: 'CONFIGURATION',
      retryable: false,
      providerCode: 'messaging/mismatched-credential',
    });
    expect(thirdParty).toMatchObject({
      code: 'CONFIGURATION',
      retryable: false,
      providerCode: 'messaging/third-party-auth-error',
    });
  });

  it('keeps a transient failure of one device from failing a recipient whose other device got it', async () => {
    peer.handler = (request) => (request.token === 'token-busy' ? fcmReplies.quotaExceeded() : undefined);
    const result = await fcm.send(pushRequest(['token-fine', 'token-busy']));
    expect(result).toMatchObject({ status: 'sent', detail: 'sent to 1 of 2 devices; 1 failed (RATE_LIMITED)' });
    expect(result).not.toHaveProperty('invalidTokens');
  });

  it('fails with the transient error, still naming the dead tokens, when no device got it', async () => {
    peer.deadTokens.add('token-dead-too');
    peer.handler = (request) => (request.token === 'token-throttled-too' ? fcmReplies.quotaExceeded() : undefined);
    const error = await rejection(fcm.send(pushRequest(['token-dead-too', 'token-throttled-too'])));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, invalidTokens: ['token-dead-too'] });
    expect(error.token).toBeUndefined();
    expect(invalid).toEqual([{ token: 'token-dead-too', code: 'INVALID_RECIPIENT' }]);
  });

  it('rejects an oversized payload before sending anything', async () => {
    const error = await rejection(fcm.send(pushRequest(['token-big'], { body: 'x'.repeat(5000) })));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/push content is \d+ bytes; FCM allows at most 4096/);
    expect(peer.requests).toHaveLength(0);
  });

  it('sends numbers and booleans in data as strings', async () => {
    await fcm.send(pushRequest(['token-data'], { data: { ticketId: 'T-1', count: 3, urgent: true, ratio: 0.5 } }));
    expect(peer.requests[0]?.body.message?.data).toEqual({ ticketId: 'T-1', count: '3', urgent: 'true', ratio: '0.5' });
  });

  it.each([
    ['an object', { meta: { nested: 1 } }, 'data.meta', 'got a object'],
    ['an array', { tags: ['a'] }, 'data.tags', 'got an array'],
    ['null', { owner: null }, 'data.owner', 'got null'],
    ['NaN', { score: Number.NaN }, 'data.score', 'got NaN'],
  ])('rejects %s in data with INVALID_CONTENT naming the key, sending nothing', async (_label, data, path, found) => {
    const error = await rejection(
      fcm.send(pushRequest(['token-x'], { data: data as unknown as Record<string, string> })),
    );
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(`${path} must be a string, a finite number or a boolean`);
    expect(error.message).toContain(found);
    expect(peer.requests).toHaveLength(0);
  });

  it('skips a recipient without push tokens', async () => {
    expect(await fcm.send(pushRequest(undefined))).toEqual({
      status: 'skipped',
      reason: expect.stringContaining('no push tokens'),
      code: 'no-address',
    });
    expect(await fcm.send(pushRequest([]))).toMatchObject({ status: 'skipped' });
    expect(peer.requests).toHaveLength(0);
  });

  it('fails TIMEOUT without sending when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const error = await rejection(fcm.send(pushRequest(['token-late'], {}, controller.signal)));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(error.message).toContain('shutting down');
    expect(peer.requests).toHaveLength(0);
  });

  it('fails TIMEOUT when the signal aborts while FCM is answering', async () => {
    const controller = new AbortController();
    peer.handler = () => {
      controller.abort(new Error('attempt timed out'));
      return undefined;
    };
    const error = await rejection(fcm.send(pushRequest(['token-slow'], {}, controller.signal)));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(error.message).toContain('attempt timed out');
    expect(peer.requests).toHaveLength(1);
  });

  it('sends a batch and returns one result per request, in order', async () => {
    peer.deadTokens.add('batch-dead');
    const requests = [
      pushRequest(['batch-1a', 'batch-1b']),
      pushRequest([]),
      pushRequest(['batch-3'], { data: { bad: {} as unknown as string } }),
      pushRequest(['batch-dead']),
      pushRequest(['batch-5', 'batch-dead']),
    ];
    const results = await fcm.sendBatch?.(requests);
    if (!results) throw new Error('sendBatch is missing');

    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject({ status: 'sent', detail: 'sent to 2 of 2 devices' });
    expect(results[1]).toMatchObject({ status: 'skipped' });
    expect(results[2]).toMatchObject({ code: 'INVALID_CONTENT' });
    expect(results[3]).toMatchObject({ code: 'INVALID_RECIPIENT', token: 'batch-dead' });
    expect(results[4]).toMatchObject({ status: 'sent', invalidTokens: ['batch-dead'] });
    expect(peer.requests.map((request) => request.token).sort()).toEqual([
      'batch-1a',
      'batch-1b',
      'batch-5',
      'batch-dead',
      'batch-dead',
    ]);
  });

  it('packs the tokens of many requests into sendEach calls of at most 500 and maps results back', async () => {
    // The peer names each message after its token, so a result can be traced to the request it belongs to.
    peer.handler = (request) => ({ status: 200, body: { name: `projects/herald-fcm-test/messages/${request.token}` } });
    const requests = Array.from({ length: 260 }, (_, index) => pushRequest([`pack-${index}-a`, `pack-${index}-b`]));

    const results = (await fcm.sendBatch?.(requests)) as SendResult[];

    expect(peer.requests).toHaveLength(520);
    // Over HTTP/2 every sendEach call is one session: 520 messages make two calls (500 + 20).
    if (!legacy) expect(peer.connectionCount).toBe(2);
    results.forEach((result, index) => {
      expect(result).toMatchObject({ status: 'sent', detail: 'sent to 2 of 2 devices' });
      if (result.status !== 'sent') return;
      expect([
        `projects/herald-fcm-test/messages/pack-${index}-a`,
        `projects/herald-fcm-test/messages/pack-${index}-b`,
      ]).toContain(result.providerMessageId);
    });
  });
});

describe('createFcmChannel wire format and settings', () => {
  it('maps collapseKey, ttlSeconds and priority onto android, apns and webpush, with explicit overrides winning', async () => {
    const fcm = createFcmChannel({ messaging: peer.createMessaging() });
    const now = Math.floor(Date.now() / 1000);
    await fcm.send(
      pushRequest(['token-wire'], {
        imageUrl: 'https://example.com/i.png',
        collapseKey: 'ticket-1',
        ttlSeconds: 3600,
        priority: 'high',
        android: { notification: { channelId: 'tickets' } },
        webpush: { headers: { Urgency: 'low' } },
      }),
    );
    const message = peer.requests[0]?.body.message as Record<string, Record<string, unknown>>;
    expect(message.notification).toEqual({
      title: 'Ticket assigned',
      body: 'Printer on fire',
      image: 'https://example.com/i.png',
    });
    expect(message.android).toMatchObject({
      collapse_key: 'ticket-1',
      ttl: '3600s',
      priority: 'high',
      notification: { channel_id: 'tickets' },
    });
    const apnsHeaders = (message.apns as { headers: Record<string, string> }).headers;
    expect(apnsHeaders['apns-collapse-id']).toBe('ticket-1');
    expect(apnsHeaders['apns-priority']).toBe('10');
    expect(Number(apnsHeaders['apns-expiration'])).toBeGreaterThanOrEqual(now + 3600);
    expect((message.webpush as { headers: Record<string, string> }).headers).toEqual({
      Topic: 'ticket-1',
      TTL: '3600',
      Urgency: 'low',
    });
  });

  it('asks FCM to validate only when dryRun is set', async () => {
    const fcm = createFcmChannel({ messaging: peer.createMessaging(), dryRun: true });
    expect(await fcm.send(pushRequest(['token-dry']))).toMatchObject({ status: 'sent' });
    expect(peer.requests[0]?.body.validate_only).toBe(true);
  });

  it('builds Messaging from an injected App, and takes its id from settings', async () => {
    const fcm = createFcmChannel({ app: peer.createApp(), id: 'fcm-eu' });
    expect(fcm).toMatchObject({
      id: 'fcm-eu',
      kind: 'push',
      specificationVersion: 'v1',
      capabilities: { maxBatchSize: 500 },
    });
    expect(await fcm.send(pushRequest(['token-app']))).toMatchObject({ status: 'sent' });
    expect(peer.requests[0]?.transport).toBe('h2');
  });

  it('turns a reset HTTP/2 stream into a retryable UNAVAILABLE error', async () => {
    const fcm = createFcmChannel({ messaging: peer.createMessaging() });
    peer.enqueue({ status: 0, reset: true });
    const error = await rejection(fcm.send(pushRequest(['token-reset'])));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, providerCode: 'app/network-error' });
  });

  it('keeps what was delivered when the HTTP/2 session ends with GOAWAY mid-batch', async () => {
    const messaging = peer.createMessaging();
    const sessionErrors: string[] = [];
    const sendEach = messaging.sendEach.bind(messaging);
    messaging.sendEach = (messages, dryRun) =>
      sendEach(messages, dryRun).catch((error: { code: string }) => {
        sessionErrors.push(error.code);
        throw error;
      });
    peer.handler = (request) =>
      request.token === 'goaway-0'
        ? { status: 200, body: { name: 'projects/herald-fcm-test/messages/first' }, goaway: true }
        : undefined;
    const fcm = createFcmChannel({ messaging });

    const result = await fcm.send(pushRequest(Array.from({ length: 20 }, (_, index) => `goaway-${index}`)));

    if (firebaseAdminMajor < 14) {
      // firebase-admin 13 rejects the whole call; the channel reads the settled part it carries instead.
      expect(sessionErrors).toEqual(['messaging/app/network-error']);
    } else {
      // 14 resolves it, failing each message the session took down with messaging/unknown-error.
      expect(sessionErrors).toEqual([]);
    }
    expect(result.status).toBe('sent');
    expect(result).toMatchObject({
      detail: expect.stringMatching(new RegExp(`^sent to ${peer.requests.length} of 20 devices`)),
    });
  });

  it('rejects empty title or body with INVALID_CONTENT', async () => {
    const fcm = createFcmChannel({ messaging: peer.createMessaging() });
    const error = await rejection(fcm.send(pushRequest(['token-empty'], { title: '' })));
    expect(error).toMatchObject({
      code: 'INVALID_CONTENT',
      message: 'push content: title must be a non-empty string.',
    });
    expect(peer.requests).toHaveLength(0);
  });
});

describeChannelContract('fcm (HTTP/2)', () => ({
  channel: createFcmChannel({ messaging: peer.createMessaging() }),
  content: { title: 'Contract', body: 'Checks the Channel spec' },
  recipient: { id: 'contract-user', pushTokens: ['contract-token-1', 'contract-token-2'] },
  recipientWithoutAddress: { id: 'contract-user-without-devices' },
}));

describeChannelContract('fcm (HTTP/1.1)', () => ({
  channel: createFcmChannel({ messaging: peer.createMessaging({ legacy: true }) }),
  content: { title: 'Contract', body: 'Checks the Channel spec' },
  recipient: { id: 'contract-user', pushTokens: ['contract-token-1'] },
  recipientWithoutAddress: { id: 'contract-user-without-devices', pushTokens: [] },
}));
