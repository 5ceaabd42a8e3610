// Test helpers: a gateway registered with a Herald on a real HTTP server on a free port, raw `ws` protocol
// clients, and stored items.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthenticationRequest, createHerald, type Herald, type InboxItem, type Store } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import { WebSocket } from 'ws';
import { HERALD_SUBPROTOCOL, type ServerFrame } from './protocol';
import { extractToken } from './token-extraction';
import { createWebSocketGateway, type WebSocketGateway, type WebSocketGatewaySettings } from './websocket-gateway';

/** Tokens are `user:<id>`; anything else is refused. */
export async function authenticateTestToken(request: AuthenticationRequest): Promise<{ userId: string } | null> {
  const token = extractToken(request);
  return token?.startsWith('user:') ? { userId: token.slice(5) } : null;
}

export interface TestGateway {
  gateway: WebSocketGateway;
  /** The Herald the gateway's channel is registered with. */
  herald: Herald;
  store: Store;
  server: Server;
  url: string;
  port: number;
  /** Closes Herald (and with it the gateway) and the server; safe to call twice. */
  stop(): Promise<void>;
}

/** A gateway registered with a Herald on `store` (a new MemoryStore by default), as a host wires it. */
export async function startTestGateway(
  settings: Partial<WebSocketGatewaySettings> & { store?: Store } = {},
): Promise<TestGateway> {
  const { store = new MemoryStore(), ...gatewaySettings } = settings;
  const server = createServer((_request, response) => {
    response.writeHead(404);
    response.end();
  });
  const gateway = createWebSocketGateway({ authenticate: authenticateTestToken, server, ...gatewaySettings });
  const herald = createHerald({ store, channels: [gateway.channel] });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    gateway,
    herald,
    store,
    server,
    port,
    url: `ws://127.0.0.1:${port}${settings.path ?? '/realtime'}`,
    stop() {
      stopped ??= (async () => {
        await herald.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}

/** A raw protocol client: every frame it receives is kept, and `next` waits for one matching. */
export interface ProtocolClient {
  socket: WebSocket;
  frames: ServerFrame[];
  send(frame: unknown): void;
  sendText(text: string): void;
  /** The first frame (not yet taken) matching, waiting for it if needed; frames before it stay. */
  next<T extends ServerFrame['type']>(
    type: T,
    matches?: (frame: Extract<ServerFrame, { type: T }>) => boolean,
  ): Promise<Extract<ServerFrame, { type: T }>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connectProtocolClient(
  url: string,
  options: { token?: string; headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<ProtocolClient> {
  const headers = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const socket = new WebSocket(url, options.protocols ?? [HERALD_SUBPROTOCOL], { headers });
  const frames: ServerFrame[] = [];
  const taken = new Set<ServerFrame>();
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as ServerFrame);
    for (const waiter of [...waiters]) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const waiter of [...waiters]) waiter();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`unexpected response ${response.statusCode}`)),
    );
  });
  return {
    socket,
    frames,
    send: (frame) => socket.send(JSON.stringify(frame)),
    sendText: (text) => socket.send(text),
    next(type, matches) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (const frame of frames) {
            if (taken.has(frame) || frame.type !== type) continue;
            const typed = frame as Extract<ServerFrame, { type: typeof type }>;
            if (matches && !matches(typed)) continue;
            taken.add(frame);
            resolve(typed);
            return true;
          }
          if (socket.readyState === WebSocket.CLOSED) {
            reject(new Error(`socket closed while waiting for a ${type} frame`));
            return true;
          }
          return false;
        };
        if (check()) return;
        const waiter = (): void => {
          if (check()) waiters.delete(waiter);
        };
        waiters.add(waiter);
      });
    },
    closed,
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.close();
        await closed;
      }
    },
  };
}

/** What an upgrade answered when it was refused: the HTTP status and whether a socket opened. */
export function rejectedUpgrade(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<{ status: number; opened: boolean }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options.protocols ?? [HERALD_SUBPROTOCOL], { headers: options.headers ?? {} });
    socket.on('open', () => {
      socket.close();
      resolve({ status: 101, opened: true });
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, opened: false });
      response.resume();
      socket.terminate();
    });
    socket.on('error', () => {});
  });
}

let sequence = 0;

export function newItem(userId: string, overrides: Partial<NewInboxItem> = {}): NewInboxItem {
  sequence += 1;
  return {
    id: `item-${process.pid}-${sequence}`,
    userId,
    notificationId: `notification-${sequence}`,
    type: 'ticket.assigned',
    title: `Ticket ${sequence}`,
    body: 'Assigned to you',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

export async function insertItems(
  store: Store,
  userId: string,
  count: number,
  overrides: Partial<NewInboxItem> = {},
): Promise<InboxItem[]> {
  return store.insertInboxItems(Array.from({ length: count }, () => newItem(userId, overrides)));
}

/** Waits until `condition` holds, checking after each macrotask; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
