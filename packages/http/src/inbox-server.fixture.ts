// Test support: a real Herald on a MemoryStore behind a real node:http server on a free port.
// Requests authenticate with `authorization: Bearer <userId>`.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHerald, defineNotification, type Herald, type InboxItem, type Logger } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { z } from 'zod';
import { createInboxHandler, type InboxHandlerSettings } from './inbox-handler';
import { toNodeHandler } from './node-handler';

export const commentAdded = defineNotification({
  type: 'comment.added',
  schema: z.object({ text: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'New comment', body: payload.text }) },
});

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

export interface RecordedLog {
  level: keyof Logger;
  message: string;
  context: Record<string, unknown> | undefined;
}

export interface InboxTestServer {
  herald: Herald;
  url: string;
  logs: RecordedLog[];
  /** fetch against the server; `user` becomes the bearer token, `json` the JSON body. */
  api(path: string, init?: RequestInit & { user?: string; json?: unknown }): Promise<Response>;
  /** Sends notifications to a user and returns their inbox items, newest first. */
  seed(userId: string, count: number, definition?: typeof commentAdded | typeof ticketAssigned): Promise<InboxItem[]>;
  close(): Promise<void>;
}

export interface InboxTestServerOptions extends Partial<Omit<InboxHandlerSettings, 'herald'>> {
  /** Wraps the real Herald before the handler sees it (to inject failures). */
  wrapHerald?: (herald: Herald) => InboxHandlerSettings['herald'];
}

function recordingLogger(logs: RecordedLog[]): Logger {
  const record =
    (level: keyof Logger) =>
    (message: string, context?: Record<string, unknown>): void => {
      logs.push({ level, message, context });
    };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

export async function startInboxServer(options: InboxTestServerOptions = {}): Promise<InboxTestServer> {
  const herald = createHerald({ store: new MemoryStore(), notifications: [commentAdded, ticketAssigned] });
  const logs: RecordedLog[] = [];
  const { wrapHerald, ...settings } = options;
  const handler = createInboxHandler({
    authenticate: (request) => {
      const header = request.headers.get('authorization');
      return header?.startsWith('Bearer ') ? { userId: header.slice('Bearer '.length) } : null;
    },
    logger: recordingLogger(logs),
    ...settings,
    herald: wrapHerald === undefined ? herald : wrapHerald(herald),
  });
  const server: Server = createServer(toNodeHandler(handler));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    herald,
    url,
    logs,
    api(path, init = {}) {
      const { user, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (user !== undefined) headers.set('authorization', `Bearer ${user}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, {
        ...rest,
        headers,
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
    async seed(userId, count, definition = commentAdded) {
      for (let index = 0; index < count; index++) {
        if (definition === commentAdded)
          await herald.notify(commentAdded, { to: userId, payload: { text: `comment ${index}` } });
        else await herald.notify(ticketAssigned, { to: userId, payload: { title: `ticket ${index}` } });
      }
      return (await herald.inbox.list(userId, { limit: 100 })).items;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await herald.close();
    },
  };
}
