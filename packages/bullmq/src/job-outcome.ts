// What a delivery job leaves behind in BullMQ: the return value of a settled job, the error that asks BullMQ
// for a retry after the executor's delay, and the failure text of a job that failed for good.

import type { ChannelKind, DeliveryError, DeliveryFailure } from '@herald/core';
import { type DeliveryTask, type FinalStatus, isDeliveryFailureCode, type TaskOutcome } from '@herald/core/spec';

/** A completed job's return value: enough for a process that only sees QueueEvents to settle the delivery. */
export interface DeliveryJobResult {
  deliveryId: string;
  notificationId: string;
  recipientId: string;
  kind: ChannelKind;
  status: FinalStatus;
  error?: DeliveryFailure;
}

type Final = Extract<TaskOutcome, { final: true }>;

export function jobResult(task: DeliveryTask, outcome: Final): DeliveryJobResult {
  return {
    deliveryId: task.deliveryId,
    notificationId: task.notificationId,
    recipientId: task.recipient.id,
    kind: task.kind,
    status: outcome.status,
    ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
  };
}

/**
 * Thrown by the job processor for a non-final outcome. BullMQ then asks the worker's backoff strategy for
 * the delay, and the strategy reads it from here: the executor's retry policy decides, not BullMQ.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  readonly retryInMs: number;
  readonly code: string;

  constructor(retryInMs: number, error: DeliveryError) {
    super(`${error.code}: ${error.message} (retrying in ${retryInMs} ms)`);
    this.retryInMs = retryInMs;
    this.code = error.code;
  }
}

/** The failed job's reason, readable in dashboards and parsed back by `parseFailure`. */
export function formatFailure(error: DeliveryFailure | undefined): string {
  return error ? `${error.code}: ${error.message}` : 'FAILED: The delivery failed';
}

const failurePattern = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/;
export function parseFailure(reason: string | undefined): DeliveryFailure {
  const match = failurePattern.exec(reason ?? '');
  const code = match?.[1];
  if (match && isDeliveryFailureCode(code)) return { code, message: match[2] as string };
  // A job that failed outside Herald's control (stalled too often, removed lock): keep BullMQ's text.
  return { code: 'JOB_FAILED', message: reason ?? 'The job failed' };
}
