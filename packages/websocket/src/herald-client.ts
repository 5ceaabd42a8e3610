// The realtime client for browsers and Node: connects, resumes from the last position it saw, shows each item
// once, acknowledges it, and keeps an inbox snapshot for UIs. It composes the connection (client-connection.ts),
// the ack batches (ack-queue.ts) and the snapshot (snapshot-reducer.ts). Runs without any Node-only module.

import { createAckQueue } from './ack-queue';
import { createClientConnection } from './client-connection';
import type {
  HeraldClient,
  HeraldClientEvents,
  HeraldClientSettings,
  HeraldClientSnapshot,
  HeraldClientStatus,
} from './herald-client-types';
import { type ClientFrame, MAX_IDS_PER_FRAME, type ServerFrame } from './protocol';
import { createSnapshotReducer } from './snapshot-reducer';
import { createSubscribable } from './subscribable';

/** read / unread / readAll frames kept while disconnected; past this the oldest changes go first. */
const MAX_QUEUED_FRAMES = 1_000;

type ClientEvents = HeraldClientEvents & { change: undefined };

function idList(ids: string | string[]): string[] {
  return (Array.isArray(ids) ? ids : [ids]).filter((id) => id.length > 0);
}

export function createHeraldClient(settings: HeraldClientSettings): HeraldClient {
  const events = createSubscribable<ClientEvents>();
  const snapshot = createSnapshotReducer({
    maxItems: settings.maxItems ?? 100,
    lastPosition: settings.lastPosition,
    onChange(next, previous) {
      events.emit('change', undefined);
      if (next.status !== previous.status) events.emit('status', next.status);
      if (next.unread !== previous.unread) events.emit('unreadCount', next.unread);
    },
  });
  /** Changes made while disconnected, sent after the next welcome. */
  const queued: ClientFrame[] = [];

  const connection = createClientConnection({
    client: settings,
    hello: () => snapshot.hello(),
    onFrame,
    onLost: () => acks.connectionLost(),
    onReconnecting: () => snapshot.setStatus('reconnecting'),
    onUnauthorized: () => snapshot.setStatus('unauthorized'),
    onError: (error) => events.emit('error', error),
  });
  const acks = createAckQueue({
    canSend: () => connection.isGreeted,
    send: (frame) => connection.send(frame),
  });

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        snapshot.apply(frame);
        for (const pending of queued.splice(0)) connection.send(pending);
        if (acks.pendingCount > 0) acks.flush();
        return;
      case 'notification': {
        // Repeats too: the earlier ack may have been lost with the connection.
        if (frame.item.deliveredAt === undefined) acks.add(frame.item.id);
        const item = snapshot.apply(frame);
        if (item) events.emit('notification', { item, replay: frame.replay === true });
        return;
      }
      case 'error':
        if (frame.ref !== undefined && (frame.code === 'RATE_LIMITED' || frame.code === 'INTERNAL')) {
          acks.refused(frame.ref);
        }
        if (frame.code === 'ITEM_TOO_LARGE' && frame.position !== undefined && frame.notificationType !== undefined) {
          snapshot.skipped(frame.position, frame.notificationType);
        }
        events.emit(
          'error',
          frame.ids === undefined
            ? { code: frame.code, message: frame.message }
            : { code: frame.code, message: frame.message, ids: frame.ids },
        );
        return;
      case 'pong':
        return;
      case 'read':
      case 'unreadItems':
      case 'seen':
      case 'archived':
        snapshot.apply(frame);
        events.emit('inboxChange', frame);
        return;
      default:
        snapshot.apply(frame);
    }
  }

  function sendOrQueue(frame: ClientFrame): void {
    if (connection.send(frame)) return;
    queued.push(frame);
    if (queued.length > MAX_QUEUED_FRAMES) queued.shift();
  }

  function sendChunked(type: 'read' | 'unread' | 'seen' | 'archive' | 'unarchive', ids: string[]): void {
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_FRAME) {
      sendOrQueue({ type, ids: ids.slice(start, start + MAX_IDS_PER_FRAME) });
    }
  }

  /**
   * A bulk change covers what this client has received: items still on their way stay as they are. Before its first
   * position the client leaves the watermark to the gateway.
   */
  function watermark(): { upToPosition?: number } {
    const { lastPosition } = snapshot.getSnapshot();
    return lastPosition > 0 ? { upToPosition: lastPosition } : {};
  }

  let isClosed = false;
  connection.start();

  /** Goes offline with `status`; acks still in their batch go out before the close frame. */
  function stop(status: HeraldClientStatus): Promise<void> {
    snapshot.setStatus(status);
    const stopped = connection.stop(() => acks.flush());
    acks.stop();
    return stopped;
  }

  return {
    getSnapshot: (): HeraldClientSnapshot => snapshot.getSnapshot(),
    subscribe: (listener) => events.on('change', listener),
    on: (event, listener) => events.on(event, listener),
    markRead(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      snapshot.markRead(ids);
      sendChunked('read', ids);
    },
    markUnread(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      snapshot.markUnread(ids);
      sendChunked('unread', ids);
    },
    markAllRead(options = {}) {
      const type = options.notificationType;
      const upTo = watermark();
      snapshot.markAllRead(type);
      sendOrQueue({ type: 'readAll', ...(type === undefined ? {} : { notificationType: type }), ...upTo });
    },
    markSeen(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      snapshot.markSeen(ids);
      sendChunked('seen', ids);
    },
    markAllSeen() {
      const upTo = watermark();
      snapshot.markAllSeen();
      sendOrQueue({ type: 'seenAll', ...upTo });
    },
    archive(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      snapshot.archive(ids);
      sendChunked('archive', ids);
    },
    unarchive(input) {
      const ids = idList(input);
      if (ids.length === 0) return;
      sendChunked('unarchive', ids);
    },
    archiveAllRead(options = {}) {
      const type = options.notificationType;
      const upTo = watermark();
      snapshot.archiveAllRead(type);
      sendOrQueue({ type: 'archiveAllRead', ...(type === undefined ? {} : { notificationType: type }), ...upTo });
    },
    disconnect() {
      if (isClosed) return Promise.resolve();
      return stop('disconnected');
    },
    connect() {
      if (isClosed) throw new Error('This client was closed; create a new one');
      const { status } = snapshot.getSnapshot();
      if (status === 'disconnected' || status === 'unauthorized') snapshot.setStatus('connecting');
      connection.start();
    },
    close() {
      if (isClosed) return Promise.resolve();
      isClosed = true;
      return stop('closed');
    },
  };
}
