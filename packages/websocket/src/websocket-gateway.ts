// The realtime gateway: authenticates WebSocket upgrades, keeps each user's open sockets, pushes inbox items
// and read state to them, and (with Redis) reaches sockets held by other processes.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Authenticate, AuthenticatedUser, AuthenticationRequest, InboxApi, InboxItem, Logger } from '@herald/core';
import {
  type Channel,
  ConfigurationError,
  namespaceSetting,
  type RealtimeRelay,
  silentLogger,
} from '@herald/core/spec';
import { type WebSocket, WebSocketServer } from 'ws';
import { createAckBatcher } from './ack-batcher';
import { isLargerThan } from './frame-size';
import { createGatewayConnection, type GatewayConnection, type GatewayCounters } from './gateway-connection';
import { CloseCode, HERALD_SUBPROTOCOL, type ServerFrame } from './protocol';
import { createRealtimeChannel } from './realtime-channel';
import { createRedisRelay, type RealtimeRedis, type RelayMessage, type RelaySubscription } from './redis-relay';
import { createTokenBucket, type RateLimitSettings } from './token-bucket';
import { UpgradeHeaders } from './upgrade-headers';

export type { AuthenticatedUser } from '@herald/core';

/**
 * What the gateway's `authenticate` sees of an upgrade: core's shared view (headers and the absolute URL, as a
 * fetch `Request` has them), so one `Authenticate` function serves this gateway and the HTTP inbox API, plus the
 * Node request for what only it has (the socket's address, TLS details).
 */
export interface UpgradeRequest extends AuthenticationRequest {
  readonly nodeRequest: IncomingMessage;
}

export interface WebSocketGatewaySettings {
  /**
   * Decides who the upgrade request is (see `extractToken`). `null` or `undefined` opens the socket only to close
   * it with 4001, which browsers can see (they never see an HTTP status); a throw answers HTTP 500, logged.
   */
  authenticate: Authenticate<UpgradeRequest>;
  /** An HTTP(S) server to share: the gateway handles its `upgrade` events for `path`. */
  server?: Server;
  /** Or a port for a server of its own (0 picks a free one; see `address()`). */
  port?: number;
  /** Host for the gateway's own server (default all interfaces). */
  host?: string;
  /** The upgrade path (default `/realtime`). */
  path?: string;
  /** An ioredis client: sockets on every process receive what any process sends. It is `duplicate()`d to subscribe. */
  redis?: RealtimeRedis;
  /**
   * Keeps this deployment's pub/sub channels apart from others on the same Redis (default `herald`; channels are
   * `<namespace>:realtime:user:<id>`). The same on every gateway and publisher, like the store's and the runner's.
   */
  namespace?: string;
  /**
   * Instead of `redis`: any realtime relay, e.g. `createPostgresRelay` from @herald/postgres (LISTEN / NOTIFY). The
   * same relay (or one over the same database or Redis) on every process.
   */
  relay?: RealtimeRelay;
  /** ws-level ping interval; a peer that has not answered the previous ping is terminated (default 30 s). */
  heartbeatMs?: number;
  /**
   * A socket whose unsent buffer passes this is closed with 4008 (default 1 MiB). An item whose frame is larger
   * than half of it is never sent: clients get an `ITEM_TOO_LARGE` error frame in its place.
   */
  maxBufferedBytes?: number;
  /** Longest a replay waits for a socket to take its previous frame before closing it with 4008 (default 30 s). */
  drainTimeoutMs?: number;
  /** Open sockets this gateway holds at most; more upgrades get HTTP 503 before `authenticate` (default 20,000). */
  maxConnections?: number;
  /** Open sockets one user may hold on this gateway; the next is closed with 4009 (default 32). */
  maxConnectionsPerUser?: number;
  /** Largest client frame; larger closes the socket with 1009 (default 64 KiB). */
  maxPayloadBytes?: number;
  /**
   * Browser origins allowed to connect; others get HTTP 403. By default only the gateway's own origin (the
   * `Origin` header's host equals the `Host` header), so a foreign page cannot open a socket with the user's
   * cookies. Requests without an `Origin` header (native apps, servers) are allowed: browsers always send one.
   * `() => true` allows every origin (only for token auth that no page gets for free).
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /** Per-connection frame rate limit. */
  rateLimit?: RateLimitSettings;
  /** Time a new socket has to send `hello` (default 10 s). */
  helloTimeoutMs?: number;
  logger?: Logger;
}

