// The digest rules: what a join must hold (its event, its instants, its window) and what a listing may ask.

import type { DigestEvent } from '../spec/store';
import { type CheckedDate, checkDate, dateMessage, isDate } from './check-values';
import { type IssueList, invalid, isNonEmptyString, isObject, isOptionalId, plainCopy } from './input-issues';
import { storeLimits } from './store-limits';

/** A digest join as a driver receives it: its dates parsed, its event a private copy of the declared fields. */
export interface CheckedDigestJoin {
  key: string;
  openAs: string;
  type: string;
  recipientId: string;
  event: DigestEvent;
  at: CheckedDate;
  /** Where a bucket opened by this join closes; never after `capAt`. */
  closesAt: CheckedDate;
  /**
   * Sliding windows: where this join moves an open bucket's close, `at + windowMs` (the driver keeps it before the
   * bucket's own cap, and never moves a close earlier). Absent for calendar windows, whose close never moves.
   */
  slideTo?: CheckedDate;
  /** Sliding windows: the cap of a bucket opened by this join. */
  capAt?: CheckedDate;
  /** 1..`storeLimits.maxDigestEvents`: a bucket holding this many events is due at once and takes no more. */
  maxEvents: number;
}

/** `listOpenDigests`'s options as a driver receives them. */
export interface CheckedDigestListing {
  /** 1..`storeLimits.maxDigestListLimit`. */
  limit: number;
  after?: string;
}

const JOIN_IDS = ['key', 'openAs', 'type', 'recipientId'] as const;
const JOIN_DATES = ['at', 'closesAt'] as const;
/** The last instant a JavaScript Date holds: a slide past it stops there. */
const LAST_DATE_MS = 8.64e15;

function isWindow(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isCopied(payload: unknown): boolean {
  return (
    (typeof payload === 'object' && payload !== null) || typeof payload === 'function' || typeof payload === 'symbol'
  );
}

function isMaxEvents(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= storeLimits.maxDigestEvents;
}

/** The write path's fast check: one pass of named reads; the issues are only worked out when it fails. */
function isWellFormed(value: Record<string, unknown>): boolean {
  const { event, windowMs, capAt } = value;
  return (
    isNonEmptyString(value.key) &&
    isNonEmptyString(value.openAs) &&
    isNonEmptyString(value.type) &&
    isNonEmptyString(value.recipientId) &&
    isObject(event) &&
    isNonEmptyString(event.notificationId) &&
    isDate(event.createdAt) &&
    isOptionalId(event.actorId) &&
    isDate(value.at) &&
    isDate(value.closesAt) &&
    (windowMs === undefined || isWindow(windowMs)) &&
    (capAt === undefined ||
      (windowMs !== undefined && isDate(capAt) && Date.parse(capAt) >= Date.parse(value.closesAt as string))) &&
    isMaxEvents(value.maxEvents)
  );
}

function reportJoin(value: Record<string, unknown>, index: number, issues: IssueList): void {
  const path = `joins.${index}`;
  for (const field of JOIN_IDS) {
    if (!isNonEmptyString(value[field])) issues.add(`${path}.${field}`, 'Expected a non-empty string');
  }
  const event = value.event;
  if (!isObject(event)) issues.add(`${path}.event`, 'Expected a digest event object');
  else {
    if (!isNonEmptyString(event.notificationId)) {
      issues.add(`${path}.event.notificationId`, 'Expected a non-empty string');
    }
    if (!isDate(event.createdAt)) issues.add(`${path}.event.createdAt`, dateMessage(event.createdAt));
    if (!isOptionalId(event.actorId)) issues.add(`${path}.event.actorId`, 'Expected a non-empty string');
  }
  for (const field of JOIN_DATES) {
    if (!isDate(value[field])) issues.add(`${path}.${field}`, dateMessage(value[field]));
  }
  const { windowMs, capAt } = value;
  if (windowMs !== undefined && !isWindow(windowMs)) {
    issues.add(`${path}.windowMs`, `Expected a positive number of milliseconds, got ${String(windowMs)}`);
  }
  if (capAt !== undefined) {
    if (!isDate(capAt)) issues.add(`${path}.capAt`, dateMessage(capAt));
    else if (windowMs === undefined) {
      issues.add(`${path}.capAt`, 'Expected only with windowMs: a cap bounds a sliding window');
    } else if (isDate(value.closesAt) && Date.parse(capAt) < Date.parse(value.closesAt)) {
      issues.add(`${path}.capAt`, 'Expected a time not before closesAt: a bucket never closes after its cap');
    }
  }
  if (!isMaxEvents(value.maxEvents)) {
    issues.add(
      `${path}.maxEvents`,
      `Expected an integer from 1 to ${storeLimits.maxDigestEvents}, got ${String(value.maxEvents)}`,
    );
  }
}

/** The payload copies of one batch: a notification joining many recipients' digests carries one payload. */
export type PayloadCopies = Map<unknown, unknown>;

/**
 * One join of a batch: issues under `joins.<index>`, or the join with its dates parsed and a private copy of exactly
 * the event's declared fields. `copies` lets the joins of one batch that share a payload object share its copy.
 */
export function checkDigestJoin(
  value: unknown,
  index: number,
  issues: IssueList,
  copies: PayloadCopies,
): CheckedDigestJoin | undefined {
  if (!isObject(value)) {
    issues.add(`joins.${index}`, 'Expected a digest join object');
    return undefined;
  }
  if (!isWellFormed(value)) {
    reportJoin(value, index, issues);
    return undefined;
  }
  const input = value as unknown as {
    key: string;
    openAs: string;
    type: string;
    recipientId: string;
    event: DigestEvent;
    at: string;
    closesAt: string;
    windowMs?: number;
    capAt?: string;
    maxEvents: number;
  };
  const source = input.event;
  let payload = source.payload;
  if (isCopied(payload)) {
    if (copies.has(payload)) payload = copies.get(payload);
    else {
      const copy = plainCopy(payload, `joins.${index}.event.payload`, issues);
      if (copy === undefined) return undefined;
      copies.set(source.payload, copy);
      payload = copy;
    }
  }
  const event: DigestEvent = { notificationId: source.notificationId, payload, createdAt: source.createdAt };
  if (source.actorId !== undefined) event.actorId = source.actorId;
  const at = checkDate(input.at, 'at');
  const join: CheckedDigestJoin = {
    key: input.key,
    openAs: input.openAs,
    type: input.type,
    recipientId: input.recipientId,
    event,
    at,
    closesAt: checkDate(input.closesAt, 'closesAt'),
    maxEvents: input.maxEvents,
  };
  if (input.windowMs !== undefined) {
    const ms = Math.min(at.ms + input.windowMs, LAST_DATE_MS);
    join.slideTo = { iso: new Date(ms).toISOString(), ms };
  }
  if (input.capAt !== undefined) join.capAt = checkDate(input.capAt, 'capAt');
  return join;
}

/** `listOpenDigests`'s arguments: any key prefix (`''` lists every open bucket), a bounded page. */
export function checkDigestListing(keyPrefix: unknown, options: unknown): CheckedDigestListing {
  if (typeof keyPrefix !== 'string') throw invalid('keyPrefix', 'Expected a string');
  if (!isObject(options)) throw invalid('options', 'Expected an object with a limit');
  const { limit, after } = options;
  const max = storeLimits.maxDigestListLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalid('options.limit', `Expected an integer from 1 to ${max}, got ${String(limit)}`);
  }
  if (after === undefined) return { limit };
  if (!isNonEmptyString(after)) throw invalid('options.after', 'Expected a non-empty string');
  return { limit, after };
}
