// One realtime connection kept alive: opens a socket with a fresh token, says `hello`, notices a silent peer by
// its own pings, and after any loss reconnects with exponential backoff and full jitter (after TanStack Query's
// `retryer`). A refused token (close 4001) is not a network failure: it asks for a fresh token, and stops after
// a bounded number of refusals. It knows frames only as far as `welcome` (the socket is usable).

import { computeBackoffMs } from './backoff';
import { defaultWebSocket } from './default-websocket';
import type { HeraldClientEvents, HeraldClientSettings, WebSocketConstructorLike } from './herald-client-types';
import { type ClientFrame, CloseCode, HERALD_SUBPROTOCOL, type ServerFrame } from './protocol';
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
  /** `ws` only: drops the connection without the closing handshake. */
  terminate?(): void;
}

const OPEN = 1;
/** How long `stop()` waits for the gateway to answer the close (and so to have read what preceded it). */
const CLOSE_WAIT_MS = 1_000;

export interface ClientConnectionSettings {
  /** Where, with which token, and how patiently (`url`, `token`, `getToken`, `tokenTransport`, `reconnect`, …). */
  client: HeraldClientSettings;
  /** The first frame on every new socket. */
  hello(): ClientFrame;
  /** Every frame the server sends, `welcome` included (after the connection counts as greeted). */
  onFrame(frame: ServerFrame): void;
  /** The socket is gone; a reconnect is scheduled unless the token was refused too often. */
  onLost(): void;
  /** A reconnect is scheduled. */
  onReconnecting(): void;
  /** `maxTokenRefusals` refusals in a row: no more attempts until `start()`. */
  onUnauthorized(): void;
  onError(error: HeraldClientEvents['error']): void;
}

export interface ClientConnection {
  /** True while the current socket is open and its `welcome` arrived: frames can go out. */
  readonly isGreeted: boolean;
  /** Sends on a greeted socket; false (nothing sent) otherwise. */
  send(frame: ClientFrame): boolean;
  /** Connects, unless connected or connecting already; a pending reconnect happens at once. */
  start(): void;
  /**
   * Stops connecting. `beforeClose` runs while the socket can still send; then it is closed (1000) and the
   * promise resolves once the gateway answered the close, or after a short bound.
   */
  stop(beforeClose?: () => void): Promise<void>;
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
  const maxTokenRefusals = client.maxTokenRefusals ?? 3;
  if (!Number.isSafeInteger(maxTokenRefusals) || maxTokenRefusals <= 0) {
    throw new RangeError(`maxTokenRefusals: expected a positive integer, got ${String(client.maxTokenRefusals)}`);
  }
  let WebSocketImpl: WebSocketConstructorLike | undefined = client.WebSocket;

  let socket: SocketLike | undefined;
  let isGreeted = false;
  let isActive = false;
  /** Bumped by every start and stop, so an attempt still awaiting its token can tell it is stale. */
  let generation = 0;
  /** Failed attempts since the last welcome: the backoff exponent. */
  let failures = 0;
  /** Refused tokens in a row since the last welcome. */
  let refusals = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let heardSincePing = true;

  function stopPings(): void {
    if (pingTimer !== undefined) clearInterval(pingTimer);
    pingTimer = undefined;
  }

  function scheduleReconnect(): void {
    if (!isActive || reconnectTimer !== undefined) return;
    const delay = computeBackoffMs(failures, backoff);
    failures += 1;
    settings.onReconnecting();
    const attempt = generation;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void open(attempt);
    }, delay);
  }

  /** The socket is gone (or given up on): forget it and come back later, unless the token keeps being refused. */
  function lost(wasRefused: boolean): void {
    socket = undefined;
    isGreeted = false;
    stopPings();
    settings.onLost();
    if (wasRefused && refusals >= maxTokenRefusals) {
      isActive = false;
      generation += 1;
      settings.onUnauthorized();
      return;
    }
    scheduleReconnect();
  }

  /** Forgets the socket at once (its close event may never come on a dead network) and reconnects. */
  function drop(current: SocketLike, code: number, reason: string): void {
    if (socket !== current) return;
    detach(current);
    try {
      current.close(code, reason);
    } catch {
      // Already closing.
    }
    lost(false);
  }

  function detach(current: SocketLike): void {
    current.onopen = null;
    current.onmessage = null;
    current.onclose = null;
    current.onerror = null;
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

  async function open(attempt: number): Promise<void> {
    const isStale = (): boolean => !isActive || attempt !== generation;
    if (isStale()) return;
    let token: string | undefined;
    try {
      WebSocketImpl ??= await defaultWebSocket();
      token = client.getToken ? await client.getToken({ wasRefused: refusals > 0 }) : client.token;
    } catch (error) {
      if (isStale()) return;
      settings.onError({ code: WebSocketImpl ? 'TOKEN' : 'CONNECTION', message: errorMessage(error) });
      scheduleReconnect();
      return;
    }
    if (isStale()) return;
    const protocols = [HERALD_SUBPROTOCOL];
    let url = client.url;
    if (token !== undefined) {
      if (client.tokenTransport === 'query') {
        url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      } else protocols.push(tokenSubprotocol(token));
    }
    let current: SocketLike;
    try {
      current = new WebSocketImpl(url, protocols) as SocketLike;
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
        refusals = 0;
      }
      settings.onFrame(frame);
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      const wasRefused = event.code === CloseCode.UNAUTHORIZED;
      if (wasRefused) {
        refusals += 1;
        settings.onError({ code: 'UNAUTHORIZED', message: `The gateway refused the token (${refusals} in a row)` });
      } else {
        settings.onError({ code: 'CONNECTION', message: `closed (${event.code}) ${event.reason}`.trim() });
      }
      lost(wasRefused);
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
      if (isActive && reconnectTimer === undefined) return; // connecting or connected
      isActive = true;
      generation += 1;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      failures = 0;
      refusals = 0;
      void open(generation);
    },
    stop(beforeClose) {
      isActive = false;
      generation += 1;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      stopPings();
      const open = socket;
      if (!open) return Promise.resolve();
      const current: SocketLike = open;
      if (isGreeted) beforeClose?.(); // while `send` still works
      socket = undefined;
      isGreeted = false;
      // Frames arriving now are not shown (nor acknowledged): replay brings them after the position next time.
      current.onmessage = null;
      current.onopen = null;
      return new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          detach(current);
          resolve();
        };
        // The gateway never answered: what is still unsent is lost either way, and the socket must not linger.
        const timer = setTimeout(() => {
          current.terminate?.();
          finish();
        }, CLOSE_WAIT_MS);
        current.onclose = finish;
        current.onerror = () => {};
        try {
          current.close(1000, 'client closed');
        } catch {
          finish();
        }
      });
    },
  };
}
