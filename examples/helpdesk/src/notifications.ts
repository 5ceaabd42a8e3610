// Every notification the helpdesk sends: the seven ticket events, each with its payload schema, its content per
// channel and sample payloads for the /dev previews. In-app and email for everyone; WhatsApp only when urgent.

import { type Duration, defineNotification, html, skip } from '@herald/core';
import type {} from '@herald/email';
import type {} from '@herald/whatsapp';
import { z } from 'zod';

export const priorities = ['low', 'normal', 'high', 'urgent'] as const;

const ticket = {
  ticketId: z.string(),
  title: z.string(),
  priority: z.enum(priorities),
  /** Who did it, by name (the actor is never notified). */
  by: z.string(),
};

const ticketUrl = (ticketId: string): string => `/tickets/${encodeURIComponent(ticketId)}`;

/** WhatsApp goes out only for urgent tickets; everyone else gets in-app and email. */
const whatsappIfUrgent =
  <Payload extends { ticketId: string; title: string; priority: string }>(text: (payload: Payload) => string) =>
  ({ payload }: { payload: Payload }) =>
    payload.priority === 'urgent' ? { text: text(payload) } : skip('only urgent tickets go to WhatsApp');

const sample = { ticketId: 'T-1001', title: 'Checkout returns 500', priority: 'normal', by: 'Maya Manager' } as const;
const urgentSample = { ...sample, ticketId: 'T-1002', title: 'Payments down', priority: 'urgent' } as const;

export const ticketCreated = defineNotification({
  type: 'ticket.created',
  schema: z.object(ticket),
  channels: {
    inApp: ({ payload }) => ({
      title: `New ${payload.priority} ticket`,
      body: `${payload.by}: ${payload.title}`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload, recipient }) => ({
      subject: `[${payload.ticketId}] New ${payload.priority} ticket: ${payload.title}`,
      html: html`<p>Hi ${recipient.name},</p><p>${payload.by} opened <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a> (${payload.priority}).</p>`,
    }),
    whatsapp: whatsappIfUrgent((payload) => `New urgent ticket ${payload.ticketId}: ${payload.title}`),
  },
  previews: { default: sample, urgent: urgentSample },
});

/** How long an assignment may stay unread before it is emailed (short for the demo). */
export const escalateAfter = (process.env.HELPDESK_ESCALATE_AFTER ?? '2m') as Duration;

/**
 * To the new assignee, in-app at once (WhatsApp too when urgent). The email is an escalation: it goes out only if
 * the in-app item is still unread `escalateAfter` later.
 */
export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ...ticket, assignee: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Ticket assigned to you',
      body: `${payload.ticketId}: ${payload.title} (${payload.priority})`,
      url: ticketUrl(payload.ticketId),
    }),
    email: {
      after: escalateAfter,
      unless: 'read',
      content: ({ payload, recipient }) => ({
        subject: `[${payload.ticketId}] Still unread: ${payload.title} is assigned to you`,
        html: html`<p>Hi ${recipient.name},</p><p>${payload.by} assigned you <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a> and you have not opened it yet.</p>`,
      }),
    },
    whatsapp: whatsappIfUrgent((payload) => `Urgent ticket ${payload.ticketId} is yours: ${payload.title}`),
  },
  previews: { default: { ...sample, assignee: 'Alex Agent' }, urgent: { ...urgentSample, assignee: 'Alex Agent' } },
});

export const ticketStatusChanged = defineNotification({
  type: 'ticket.statusChanged',
  schema: z.object({ ...ticket, from: z.string(), to: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `Ticket ${payload.to.replace('_', ' ')}`,
      body: `${payload.ticketId}: ${payload.title} — ${payload.from} → ${payload.to} by ${payload.by}`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload }) => ({
      subject: `[${payload.ticketId}] ${payload.title}: ${payload.from} → ${payload.to}`,
      html: html`<p>${payload.by} moved <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a> from ${payload.from} to <strong>${payload.to}</strong>.</p>`,
    }),
    whatsapp: whatsappIfUrgent((payload) => `Urgent ticket ${payload.ticketId} is now ${payload.to}`),
  },
  previews: { default: { ...sample, from: 'open', to: 'in_progress' } },
});

export const ticketCommented = defineNotification({
  type: 'ticket.commented',
  schema: z.object({ ...ticket, comment: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `${payload.by} commented`,
      body: `${payload.ticketId}: ${payload.comment}`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload }) => ({
      subject: `[${payload.ticketId}] New comment on ${payload.title}`,
      html: html`<p>${payload.by} wrote on <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a>:</p><blockquote>${payload.comment}</blockquote>`,
    }),
    whatsapp: whatsappIfUrgent((payload) => `Comment on urgent ticket ${payload.ticketId}`),
  },
  previews: { default: { ...sample, comment: 'Logs attached; it started after the 14:00 deploy.' } },
});

export const ticketRejected = defineNotification({
  type: 'ticket.rejected',
  schema: z.object({ ...ticket, reason: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Resolution rejected',
      body: `${payload.ticketId}: ${payload.by} says “${payload.reason}”`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload }) => ({
      subject: `[${payload.ticketId}] Resolution rejected: ${payload.title}`,
      html: html`<p>${payload.by} rejected the resolution of <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a>.</p><p>Reason: ${payload.reason}</p>`,
    }),
    whatsapp: whatsappIfUrgent((payload) => `Urgent ticket ${payload.ticketId} reopened: the fix was rejected`),
  },
  previews: { default: { ...sample, reason: 'Still failing on mobile Safari.' } },
});

export const ticketResolved = defineNotification({
  type: 'ticket.resolved',
  schema: z.object({ ...ticket, resolution: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Ticket resolved',
      body: `${payload.ticketId}: ${payload.title} — please review`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload }) => ({
      subject: `[${payload.ticketId}] Resolved: ${payload.title}`,
      html: html`<p>${payload.by} resolved <a href="${ticketUrl(payload.ticketId)}">${payload.title}</a>:</p><blockquote>${payload.resolution}</blockquote><p>Reject the resolution from the ticket page if it is not fixed.</p>`,
    }),
    whatsapp: whatsappIfUrgent((payload) => `Urgent ticket ${payload.ticketId} resolved`),
  },
  previews: { default: { ...sample, resolution: 'Rolled back the 14:00 deploy.' } },
});

/** Critical: an SLA breach reaches managers even when they muted ticket emails, and always on WhatsApp. */
export const ticketSlaBreached = defineNotification({
  type: 'ticket.slaBreached',
  schema: z.object({ ...ticket, dueAt: z.string() }),
  critical: true,
  channels: {
    inApp: ({ payload }) => ({
      title: 'SLA breached',
      body: `${payload.ticketId}: ${payload.title} was due ${payload.dueAt}`,
      url: ticketUrl(payload.ticketId),
    }),
    email: ({ payload }) => ({
      subject: `[${payload.ticketId}] SLA breached: ${payload.title}`,
      html: html`<p><a href="${ticketUrl(payload.ticketId)}">${payload.title}</a> (${payload.priority}) was due ${payload.dueAt} and is not resolved.</p>`,
    }),
    whatsapp: ({ payload }) => ({ text: `SLA breached on ${payload.ticketId}: ${payload.title}` }),
  },
  previews: { default: { ...urgentSample, by: 'SLA monitor', dueAt: '2026-01-01T12:00:00.000Z' } },
});

/** The catalog: BullMQ workers render from it, and /dev previews it. */
export const allNotifications = [
  ticketCreated,
  ticketAssigned,
  ticketStatusChanged,
  ticketCommented,
  ticketRejected,
  ticketResolved,
  ticketSlaBreached,
] as const;
