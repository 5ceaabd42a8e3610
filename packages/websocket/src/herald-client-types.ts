// The public shape of the realtime client (`@herald/websocket/client`): settings, snapshot, events, methods.

import type { InboxItem, UnreadCount } from '@herald/core';
import type {
  ArchivedUpdateFrame,
  ProtocolErrorCode,
  ReadUpdateFrame,
  SeenUpdateFrame,
  UnreadUpdateFrame,
} from './protocol';

/** Any WebSocket constructor: the browser's global one, or `ws` in Node. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => object;

/**
 * `connecting` → `open` (caught up) → `reconnecting` → `open` …; `disconnected` after `disconnect()`,
 * `unauthorized` after `maxTokenRefusals` refused tokens in a row (both until `connect()`), `closed` after `close()`.
 */
export type HeraldClientStatus = 'connecting' | 'open' | 'reconnecting' | 'disconnected' | 'unauthorized' | 'closed';

/**
 * Codes of the `error` event: the gateway's error frames, and the client's own — `CONNECTION` (a socket failed or
 * closed), `TOKEN` (`getToken` threw), `UNAUTHORIZED` (the gateway refused the token: close 4001).
 */
export type HeraldClientErrorCode = ProtocolErrorCode | 'CONNECTION' | 'TOKEN' | 'UNAUTHORIZED';

/** What `getToken` is told about the attempt it is asked for. */
export interface TokenRequestContext {
  /** The gateway refused the previous token (close 4001): do not hand out a cached one again. */
  wasRefused: boolean;
}

export interface HeraldClientSettings {
  /** The gateway URL, e.g. `wss://api.example.com/realtime`. */
  url: string;
  /** A fixed access token. */
  token?: string;
  /** Asked for a fresh token before every connect and reconnect (wins over `token`). */
  getToken?: (context: TokenRequestContext) => string | Promise<string>;
  /** Refused tokens in a row (close 4001) after which the client stops with status `unauthorized` (default 3). */
  maxTokenRefusals?: number;
  /** How the token travels: the `herald.auth.*` subprotocol (default) or a `?token=` query parameter. */
  tokenTransport?: 'subprotocol' | 'query';
  /**
   * The WebSocket constructor. Defaults to the global `WebSocket` where there is one (browsers, Node 22 and
   * later), else the `ws` package (Node 20), loaded only then.
   */
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
  /** Newest first, archived items left out. */
  readonly items: readonly InboxItem[];
  /** `{ total (unread), unseen, byType }`, as the gateway counts them (archived items count in none). */
  readonly unread: UnreadCount;
  /** `unread.unseen`: what a badge shows. */
  readonly unseen: number;
  /** The highest position received or caught up to (0 before any); the next `hello` resumes after it. */
  readonly lastPosition: number;
}

export interface HeraldClientEvents {
  /** A new item (never the same id twice). `replay` is true for items caught up after (re)connecting. */
  notification: { item: InboxItem; replay: boolean };
  unreadCount: UnreadCount;
  status: HeraldClientStatus;
  /** An `error` frame from the gateway, or a problem of the client's own (`CONNECTION`, `TOKEN`, `UNAUTHORIZED`). */
  error: { code: HeraldClientErrorCode; message: string; ids?: string[] };
  /**
   * Items changed elsewhere (another tab or device, the HTTP inbox API, the host's code), as the gateway relayed it.
   * The snapshot applies it to its own items; a UI that also shows items it loaded itself (older pages from the HTTP
   * API) applies it to those.
   */
  inboxChange: InboxChange;
}

/** A relayed change to a user's items: read (one by one, or all up to a position), unread, seen, archived. */
export type InboxChange = ReadUpdateFrame | UnreadUpdateFrame | SeenUpdateFrame | ArchivedUpdateFrame;

export interface HeraldClient {
  getSnapshot(): HeraldClientSnapshot;
  /** For `useSyncExternalStore`: the listener runs after every snapshot change. Returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  on<E extends keyof HeraldClientEvents>(event: E, listener: (value: HeraldClientEvents[E]) => void): () => void;
  markRead(ids: string | string[]): void;
  markUnread(ids: string | string[]): void;
  /** Reads every item up to the position this client has (items it has not received yet stay unread). */
  markAllRead(options?: { notificationType?: string }): void;
  /** Marks items seen (shown to the user). Optimistic, like every change below; queued while disconnected. */
  markSeen(ids: string | string[]): void;
  /** Marks every item up to the position this client has seen: what opening an inbox panel does. */
  markAllSeen(): void;
  /** Archives items: they leave `items` and every count. */
  archive(ids: string | string[]): void;
  /** Brings items back from the archive; the gateway sends them whole to every tab. */
  unarchive(ids: string | string[]): void;
  /** Archives every read item (of `notificationType`, when given) up to the position this client has. */
  archiveAllRead(options?: { notificationType?: string }): void;
  /**
   * Goes offline and stays so (status `disconnected`), keeping the snapshot and its position. Acks not yet sent
   * go out first; resolves once the gateway answered the close, or after a short bound.
   */
  disconnect(): Promise<void>;
  /** Connects again after `disconnect()` or `unauthorized` (at once, when a reconnect is pending); throws after `close()`. */
  connect(): void;
  /** Stops for good (status `closed`). Acks not yet sent go out first; resolves like `disconnect()`. */
  close(): Promise<void>;
}