export interface WebSocketGatewayStats extends GatewayCounters {
  connections: number;
  users: number;
  rejectedUpgrades: number;
  heartbeatTerminations: number;
}

export interface WebSocketGateway {
  /**
   * The `inApp` channel (id `websocket`) to register with `createHerald({ channels: [gateway.channel] })`. The
   * gateway reads and writes through that Herald's inbox API; until then upgrades are answered 503.
   */
  readonly channel: Channel<'inApp'>;
  /** For hosts that route upgrades themselves (neither `server` nor `port` given). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The gateway's own server address (with `port`), once listening. */
  address(): AddressInfo | null;
  /** Resolves when the gateway's own server listens (immediately otherwise). */
  readonly ready: Promise<void>;
  /** Closes every socket with 1001, stops heartbeats and the Redis subscriber, and its own server. */
  close(): Promise<void>;
  stats(): WebSocketGatewayStats;
}

const OPEN = 1;

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The page's origin is the gateway's own: the Origin header's host (name and port) equals the Host header. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file://) and garbage are never the gateway's own origin
  }
}

/** The fetch-style view of an upgrade request; undefined when its Host and path make no URL. */
function upgradeRequest(request: IncomingMessage): UpgradeRequest | undefined {
  const encrypted = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  let url: string;
  try {
    url = new URL(request.url ?? '/', `${encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`).href;
  } catch {
    return undefined;
  }
  return { headers: new UpgradeHeaders(request.headers), url, nodeRequest: request };
}

function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((part) => part.trim()) : [];
}

