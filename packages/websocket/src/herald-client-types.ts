// The public shape of the realtime client (`@herald/websocket/client`): settings, snapshot, events, methods.

import type { InboxItem, UnreadCount } from '@herald/core';

/** Any WebSocket constructor: the browser's global one, or `ws` in Node. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => object;

export type HeraldClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface HeraldClientSettings {
  /** The gateway URL, e.g. `wss://api.example.com/realtime`. */
  url: string;
  /** A fixed access token. */
  token?: string;
  /** Asked for a fresh token before every connect and reconnect (wins over `token`). */
  getToken?: () => string | Promise<string>;
  /** How the token travels: the `herald.auth.*` subprotocol (default) or a `?token=` query parameter. */
  tokenTransport?: 'subprotocol' | 'query';
  /** The WebSocket constructor; defaults to `globalThis.WebSocket` (pass `ws` in Node 20). */
  WebSocket?: WebSocketConstructorLike;
  /** Reconnect backoff: exponential with full jitter, `baseMs` (default 1 s) doubling up to `capMs` (default 30 s). */
  reconnect?: { baseMs?: number; capMs?: number };
  /** Items kept in the snapshot, newest first (default 100). */
  maxItems?: number;
  /** A position saved from an earlier session: resume after it instead of replaying undelivered items. */
  lastPosition?: number;
  /** Application-level ping interval; a connection silent for two intervals is dropped (default 25 s, 0 = off). */
  pingIntervalMs?: number;
  /** Random source in [0, 1) for jitter (tests). */
  random?: () => number;
}

export interface HeraldClientSnapshot {
  readonly status: HeraldClientStatus;
  readonly userId: string | undefined;
  /** Newest first. */
  readonly items: readonly InboxItem[];
  readonly unread: UnreadCount;
  /** The highest position received or caught up to (0 before any); the next `hello` resumes after it. */
  readonly lastPosition: number;
}

export interface HeraldClientEvents {
  /** A new item (never the same id twice). `replay` is true for items caught up after (re)connecting. */
  notification: { item: InboxItem; replay: boolean };
  unreadCount: UnreadCount;
  status: HeraldClientStatus;
  /** An `error` frame from the gateway, or a connection problem (`code` CONNECTION / TOKEN). */
  error: { code: string; message: string; ids?: string[] };
}

export interface HeraldClient {
  getSnapshot(): HeraldClientSnapshot;
  /** For `useSyncExternalStore`: the listener runs after every snapshot change. Returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  on<E extends keyof HeraldClientEvents>(event: E, listener: (value: HeraldClientEvents[E]) => void): () => void;
  markRead(ids: string | string[]): void;
  markUnread(ids: string | string[]): void;
  markAllRead(options?: { notificationType?: string }): void;
  close(): void;
}
