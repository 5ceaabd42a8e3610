// The desk itself: tickets, who may do what, who hears about it. Each action validates its input, changes the
// ticket, then makes one `herald.notify` call with the recipients by role — never the actor, who Herald drops.

import { randomUUID } from 'node:crypto';
import type { DeliveryRecord, Herald } from '@herald/core';
import { z } from 'zod';
import {
  priorities,
  ticketAssigned,
  ticketCommented,
  ticketCreated,
  ticketRejected,
  ticketResolved,
  ticketSlaBreached,
  ticketStatusChanged,
} from './notifications';
import { findUser, type User, usersWithRole } from './users';

export type TicketStatus = 'open' | 'in_progress' | 'resolved';

export interface Ticket {
  id: string;
  title: string;
  description: string;
  priority: (typeof priorities)[number];
  status: TicketStatus;
  reporterId: string;
  assigneeId: string | undefined;
  watcherIds: string[];
  comments: { by: string; text: string; at: string }[];
  createdAt: string;
  /** When the SLA is breached unless resolved. */
  dueAt: string;
  /** Every notification about this ticket, for its delivery log. */
  notificationIds: string[];
  /** The idempotency key of the pending SLA breach notification (cancelled on resolve). */
  slaKey: string | undefined;
  version: number;
}

/** A refused action: the HTTP layer answers it as `status` with the code, the message and each field's issue. */
export class ActionError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly code: 'VALIDATION' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT',
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const slaMinutes: Record<Ticket['priority'], number> = { urgent: 30, high: 240, normal: 1440, low: 4320 };

export const inputs = {
  create: z.object({
    title: z.string().trim().min(3).max(200),
    description: z.string().trim().max(5000).default(''),
    priority: z.enum(priorities).default('normal'),
  }),
  assign: z.object({ assigneeId: z.string().min(1) }),
  status: z.object({ status: z.enum(['open', 'in_progress']) }),
  comment: z.object({ text: z.string().trim().min(1).max(5000) }),
  resolve: z.object({ resolution: z.string().trim().min(1).max(5000) }),
  // The seed's rule: a rejection needs a reason of at least 10 characters.
  reject: z.object({ reason: z.string().trim().min(10, 'Give a reason of at least 10 characters').max(5000) }),
};

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.message,
  }));
  throw new ActionError(400, 'VALIDATION', issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), issues);
}

const ids = (users: readonly (User | undefined)[]): string[] => [
  ...new Set(users.filter((user): user is User => user !== undefined).map((user) => user.id)),
];

export interface Desk {
  list(): Ticket[];
  get(id: string): Ticket;
  create(actor: User, body: unknown): Promise<Ticket>;
  /** `changed: false` when the ticket already had that assignee: nothing is sent. */
  assign(actor: User, id: string, body: unknown): Promise<{ ticket: Ticket; changed: boolean }>;
  setStatus(actor: User, id: string, body: unknown): Promise<Ticket>;
  comment(actor: User, id: string, body: unknown): Promise<Ticket>;
  resolve(actor: User, id: string, body: unknown): Promise<Ticket>;
  reject(actor: User, id: string, body: unknown): Promise<Ticket>;
  watch(actor: User, id: string): Ticket;
  /** Every delivery of every notification about the ticket, newest notification first. */
  deliveryLog(id: string): Promise<DeliveryRecord[]>;
}

