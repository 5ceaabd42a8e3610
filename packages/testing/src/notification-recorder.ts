// Assertions for host-app tests, in the spirit of Laravel's Notification::fake(): record what a Herald
// instance did, then ask who was notified (and, when someone was not, why).

import type { ChannelKind, Herald, HeraldEvents } from '@herald/core';

export type NotNotifiedReason = 'preference' | 'actor' | 'deduplicated';

export interface RecordedNotification {
  notificationId: string;
  type: string;
  recipientIds: string[];
  excluded: HeraldEvents['notification.created']['excluded'];
  /** Final status per recipient and channel kind, as deliveries settle. */
  deliveries: Map<string, Map<ChannelKind, { status: string; reason?: string; code?: string }>>;
}

export interface NotifiedOptions {
  /** Only count a delivery over this channel kind that was sent or queued. */
  kind?: ChannelKind;
  /** Exactly this many notifications of the type for the user. */
  times?: number;
}

export interface NotificationRecorder {
  readonly notifications: RecordedNotification[];
  /** Idempotency keys whose second use sent nothing. */
  readonly deduplicated: HeraldEvents['notification.deduplicated'][];
  assertNotified(userId: string, type: string, options?: NotifiedOptions): void;
  assertNotNotified(userId: string, type: string, options?: { kind?: ChannelKind; because?: NotNotifiedReason }): void;
  assertNothingSent(): void;
  assertCount(type: string, count: number): void;
  /** Stops recording. */
  stop(): void;
}

export class NotificationAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationAssertionError';
  }
}

