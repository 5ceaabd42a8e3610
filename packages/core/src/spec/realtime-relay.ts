// The realtime relay spec: how the processes holding WebSocket sockets hear of inbox items and their states changed
// in other processes. @herald/websocket carries it over Redis pub/sub, @herald/postgres over LISTEN / NOTIFY. A
// relay is a signal, not a log: a message may be lost, and the gateway repairs any loss by position (every item
// carries its user's position; a gap, a reconnect or a heartbeat check makes it read the inbox).

import type { InboxItem, UnreadCount } from './store';

export type RealtimeRelayMessage =
  /** A stored inbox item, whole. */
  | { kind: 'item'; origin: string; item: InboxItem }
  /** An item exists at this position; read it from the store (for relays that cannot carry a large item). */
  | { kind: 'item-at'; origin: string; userId: string; position: number }
  | {
      kind: 'read';
      origin: string;
      userId: string;
      ids: string[];
      all: boolean;
      notificationType?: string;
      upToPosition?: number;
      unread: UnreadCount;
    }
  | { kind: 'unread'; origin: string; userId: string; ids: string[]; unread: UnreadCount }
  | {
      kind: 'seen';
      origin: string;
      userId: string;
      ids: string[];
      all: boolean;
      upToPosition?: number;
      unread: UnreadCount;
    }
  | {
      kind: 'archived';
      origin: string;
      userId: string;
      ids: string[];
      all: boolean;
      notificationType?: string;
      upToPosition?: number;
      unread: UnreadCount;
    }
  | { kind: 'unarchived'; origin: string; userId: string; ids: string[]; unread: UnreadCount };

export interface RealtimeRelaySubscriber {
  /** This process's id: messages it published itself are not handed back. */
  origin: string;
  onMessage(message: RealtimeRelayMessage): void;
  /** The relay's connection came back: messages may have been lost meanwhile, every socket should resync. */
  onResubscribed(): void;
}

export interface RealtimeRelaySubscription {
  /** Starts receiving a user's messages (idempotent); resolves once the relay counts this process as a receiver. */
  add(userId: string): Promise<void>;
  remove(userId: string): void;
  close(): Promise<void>;
}

export interface RealtimeRelay {
  readonly specificationVersion: 'v1';
  /**
   * Sends a message to every process subscribed to its user. Resolves with how many processes other than the
   * message's origin received it (0: nobody has a socket of this user anywhere else), or `undefined` when the relay
   * failed (logged; sockets catch up by position). `selfSubscribed` says whether the origin's own process is among
   * the subscribers, for relays that count it.
   */
  publish(message: RealtimeRelayMessage, selfSubscribed: boolean): Promise<number | undefined>;
  subscribe(subscriber: RealtimeRelaySubscriber): RealtimeRelaySubscription;
}
