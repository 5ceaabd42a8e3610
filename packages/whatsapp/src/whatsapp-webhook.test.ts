import type { DeliveryRecord, Herald } from '@herald/core';
import {
  appSecret,
  type GraphPeer,
  signedWebhookRequest,
  startGraphPeer,
  statusPayload,
  verifyToken,
} from '@herald/test-peers/whatsapp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { heraldWithWhatsApp, ticketAssigned } from './whatsapp.fixture';
import { createWhatsAppWebhook } from './whatsapp-webhook';

let peer: GraphPeer;
let herald: Herald;

beforeAll(async () => {
  peer = await startGraphPeer();
});
afterAll(async () => {
  await peer.close();
});
afterEach(async () => {
  await herald?.close();
});

/** Notifies one recipient over WhatsApp and returns the sent delivery record (with its wamid). */
async function sentDelivery(): Promise<DeliveryRecord> {
  herald = heraldWithWhatsApp(peer);
  const result = await herald.notify(ticketAssigned, {
    to: { id: 'ana', phone: '+14155550123' },
    payload: { ticketId: 't-1', title: 'Printer on fire — ¡ojo!' },
  });
  expect((await result.settled).sent).toBe(1);
  const { records } = await herald.deliveries.list({ notificationId: result.id });
  const [record] = records;
  if (!record?.providerMessageId) throw new Error('expected a sent record with a provider message id');
  expect(record.status).toBe('sent');
  return record;
}

function webhook() {
  return createWhatsAppWebhook({ herald, appSecret, verifyToken });
}

async function status(id: string): Promise<DeliveryRecord | undefined> {
  return herald.deliveries.get(id);
}