export function recordNotifications(herald: Herald): NotificationRecorder {
  const notifications: RecordedNotification[] = [];
  const byId = new Map<string, RecordedNotification>();
  const deduplicated: HeraldEvents['notification.deduplicated'][] = [];

  const onCreated = (event: HeraldEvents['notification.created']): void => {
    const recorded: RecordedNotification = {
      notificationId: event.notificationId,
      type: event.type,
      recipientIds: event.recipientIds,
      excluded: event.excluded,
      deliveries: new Map(),
    };
    notifications.push(recorded);
    byId.set(event.notificationId, recorded);
  };
  const onDelivery =
    (status: string) =>
    (event: {
      delivery: {
        notificationId: string;
        recipientId: string;
        kind: ChannelKind;
        reason?: string;
        error?: { code: string };
      };
    }): void => {
      const recorded = byId.get(event.delivery.notificationId);
      if (!recorded) return;
      const perUser = recorded.deliveries.get(event.delivery.recipientId) ?? new Map();
      perUser.set(event.delivery.kind, {
        status,
        ...(event.delivery.reason === undefined ? {} : { reason: event.delivery.reason }),
        ...(event.delivery.error === undefined ? {} : { code: event.delivery.error.code }),
      });
      recorded.deliveries.set(event.delivery.recipientId, perUser);
    };
  const onDeduplicated = (event: HeraldEvents['notification.deduplicated']): void => {
    deduplicated.push(event);
  };
  const listeners = {
    sent: onDelivery('sent'),
    queued: onDelivery('queued'),
    skipped: onDelivery('skipped'),
    failed: onDelivery('failed'),
  };
  herald.on('notification.created', onCreated);
  herald.on('notification.deduplicated', onDeduplicated);
  herald.on('delivery.sent', listeners.sent);
  herald.on('delivery.queued', listeners.queued);
  herald.on('delivery.skipped', listeners.skipped);
  herald.on('delivery.failed', listeners.failed);

  const describe = (): string => {
    if (notifications.length === 0) return 'Nothing was notified.';
    return `Notified:\n${notifications
      .map((n) => {
        const users = n.recipientIds
          .map((id) => {
            const kinds = [...(n.deliveries.get(id) ?? new Map()).entries()].map(([kind, d]) => `${kind}:${d.status}`);
            return kinds.length > 0 ? `${id} (${kinds.join(', ')})` : id;
          })
          .join(', ');
        const left = n.excluded.map((e) => `${e.recipientId} (${e.reason})`).join(', ');
        return `  - ${n.type} → ${users || 'nobody'}${left ? `; left out: ${left}` : ''}`;
      })
      .join('\n')}`;
  };

  const matches = (userId: string, type: string, kind?: ChannelKind): RecordedNotification[] =>
    notifications.filter((n) => {
      if (n.type !== type || !n.recipientIds.includes(userId)) return false;
      if (kind === undefined) return true;
      const status = n.deliveries.get(userId)?.get(kind)?.status;
      return status === 'sent' || status === 'queued';
    });

  const whyNot = (userId: string, type: string, kind?: ChannelKind): NotNotifiedReason | undefined => {
    const ofType = notifications.filter((n) => n.type === type);
    if (ofType.some((n) => n.excluded.some((e) => e.recipientId === userId && e.reason === 'actor'))) return 'actor';
    const skipped = ofType.some((n) => {
      const perUser = n.deliveries.get(userId);
      if (!perUser) return false;
      return [...perUser.entries()].some(
        ([k, d]) =>
          (kind === undefined || k === kind) && d.status === 'skipped' && (d.reason ?? '').startsWith('preference'),
      );
    });
    if (skipped) return 'preference';
    // A repeated notify that was deduplicated, for a notification that did name this user.
    if (deduplicated.some((d) => d.type === type && byId.get(d.notificationId)?.recipientIds.includes(userId))) {
      return 'deduplicated';
    }
    return undefined;
  };

  return {
    notifications,
    deduplicated,
    assertNotified(userId, type, options = {}) {
      const found = matches(userId, type, options.kind);
      const via = options.kind ? ` via ${options.kind}` : '';
      if (found.length === 0) {
        const reason = whyNot(userId, type, options.kind);
        throw new NotificationAssertionError(
          `Expected ${userId} to be notified of "${type}"${via}, but they were not${reason ? ` (${reason})` : ''}.\n${describe()}`,
        );
      }
      if (options.times !== undefined && found.length !== options.times) {
        const reason = whyNot(userId, type, options.kind);
        throw new NotificationAssertionError(
          `Expected ${userId} to be notified of "${type}"${via} ${options.times} time(s), but it was ${found.length}${reason === 'deduplicated' ? ' (a repeated call was deduplicated)' : ''}.\n${describe()}`,
        );
      }
    },
    assertNotNotified(userId, type, options = {}) {
      const found = matches(userId, type, options.kind);
      const via = options.kind ? ` via ${options.kind}` : '';
      if (found.length > 0) {
        throw new NotificationAssertionError(
          `Expected ${userId} not to be notified of "${type}"${via}, but they were ${found.length} time(s).\n${describe()}`,
        );
      }
      if (options.because !== undefined) {
        const reason = whyNot(userId, type, options.kind);
        if (reason !== options.because) {
          throw new NotificationAssertionError(
            `Expected ${userId} not to be notified of "${type}"${via} because of ${options.because}, but the reason was ${reason ?? 'that no notification named them'}.\n${describe()}`,
          );
        }
      }
    },
    assertNothingSent() {
      if (notifications.some((n) => n.recipientIds.length > 0)) {
        throw new NotificationAssertionError(`Expected nothing to be notified.\n${describe()}`);
      }
    },
    assertCount(type, count) {
      const actual = notifications.filter((n) => n.type === type).length;
      if (actual !== count) {
        throw new NotificationAssertionError(
          `Expected ${count} "${type}" notification(s), got ${actual}.\n${describe()}`,
        );
      }
    },
    stop() {
      herald.off('notification.created', onCreated);
      herald.off('notification.deduplicated', onDeduplicated);
      herald.off('delivery.sent', listeners.sent);
      herald.off('delivery.queued', listeners.queued);
      herald.off('delivery.skipped', listeners.skipped);
      herald.off('delivery.failed', listeners.failed);
    },
  };
}
