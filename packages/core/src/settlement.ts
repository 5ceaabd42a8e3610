// Tracks each notification's deliveries in this process until all are final, then resolves `settled`.

import type { DeliveryReport } from './herald-types';
import type { ChannelKind } from './spec/channel';
import type { DeliveryRecord } from './spec/store';

export interface SettledDelivery {
  deliveryId: string;
  recipientId: string;
  kind: ChannelKind;
  status: 'sent' | 'queued' | 'skipped' | 'failed' | 'cancelled';
  error?: { code: string; message: string };
  reason?: string;
}

export function emptyReport(notificationId: string, total: number): DeliveryReport {
  return { notificationId, total, sent: 0, queued: 0, skipped: 0, failed: 0, cancelled: 0, failures: [], skips: [] };
}

/** Adds one final delivery to a report. */
export function addToReport(report: DeliveryReport, delivery: SettledDelivery): void {
  report[delivery.status] += 1;
  if (delivery.status === 'failed') {
    report.failures.push({
      deliveryId: delivery.deliveryId,
      recipientId: delivery.recipientId,
      kind: delivery.kind,
      code: delivery.error?.code ?? 'UNKNOWN',
      message: delivery.error?.message ?? '',
    });
  } else if (delivery.status === 'skipped') {
    report.skips.push({
      deliveryId: delivery.deliveryId,
      recipientId: delivery.recipientId,
      kind: delivery.kind,
      reason: delivery.reason ?? '',
    });
  }
}

/** A report from stored records (for notifications this process did not track). */
export function reportFromRecords(notificationId: string, records: DeliveryRecord[]): DeliveryReport {
  const report = emptyReport(notificationId, records.length);
  for (const record of records) {
    const status = record.status === 'delivered' || record.status === 'read' ? 'sent' : record.status;
    if (status === 'pending') continue;
    addToReport(report, {
      deliveryId: record.id,
      recipientId: record.recipientId,
      kind: record.kind,
      status,
      ...(record.error ? { error: record.error } : {}),
      ...(record.reason === undefined ? {} : { reason: record.reason }),
    });
  }
  return report;
}

interface Tracker {
  report: DeliveryReport;
  /** Deliveries reported by the runner (a durable runner may report one twice). */
  done: Set<string>;
  settled: number;
  resolve: (report: DeliveryReport) => void;
  promise: Promise<DeliveryReport>;
}

export class Settlement {
  private readonly trackers = new Map<string, Tracker>();

  /** Starts tracking; returns the promise that resolves when `total` deliveries are final. */
  track(notificationId: string, total: number): Promise<DeliveryReport> {
    let resolve!: (report: DeliveryReport) => void;
    const promise = new Promise<DeliveryReport>((done) => {
      resolve = done;
    });
    const tracker: Tracker = {
      report: emptyReport(notificationId, total),
      done: new Set(),
      settled: 0,
      resolve,
      promise,
    };
    this.trackers.set(notificationId, tracker);
    this.check(notificationId, tracker);
    return promise;
  }

  /** Stops tracking a notification whose `settled` nobody will read (its dispatch failed). */
  forget(notificationId: string): void {
    this.trackers.delete(notificationId);
  }

  pending(notificationId: string): Promise<DeliveryReport> | undefined {
    return this.trackers.get(notificationId)?.promise;
  }

  /**
   * Counts a final delivery once. `settledAtNotify` marks deliveries decided while notifying (skipped by
   * preference, stored inbox items): they never reach a runner, so they need no guard against a second report.
   */
  settle(notificationId: string, delivery: SettledDelivery, settledAtNotify = false): void {
    const tracker = this.trackers.get(notificationId);
    if (!tracker) return;
    if (!settledAtNotify) {
      if (tracker.done.has(delivery.deliveryId)) return;
      tracker.done.add(delivery.deliveryId);
    }
    tracker.settled += 1;
    addToReport(tracker.report, delivery);
    this.check(notificationId, tracker);
  }

  private check(notificationId: string, tracker: Tracker): void {
    if (tracker.settled < tracker.report.total) return;
    this.trackers.delete(notificationId);
    tracker.resolve(tracker.report);
  }
}
