// The outbox rules: what a notification's first write must hold, and what a relay's lease may ask.

import type { NotificationRecord } from '../spec/store';
import { type CheckedDate, checkDate, checkTtl, dateMessage, isDate } from './check-values';
import { IssueList, invalid, isNonEmptyString, isObject, plainCopy } from './input-issues';
import { storeLimits } from './store-limits';

/** `beginNotification`'s input as a driver receives it. */
export interface CheckedBegin {
  /** A private copy, `status: 'dispatching'`, `leaseUntil` and `idempotencyKey` set from the options. */
  record: NotificationRecord;
  leaseUntil: CheckedDate;
  idempotencyKey?: { key: string; ttlMs: number };
}

/** `leaseNotifications`'s options as a driver receives them. */
export interface CheckedLease {
  now: CheckedDate;
  /** After `now`, so a notification taken in one call cannot be taken again by the same call. */
  leaseUntil: CheckedDate;
  /** 1..1000. */
  limit: number;
}

function checkRecipients(value: unknown, issues: IssueList): void {
  if (!Array.isArray(value)) {
    issues.add('record.recipients', 'Expected an array of recipients');
    return;
  }
  for (let index = 0; index < value.length; index++) {
    const recipient: unknown = value[index];
    if (!isObject(recipient)) issues.add(`record.recipients.${index}`, 'Expected a recipient object');
    else if (!isNonEmptyString(recipient.id))
      issues.add(`record.recipients.${index}.id`, 'Expected a non-empty string');
  }
}

function checkKinds(value: unknown, issues: IssueList): void {
  if (!Array.isArray(value)) {
    issues.add('record.kinds', 'Expected an array of channel kinds');
    return;
  }
  value.forEach((kind: unknown, index) => {
    if (!isNonEmptyString(kind)) issues.add(`record.kinds.${index}`, 'Expected a non-empty string');
  });
}

function checkClaim(value: unknown): { key: string; ttlMs: number } | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid('options.idempotencyKey', 'Expected an object with a key and a ttlMs');
  if (!isNonEmptyString(value.key)) throw invalid('options.idempotencyKey.key', 'Expected a non-empty string');
  return { key: value.key, ttlMs: checkTtl(value.ttlMs, 'options.idempotencyKey.ttlMs') };
}

export function checkBeginNotification(record: unknown, options: unknown): CheckedBegin {
  if (!isObject(options)) throw invalid('options', 'Expected an object');
  const leaseUntil = checkDate(options.leaseUntil, 'options.leaseUntil');
  const idempotencyKey = checkClaim(options.idempotencyKey);
  if (!isObject(record)) throw invalid('record', 'Expected a notification record object');

  const issues = new IssueList();
  for (const field of ['id', 'type'] as const) {
    if (!isNonEmptyString(record[field])) issues.add(`record.${field}`, 'Expected a non-empty string');
  }
  if (!isDate(record.createdAt)) issues.add('record.createdAt', dateMessage(record.createdAt));
  if (record.scheduledFor !== undefined && !isDate(record.scheduledFor)) {
    issues.add('record.scheduledFor', dateMessage(record.scheduledFor));
  }
  if (record.actorId !== undefined && !isNonEmptyString(record.actorId)) {
    issues.add('record.actorId', 'Expected a non-empty string');
  }
  if (record.status !== 'dispatching') {
    issues.add(
      'record.status',
      `Expected "dispatching" (a notification begins in the outbox), got ${JSON.stringify(record.status) ?? 'undefined'}`,
    );
  }
  if (record.idempotencyKey !== undefined && record.idempotencyKey !== idempotencyKey?.key) {
    issues.add(
      'record.idempotencyKey',
      idempotencyKey === undefined
        ? 'Expected options.idempotencyKey to claim the key the record names'
        : `Expected the key claimed in options.idempotencyKey, ${JSON.stringify(idempotencyKey.key)}`,
    );
  }
  checkRecipients(record.recipients, issues);
  checkKinds(record.kinds, issues);
  const copy = issues.isEmpty ? plainCopy(record as unknown as NotificationRecord, 'record', issues) : undefined;
  issues.throwIfAny('Invalid notification', 'record');

  const stored = copy as NotificationRecord;
  stored.status = 'dispatching';
  stored.leaseUntil = leaseUntil.iso;
  if (idempotencyKey !== undefined) stored.idempotencyKey = idempotencyKey.key;
  return idempotencyKey === undefined ? { record: stored, leaseUntil } : { record: stored, leaseUntil, idempotencyKey };
}

export function checkLeaseNotifications(options: unknown): CheckedLease {
  if (!isObject(options)) throw invalid('options', 'Expected an object');
  const now = checkDate(options.now, 'options.now');
  const leaseUntil = checkDate(options.leaseUntil, 'options.leaseUntil');
  if (!(leaseUntil.ms > now.ms)) throw invalid('options.leaseUntil', 'Expected a time after options.now');
  const limit = options.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > storeLimits.maxLeaseLimit) {
    throw invalid('options.limit', `Expected an integer from 1 to ${storeLimits.maxLeaseLimit}, got ${String(limit)}`);
  }
  return { now, leaseUntil, limit };
}
