// The throttle rules: who is counted, under which key, for which delivery, and in what window.

import { type CheckedDate, checkDate, dateMessage, isDate } from './check-values';
import { type IssueList, isNonEmptyString, isObject } from './input-issues';
import { storeLimits } from './store-limits';

/** A throttle request as a driver receives it. */
export interface CheckedThrottleRequest {
  recipientId: string;
  key: string;
  member: string;
  /** 1..`storeLimits.maxThrottleLimit`. */
  limit: number;
  windowMs: number;
  at: CheckedDate;
  /** `at - windowMs` (epoch ms): members let through before it no longer count. */
  since: number;
}

const REQUEST_IDS = ['recipientId', 'key', 'member'] as const;

function isLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= storeLimits.maxThrottleLimit;
}

function isWindow(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** One request of a batch: issues under `requests.<index>`, or a copy of its fields with `at` parsed. */
export function checkThrottleRequest(
  value: unknown,
  index: number,
  issues: IssueList,
): CheckedThrottleRequest | undefined {
  const path = `requests.${index}`;
  if (!isObject(value)) {
    issues.add(path, 'Expected a throttle request object');
    return undefined;
  }
  const { recipientId, key, member, limit, windowMs, at } = value;
  if (
    isNonEmptyString(recipientId) &&
    isNonEmptyString(key) &&
    isNonEmptyString(member) &&
    isLimit(limit) &&
    isWindow(windowMs) &&
    isDate(at)
  ) {
    const checkedAt = checkDate(at, 'at');
    return { recipientId, key, member, limit, windowMs, at: checkedAt, since: checkedAt.ms - windowMs };
  }
  for (const field of REQUEST_IDS) {
    if (!isNonEmptyString(value[field])) issues.add(`${path}.${field}`, 'Expected a non-empty string');
  }
  if (!isLimit(limit)) {
    issues.add(`${path}.limit`, `Expected an integer from 1 to ${storeLimits.maxThrottleLimit}, got ${String(limit)}`);
  }
  if (!isWindow(windowMs)) {
    issues.add(`${path}.windowMs`, `Expected a positive number of milliseconds, got ${String(windowMs)}`);
  }
  if (!isDate(at)) issues.add(`${path}.at`, dateMessage(at));
  return undefined;
}
