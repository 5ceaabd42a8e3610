// The realtime client for browsers and Node: connects, resumes from the last position it saw, shows each item
// once, acknowledges it, and keeps an inbox snapshot for UIs. Runs without any Node-only module.

import type { InboxItem, UnreadCount } from '@herald/core';
import { computeBackoffMs } from './backoff';
import {
  type ClientFrame,
  type ErrorFrame,
  HERALD_SUBPROTOCOL,
  MAX_IDS_PER_FRAME,
  type ServerFrame,
  TOKEN_SUBPROTOCOL_PREFIX,
} from './protocol';

/** Any WebSocket constructor: the browser's global one, or `ws` in Node. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => object;

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

const OPEN = 1;
const SEEN_LIMIT = 10_000;
const RECENT_ACK_MS = 10_000;
const ACK_INTERVAL_MS = 100;
const ACK_REFS_KEPT = 64;
const MAX_QUEUED_FRAMES = 1_000;

function base64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function cloneCounts(counts: UnreadCount): UnreadCount {
  return { total: counts.total, byType: { ...counts.byType } };
}

/** Equal counts; a type missing from `byType` counts as 0 (stores may leave zeros out). */
function countsEqual(a: UnreadCount, b: UnreadCount): boolean {
  if (a.total !== b.total) return false;
  const types = new Set([...Object.keys(a.byType), ...Object.keys(b.byType)]);
  for (const type of types) if ((a.byType[type] ?? 0) !== (b.byType[type] ?? 0)) return false;
  return true;
}

function adjustCount(counts: UnreadCount, type: string, delta: number): UnreadCount {
  const next = cloneCounts(counts);
  next.total = Math.max(0, next.total + delta);
  next.byType[type] = Math.max(0, (next.byType[type] ?? 0) + delta);
  return next;
}

