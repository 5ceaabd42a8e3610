// The Herald realtime protocol, version 1: frame shapes, close codes and error codes shared by the gateway
// and the client. Imported by browser code, so it must stay free of Node-only modules.

import type { InboxItem, UnreadCount } from '@herald/core';

/** The WebSocket subprotocol both sides must agree on; the version is part of the name. */
export const HERALD_SUBPROTOCOL = 'herald.v1';

/**
 * A second, optional subprotocol carries the access token where browsers cannot set headers:
 * `herald.auth.<base64url(utf-8 token), no padding>`. The server never echoes it back.
 */
export const TOKEN_SUBPROTOCOL_PREFIX = 'herald.auth.';

/**
 * Close codes the gateway uses. Every one of them is worth a reconnect (with backoff); after 4001 only with a
 * fresh token, and not forever.
 */
export const CloseCode = {
  /** The gateway is shutting down. */
  GOING_AWAY: 1001,
  /** A frame exceeded the payload bound. */
  MESSAGE_TOO_BIG: 1009,
  /** The gateway failed (the store was unreachable while replaying). */
  INTERNAL_ERROR: 1011,
  /**
   * `authenticate` refused the request (no token, or a bad or expired one). Sent right after the upgrade, before
   * any frame: browsers never see an HTTP status, but they see this. Fetch a fresh token before trying again.
   */
  UNAUTHORIZED: 4001,
  /** No `hello` arrived in time after the connection opened. */
  HELLO_TIMEOUT: 4002,
  /**
   * The client did not read fast enough: its send buffer passed the bound, or a replay waited longer than the
   * drain deadline. Reconnect and replay.
   */
  SLOW_CONSUMER: 4008,
  /** The user already has as many open sockets as the gateway allows; reconnect later (with backoff). */
  TOO_MANY_CONNECTIONS: 4009,
  /** The client kept sending faster than the rate limit allows. */
  RATE_LIMITED: 4029,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes carried by `error` frames. */
export type ProtocolErrorCode =
  /** The frame was not valid JSON text (or was binary). */
  | 'MALFORMED_FRAME'
  /** `type` is missing or not one this protocol version knows. */
  | 'UNKNOWN_TYPE'
  /** A field is missing or has the wrong shape; the message names it. */
  | 'INVALID_FRAME'
  /** A frame other than `hello` or `ping` came before `hello`. */
  | 'HELLO_REQUIRED'
  /** A second `hello` on the same connection. */
  | 'ALREADY_GREETED'
  /** Some ids are not this user's inbox items (or do not exist); nothing was changed for them. */
  | 'NOT_FOUND'
  /** The frame was dropped: too many frames too fast. */
  | 'RATE_LIMITED'
  /**
   * An item too large for the gateway to send over a socket was skipped; `ids` names it, `position` and
   * `notificationType` say where it sits and what it counts as. Read it through the inbox API.
   */
  | 'ITEM_TOO_LARGE'
  /** The gateway could not complete the operation; retrying later may work. */
  | 'INTERNAL';

/** Most ids one `ack`, `read` or `unread` frame may carry. */
export const MAX_IDS_PER_FRAME = 100;
/** Longest accepted id or type string. */
export const MAX_ID_LENGTH = 200;
/** Longest accepted `ref`. */
export const MAX_REF_LENGTH = 64;

// Client → server. Every client frame may carry `ref` (a string the server echoes in its `error` reply).

export interface HelloFrame {
  type: 'hello';
  /** The highest position the client has seen; omit on a first connect. */
  lastPosition?: number;
  ref?: string;
}

export interface AckFrame {
  type: 'ack';
  ids: string[];
  ref?: string;
}

export interface ReadFrame {
  type: 'read';
  ids: string[];
  ref?: string;
}

export interface UnreadFrame {
  type: 'unread';
  ids: string[];
  ref?: string;
}

export interface ReadAllFrame {
  type: 'readAll';
  /** Only items of this notification type. */
  notificationType?: string;
  ref?: string;
}

export interface PingFrame {
  type: 'ping';
  ref?: string;
}

export type ClientFrame = HelloFrame | AckFrame | ReadFrame | UnreadFrame | ReadAllFrame | PingFrame;

// Server → client.

export interface WelcomeFrame {
  type: 'welcome';
  userId: string;
  unread: UnreadCount;
  /** The user's highest position when the counts were taken: items above it are not in `unread` yet. */
  lastPosition: number;
  /** How often the server pings (ws-level); a client may use it to size its own liveness checks. */
  heartbeatMs: number;
}

export interface NotificationFrame {
  type: 'notification';
  item: InboxItem;
  /** Present on items sent as part of the catch-up after `hello`, rather than live. */
  replay?: true;
}

/** The catch-up after `hello` is complete: everything up to `lastPosition` was sent; live items follow. */
export interface SyncedFrame {
  type: 'synced';
  lastPosition: number;
}

export interface UnreadCountFrame {
  type: 'unread';
  counts: UnreadCount;
}

export interface ReadUpdateFrame {
  type: 'read';
  ids: string[];
  /** Everything (of `notificationType`, when given) was marked read. */
  all?: true;
  notificationType?: string;
}

export interface UnreadUpdateFrame {
  type: 'unreadItems';
  ids: string[];
}

export interface ErrorFrame {
  type: 'error';
  code: ProtocolErrorCode;
  message: string;
  /** The `ref` of the client frame this answers, when it had one. */
  ref?: string;
  /** For `NOT_FOUND`: the ids that were not found; for `ITEM_TOO_LARGE`: the skipped item. */
  ids?: string[];
  /** For `ITEM_TOO_LARGE`: the skipped item's position (the stream has moved past it). */
  position?: number;
  /** For `ITEM_TOO_LARGE`: the skipped item's notification type (it counts as unread like any new item). */
  notificationType?: string;
}

export interface PongFrame {
  type: 'pong';
  ref?: string;
}

export type ServerFrame =
  | WelcomeFrame
  | NotificationFrame
  | SyncedFrame
  | UnreadCountFrame
  | ReadUpdateFrame
  | UnreadUpdateFrame
  | ErrorFrame
  | PongFrame;