/** A count or duration setting: a positive integer, or its default when absent. */
function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name}: expected a positive integer, got ${String(value)}`);
  }
  return value;
}

export function createWebSocketGateway(settings: WebSocketGatewaySettings): WebSocketGateway {
  if (typeof settings?.authenticate !== 'function') {
    throw new ConfigurationError('authenticate: expected a function (request) => { userId } | null');
  }
  const logger = settings.logger ?? silentLogger;
  const path = settings.path ?? '/realtime';
  const heartbeatMs = positiveInteger(settings.heartbeatMs, 'heartbeatMs', 30_000);
  const maxBufferedBytes = positiveInteger(settings.maxBufferedBytes, 'maxBufferedBytes', 1024 * 1024);
  const drainTimeoutMs = positiveInteger(settings.drainTimeoutMs, 'drainTimeoutMs', 30_000);
  const maxConnections = positiveInteger(settings.maxConnections, 'maxConnections', 20_000);
  const maxConnectionsPerUser = positiveInteger(settings.maxConnectionsPerUser, 'maxConnectionsPerUser', 32);
  // Half the buffer bound: a paced replay sends at or below half, so such a frame always fits under the bound.
  const maxItemBytes = Math.floor(maxBufferedBytes / 2);
  const helloTimeoutMs = positiveInteger(settings.helloTimeoutMs, 'helloTimeoutMs', 10_000);
  const namespace = namespaceSetting(settings, 'createWebSocketGateway', ['redisPrefix']);
  const origin = randomUUID();
  if (settings.relay && settings.redis) {
    throw new ConfigurationError('Give the gateway either relay or redis, not both');
  }
  const remote: RealtimeRelay | undefined =
    settings.relay ?? (settings.redis ? createRedisRelay({ redis: settings.redis, namespace, logger }) : undefined);
  const allowedOrigins = settings.allowedOrigins;

  let inbox: InboxApi | undefined;
  let closing = false;
  const users = new Map<string, Set<GatewayConnection>>();
  /** Open sockets and whether each answered the last heartbeat ping. */
  const sockets = new Map<WebSocket, { alive: boolean }>();
  /** Open sockets per user, greeted or not (the per-user limit counts them all). */
  const socketsPerUser = new Map<string, number>();
  /** Upgrades inside `authenticate`, and refused sockets not yet closed: both count against `maxConnections`. */
  let pendingUpgrades = 0;
  let refusedOpen = 0;
  const counters: GatewayCounters = {
    notificationsSent: 0,
    itemsTooLarge: 0,
    replayed: 0,
    repairs: 0,
    slowConsumerCloses: 0,
    rateLimitCloses: 0,
    frameErrors: 0,
  };
  let rejectedUpgrades = 0;
  let heartbeatTerminations = 0;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: positiveInteger(settings.maxPayloadBytes, 'maxPayloadBytes', 64 * 1024),
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has(HERALD_SUBPROTOCOL) ? HERALD_SUBPROTOCOL : false),
  });

  // Relay between processes.
  const relay: RelaySubscription | undefined = remote?.subscribe({
    origin,
    onMessage: applyRelayMessage,
    onResubscribed: () => {
      for (const set of users.values()) for (const connection of set) connection.resync();
    },
  });

  /** The frame a live item travels in, serialised once for all of its user's sockets, or `too-large`. */
  function liveFrame(item: InboxItem): string | 'too-large' {
    const text = JSON.stringify({ type: 'notification', item } satisfies ServerFrame);
    return isLargerThan(text, maxItemBytes) ? 'too-large' : text;
  }

  function deliverLocal(item: InboxItem): number | 'too-large' {
    const connections = users.get(item.userId);
    // Offline here and no other process to tell: leave the size to the replay that will read it.
    if (!connections && !remote) return 0;
    const frame = liveFrame(item);
    let took = 0;
    for (const connection of connections ?? []) if (connection.deliver(item, frame)) took += 1;
    return frame === 'too-large' ? 'too-large' : took;
  }

  function sendToUser(userId: string, frames: ServerFrame[]): void {
    for (const connection of users.get(userId) ?? []) {
      if (!connection.isGreeted) continue;
      for (const frame of frames) connection.send(frame);
    }
  }

  /** Items from other processes, and read state from anywhere, for this process's sockets. */
  function applyRelayMessage(message: RelayMessage): void {
    if (message.kind === 'item-at') {
      // Too large for the relay to carry: the sockets behind it read it (and anything else missed) from the store.
      for (const connection of users.get(message.userId) ?? []) {
        if (connection.isGreeted && connection.lastSentPosition < message.position) connection.resync();
      }
      return;
    }
    if (message.kind === 'item') {
      const connections = users.get(message.item.userId);
      if (!connections) return;
      const frame = liveFrame(message.item);
      for (const connection of connections) connection.deliver(message.item, frame);
      return;
    }
    const counts: ServerFrame = { type: 'unread', counts: message.unread };
    switch (message.kind) {
      case 'read': {
        const read: ServerFrame = { type: 'read', ids: message.ids };
        if (message.all) read.all = true;
        if (message.notificationType !== undefined) read.notificationType = message.notificationType;
        if (message.all && message.upToPosition !== undefined) read.upToPosition = message.upToPosition;
        sendToUser(message.userId, [read, counts]);
        return;
      }
      case 'unread':
        sendToUser(message.userId, [{ type: 'unreadItems', ids: message.ids }, counts]);
        return;
      case 'seen': {
        const seen: ServerFrame = { type: 'seen', ids: message.ids };
        if (message.all) seen.all = true;
        if (message.all && message.upToPosition !== undefined) seen.upToPosition = message.upToPosition;
        sendToUser(message.userId, [seen, counts]);
        return;
      }
      case 'archived': {
        const archived: ServerFrame = { type: 'archived', ids: message.ids };
        if (message.all) archived.all = true;
        if (message.notificationType !== undefined) archived.notificationType = message.notificationType;
        if (message.all && message.upToPosition !== undefined) archived.upToPosition = message.upToPosition;
        sendToUser(message.userId, [archived, counts]);
        return;
      }
      case 'unarchived':
        void sendUnarchived(message.userId, message.ids, counts);
        return;
    }
  }

  /** Items back from the archive travel whole: the tabs dropped them when they were archived. */
  async function sendUnarchived(userId: string, ids: string[], counts: ServerFrame): Promise<void> {
    if (!users.has(userId) || !inbox) return;
    try {
      const items = (await inbox.get(userId, ids)).filter((item) => item.archivedAt === undefined);
      sendToUser(userId, [{ type: 'unarchived', ids, items }, counts]);
    } catch (error) {
      logger.warn('herald websocket: could not read unarchived items; tabs see them after a reload', {
        userId,
        error: error instanceof Error ? error.message : String(error),
      });
      sendToUser(userId, [counts]);
    }
  }

  function attachedInbox(): InboxApi {
    // Upgrades are refused until attach, so a connection never gets here without an inbox.
    if (!inbox) throw new ConfigurationError('The gateway is not attached to Herald: register gateway.channel');
    return inbox;
  }

  const acks = createAckBatcher((batch) => attachedInbox().markDeliveredMany(batch));

  const host = {
    logger,
    heartbeatMs,
    maxBufferedBytes,
    maxItemBytes,
    drainTimeoutMs,
    counters,
    inbox: attachedInbox,
    acknowledge: acks.acknowledge,
    async register(connection: GatewayConnection) {
      let set = users.get(connection.userId);
      if (!set) {
        set = new Set();
        users.set(connection.userId, set);
      }
      set.add(connection);
      if (!relay) return;
      // Redis down must not hold the socket hostage: after a bound, go on; heartbeats re-check positions.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        relay.add(connection.userId),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 3_000);
        }),
      ]);
      clearTimeout(timer);
    },
    unregister(connection: GatewayConnection) {
      const set = users.get(connection.userId);
      if (!set?.delete(connection) || set.size > 0) return;
      users.delete(connection.userId);
      relay?.remove(connection.userId);
    },
  };

  function onConnection(socket: WebSocket, userId: string): void {
    const liveness = { alive: true };
    sockets.set(socket, liveness);
    socketsPerUser.set(userId, (socketsPerUser.get(userId) ?? 0) + 1);
    socket.on('pong', () => {
      liveness.alive = true;
    });
    const connection = createGatewayConnection(socket, userId, host, createTokenBucket(settings.rateLimit));
    const helloTimer = setTimeout(() => {
      if (!connection.isGreeted && socket.readyState === OPEN) socket.close(CloseCode.HELLO_TIMEOUT, 'hello timeout');
    }, helloTimeoutMs);
    helloTimer.unref();
    socket.on('message', (data, isBinary) => connection.handleMessage(isBinary ? '' : data.toString(), isBinary));
    socket.on('error', (error) => {
      // Oversize frames (1009) and protocol violations land here; ws closes the socket itself.
      logger.debug('herald websocket: socket error', { userId, error: error.message });
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      sockets.delete(socket);
      const left = (socketsPerUser.get(userId) ?? 1) - 1;
      if (left > 0) socketsPerUser.set(userId, left);
      else socketsPerUser.delete(userId);
      connection.closed();
    });
  }

  /**
   * Completes the upgrade only to close the socket at once with `code`: a browser never sees the HTTP status of
   * a refused upgrade, but it does see a close code.
   */
  function acceptAndClose(request: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string): void {
    rejectedUpgrades += 1;
    wss.handleUpgrade(request, socket, head, (ws) => {
      refusedOpen += 1;
      ws.on('error', () => {});
      ws.once('close', () => {
        refusedOpen -= 1;
      });
      ws.close(code, reason);
      // A peer that never answers the close must not hold the socket for ws's 30 s close timeout.
      const timer = setTimeout(() => ws.terminate(), 1_000);
      timer.unref();
    });
  }

  function originAllowed(request: IncomingMessage): boolean {
    const value = request.headers.origin;
    if (value === undefined) return true;
    if (allowedOrigins === undefined) return isSameOrigin(value, request.headers.host);
    return typeof allowedOrigins === 'function' ? allowedOrigins(value) : allowedOrigins.includes(value);
  }

  function pathMatches(request: IncomingMessage): boolean {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query < 0 ? url : url.slice(0, query)) === path;
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {}); // a client vanishing mid-handshake is not the gateway's error
    const reject = (status: number, message: string): void => {
      rejectedUpgrades += 1;
      rejectUpgrade(socket, status, message);
    };
    if (closing) return reject(503, 'The gateway is shutting down');
    if (!originAllowed(request)) return reject(403, 'Origin not allowed');
    if (!offeredProtocols(request).includes(HERALD_SUBPROTOCOL)) {
      return reject(400, `Offer the WebSocket subprotocol ${HERALD_SUBPROTOCOL}`);
    }
    if (!inbox) return reject(503, 'The gateway is not attached to Herald yet');
    // Checked before authenticate, so a flood of upgrades never reaches the host's auth backend.
    if (sockets.size + pendingUpgrades + refusedOpen >= maxConnections) {
      return reject(503, 'The gateway is at its connection limit');
    }
    const view = upgradeRequest(request);
    if (!view) return reject(400, 'Malformed request: its Host and path make no URL');
    let user: AuthenticatedUser | null | undefined;
    pendingUpgrades += 1;
    try {
      user = await settings.authenticate(view);
    } catch (error) {
      logger.error('herald websocket: authenticate threw', {
        error: error instanceof Error ? error.message : String(error),
      });
      return reject(500, 'Authentication failed');
    } finally {
      pendingUpgrades -= 1;
    }
    if (socket.destroyed) return;
    if (closing) return reject(503, 'The gateway is shutting down');
    if (!user || typeof user.userId !== 'string' || user.userId.length === 0) {
      return acceptAndClose(request, socket, head, CloseCode.UNAUTHORIZED, 'unauthorized');
    }
    const userId = user.userId;
    // No await from here to the count in onConnection: two upgrades of one user cannot both slip past the limit.
    if ((socketsPerUser.get(userId) ?? 0) >= maxConnectionsPerUser) {
      logger.warn('herald websocket: a user passed maxConnectionsPerUser', { userId, maxConnectionsPerUser });
      return acceptAndClose(request, socket, head, CloseCode.TOO_MANY_CONNECTIONS, 'too many connections');
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, userId));
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    void upgrade(request, socket, head);
  }

  // Where upgrades come from.
  let ownServer: Server | undefined;
  let ready: Promise<void> = Promise.resolve();
  const onServerUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Other paths belong to other upgrade listeners on a shared server.
    if (pathMatches(request)) handleUpgrade(request, socket, head);
  };
  if (settings.server) settings.server.on('upgrade', onServerUpgrade);
  else if (settings.port !== undefined) {
    const server = createServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      response.end(`Connect with a WebSocket (subprotocol ${HERALD_SUBPROTOCOL}) at ${path}\n`);
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (pathMatches(request)) handleUpgrade(request, socket, head);
      else {
        socket.on('error', () => {});
        rejectUpgrade(socket, 404, 'Not found');
      }
    });
    ownServer = server;
    ready = new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => resolve());
    });
  }

  // Heartbeats, and (with a relay) a check that no user's newest item was lost on the way.
  let tailCheckRunning = false;
  async function tailCheck(): Promise<void> {
    if (tailCheckRunning || !remote) return;
    tailCheckRunning = true;
    try {
      for (const [userId, set] of [...users]) {
        if (closing) return;
        const last = await attachedInbox().lastPosition(userId);
        for (const connection of set)
          if (connection.isGreeted && connection.lastSentPosition < last) connection.resync();
      }
    } catch (error) {
      logger.warn('herald websocket: position check failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      tailCheckRunning = false;
    }
  }
  const heartbeat = setInterval(() => {
    for (const [socket, liveness] of sockets) {
      if (!liveness.alive) {
        heartbeatTerminations += 1;
        logger.debug('herald websocket: terminating a peer that missed a heartbeat');
        socket.terminate();
        continue;
      }
      liveness.alive = false;
      socket.ping();
    }
    void tailCheck();
  }, heartbeatMs);
  heartbeat.unref();

  let closed: Promise<void> | undefined;

  function shutdown(): Promise<void> {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      clearInterval(heartbeat);
      settings.server?.off('upgrade', onServerUpgrade);
      const closes: Promise<void>[] = [];
      for (const socket of sockets.keys()) {
        closes.push(
          new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            const timer = setTimeout(() => socket.terminate(), 1_000);
            timer.unref();
            socket.close(CloseCode.GOING_AWAY, 'gateway shutting down');
          }),
        );
      }
      await Promise.all(closes);
      await relay?.close();
      wss.close();
      if (ownServer) {
        const server = ownServer;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    })();
    return closed;
  }

  // Read state changed anywhere (sockets, HTTP, code, other processes) reaches every tab through Herald's events.
  const channel = createRealtimeChannel({
    ...(remote ? { relay: remote } : {}),
    origin,
    logger,
    local: {
      deliver: deliverLocal,
      isSubscribed: (userId) => users.has(userId),
      apply: applyRelayMessage,
      attach(herald) {
        if (inbox && inbox !== herald.inbox) {
          throw new ConfigurationError('The gateway is already attached to another Herald: create one gateway each');
        }
        inbox = herald.inbox;
      },
    },
    onClose: shutdown,
  });
  const close = (): Promise<void> => channel.close();

  return {
    channel,
    handleUpgrade,
    address: () => {
      const address = ownServer?.address();
      return address && typeof address === 'object' ? address : null;
    },
    ready,
    close,
    stats: () => {
      return {
        ...counters,
        connections: sockets.size,
        users: users.size,
        rejectedUpgrades,
        heartbeatTerminations,
      };
    },
  };
}
