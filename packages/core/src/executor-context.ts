// What the delivery executor is given by createHerald: the store, the channels, the catalog, and the few
// services of the instance it reports to.

import type { Clock } from './clock';
import type { HeraldEvents } from './events';
import type { Logger } from './logger';
import type { NotificationContext } from './notification-cache';
import type { NotificationCatalog } from './notification-catalog';
import type { RetryPolicy } from './retry-policy';
import type { AnyChannel, ChannelKind } from './spec/channel';
import type { InboxItem, Store } from './spec/store';

export interface ExecutorContext {
  store: Store;
  channelsByKind: Map<ChannelKind, AnyChannel[]>;
  catalog: Pick<NotificationCatalog, 'get'>;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
  emit<E extends keyof HeraldEvents>(event: E, payload: HeraldEvents[E]): void;
  loadNotification(notificationId: string): Promise<NotificationContext | undefined>;
  /** An inbox item this process stored recently, if it still remembers it. */
  cachedItem(itemId: string): InboxItem | undefined;
  removeDevice(token: string): Promise<void>;
  now(): string;
}
