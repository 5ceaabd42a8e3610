// The status webhook against the send it reports on, end to end: Herald sends through the local Graph API peer, and
// Meta's signed status callbacks arrive over HTTP (the webhook mounted with toNodeHandler) — before the send's own
// reply, or naming another message's delivery in biz_opaque_callback_data.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryRecord, Herald } from '@herald/core';
import { toNodeHandler } from '@herald/http';
import {
  appSecret,
  type GraphPeer,
  type GraphPeerReply,
  graphMessageAccepted,
  type StatusInput,
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
let server: Server | undefined;
let webhookUrl: string;

beforeAll(async () => {
  peer = await startGraphPeer();
});
afterAll(async () => {
  await peer.close();
});
/** Replies still held when a test ends are released, so a failing test does not wait out the attempt timeout. */
const holds: ((reply: GraphPeerReply) => void)[] = [];

afterEach(async () => {
  for (const release of holds.splice(0)) release(graphMessageAccepted('14155550123', 'wamid.released'));
  await herald?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
  }
  peer.queue.length = 0;
});

/** A Herald sending through the peer, and its status webhook listening on a real port. */
async function start(): Promise<void> {
  herald = heraldWithWhatsApp(peer);
  server = createServer(toNodeHandler(createWhatsAppWebhook({ herald, appSecret, verifyToken })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`;
}

/** Posts statuses to the webhook as Meta does: the raw body signed with the app secret. */
async function postStatuses(statuses: StatusInput[]): Promise<number> {
  const signed = signedWebhookRequest(statusPayload(statuses));
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: signed.headers,
    body: await signed.arrayBuffer(),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The delivery id the next send to reach the peer carries as callback data (call it before the send starts). */
function nextSend(): Promise<string> {
  const index = peer.requests.length;
  return peer.waitForRequests(index + 1).then(() => peer.requests[index]?.body.biz_opaque_callback_data as string);
}

function held(): { reply: Promise<GraphPeerReply | undefined>; release: (reply: GraphPeerReply) => void } {
  let release!: (reply: GraphPeerReply) => void;
  const reply = new Promise<GraphPeerReply | undefined>((resolve) => {
    release = resolve;
  });
  holds.push(release);
  return { reply, release };
}

async function recordOf(notificationId: string, recipientId = 'ana'): Promise<DeliveryRecord> {
  const { records } = await herald.deliveries.list({ notificationId, recipientId });
  if (!records[0]) throw new Error(`no delivery record for ${recipientId}`);
  return records[0];
}

const ana = { id: 'ana', phone: '+14155550123' };
const ben = { id: 'ben', phone: '+14155550199' };
const payload = { ticketId: 't-7', title: 'Printer on fire' };

describe('a status webhook that arrives before the send’s HTTP reply', () => {
  it.each([
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['sent', 'sent'],
  ])(
    'a %s status keeps its state, and the send’s reply still records attempts, message id and channel',
    async (status, final) => {
      await start();
      const hold = held();
      peer.queue.push(hold.reply);
      const send = nextSend();
      const result = await herald.notify(ticketAssigned, { to: ana, payload });
      const deliveryId = await send;
      expect(deliveryId).toBe((await recordOf(result.id)).id);

      // Meta accepted the message and reported on it before its HTTP answer reached us.
      expect(await postStatuses([{ id: 'wamid.early', status, deliveryId }])).toBe(200);
      const early = await herald.deliveries.get(deliveryId);
      expect(early).toMatchObject({ status: final, attempts: 0, providerMessageId: 'wamid.early' });

      hold.release(graphMessageAccepted('14155550123', 'wamid.early'));
      expect(await result.settled).toMatchObject({ total: 1, sent: 1, failed: 0 });
      expect(await herald.deliveries.get(deliveryId)).toMatchObject({
        status: final,
        attempts: 1,
        providerMessageId: 'wamid.early',
        channelId: 'whatsapp-cloud',
      });

      // Later statuses find it by the message id alone, and still move it forward only.
      expect(await postStatuses([{ id: 'wamid.early', status: 'read' }])).toBe(200);
      expect(await postStatuses([{ id: 'wamid.early', status: 'delivered' }])).toBe(200);
      expect((await herald.deliveries.get(deliveryId))?.status).toBe('read');
    },
  );

  it('a failed status keeps the failure, and the reply still records attempts, message id and channel', async () => {
    await start();
    const hold = held();
    peer.queue.push(hold.reply);
    const send = nextSend();
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    const deliveryId = await send;
    const errors = [{ code: 131026, title: 'Message undeliverable' }];
    expect(await postStatuses([{ id: 'wamid.doomed', status: 'failed', deliveryId, errors }])).toBe(200);
    hold.release(graphMessageAccepted('14155550123', 'wamid.doomed'));
    await result.settled;
    expect(await herald.deliveries.get(deliveryId)).toMatchObject({
      status: 'failed',
      error: { code: 'INVALID_RECIPIENT', providerCode: 131026 },
      attempts: 1,
      providerMessageId: 'wamid.doomed',
      channelId: 'whatsapp-cloud',
    });
  });
});

describe('biz_opaque_callback_data that names another message’s delivery', () => {
  it('applies the status to the record of the message it is about, never to the one the data names', async () => {
    await start();
    const result = await herald.notify(ticketAssigned, { to: [ana, ben], payload });
    expect((await result.settled).sent).toBe(2);
    const anas = await recordOf(result.id, 'ana');
    const bens = await recordOf(result.id, 'ben');
    expect(anas.providerMessageId).not.toBe(bens.providerMessageId);

    // A status about Ben's message carrying Ana's delivery id (another sender's data, or a mix-up upstream).
    expect(await postStatuses([{ id: bens.providerMessageId as string, status: 'read', deliveryId: anas.id }])).toBe(
      200,
    );
    expect(await herald.deliveries.get(anas.id)).toEqual(anas);
    expect((await herald.deliveries.get(bens.id))?.status).toBe('read');

    // A status about a message Herald never sent, naming Ana's delivery: nothing changes.
    for (const status of ['delivered', 'read', 'failed']) {
      expect(await postStatuses([{ id: 'wamid.someone-else', status, deliveryId: anas.id }])).toBe(200);
    }
    expect(await herald.deliveries.get(anas.id)).toEqual(anas);
  });

  it('a status about a known message never moves the record its data names, even one without a message id yet', async () => {
    await start();
    const first = await herald.notify(ticketAssigned, { to: ben, payload });
    await first.settled;
    const bens = await recordOf(first.id, 'ben');
    const hold = held();
    peer.queue.push(hold.reply);
    const send = nextSend();
    const second = await herald.notify(ticketAssigned, { to: ana, payload });
    const anasDeliveryId = await send;
    const anasBefore = await herald.deliveries.get(anasDeliveryId);
    expect(anasBefore).toMatchObject({ status: 'pending' });
    expect(anasBefore?.providerMessageId).toBeUndefined();

    // Ben's message, Ana's delivery id: the message id is known, and it is Ben's.
    expect(
      await postStatuses([{ id: bens.providerMessageId as string, status: 'read', deliveryId: anasDeliveryId }]),
    ).toBe(200);
    expect(await herald.deliveries.get(anasDeliveryId)).toEqual(anasBefore);
    expect((await herald.deliveries.get(bens.id))?.status).toBe('read');

    hold.release(graphMessageAccepted('14155550123', 'wamid.anas-own'));
    await second.settled;
    expect(await herald.deliveries.get(anasDeliveryId)).toMatchObject({
      status: 'sent',
      providerMessageId: 'wamid.anas-own',
      attempts: 1,
    });
    // Ben's record still answers to Ben's message id.
    expect(await postStatuses([{ id: bens.providerMessageId as string, status: 'delivered' }])).toBe(200);
    expect((await herald.deliveries.get(bens.id))?.providerMessageId).toBe(bens.providerMessageId);
  });

  it('while the named record has no message id yet, the data finds it (the send’s reply is still out)', async () => {
    await start();
    const hold = held();
    peer.queue.push(hold.reply);
    const send = nextSend();
    const result = await herald.notify(ticketAssigned, { to: ana, payload });
    const deliveryId = await send;
    expect(await postStatuses([{ id: 'wamid.mine', status: 'delivered', deliveryId }])).toBe(200);
    expect((await herald.deliveries.get(deliveryId))?.status).toBe('delivered');
    // From then on the record has a message id, and data naming it with another message id is refused.
    expect(await postStatuses([{ id: 'wamid.other', status: 'read', deliveryId }])).toBe(200);
    expect((await herald.deliveries.get(deliveryId))?.status).toBe('delivered');
    hold.release(graphMessageAccepted('14155550123', 'wamid.mine'));
    await result.settled;
    expect(await herald.deliveries.get(deliveryId)).toMatchObject({
      status: 'delivered',
      providerMessageId: 'wamid.mine',
      attempts: 1,
    });
  });
});
