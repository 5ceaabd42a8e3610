// The webhook mounted on node:http through @herald/http's toNodeHandler, called over a real socket.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Herald } from '@herald/core';
import { toNodeHandler } from '@herald/http';
import {
  appSecret,
  type GraphPeer,
  signedWebhookRequest,
  startGraphPeer,
  statusPayload,
  verifyToken,
} from '@herald/test-peers/whatsapp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { heraldWithWhatsApp, ticketAssigned } from './whatsapp.fixture';
import { createWhatsAppWebhook } from './whatsapp-webhook';

let peer: GraphPeer;
let herald: Herald;
let server: Server;
let base: string;

beforeAll(async () => {
  peer = await startGraphPeer();
  herald = heraldWithWhatsApp(peer);
  server = createServer(toNodeHandler(createWhatsAppWebhook({ herald, appSecret, verifyToken })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await herald.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await peer.close();
});

it('answers the handshake and applies a signed non-ASCII status batch over HTTP', async () => {
  const handshake = await fetch(
    `${base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=42`,
  );
  expect(handshake.status).toBe(200);
  expect(await handshake.text()).toBe('42');

  const result = await herald.notify(ticketAssigned, {
    to: { id: 'ana', phone: '+14155550123' },
    payload: { ticketId: 't-1', title: 'Größe — 東京' },
  });
  await result.settled;
  const [record] = (await herald.deliveries.list({ notificationId: result.id })).records;
  const signed = signedWebhookRequest(
    statusPayload([{ id: record?.providerMessageId as string, status: 'delivered' }], { note: 'Größe — 東京 🚀' }),
  );
  const forged = await fetch(`${base}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
    body: statusPayload([{ id: record?.providerMessageId as string, status: 'read' }]),
  });
  expect(forged.status).toBe(401);
  expect((await herald.deliveries.get(record?.id as string))?.status).toBe('sent');

  const response = await fetch(`${base}/webhooks/whatsapp`, {
    method: 'POST',
    headers: signed.headers,
    body: await signed.arrayBuffer(),
  });
  expect(response.status).toBe(200);
  expect((await herald.deliveries.get(record?.id as string))?.status).toBe('delivered');
});
