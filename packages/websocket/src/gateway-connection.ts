// One authenticated socket: validates its frames, replays what it missed and streams live items in position
// order without gaps. Anything that breaks the order (a lost pub/sub message, items racing on the way in) is
// repaired by reading the inbox after the last position this socket was sent. Every read and write goes through
// Herald's inbox API, so Herald's events tell every tab about changes made here.

import type { InboxApi, InboxItem, Logger, UnreadCount } from '@herald/core';
import type { WebSocket } from 'ws';
import { isLargerThan } from './frame-size';
import { parseClientFrame } from './frame-validation';
import { type ClientFrame, CloseCode, type ErrorFrame, type ServerFrame } from './protocol';
import type { TokenBucket } from './token-bucket';

/** Items read from the inbox per replay query. */
const REPLAY_PAGE = 100;
/** Most undelivered items replayed on a first connect; older ones stay in the inbox (HTTP API). */
export const FIRST_CONNECT_REPLAY_LIMIT = 1000;

export interface GatewayCounters {
  notificationsSent: number;
  /** Items skipped with an ITEM_TOO_LARGE error frame instead of being sent. */
  itemsTooLarge: number;
  replayed: number;
  repairs: number;
  slowConsumerCloses: number;
  rateLimitCloses: number;
  frameErrors: number;
}

/** What a connection needs from its gateway. */
export interface ConnectionHost {
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  /** Largest notification frame sent; larger items are skipped with an error frame. */
  readonly maxItemBytes: number;
  /** Longest a replay waits for the socket to drain before closing it as a slow consumer. */
  readonly drainTimeoutMs: number;
  readonly counters: GatewayCounters;
  /** Herald's inbox API (connections exist only once the gateway is attached to Herald). */
  inbox(): InboxApi;
  /** Marks an ack's ids delivered (batched with the other sockets' acks of this turn); the ids that changed. */
  acknowledge(userId: string, ids: string[]): Promise<string[]>;
  /** Adds the connection to its user's set and waits until live items for that user reach this process. */
  register(connection: GatewayConnection): Promise<void>;
  unregister(connection: GatewayConnection): void;
}

export interface GatewayConnection {
  readonly userId: string;
  readonly socket: WebSocket;
  /** True once `hello` was answered with `welcome`. */
  readonly isGreeted: boolean;
  readonly lastSentPosition: number;
  /**
   * Offers a live item with its frame (serialised once for every socket of the user), or `too-large` when it can
   * never be sent; returns whether this connection has it or will get it.
   */
  deliver(item: InboxItem, frame: string | 'too-large'): boolean;
  /** Re-reads the inbox after the last position sent (a lost message is suspected). */
  resync(): void;
  send(frame: ServerFrame): boolean;
  /** A frame from the client; binary frames are refused, and counted against the rate limit like any other. */
  handleMessage(text: string, isBinary: boolean): void;
  closed(): void;
}

