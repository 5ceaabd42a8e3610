// The notifications this process created, newest first, kept in a bounded list from Herald's
// `notification.created` events; their deliveries are read from the store when asked, so records written by
// workers in other processes (BullMQ) show too.

import type { DeliveryRecord, Herald, HeraldEvents } from '@herald/core';

export interface LoggedNotification {
  notificationId: string;
  type: string;
  recipientIds: string[];
  excluded: HeraldEvents['notification.created']['excluded'];
  scheduledFor?: string;
  /** When this process saw it created (ISO 8601). */
  createdAt: string;
}

export interface NotificationWithDeliveries extends LoggedNotification {
  deliveries: DeliveryRecord[];
}

export interface NotificationLog {
  list(): Promise<NotificationWithDeliveries[]>;
  close(): void;
}

export function createNotificationLog(herald: Herald, limit: number): NotificationLog {
  const entries: LoggedNotification[] = [];
  const listener = (event: HeraldEvents['notification.created']): void => {
    const entry: LoggedNotification = {
      notificationId: event.notificationId,
      type: event.type,
      recipientIds: [...event.recipientIds],
      excluded: [...event.excluded],
      createdAt: new Date().toISOString(),
    };
    if (event.scheduledFor !== undefined) entry.scheduledFor = event.scheduledFor;
    entries.unshift(entry);
    if (entries.length > limit) entries.length = limit;
  };
  herald.on('notification.created', listener);
  return {
    async list() {
      return Promise.all(
        entries.map(async (entry) => {
          const deliveries: DeliveryRecord[] = [];
          let cursor: string | undefined;
          do {
            const page = await herald.deliveries.list({
              notificationId: entry.notificationId,
              limit: 100,
              ...(cursor === undefined ? {} : { cursor }),
            });
            deliveries.push(...page.records);
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          return { ...entry, deliveries };
        }),
      );
    },
    close() {
      herald.off('notification.created', listener);
    },
  };
}
