// Shared test set-up: a Herald with a WhatsApp channel against the local Graph API peer.

import { createHerald, defineNotification, type Herald, type HeraldSettings } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import type { GraphPeer } from '@herald/test-peers/whatsapp';
import { z } from 'zod';
import { createWhatsAppChannel } from './whatsapp-channel';
import './whatsapp-content';

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