export function createDesk(herald: Herald, now: () => number = Date.now): Desk {
  const tickets = new Map<string, Ticket>();
  let sequence = 1000;
  // Tickets live in this process's memory and restart at T-1001, while a Redis store outlives it: idempotency keys
  // carry this desk's run id so a restart does not find the previous run's keys.
  const run = randomUUID().slice(0, 8);
  const key = (ticket: Ticket, event: string): string => `desk:${run}:${ticket.id}:${event}`;

  const get = (id: string): Ticket => {
    const ticket = tickets.get(id);
    if (ticket === undefined) throw new ActionError(404, 'NOT_FOUND', `No ticket ${id}.`);
    return ticket;
  };
  const managers = (): User[] => usersWithRole('manager');
  const base = (ticket: Ticket, by: string) => ({
    ticketId: ticket.id,
    title: ticket.title,
    priority: ticket.priority,
    by,
  });
  const remember = (ticket: Ticket, notificationId: string): void => {
    ticket.notificationIds.unshift(notificationId);
  };
  const requireRole = (actor: User, roles: User['role'][], what: string): void => {
    if (!roles.includes(actor.role))
      throw new ActionError(403, 'FORBIDDEN', `${actor.name} (${actor.role}) cannot ${what}.`);
  };

  // The SLA breach is a scheduled notification; resolving cancels it, re-assigning schedules it for the new assignee.
  async function scheduleSla(ticket: Ticket): Promise<void> {
    await cancelSla(ticket);
    ticket.version += 1;
    ticket.slaKey = key(ticket, `sla:${ticket.version}`);
    const result = await herald.notify(ticketSlaBreached, {
      to: ids([findUser(ticket.assigneeId), ...managers()]),
      payload: { ...base(ticket, 'SLA monitor'), dueAt: ticket.dueAt },
      at: ticket.dueAt,
      idempotencyKey: ticket.slaKey,
    });
    remember(ticket, result.id);
  }
  async function cancelSla(ticket: Ticket): Promise<void> {
    if (ticket.slaKey !== undefined) await herald.cancel(ticket.slaKey);
    ticket.slaKey = undefined;
  }

  return {
    list: () => [...tickets.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    get,

    async create(actor, body) {
      const input = parse(inputs.create, body);
      sequence += 1;
      const createdAt = now();
      const ticket: Ticket = {
        id: `T-${sequence}`,
        ...input,
        status: 'open',
        reporterId: actor.id,
        assigneeId: undefined,
        watcherIds: [],
        comments: [],
        createdAt: new Date(createdAt).toISOString(),
        dueAt: new Date(createdAt + slaMinutes[input.priority] * 60_000).toISOString(),
        notificationIds: [],
        slaKey: undefined,
        version: 0,
      };
      tickets.set(ticket.id, ticket);
      const result = await herald.notify(ticketCreated, {
        to: ids(managers()),
        actor: actor.id,
        payload: base(ticket, actor.name),
        idempotencyKey: key(ticket, 'created'),
      });
      remember(ticket, result.id);
      await scheduleSla(ticket);
      return ticket;
    },

    async assign(actor, id, body) {
      requireRole(actor, ['manager'], 'assign tickets');
      const ticket = get(id);
      const { assigneeId } = parse(inputs.assign, body);
      const assignee = findUser(assigneeId);
      if (assignee?.role !== 'agent') {
        throw new ActionError(400, 'VALIDATION', `assigneeId: ${assigneeId} is not an agent`, [
          { path: 'assigneeId', message: `${assigneeId} is not an agent` },
        ]);
      }
      // The duplicate the seed fixed by hand: the same assignee again is not an assignment.
      if (ticket.assigneeId === assignee.id) return { ticket, changed: false };
      ticket.assigneeId = assignee.id;
      await scheduleSla(ticket);
      const result = await herald.notify(ticketAssigned, {
        to: assignee.id,
        actor: actor.id,
        payload: { ...base(ticket, actor.name), assignee: assignee.name },
        idempotencyKey: key(ticket, `assigned:${ticket.version}`),
      });
      remember(ticket, result.id);
      return { ticket, changed: true };
    },

    async setStatus(actor, id, body) {
      requireRole(actor, ['agent', 'manager'], 'change the status');
      const ticket = get(id);
      const { status } = parse(inputs.status, body);
      if (ticket.status === status) return ticket;
      const from = ticket.status;
      ticket.status = status;
      const result = await herald.notify(ticketStatusChanged, {
        to: ids([findUser(ticket.reporterId), findUser(ticket.assigneeId), ...ticket.watcherIds.map(findUser)]),
        actor: actor.id,
        payload: { ...base(ticket, actor.name), from, to: status },
      });
      remember(ticket, result.id);
      return ticket;
    },

    async comment(actor, id, body) {
      const ticket = get(id);
      const { text } = parse(inputs.comment, body);
      ticket.comments.push({ by: actor.name, text, at: new Date(now()).toISOString() });
      const result = await herald.notify(ticketCommented, {
        to: ids([findUser(ticket.reporterId), findUser(ticket.assigneeId), ...ticket.watcherIds.map(findUser)]),
        actor: actor.id,
        payload: { ...base(ticket, actor.name), comment: text },
      });
      remember(ticket, result.id);
      return ticket;
    },

    async resolve(actor, id, body) {
      requireRole(actor, ['agent', 'manager'], 'resolve tickets');
      const ticket = get(id);
      const { resolution } = parse(inputs.resolve, body);
      if (ticket.status === 'resolved') throw new ActionError(409, 'CONFLICT', `${ticket.id} is already resolved.`);
      ticket.status = 'resolved';
      await cancelSla(ticket);
      const result = await herald.notify(ticketResolved, {
        to: ids([findUser(ticket.reporterId), ...ticket.watcherIds.map(findUser)]),
        actor: actor.id,
        payload: { ...base(ticket, actor.name), resolution },
      });
      remember(ticket, result.id);
      return ticket;
    },

    async reject(actor, id, body) {
      const ticket = get(id);
      const { reason } = parse(inputs.reject, body);
      if (actor.id !== ticket.reporterId && actor.role !== 'manager') {
        throw new ActionError(
          403,
          'FORBIDDEN',
          `Only the reporter or a manager can reject the resolution of ${ticket.id}.`,
        );
      }
      if (ticket.status !== 'resolved') throw new ActionError(409, 'CONFLICT', `${ticket.id} is not resolved.`);
      ticket.status = 'in_progress';
      const result = await herald.notify(ticketRejected, {
        to: ids([findUser(ticket.assigneeId), ...managers()]),
        actor: actor.id,
        payload: { ...base(ticket, actor.name), reason },
      });
      remember(ticket, result.id);
      await scheduleSla(ticket);
      return ticket;
    },

    watch(actor, id) {
      const ticket = get(id);
      if (!ticket.watcherIds.includes(actor.id)) ticket.watcherIds.push(actor.id);
      return ticket;
    },

    async deliveryLog(id) {
      const ticket = get(id);
      const pages = await Promise.all(
        ticket.notificationIds.map((notificationId) => herald.deliveries.list({ notificationId, limit: 100 })),
      );
      return pages.flatMap((page) => page.records);
    },
  };
}
