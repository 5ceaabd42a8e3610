// What the devtools tests run against: Herald on a MemoryStore with the real email, WhatsApp and FCM channels
// aimed at the local peers, and the devtools handler served over node:http.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnyNotificationDefinition,
  createHerald,
  defineNotification,
  type Herald,
  html,
  skip,
  unsafeHtml,
} from '@herald/core';
import { createEmailChannel } from '@herald/email';
import { createFcmChannel } from '@herald/fcm';
import { toNodeHandler } from '@herald/http';
import { MemoryStore } from '@herald/storage';
import { createFcmPeer, type FcmPeer } from '@herald/test-peers/fcm';
import { type SmtpPeer, startSmtpPeer } from '@herald/test-peers/smtp';
import { type GraphPeer, startGraphPeer } from '@herald/test-peers/whatsapp';
import { createWhatsAppChannel } from '@herald/whatsapp';
import { z } from 'zod';
import { createDevtoolsHandler, type DevtoolsHandler, type DevtoolsSettings } from './devtools-handler';

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string(), urgent: z.boolean().default(false) }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, url: `/tickets/${payload.ticketId}` }),
    email: ({ payload, recipient }) => ({
      subject: `Assigned: ${payload.title}`,
      html: html`<h1>Hi ${recipient.name}</h1><p>You now own <strong>${payload.title}</strong>.</p>`,
      text: `Hi ${recipient.name}, you now own ${payload.title}.`,
    }),
    whatsapp: ({ payload }) => (payload.urgent ? { text: `Urgent ticket: ${payload.title}` } : skip('not urgent')),
    push: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, data: { ticketId: payload.ticketId } }),
  },
  previews: {
    default: { ticketId: 'T-1', title: 'Printer on fire' },
    urgent: { ticketId: 'T-2', title: 'Server room flooded', urgent: true },
  },
});

export const brokenTemplate = defineNotification({
  type: 'ticket.broken',
  schema: z.object({ ticketId: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Broken', body: payload.ticketId }),
    email: () => {
      throw new Error('template exploded');
    },
  },
  previews: {
    default: { ticketId: 'T-3' },
    // Declared with a cast: the type check would refuse it, as it should.
    wrong: { ticketId: 42 } as unknown as { ticketId: string },
  },
});

export const withoutPreviews = defineNotification({
  type: 'ticket.silent',
  schema: z.object({ ticketId: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Silent', body: payload.ticketId }) },
});

/** A template that (wrongly) trusts its markup: what the page's sandbox is for. */
export const rawMarkup = defineNotification({
  type: 'ticket.rawMarkup',
  schema: z.object({ markup: z.string() }),
  channels: {
    email: ({ payload }) => ({ subject: 'Raw markup', html: unsafeHtml(payload.markup), text: 'Raw markup' }),
  },
});

export const definitions: AnyNotificationDefinition[] = [ticketAssigned, brokenTemplate, withoutPreviews, rawMarkup];

export interface DevtoolsStack {
  herald: Herald;
  smtp: SmtpPeer;
  graph: GraphPeer;
  fcm: FcmPeer;
  devtools: DevtoolsHandler;
  origin: string;
  stop(): Promise<void>;
}

export async function startDevtoolsStack(settings: Partial<DevtoolsSettings> = {}): Promise<DevtoolsStack> {
  const [smtp, graph, fcm] = await Promise.all([startSmtpPeer(), startGraphPeer(), createFcmPeer()]);
  const herald = createHerald({
    store: new MemoryStore(),
    channels: [
      createEmailChannel({
        smtp: { host: smtp.host, port: smtp.port, ignoreTLS: true },
        from: 'Desk <desk@acme.test>',
      }),
      createWhatsAppChannel({
        phoneNumberId: graph.phoneNumberId,
        accessToken: graph.accessToken,
        graphBaseUrl: graph.url,
      }),
      createFcmChannel({ messaging: fcm.createMessaging() }),
    ],
  });
  const devtools = createDevtoolsHandler({ herald, definitions, mail: smtp, whatsapp: graph, push: fcm, ...settings });
  const server: Server = createServer(toNodeHandler(devtools));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    herald,
    smtp,
    graph,
    fcm,
    devtools,
    origin,
    async stop() {
      devtools.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await herald.close();
      await Promise.all([smtp.close(), graph.close(), fcm.close()]);
    },
  };
}

export const ana = { id: 'ana', name: 'Ana', email: 'ana@acme.test', phone: '+15550100002' };
