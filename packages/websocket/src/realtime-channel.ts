// The one `inApp` channel (id `websocket`) behind both the gateway and the socket-less publisher: it hands each
// stored inbox item to this process's sockets (when there are any) and to the other processes through its relay,
// and relays Herald's inbox state events (`inbox.read`, `inbox.unread`, `inbox.seen`, `inbox.archived`,
// `inbox.unarchived`) the same two ways.

import { DeliveryError, type HeraldEvents, type InboxItem, type Logger } from '@herald/core';
import type { Channel, HeraldHost, RealtimeRelay, SendResult } from '@herald/core/spec';
import { archivedRelayMessage, type RelayMessage, readRelayMessage, seenRelayMessage } from './redis-relay';

/** What a process holding sockets (the gateway) adds to the channel. */
export interface LocalRealtime {
  /**
   * Offers an item to this process's sockets of its user: how many took it, or `too-large` when the item can
   * never be sent over a socket (the sockets were told and moved past it).
   */
  deliver(item: InboxItem): number | 'too-large';
  /** Whether this process is subscribed to the user's relay channel (Redis then counts it among receivers). */
  isSubscribed(userId: string): boolean;
  /** A read-state change for this process's sockets. */
  apply(message: RelayMessage): void;
  /** The Herald the channel was registered with; called once, before any event is relayed. */
  attach(host: HeraldHost): void;
}

export interface RealtimeChannelSettings {
  /** Publishes to the other processes (Redis, Postgres); without it only this process's sockets are reached. */
  relay?: Pick<RealtimeRelay, 'publish'>;
  /** This process's id in relay messages, so its own messages are not applied twice. */
  origin: string;
  logger: Logger;
  local?: LocalRealtime;
  /** Runs after the channel detached from Herald on `close()`. */
  onClose?(): Promise<void>;
}

export type RealtimeChannel = Channel<'inApp'> & { close(): Promise<void> };

export function createRealtimeChannel(settings: RealtimeChannelSettings): RealtimeChannel {
  const { relay: remote, origin, local } = settings;
  /** One per Herald attached (a publisher may serve several); `close()` runs what is left. */
  const detachers = new Set<() => void>();
  let closed: Promise<void> | undefined;

  async function publish(message: RelayMessage, selfSubscribed = false): Promise<number> {
    if (!remote) return 0;
    return (await remote.publish(message, selfSubscribed)) ?? 0;
  }

  /** A read-state change reaches this process's sockets at once and every other process through the relay. */
  function relay(message: RelayMessage): void {
    local?.apply(message);
    void publish(message);
  }

  return {
    specificationVersion: 'v1',
    kind: 'inApp',
    id: 'websocket',
    async send(request): Promise<SendResult> {
      if (request.signal.aborted) {
        throw new DeliveryError('UNAVAILABLE', 'The websocket delivery was aborted', { cause: request.signal.reason });
      }
      const item = request.inboxItem;
      if (!item) {
        return { status: 'skipped', reason: 'No stored inbox item: the websocket channel announces inbox items' };
      }
      let took = 0;
      if (local) {
        const outcome = local.deliver(item);
        // Other processes find it by position and skip it the same way; publishing it would only load Redis.
        if (outcome === 'too-large') {
          return {
            status: 'skipped',
            reason: 'The inbox item is too large to send over a socket; clients read it through the inbox API',
          };
        }
        took = outcome;
      }
      if (remote) took += await publish({ kind: 'item', origin, item }, local?.isSubscribed(item.userId) ?? false);
      // Nobody holds a socket of this user anywhere: they get the item by replay when they connect.
      return took > 0 ? { status: 'sent' } : { status: 'queued', detail: 'user offline; replayed on connect' };
    },
    attach(host) {
      local?.attach(host);
      const onRead = (event: HeraldEvents['inbox.read']): void => relay(readRelayMessage(origin, event));
      const onUnread = (event: HeraldEvents['inbox.unread']): void =>
        relay({ kind: 'unread', origin, userId: event.userId, ids: event.ids, unread: event.unread });
      const onSeen = (event: HeraldEvents['inbox.seen']): void => relay(seenRelayMessage(origin, event));
      const onArchived = (event: HeraldEvents['inbox.archived']): void => relay(archivedRelayMessage(origin, event));
      const onUnarchived = (event: HeraldEvents['inbox.unarchived']): void =>
        relay({ kind: 'unarchived', origin, userId: event.userId, ids: event.ids, unread: event.unread });
      host.on('inbox.read', onRead);
      host.on('inbox.unread', onUnread);
      host.on('inbox.seen', onSeen);
      host.on('inbox.archived', onArchived);
      host.on('inbox.unarchived', onUnarchived);
      const detach = (): void => {
        detachers.delete(detach);
        host.off('inbox.read', onRead);
        host.off('inbox.unread', onUnread);
        host.off('inbox.seen', onSeen);
        host.off('inbox.archived', onArchived);
        host.off('inbox.unarchived', onUnarchived);
      };
      detachers.add(detach);
      return detach;
    },
    close() {
      closed ??= (async () => {
        for (const detach of [...detachers]) detach();
        await settings.onClose?.();
      })();
      return closed;
    },
  };
}
