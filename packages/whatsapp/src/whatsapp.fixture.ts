// Shared test set-up: a Herald with a WhatsApp channel against the local Graph API peer, and the request both
// channel tests send.

import { createHerald, defineNotification, type Herald, type HeraldSettings } from '@herald/core';
import type { SendRequest } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import type { GraphPeer } from '@herald/test-peers/whatsapp';
import { createSendRequest } from '@herald/testing';
import { z } from 'zod';
import { createWhatsAppChannel } from './whatsapp-channel';
import type { WhatsAppContent } from './whatsapp-content';

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    whatsapp: ({ payload }) => ({
      text: `Ticket ${payload.ticketId}: ${payload.title}`,
      template: { name: 'ticket_assigned', language: 'en_US', body: [payload.title] },
    }),
  },
});

export function heraldWithWhatsApp(peer: GraphPeer, settings: Partial<HeraldSettings> = {}): Herald {
  return createHerald({
    store: new MemoryStore(),
    channels: [
      createWhatsAppChannel({
        phoneNumberId: peer.phoneNumberId,
        accessToken: peer.accessToken,
        graphBaseUrl: peer.url,
      }),
    ],
    ...settings,
  });
}

/** What either WhatsApp channel receives for one recipient with a phone number. */
export function whatsAppRequest(
  content: WhatsAppContent,
  overrides: Partial<SendRequest<WhatsAppContent>> = {},
): SendRequest<WhatsAppContent> {
  const recipient = { id: 'user-1', phone: '+14155550123' };
  return createSendRequest(content, { type: 'ticket.assigned', recipient, ...overrides });
}
