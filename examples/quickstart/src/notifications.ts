// The app's notification catalog: one definition per event, payloads checked by zod.
import { defineNotification, html } from '@herald/core';
import '@herald/email';
import { z } from 'zod';

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string().min(3), assignedBy: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Ticket assigned to you',
      body: `${payload.assignedBy} assigned you "${payload.title}"`,
      url: `/tickets/${payload.ticketId}`,
    }),
    email: ({ payload, recipient }) => ({
      subject: `Assigned: ${payload.title}`,
      html: html`<p>Hi ${recipient.name},</p><p>${payload.assignedBy} assigned you <b>${payload.title}</b>.</p>`,
    }),
  },
});

export const ticketCommented = defineNotification({
  type: 'ticket.commented',
  schema: z.object({ ticketId: z.string(), author: z.string(), comment: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `${payload.author} commented`,
      body: payload.comment,
      url: `/tickets/${payload.ticketId}`,
    }),
  },
});