export function createHeraldClient(settings: HeraldClientSettings): HeraldClient {
  const WebSocketFound = settings.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (!WebSocketFound) {
    throw new Error('No WebSocket available: pass `WebSocket` (e.g. the `ws` package) in this runtime');
  }
  const WebSocketImpl: WebSocketConstructorLike = WebSocketFound;
  const baseMs = settings.reconnect?.baseMs ?? 1_000;
  const capMs = settings.reconnect?.capMs ?? 30_000;
  const maxItems = settings.maxItems ?? 100;
  const pingIntervalMs = settings.pingIntervalMs ?? 25_000;
  const random = settings.random ?? Math.random;

  let snapshot: HeraldClientSnapshot = {
    status: 'connecting',
    userId: undefined,
    items: [],
    unread: { total: 0, byType: {} },
    lastPosition: settings.lastPosition ?? 0,
  };
  const seen = new Set<string>();
  const subscribers = new Set<() => void>();
  const listeners = new Map<keyof HeraldClientEvents, Set<(value: never) => void>>();

  let socket: SocketLike | undefined;
  let isGreeted = false;
  /** False until the client has a position to resume from (an item, or a completed catch-up). */
  let hasPosition = settings.lastPosition !== undefined;
  let isClosed = false;
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let heardSincePing = true;
  /** Positions at or below this are already in the welcome counts. */
  let countedUpTo = 0;
  let pendingReadAll = false;
  const pendingAcks = new Set<string>();
  /** Acks sent lately, by send time: if the socket dies soon after, the gateway may never have read them. */
  const recentAcks = new Map<string, number>();
  /** Ids of recent ack frames by `ref`, to send again if the gateway refused the frame (rate limit, store error). */
  const ackRefs = new Map<string, string[]>();
  let ackSequence = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** read / unread / readAll frames made while disconnected, sent after the next welcome. */
  const queued: ClientFrame[] = [];

  function emit<E extends keyof HeraldClientEvents>(event: E, value: HeraldClientEvents[E]): void {
    for (const listener of listeners.get(event) ?? []) (listener as (value: HeraldClientEvents[E]) => void)(value);
  }

  function update(patch: Partial<HeraldClientSnapshot>): void {
    // Same values, same snapshot: useSyncExternalStore re-renders only on real changes.
    const keys = Object.keys(patch) as (keyof HeraldClientSnapshot)[];
    if (
      keys.every((key) =>
        key === 'unread' ? countsEqual(patch.unread!, snapshot.unread) : patch[key] === snapshot[key],
      )
    ) {
      return;
    }
    const previousStatus = snapshot.status;
    const previousUnread = snapshot.unread;
    snapshot = { ...snapshot, ...patch };
    for (const subscriber of subscribers) subscriber();
    if (patch.status !== undefined && patch.status !== previousStatus) emit('status', patch.status);
    if (patch.unread !== undefined && patch.unread !== previousUnread) emit('unreadCount', patch.unread);
  }

  function sendFrame(frame: ClientFrame): boolean {
    if (!socket || socket.readyState !== OPEN || !isGreeted) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function sendOrQueue(frame: ClientFrame): void {
    if (sendFrame(frame)) return;
    queued.push(frame);
    // A long outage must not grow memory without bound; the oldest changes go first.
    if (queued.length > MAX_QUEUED_FRAMES) queued.shift();
  }

  function flushAcks(): void {
    ackTimer = undefined;
    if (!socket || socket.readyState !== OPEN || !isGreeted) return;
    const ids = [...pendingAcks];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_FRAME) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_FRAME);
      ackSequence += 1;
      const ref = `ack:${ackSequence}`;
      ackRefs.set(ref, chunk);
      if (ackRefs.size > ACK_REFS_KEPT) ackRefs.delete(ackRefs.keys().next().value as string);
      sendFrame({ type: 'ack', ids: chunk, ref });
    }
    pendingAcks.clear();
    const now = Date.now();
    for (const [id, at] of recentAcks) {
      if (now - at < RECENT_ACK_MS) break;
      recentAcks.delete(id);
    }
    for (const id of ids) {
      recentAcks.delete(id);
      recentAcks.set(id, now);
    }
  }

  function scheduleAck(id: string): void {
    pendingAcks.add(id);
    // Batched: one frame per interval keeps a busy stream far below the gateway's frame rate limit.
    if (ackTimer === undefined) ackTimer = setTimeout(flushAcks, ACK_INTERVAL_MS);
  }

  function remember(id: string): boolean {
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_LIMIT) {
      const oldest = seen.values().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
    return true;
  }

  function insertItem(items: readonly InboxItem[], item: InboxItem): InboxItem[] {
    const next = [...items];
    let index = 0;
    while (index < next.length && (next[index]?.position ?? 0) > item.position) index++;
    next.splice(index, 0, item);
    if (next.length > maxItems) next.length = maxItems;
    return next;
  }

  function mapItems(ids: readonly string[] | 'all', change: (item: InboxItem) => InboxItem | undefined): void {
    const wanted = ids === 'all' ? undefined : new Set(ids);
    let changed = false;
    const items = snapshot.items.map((item) => {
      if (wanted && !wanted.has(item.id)) return item;
      const next = change(item);
      if (!next) return item;
      changed = true;
      return next;
    });
    if (changed) update({ items });
  }

  function markItemsRead(ids: readonly string[] | 'all', type?: string): void {
    const at = new Date().toISOString();
    mapItems(ids, (item) =>
      item.readAt !== undefined || (type !== undefined && item.type !== type) ? undefined : { ...item, readAt: at },
    );
  }

  function onNotification(item: InboxItem, replay: boolean): void {
    if (item.deliveredAt === undefined) scheduleAck(item.id); // duplicates too: the earlier ack may have been lost
    const isNew = remember(item.id);
    const patch: { lastPosition?: number; items?: InboxItem[]; unread?: UnreadCount } = {};
    if (item.position > snapshot.lastPosition) patch.lastPosition = item.position;
    hasPosition = true;
    if (isNew) {
      patch.items = insertItem(snapshot.items, item);
      if (item.position > countedUpTo && item.readAt === undefined) {
        patch.unread = adjustCount(snapshot.unread, item.type, 1);
      }
    }
    if (item.position > countedUpTo) countedUpTo = item.position;
    if (Object.keys(patch).length > 0) update(patch);
    if (isNew) emit('notification', { item, replay });
  }

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        isGreeted = true;
        failures = 0;
        countedUpTo = frame.lastPosition;
        const patch: { -readonly [K in keyof HeraldClientSnapshot]?: HeraldClientSnapshot[K] } = {
          userId: frame.userId,
          unread: cloneCounts(frame.unread),
        };
        // A store that is behind us was reset: the gateway treats this as a first connect; follow it.
        if (snapshot.lastPosition > frame.lastPosition) {
          patch.lastPosition = 0;
          hasPosition = false;
        }
        update(patch);
        for (const pending of queued.splice(0)) sendFrame(pending);
        if (pendingAcks.size > 0) flushAcks();
        return;
      }
      case 'notification':
        onNotification(frame.item, frame.replay === true);
        return;
      case 'synced':
        // Everything up to here was sent: resume after it next time, even if none of it was for us.
        hasPosition = true;
        update(
          frame.lastPosition > snapshot.lastPosition
            ? { status: 'open', lastPosition: frame.lastPosition }
            : { status: 'open' },
        );
        return;
      case 'unread':
        if (pendingReadAll) {
          // The read-all may have been for one type only: items of types with nothing unread are read.
          pendingReadAll = false;
          const at = new Date().toISOString();
          mapItems('all', (item) =>
            item.readAt === undefined && (frame.counts.byType[item.type] ?? 0) === 0
              ? { ...item, readAt: at }
              : undefined,
          );
        }
        update({ unread: cloneCounts(frame.counts) });
        return;
      case 'read':
        if (frame.all) {
          if (frame.notificationType !== undefined) markItemsRead('all', frame.notificationType);
          else pendingReadAll = true;
        } else markItemsRead(frame.ids);
        return;
      case 'unreadItems':
        mapItems(frame.ids, (item) => {
          if (item.readAt === undefined) return undefined;
          const { readAt: _readAt, ...rest } = item;
          return rest;
        });
        return;
      case 'error': {
        const refused = frame.ref === undefined ? undefined : ackRefs.get(frame.ref);
        if (refused && (frame.code === 'RATE_LIMITED' || frame.code === 'INTERNAL')) {
          ackRefs.delete(frame.ref!);
          for (const id of refused) scheduleAck(id);
        }
        emit('error', errorEvent(frame));
        return;
      }
      case 'pong':
        return;
    }
  }

  function errorEvent(frame: ErrorFrame): HeraldClientEvents['error'] {
    return frame.ids === undefined
      ? { code: frame.code, message: frame.message }
      : { code: frame.code, message: frame.message, ids: frame.ids };
  }

  /** The socket is gone: acks it may not have carried go out again on the next one (they are idempotent). */
  function requeueRecentAcks(): void {
    for (const id of recentAcks.keys()) pendingAcks.add(id);
    recentAcks.clear();
  }

  function stopTimers(): void {
    if (pingTimer !== undefined) clearInterval(pingTimer);
    pingTimer = undefined;
  }

  function scheduleReconnect(): void {
    if (isClosed || reconnectTimer !== undefined) return;
    const delay = computeBackoffMs(failures, { baseMs, capMs, random });
    failures += 1;
    update({ status: 'reconnecting' });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
  }

  /** Forgets the socket at once (its close event may never come on a dead network) and reconnects. */
  function drop(current: SocketLike, code: number, reason: string): void {
    if (socket !== current) return;
    current.onopen = null;
    current.onmessage = null;
    current.onclose = null;
    current.onerror = null;
    socket = undefined;
    isGreeted = false;
    stopTimers();
    requeueRecentAcks();
    try {
      current.close(code, reason);
    } catch {
      // Already closing.
    }
    scheduleReconnect();
  }

  async function connect(): Promise<void> {
    if (isClosed) return;
    let token: string | undefined;
    try {
      token = settings.getToken ? await settings.getToken() : settings.token;
    } catch (error) {
      emit('error', { code: 'TOKEN', message: error instanceof Error ? error.message : String(error) });
      scheduleReconnect();
      return;
    }
    if (isClosed) return;
    const protocols = [HERALD_SUBPROTOCOL];
    let url = settings.url;
    if (token !== undefined) {
      if (settings.tokenTransport === 'query') {
        url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      } else protocols.push(TOKEN_SUBPROTOCOL_PREFIX + base64Url(token));
    }
    let current: SocketLike;
    try {
      current = new WebSocketImpl(url, protocols) as SocketLike;
    } catch (error) {
      emit('error', { code: 'CONNECTION', message: error instanceof Error ? error.message : String(error) });
      scheduleReconnect();
      return;
    }
    socket = current;
    isGreeted = false;
    current.onopen = () => {
      const hello: ClientFrame = hasPosition
        ? { type: 'hello', lastPosition: snapshot.lastPosition }
        : { type: 'hello' };
      current.send(JSON.stringify(hello));
      heardSincePing = true;
      if (pingIntervalMs > 0) {
        pingTimer = setInterval(() => {
          if (!heardSincePing) {
            drop(current, 4000, 'no answer to ping');
            return;
          }
          heardSincePing = false;
          if (current.readyState === OPEN) current.send(JSON.stringify({ type: 'ping' }));
        }, pingIntervalMs);
      }
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
      onFrame(frame);
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = undefined;
      isGreeted = false;
      stopTimers();
      requeueRecentAcks();
      if (!isClosed) emit('error', { code: 'CONNECTION', message: `closed (${event.code}) ${event.reason}`.trim() });
      scheduleReconnect();
    };
    current.onerror = () => {
      // A close event follows; reconnecting happens there.
    };
  }

  function idList(ids: string | string[]): string[] {
    return (Array.isArray(ids) ? ids : [ids]).filter((id) => id.length > 0);
  }

  function sendChunked(type: 'read' | 'unread', ids: string[]): void {
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_FRAME) {
      sendOrQueue({ type, ids: ids.slice(start, start + MAX_IDS_PER_FRAME) });
    }
  }

  void connect();

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as (value: never) => void);
      return () => set.delete(listener as (value: never) => void);
    },
    markRead(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      // Optimistic: the gateway's `read` + `unread` frames confirm (and correct) it.
      let unread = snapshot.unread;
      for (const item of snapshot.items) {
        if (ids.includes(item.id) && item.readAt === undefined) unread = adjustCount(unread, item.type, -1);
      }
      if (unread !== snapshot.unread) update({ unread });
      markItemsRead(ids);
      sendChunked('read', ids);
    },
    markUnread(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      let unread = snapshot.unread;
      for (const item of snapshot.items) {
        if (ids.includes(item.id) && item.readAt !== undefined) unread = adjustCount(unread, item.type, 1);
      }
      if (unread !== snapshot.unread) update({ unread });
      mapItems(ids, (item) => {
        if (item.readAt === undefined) return undefined;
        const { readAt: _readAt, ...rest } = item;
        return rest;
      });
      sendChunked('unread', ids);
    },
    markAllRead(options = {}) {
      const type = options.notificationType;
      if (type === undefined) update({ unread: { total: 0, byType: {} } });
      else {
        const byType = { ...snapshot.unread.byType };
        const removed = byType[type] ?? 0;
        byType[type] = 0;
        update({ unread: { total: Math.max(0, snapshot.unread.total - removed), byType } });
      }
      markItemsRead('all', type);
      sendOrQueue(type === undefined ? { type: 'readAll' } : { type: 'readAll', notificationType: type });
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      if (ackTimer !== undefined) clearTimeout(ackTimer);
      stopTimers();
      const current = socket;
      socket = undefined;
      if (current) {
        current.onclose = null;
        current.onmessage = null;
        try {
          current.close(1000, 'client closed');
        } catch {
          // Already closing.
        }
      }
      update({ status: 'closed' });
    },
  };
}