describe('createWhatsAppWebhook: verification handshake', () => {
  beforeAll(() => {
    herald = heraldWithWhatsApp(peer);
  });

  it('echoes hub.challenge when the mode and verify token match', async () => {
    const response = await webhook()(
      new Request(
        `https://hooks.example.com/wa?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`,
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('1158201444');
  });

  it.each([
    ['a wrong token', `hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`],
    ['no token', 'hub.mode=subscribe&hub.challenge=1'],
    ['a wrong mode', `hub.mode=unsubscribe&hub.verify_token=${verifyToken}&hub.challenge=1`],
    ['no challenge', `hub.mode=subscribe&hub.verify_token=${verifyToken}`],
  ])('answers 403 for %s', async (_case, query) => {
    const response = await webhook()(new Request(`https://hooks.example.com/wa?${query}`));
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('1');
  });

  it('answers 405 to other methods', async () => {
    const response = await webhook()(new Request('https://hooks.example.com/wa', { method: 'PUT', body: '{}' }));
    expect(response.status).toBe(405);
  });

  it('refuses to build without an app secret or a verify token', () => {
    expect(() => createWhatsAppWebhook({ herald, appSecret: '', verifyToken })).toThrow(/appSecret is required/);
    expect(() => createWhatsAppWebhook({ herald, appSecret, verifyToken: '' })).toThrow(/verifyToken is required/);
  });
});

describe('createWhatsAppWebhook: statuses', () => {
  it('moves a record sent → delivered → read by wamid, with a non-ASCII body signed over its bytes', async () => {
    const record = await sentDelivery();
    const handle = webhook();
    const id = record.providerMessageId as string;
    // Non-ASCII in the payload: a signature over a re-encoded string instead of the raw bytes would fail.
    const delivered = await handle(
      signedWebhookRequest(statusPayload([{ id, status: 'delivered' }], { note: 'Zürich — 東京 🚀' })),
    );
    expect(delivered.status).toBe(200);
    expect((await status(record.id))?.status).toBe('delivered');
    expect((await handle(signedWebhookRequest(statusPayload([{ id, status: 'read' }])))).status).toBe(200);
    expect((await status(record.id))?.status).toBe('read');
  });

  it('ignores biz_opaque_callback_data naming a record that answers to another wamid', async () => {
    // The data finds a record only while the record has no wamid of its own yet (whatsapp-webhook-race.test.ts).
    const record = await sentDelivery();
    const response = await webhook()(
      signedWebhookRequest(statusPayload([{ id: 'wamid.not-recorded', status: 'delivered', deliveryId: record.id }])),
    );
    expect(response.status).toBe(200);
    expect(await status(record.id)).toEqual(record);
  });

  it('falls back to the wamid when biz_opaque_callback_data is not a delivery of ours', async () => {
    const record = await sentDelivery();
    const id = record.providerMessageId as string;
    await webhook()(
      signedWebhookRequest(statusPayload([{ id, status: 'delivered', deliveryId: 'someone-elses-data' }])),
    );
    expect((await status(record.id))?.status).toBe('delivered');
  });

  it('keeps read when read arrives before delivered, and a later delivered does not move it back', async () => {
    const record = await sentDelivery();
    const handle = webhook();
    const id = record.providerMessageId as string;
    await handle(signedWebhookRequest(statusPayload([{ id, status: 'read' }])));
    expect((await status(record.id))?.status).toBe('read');
    const late = await handle(signedWebhookRequest(statusPayload([{ id, status: 'delivered' }])));
    expect(late.status).toBe(200);
    expect((await status(record.id))?.status).toBe('read');
  });

  it('changes nothing on a replay', async () => {
    const record = await sentDelivery();
    const handle = webhook();
    const body = statusPayload([{ id: record.providerMessageId as string, status: 'delivered' }]);
    await handle(signedWebhookRequest(body));
    const first = await status(record.id);
    const updates: unknown[] = [];
    herald.on('delivery.updated', (event) => updates.push(event));
    const replay = await handle(signedWebhookRequest(body));
    expect(replay.status).toBe(200);
    expect(await status(record.id)).toEqual(first);
    expect(updates).toEqual([]);
  });

  it('records a failure with its taxonomy code, Graph code and title', async () => {
    const record = await sentDelivery();
    await webhook()(
      signedWebhookRequest(
        statusPayload([
          {
            id: record.providerMessageId as string,
            status: 'failed',
            errors: [
              { code: 131026, title: 'Message undeliverable', error_data: { details: 'Recipient is not on WhatsApp' } },
            ],
          },
        ]),
      ),
    );
    const failed = await status(record.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toEqual({
      code: 'INVALID_RECIPIENT',
      message: 'WhatsApp: Message undeliverable — Recipient is not on WhatsApp (code 131026)',
      providerCode: 131026,
    });
  });

  it('applies several statuses of one batch, ignoring unknown statuses and inbound messages', async () => {
    const first = await sentDelivery();
    const { records } = await herald.deliveries.list({ recipientId: 'ana' });
    expect(records).toHaveLength(1);
    const response = await webhook()(
      signedWebhookRequest(
        statusPayload(
          [
            { id: first.providerMessageId as string, status: 'delivered' },
            { id: first.providerMessageId as string, status: 'warning' },
          ],
          { messages: [{ from: '14155550123', id: 'wamid.inbound', type: 'text', text: { body: 'thanks' } }] },
        ),
      ),
    );
    expect(response.status).toBe(200);
    expect((await status(first.id))?.status).toBe('delivered');
  });

  it('answers 200 to a status for a message it does not know, changing nothing', async () => {
    const record = await sentDelivery();
    const response = await webhook()(signedWebhookRequest(statusPayload([{ id: 'wamid.unknown', status: 'read' }])));
    expect(response.status).toBe(200);
    expect((await status(record.id))?.status).toBe('sent');
  });
});

describe('createWhatsAppWebhook: bad requests', () => {
  it('answers 401 and records nothing for a forged signature', async () => {
    const record = await sentDelivery();
    const body = statusPayload([{ id: record.providerMessageId as string, status: 'read' }]);
    const response = await webhook()(signedWebhookRequest(body, 'not-the-app-secret'));
    expect(response.status).toBe(401);
    expect(await status(record.id)).toEqual(record);
  });

  it('answers 401 when the body was altered after signing', async () => {
    const record = await sentDelivery();
    const signed = signedWebhookRequest(
      statusPayload([{ id: record.providerMessageId as string, status: 'delivered' }]),
    );
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: statusPayload([{ id: record.providerMessageId as string, status: 'read' }]),
    });
    expect((await webhook()(tampered)).status).toBe(401);
    expect(await status(record.id)).toEqual(record);
  });

  it.each([
    ['no header', undefined],
    ['no sha256= prefix', 'deadbeef'],
    ['a signature that is not hex', 'sha256=zz'],
    ['a truncated signature', 'sha256=abcd'],
  ])('answers 401 and records nothing for %s', async (_case, header) => {
    const record = await sentDelivery();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (header !== undefined) headers['x-hub-signature-256'] = header;
    const body = statusPayload([{ id: record.providerMessageId as string, status: 'read' }]);
    const response = await webhook()(new Request('https://hooks.example.com/wa', { method: 'POST', headers, body }));
    expect(response.status).toBe(401);
    expect(await status(record.id)).toEqual(record);
  });

  it('answers 413 for a body over maxBodyBytes, before checking the signature, recording nothing', async () => {
    const record = await sentDelivery();
    const handle = createWhatsAppWebhook({ herald, appSecret, verifyToken, maxBodyBytes: 256 });
    const body = statusPayload([{ id: record.providerMessageId as string, status: 'read' }], {
      padding: 'x'.repeat(300),
    });
    // Streamed without a content-length, so the limit is enforced while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const signed = signedWebhookRequest(body);
    const response = await handle(
      new Request(signed.url, { method: 'POST', headers: signed.headers, body: stream, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect((await handle(signedWebhookRequest(body))).status).toBe(413);
    expect(await status(record.id)).toEqual(record);
  });

  it('answers 400 for a correctly signed body that is not JSON', async () => {
    const record = await sentDelivery();
    const response = await webhook()(signedWebhookRequest('{"entry": [oops'));
    expect(response.status).toBe(400);
    expect(await status(record.id)).toEqual(record);
  });

  it('answers 500 when the store fails, so Meta sends the batch again', async () => {
    const record = await sentDelivery();
    const failing = createWhatsAppWebhook({
      herald: {
        deliveries: {
          ...herald.deliveries,
          applyReceipt: () => Promise.reject(new Error('store is down')),
        },
      },
      appSecret,
      verifyToken,
    });
    const response = await failing(
      signedWebhookRequest(statusPayload([{ id: record.providerMessageId as string, status: 'read' }])),
    );
    expect(response.status).toBe(500);
  });
});