/** Resolves true once `flushed` settles, false when `timeoutMs` passed first. */
function drained(flushed: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    flushed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The frame for an item, or `too-large` when it is over `maxItemBytes`. */
function itemFrame(item: InboxItem, replay: boolean, maxItemBytes: number): string | 'too-large' {
  const text = JSON.stringify(replay ? { type: 'notification', item, replay: true } : { type: 'notification', item });
  return isLargerThan(text, maxItemBytes) ? 'too-large' : text;
}

/** A bulk frame's options for the inbox API. */
function bulkOptions(frame: { notificationType?: string; upToPosition?: number }): {
  type?: string;
  upToPosition?: number;
} {
  const options: { type?: string; upToPosition?: number } = {};
  if (frame.notificationType !== undefined) options.type = frame.notificationType;
  if (frame.upToPosition !== undefined) options.upToPosition = frame.upToPosition;
  return options;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createGatewayConnection(
  socket: WebSocket,
  userId: string,
  host: ConnectionHost,
  bucket: TokenBucket,
): GatewayConnection {
  let phase: 'greeting' | 'open' | 'closed' = 'greeting';
  /** Closed as a slow consumer: its frames still count (acks racing the close frame must not be lost). */
  let closedSlow = false;
  let lastSent = 0;
  let pumping = false;
  let dirty = false;
  let operations: Promise<void> = Promise.resolve();
  let lastFlush: Promise<void> = Promise.resolve();

  const isOpen = (): boolean => phase !== 'closed' && socket.readyState === socket.OPEN;

  function closeSlow(): void {
    if (phase === 'closed') return;
    host.counters.slowConsumerCloses += 1;
    host.logger.warn('herald websocket: closing a slow consumer', { userId, buffered: socket.bufferedAmount });
    phase = 'closed';
    closedSlow = true;
    socket.close(CloseCode.SLOW_CONSUMER, 'slow consumer');
    // The close frame waits behind the unread buffer; a peer that never reads would hold it forever.
    const timer = setTimeout(() => socket.terminate(), 2_000);
    timer.unref();
  }

  /** Sends a frame, or its text when it was serialised already (a live item, once for all of its user's sockets). */
  function send(frame: ServerFrame | string): boolean {
    if (!isOpen()) return false;
    socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    if (socket.bufferedAmount > host.maxBufferedBytes) {
      closeSlow();
      return false;
    }
    return true;
  }

  /**
   * Sends while replaying: waits for the socket to flush instead of outrunning a reader that is merely catching
   * up — but not forever: a peer that stops reading (and still answers heartbeats) is closed as a slow consumer.
   */
  async function sendPaced(text: string): Promise<boolean> {
    if (socket.bufferedAmount > host.maxBufferedBytes / 2 && !(await drained(lastFlush, host.drainTimeoutMs))) {
      closeSlow();
      return false;
    }
    if (!isOpen()) return false;
    lastFlush = new Promise((resolve) => socket.send(text, () => resolve()));
    if (socket.bufferedAmount > host.maxBufferedBytes) {
      closeSlow();
      return false;
    }
    return true;
  }

  /**
   * An item whose frame could never pass the buffer bound would close the socket on every try and hold back the
   * items after it: tell the client instead (with what it needs for its position and counts) and move past it.
   */
  function skipTooLarge(item: InboxItem): void {
    host.counters.itemsTooLarge += 1;
    lastSent = item.position;
    send({
      type: 'error',
      code: 'ITEM_TOO_LARGE',
      message: `Item ${item.id} is larger than this gateway sends (${host.maxItemBytes} bytes); read it through the inbox API`,
      ids: [item.id],
      position: item.position,
      notificationType: item.type,
    });
  }

  /** Undelivered items at or below `upTo`, oldest first (first connect). */
  async function undeliveredUpTo(upTo: number): Promise<InboxItem[]> {
    const inbox = host.inbox();
    const found: InboxItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await inbox.list(
        userId,
        cursor === undefined ? { status: 'undelivered', limit: 100 } : { status: 'undelivered', limit: 100, cursor },
      );
      for (const item of page.items) if (item.position <= upTo) found.push(item);
      cursor = page.nextCursor;
    } while (cursor !== undefined && found.length < FIRST_CONNECT_REPLAY_LIMIT && isOpen());
    found.sort((a, b) => a.position - b.position);
    return found.slice(-FIRST_CONNECT_REPLAY_LIMIT);
  }

  /** Sends everything after `lastSent` from the inbox, until nothing new arrived while it ran. */
  async function pump(replay: boolean, firstConnectUpTo?: number): Promise<void> {
    pumping = true;
    try {
      if (firstConnectUpTo !== undefined) {
        for (const item of await undeliveredUpTo(firstConnectUpTo)) {
          const frame = itemFrame(item, true, host.maxItemBytes);
          if (frame === 'too-large') {
            skipTooLarge(item);
            continue;
          }
          if (!(await sendPaced(frame))) return;
          host.counters.notificationsSent += 1;
          host.counters.replayed += 1;
        }
        lastSent = Math.max(lastSent, firstConnectUpTo);
      }
      do {
        dirty = false;
        for (;;) {
          const items = await host.inbox().after(userId, lastSent, { limit: REPLAY_PAGE });
          for (const item of items) {
            if (item.position <= lastSent) continue;
            const frame = itemFrame(item, replay, host.maxItemBytes);
            if (frame === 'too-large') {
              skipTooLarge(item);
              continue;
            }
            if (!(await sendPaced(frame))) return;
            lastSent = item.position;
            host.counters.notificationsSent += 1;
            if (replay) host.counters.replayed += 1;
          }
          if (items.length < REPLAY_PAGE || !isOpen()) break;
        }
      } while (dirty && isOpen());
      if (replay) send({ type: 'synced', lastPosition: lastSent });
    } catch (error) {
      host.logger.error('herald websocket: replay failed; closing so the client retries', {
        userId,
        error: errorMessage(error),
      });
      if (isOpen()) socket.close(CloseCode.INTERNAL_ERROR, 'replay failed');
    } finally {
      pumping = false;
    }
  }

  function resync(): void {
    if (phase !== 'open') return;
    if (pumping) {
      dirty = true;
      return;
    }
    void pump(false);
  }

  function reply(error: Omit<ErrorFrame, 'type'>, ref: string | undefined): void {
    host.counters.frameErrors += 1;
    send(ref === undefined ? { type: 'error', ...error } : { type: 'error', ...error, ref });
  }

  /** Ids that were neither changed nor found as this user's items: other users' ids land here. */
  async function notFound(ids: string[], changed: string[]): Promise<string[]> {
    const changedSet = new Set(changed);
    const rest = ids.filter((id) => !changedSet.has(id));
    if (rest.length === 0) return [];
    const found = new Set((await host.inbox().get(userId, rest)).map((item) => item.id));
    return rest.filter((id) => !found.has(id));
  }

  /**
   * Tells the client which of its ids this user has no item for. Synchronous (no promise) in the usual case: every
   * id changed — a store names each once, and only ids it was given — so none can be missing.
   */
  function reportNotFound(ids: string[], changed: string[], ref: string | undefined): Promise<void> | undefined {
    if (changed.length === ids.length) return undefined;
    return notFound(ids, changed).then((missing) => {
      if (missing.length > 0) {
        reply({ code: 'NOT_FOUND', message: `Not found for this user: ${missing.length} id(s)`, ids: missing }, ref);
      }
    });
  }

  async function counts(): Promise<{ unread: UnreadCount; lastPosition: number }> {
    const inbox = host.inbox();
    // Counts and position are read separately; retry when an insert slipped in between, so that
    // "items above lastPosition are not counted yet" holds for the client.
    for (let attempt = 0; ; attempt++) {
      const before = await inbox.lastPosition(userId);
      const unread = await inbox.unreadCount(userId);
      const after = await inbox.lastPosition(userId);
      if (before === after || attempt >= 4) return { unread, lastPosition: before };
    }
  }

  async function hello(lastPosition: number | undefined): Promise<void> {
    pumping = true; // live items offered from now on are picked up by the pump below
    await host.register(connection);
    const snapshot = await counts();
    if (!isOpen()) return;
    send({
      type: 'welcome',
      userId,
      unread: snapshot.unread,
      lastPosition: snapshot.lastPosition,
      heartbeatMs: host.heartbeatMs,
    });
    phase = 'open';
    if (lastPosition !== undefined && lastPosition <= snapshot.lastPosition) {
      lastSent = lastPosition;
      void pump(true);
    } else {
      // First connect, or a client ahead of this store (it was reset): everything undelivered, then onwards.
      lastSent = 0;
      void pump(true, snapshot.lastPosition);
    }
  }

  /**
   * The frame every client sends for every item, so its usual path — every id changed — allocates as little as
   * it can: no async frames, no lookup.
   */
  function acknowledge(frame: Extract<ClientFrame, { type: 'ack' }>): Promise<void> {
    return host.acknowledge(userId, frame.ids).then((changed) => reportNotFound(frame.ids, changed, frame.ref));
  }

  // State changes reach every tab through Herald's inbox events (see realtime-channel.ts).
  async function operate(frame: Exclude<ClientFrame, { type: 'ack' }>): Promise<void> {
    const inbox = host.inbox();
    switch (frame.type) {
      case 'read':
        await reportNotFound(frame.ids, await inbox.markRead(userId, frame.ids), frame.ref);
        return;
      case 'unread':
        await reportNotFound(frame.ids, await inbox.markUnread(userId, frame.ids), frame.ref);
        return;
      case 'readAll':
        await inbox.markAllRead(userId, bulkOptions(frame));
        return;
      case 'seen':
        await reportNotFound(frame.ids, await inbox.markSeen(userId, frame.ids), frame.ref);
        return;
      case 'seenAll':
        await inbox.markAllSeen(userId, frame.upToPosition === undefined ? {} : { upToPosition: frame.upToPosition });
        return;
      case 'archive':
        await reportNotFound(frame.ids, await inbox.archive(userId, frame.ids), frame.ref);
        return;
      case 'unarchive':
        await reportNotFound(frame.ids, await inbox.unarchive(userId, frame.ids), frame.ref);
        return;
      case 'archiveAllRead':
        await inbox.archiveAllRead(userId, bulkOptions(frame));
        return;
      case 'hello':
        await hello(frame.lastPosition);
        return;
      case 'ping':
        return;
    }
  }

  function handleMessage(text: string, isBinary: boolean): void {
    if (phase === 'closed' && !closedSlow) return;
    const verdict = bucket.take(Date.now());
    if (verdict === 'abusive') {
      host.counters.rateLimitCloses += 1;
      phase = 'closed';
      socket.close(CloseCode.RATE_LIMITED, 'rate limit exceeded');
      return;
    }
    if (isBinary) {
      reply(
        verdict === 'refused'
          ? { code: 'RATE_LIMITED', message: 'Too many frames; this one was dropped' }
          : { code: 'MALFORMED_FRAME', message: 'Binary frames are not supported' },
        undefined,
      );
      return;
    }
    const parsed = parseClientFrame(text);
    const ref = parsed.ok ? parsed.frame.ref : parsed.ref;
    if (verdict === 'refused') {
      reply({ code: 'RATE_LIMITED', message: 'Too many frames; this one was dropped' }, ref);
      return;
    }
    if (!parsed.ok) {
      reply({ code: parsed.code, message: parsed.message }, parsed.ref);
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'ping') {
      send(frame.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: frame.ref });
      return;
    }
    if (frame.type === 'hello') {
      if (greeted) {
        reply({ code: 'ALREADY_GREETED', message: 'hello was already received on this connection' }, frame.ref);
        return;
      }
      greeted = true;
    } else if (!greeted) {
      reply({ code: 'HELLO_REQUIRED', message: `Send hello before ${frame.type}` }, frame.ref);
      return;
    }
    // One at a time per connection, so a read followed by an unread of the same item lands in that order.
    operations = operations.then(() =>
      (frame.type === 'ack' ? acknowledge(frame) : operate(frame)).catch((error: unknown) => {
        host.logger.error('herald websocket: operation failed', {
          userId,
          type: frame.type,
          error: errorMessage(error),
        });
        if (frame.type === 'hello') {
          if (isOpen()) socket.close(CloseCode.INTERNAL_ERROR, 'hello failed');
          return;
        }
        reply({ code: 'INTERNAL', message: `${frame.type} failed; try again later` }, frame.ref);
      }),
    );
  }

  let greeted = false;

  const connection: GatewayConnection = {
    userId,
    socket,
    get isGreeted() {
      return phase === 'open';
    },
    get lastSentPosition() {
      return lastSent;
    },
    deliver(item, frame) {
      if (phase === 'greeting' && pumping) return true; // registered, welcome pending: the pump reads it
      if (phase !== 'open' || !isOpen()) return false;
      if (item.position <= lastSent) return true;
      if (pumping) {
        dirty = true;
        return true;
      }
      if (item.position === lastSent + 1) {
        if (frame === 'too-large') {
          skipTooLarge(item);
          return false;
        }
        if (!send(frame)) return false;
        lastSent = item.position;
        host.counters.notificationsSent += 1;
        return true;
      }
      host.counters.repairs += 1;
      void pump(false);
      return true;
    },
    resync,
    send,
    handleMessage,
    closed() {
      if (phase !== 'closed') phase = 'closed';
      host.unregister(connection);
    },
  };
  return connection;
}
