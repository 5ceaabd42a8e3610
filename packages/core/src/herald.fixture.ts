// Shared fixtures for the core tests (not published: *.fixture.ts files are left out of the package).
import { MemoryStore } from '@herald/storage';
import { createTestChannel, createTestClock, type TestChannelSettings } from '@herald/testing';
import { z } from 'zod';
import { createHerald } from './herald';
import type { HeraldSettings } from './herald-types';
import type { Logger } from './logger';
import { defineNotification } from './notification';

declare module './spec/channel' {
  interface ChannelContentMap {
    email: { subject: string; text?: string; html?: string };
    push: { title: string; body: string };
  }
}

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string().min(3), priority: z.number().int().optional() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, url: `/tickets/${payload.ticketId}` }),
    email: ({ payload, recipient }) => ({
      subject: `Assigned: ${payload.title}`,
      text: `Hi ${recipient.name ?? recipient.id}`,
    }),
  },
});

export const securityAlert = defineNotification({
  type: 'security.alert',
  critical: true,
  schema: z.object({ message: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Security alert', body: payload.message }),
    email: ({ payload }) => ({ subject: 'Security alert', text: payload.message }),
  },
});

export interface RecordingLogger extends Logger {
  lines: { level: string; message: string; context?: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      lines.push({ level, message, ...(context ? { context } : {}) });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function setup(options: { email?: TestChannelSettings; settings?: Partial<HeraldSettings> } = {}) {
  const store = new MemoryStore();
  const clock = createTestClock();
  // These tests name recipients by bare id, with no address: the channel sends to them as if it had one.
  const email = createTestChannel('email', { skipsRecipientsWithoutAddress: false, ...options.email });
  const logger = recordingLogger();
  const herald = createHerald({
    store,
    clock,
    logger,
    channels: [email],
    retry: { random: () => 1, baseDelayMs: 1_000, attemptTimeoutMs: 10_000 },
    ...options.settings,
  });
  return { store, clock, email, herald, logger };
}
