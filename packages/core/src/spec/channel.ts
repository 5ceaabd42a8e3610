// The Channel spec, v1: what a plugin author implements. Any change here is potentially breaking.

import type { Recipient } from '../recipient';
import type { HeraldHost } from './host';
import type { InboxItem, SkipReasonCode } from './store';

/** The content of an in-app notification: what the inbox stores and the bell shows. */
export interface InAppContent {
  title: string;
  body: string;
  url?: string;
  icon?: string;
  data?: Record<string, unknown>;
}

/**
 * Content type per channel kind. Adapter packages add their kind by augmentation:
 * `declare module '@herald/core' { interface ChannelContentMap { email: EmailContent } }`.
 */
export interface ChannelContentMap {
  inApp: InAppContent;
}

export type ChannelKind = keyof ChannelContentMap & string;

export const SUPPORTED_CHANNEL_SPECIFICATIONS = ['v1'] as const;

export interface ChannelCapabilities {
  /** Most requests a `sendBatch` call takes. */
  maxBatchSize?: number;
  /** A provider limit the runner should respect. */
  ratePerSecond?: number;
  /** The provider reports delivery later (webhooks, receipts). */
  receipts?: boolean;
}

export interface SendRequest<Content = unknown> {
  /** Stable across retries and fallbacks; adapters that support provider idempotency use it. */
  deliveryId: string;
  notificationId: string;
  /** The notification type, e.g. `ticket.assigned`. */
  type: string;
  recipient: Recipient;
  content: Content;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the attempt times out or Herald shuts down. */
  signal: AbortSignal;
  /** For `inApp` deliveries: the stored inbox item this delivery announces. */
  inboxItem?: InboxItem;
}

export type SendResult =
  /**
   * Delivered to the provider. `invalidTokens` names push tokens that turned out dead while others worked:
   * Herald removes those devices, as it does for an `INVALID_RECIPIENT` error that names a token.
   */
  | { status: 'sent'; providerMessageId?: string; detail?: string; invalidTokens?: string[] }
  /** Accepted for later, e.g. the user is offline and will get it on reconnect. */
  | { status: 'queued'; providerMessageId?: string; detail?: string }
  /**
   * Nothing to do for this recipient, e.g. no address for this channel (`code: 'no-address'`). Without a code the
   * record's reason code is `channel`.
   */
  | { status: 'skipped'; reason: string; code?: SkipReasonCode };

export interface Channel<K extends ChannelKind = ChannelKind> {
  readonly specificationVersion: 'v1';
  readonly kind: K;
  /** Names the provider in records and logs: `smtp`, `fcm`, `whatsapp-cloud`, `websocket`. */
  readonly id: string;
  readonly capabilities?: ChannelCapabilities;
  /** Delivers one message. Failure is a thrown `DeliveryError`; anything else thrown counts as `UNAVAILABLE`. */
  send(request: SendRequest<ChannelContentMap[K]>): Promise<SendResult>;
  /** Optional batch form; results come back in request order. */
  sendBatch?(requests: SendRequest<ChannelContentMap[K]>[]): Promise<(SendResult | Error)[]>;
  /**
   * Called once by `createHerald` with the instance the channel was registered with, for channels that
   * also listen to Herald (the WebSocket gateway relays read state to open sockets). May return a detach function.
   */
  attach?(host: HeraldHost): (() => void) | undefined;
  close?(): Promise<void>;
}

/** A channel of any kind, as the dispatcher holds them. */
export type AnyChannel = { [K in ChannelKind]: Channel<K> }[ChannelKind];
