// Checks for the single values store calls take: ids, id lists, dates, limits and positions.

import { IssueList, invalid, isNonEmptyString } from './input-issues';
import { storeLimits } from './store-limits';

/** A date the kit has parsed once: drivers get both forms. */
export interface CheckedDate {
  /** As the caller gave it (ISO 8601). */
  iso: string;
  /** Epoch milliseconds. */
  ms: number;
}

export function checkId(value: unknown, path: string): string {
  if (!isNonEmptyString(value)) throw invalid(path, 'Expected a non-empty string');
  return value;
}

/** A list of ids as a copy the caller can no longer change; each id a non-empty string. */
export function checkIds(value: unknown, path: 'ids' | 'userIds'): string[] {
  if (!Array.isArray(value)) throw invalid(path, `Expected an array of ${path === 'ids' ? 'ids' : 'user ids'}`);
  const issues = new IssueList();
  const ids: string[] = new Array(value.length);
  for (let index = 0; index < value.length; index++) {
    const id: unknown = value[index];
    if (isNonEmptyString(id)) ids[index] = id;
    else issues.add(`${path}.${index}`, 'Expected a non-empty string');
  }
  issues.throwIfAny('Invalid input', path);
  return ids;
}

// A batch's records nearly always share their dates (one notification, one instant): parse each string once.
let lastDate = '';
let lastDateMs = Number.NaN;

function parseDate(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  if (value !== lastDate) {
    lastDate = value;
    lastDateMs = Date.parse(value);
  }
  return lastDateMs;
}

export function dateMessage(value: unknown): string {
  return `Expected an ISO 8601 date string, got ${JSON.stringify(value) ?? String(value)}`;
}

export function isDate(value: unknown): value is string {
  return !Number.isNaN(parseDate(value));
}

export function checkDate(value: unknown, path: string): CheckedDate {
  const ms = parseDate(value);
  if (Number.isNaN(ms)) throw invalid(path, dateMessage(value));
  return { iso: value as string, ms };
}

export function checkPageLimit(limit: unknown): number {
  if (limit === undefined) return storeLimits.defaultPageLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > storeLimits.maxPageLimit) {
    throw invalid('limit', `Expected an integer from 1 to ${storeLimits.maxPageLimit}, got ${String(limit)}`);
  }
  return limit;
}

export function checkPositiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(path, `Expected a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A time to live in milliseconds. */
export function checkTtl(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(path, `Expected a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** One of a fixed list of values (a status), or the issue naming them. */
export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw invalid(path, `Expected one of ${allowed.join(', ')}, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value as T;
}
