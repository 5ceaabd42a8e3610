// One realtime connection kept alive: opens a socket with a fresh token, says `hello`, notices a silent peer by
// its own pings, and after any loss reconnects with exponential backoff and full jitter (after TanStack Query's
// `retryer`). It knows frames only as far as `welcome` (the socket is usable) — the rest is the client's.

import { computeBackoffMs } from './backoff';
import type { HeraldClientEvents, HeraldClientSettings, WebSocketConstructorLike } from './herald-client-types';
import { type ClientFrame, HERALD_SUBPROTOCOL, type ServerFrame } from './protocol';
import { tokenSubprotocol } from './token-subprotocol';

/** The part of a WebSocket instance the client uses (browser WebSocket and `ws` both fit). */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

const OPEN = 1;

export interface ClientConnectionSettings {
  /** Where, with which token, and how patiently (`url`, `token`, `getToken`, `tokenTransport`, `reconnect`, …). */
  client: HeraldClientSettings;
  WebSocket: WebSocketConstructorLike;
  /** The first frame on every new socket. */
  hello(): ClientFrame;
  /** Every frame the server sends, `welcome` included (after the connection counts as greeted). */
  onFrame(frame: ServerFrame): void;
  /** The socket is gone; a reconnect is scheduled. */
  onLost(): void;
  /** A reconnect is scheduled. */
  onReconnecting(): void;
  onError(error: HeraldClientEvents['error']): void;
}

export interface ClientConnection {
  /** True while the current socket is open and its `welcome` arrived: frames can go out. */
  readonly isGreeted: boolean;
  /** Sends on a greeted socket; false (nothing sent) otherwise. */
  send(frame: ClientFrame): boolean;
  /** Opens the first socket. */
  start(): void;
  /** Closes the socket (1000) and never reconnects. */
  stop(): void;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createClientConnection(settings: ClientConnectionSettings): ClientConnection {
  const { client } = settings;
  const backoff = {
    baseMs: client.reconnect?.baseMs ?? 1_000,
    capMs: client.reconnect?.capMs ?? 30_000,
    random: client.random ?? Math.random,
  };
  const pingIntervalMs = client.pingIntervalMs ?? 25_000;
  let socket: SocketLike | undefined;
  let isGreeted = false;
  let isStopped = false;
  /** Failed attempts since the last welcome: the backoff exponent. */
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let heardSincePing = true;

  function stopPings(): void {
    if (pingTimer !== undefined) clearInterval(pingTimer);
    pingTimer = undefined;
  }

  function scheduleReconnect(): void {
    if (isStopped || reconnectTimer !== undefined) return;
    const delay = computeBackoffMs(failures, backoff);
    failures += 1;
    settings.onReconnecting();
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void open();
    }, delay);
  }

  /** The socket is gone (or given up on): forget it and come back later. */
  function lost(): void {
    socket = undefined;
    isGreeted = false;
    stopPings();
    settings.onLost();
    scheduleReconnect();
  }

  /** Forgets the socket at once (its close event may never come on a dead network) and reconnects. */
  function drop(current: SocketLike, code: number, reason: string): void {
    if (socket !== current) return;
    current.onopen = null;
    current.onmessage = null;
    current.onclose = null;
    current.onerror = null;
    try {
      current.close(code, reason);
    } catch {
      // Already closing.
    }
    lost();
  }

  function startPings(current: SocketLike): void {
    heardSincePing = true;
    if (pingIntervalMs <= 0) return;
    pingTimer = setInterval(() => {
      if (!heardSincePing) {
        drop(current, 4000, 'no answer to ping');
        return;
      }
      heardSincePing = false;
      if (current.readyState === OPEN) current.send(JSON.stringify({ type: 'ping' }));
    }, pingIntervalMs);
  }

  async function open(): Promise<void> {
    if (isStopped) return;
    let token: string | undefined;
    try {
      token = client.getToken ? await client.getToken() : client.token;
    } catch (error) {
      settings.onError({ code: 'TOKEN', message: errorMessage(error) });
      scheduleReconnect();
      return;
    }
    if (isStopped) return;
    const protocols = [HERALD_SUBPROTOCOL];
    let url = client.url;
    if (token !== undefined) {
      if (client.tokenTransport === 'query') {
        url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      } else protocols.push(tokenSubprotocol(token));
    }
    let current: SocketLike;
    try {
      current = new settings.WebSocket(url, protocols) as SocketLike;
    } catch (error) {
      settings.onError({ code: 'CONNECTION', message: errorMessage(error) });
      scheduleReconnect();
      return;
    }
    socket = current;
    isGreeted = false;
    current.onopen = () => {
      current.send(JSON.stringify(settings.hello()));
      startPings(current);
    };
    current.onmessage = (event) => {
      heardSincePing = true;
      if (typeof event.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        isGreeted = true;
        failures = 0;
      }
      settings.onFrame(frame);
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      if (!isStopped) {
        settings.onError({ code: 'CONNECTION', message: `closed (${event.code}) ${event.reason}`.trim() });
      }
      lost();
    };
    current.onerror = () => {
      // A close event follows; reconnecting happens there.
    };
  }

  return {
    get isGreeted() {
      return isGreeted && socket?.readyState === OPEN;
    },
    send(frame) {
      if (!socket || socket.readyState !== OPEN || !isGreeted) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    start() {
      void open();
    },
    stop() {
      if (isStopped) return;
      isStopped = true;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      stopPings();
      const current = socket;
      socket = undefined;
      isGreeted = false;
      if (!current) return;
      current.onclose = null;
      current.onmessage = null;
      try {
        current.close(1000, 'client closed');
      } catch {
        // Already closing.
      }
    },
  };
}
