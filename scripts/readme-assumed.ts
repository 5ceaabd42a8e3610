// Names a README snippet may use without declaring them, when the HTML comment before it says so
// (`<!-- snippet: assumes herald, db -->`, see scripts/readme-snippets.mjs). Each stands for something the host
// already has or an earlier section made; the README around the snippet says where it comes from. Only types here.
// A snippet that assumes something lives in a host app, which has imported its channel packages: so the kinds they
// add (email, push, whatsapp) come with these names. A snippet that assumes nothing must import what it uses.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type {
  AnyChannel,
  Authenticate,
  Clock,
  Herald,
  InboxItem,
  NotificationDefinition,
  NotificationRecord,
  Recipient,
  Runner,
  Store,
} from '@herald/core';
import type { Channel, SendRequest, SendResult } from '@herald/core/spec';
import type {} from '@herald/email';
import type {} from '@herald/fcm';
import type {} from '@herald/whatsapp';
import type { Redis } from 'ioredis';
import type { expect as vitestExpect } from 'vitest';
import type { z } from 'zod';

declare module '@herald/core' {
  /** The SMS channel the READMEs write as their plugin example. */
  interface ChannelContentMap {
    sms: { text: string };
  }
}

// The host's own objects.
export declare const herald: Herald;
export declare const store: Store;
export declare const runner: Runner;
export declare const clock: Clock;
/** An ioredis client (also a BullMQ `connection`). */
export declare const redis: Redis;
export declare const connection: Redis;
/** The host's data access: its users, as recipients. */
export declare const db: { users: { findMany(ids: readonly string[]): Promise<Recipient[]> } };
/** The host's sessions. */
export declare const sessions: {
  fromCookie(cookie: string | null): Promise<{ userId: string } | undefined>;
  verify(token: string): Promise<{ userId: string } | undefined>;
};
/** The host's sign-in check, one for the inbox API and the gateway. */
export declare const authenticate: Authenticate;
/** The app's way to send a user to its sign-in page. */
export declare const signIn: () => void;

// Definitions and channels an earlier section made.
export declare const ticketAssigned: NotificationDefinition<
  'ticket.assigned',
  z.ZodObject<{ ticketId: z.ZodString; title: z.ZodString }>
>;
export declare const securityAlert: NotificationDefinition<'security.alert', z.ZodObject<{ ip: z.ZodString }>>;
/** A `ticketAssigned` payload. */
export declare const payload: { ticketId: string; title: string };
export declare const email: AnyChannel;
export declare const push: AnyChannel;
export declare const realtime: AnyChannel;
export declare const whatsappCloud: AnyChannel;
export declare const whatsappTwilio: AnyChannel;

/** A host's catalog module (`import * as notifications from './notifications'`). */
export declare const notifications: Record<string, NotificationDefinition>;
/** Local provider stand-ins that list what they received (the devtools' sources). */
export declare const smtpSink: {
  listReceived(): { from: string; to: string[]; subject: string; receivedAt: string }[];
};
export declare const whatsappPeer: { listReceived(): { to: string; type: string; receivedAt: string }[] };
export declare const fcmPeer: { listReceived(): { token: string; receivedAt: string }[] };

// Values an example passes along.
export declare const userId: string;
export declare const ids: string[];
export declare const token: string;
export declare const type: string;
export declare const cursor: string;
/** A watermark: the highest inbox position the client has shown. */
export declare const upToPosition: number;
export declare const notificationId: string;
export declare const providerMessageId: string;
export declare const port: number;
export declare const item: InboxItem;
/** A notification record, as `notify` writes it first. */
export declare const record: NotificationRecord;
/** The inbox API's handler (`createInboxHandler(…)`). */
export declare const inbox: (request: Request) => Promise<Response>;

// The frameworks around Herald, reduced to what the snippets call.
type NodeMiddleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;
/** An Express app (`use`, and a request listener for `createServer`) — or a Hono app (`all`). */
export declare const app: RequestListener & {
  use(...handlers: (string | NodeMiddleware)[]): unknown;
  all(path: string, handler: (context: { req: { raw: Request } }) => Response | Promise<Response>): unknown;
};
export declare const server: Server;
export declare const passport: { session(): NodeMiddleware };
export declare const Bun: { serve(options: { port?: number; fetch(request: Request): Promise<Response> }): unknown };
/** React's `useSyncExternalStore`, and a toast from the host's UI kit. */
export declare const useSyncExternalStore: <T>(subscribe: (onChange: () => void) => () => void, snapshot: () => T) => T;
export declare const toast: (message: string) => void;

// In tests.
export declare const expect: typeof vitestExpect;
/** A local stand-in for the provider a channel talks to. */
export declare const peer: { url: string; requests: unknown[] };
/** A channel under test, sending `{ text }` content. */
export declare const channel: { send(request: SendRequest<{ text: string }>): Promise<SendResult> };
/** A host's own Store and channel factory, under the contract suites. */
export declare const MyStore: new () => Store;
export declare const createAcmeSmsChannel: (settings: { baseUrl: string }) => Channel<'sms'>;
