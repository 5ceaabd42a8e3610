// The inbox rules: what a new item must hold, and what listing, replay and read-all queries may ask.

import type { InboxArchivedFilter, InboxStatusFilter, NewInboxItem } from '../spec/store';
import { inboxArchivedFilters, inboxStatusFilters } from '../spec/store';
import { checkOneOf, checkPageLimit, checkPositiveInteger, dateMessage, isDate } from './check-values';
import { decodeCursor } from './cursor-codec';
import { toNewInboxItem } from './inbox-item';
import {
  type IssueList,
  invalid,
  isNonEmptyString,
  isObject,
  isOptionalText,
  optionalOption,
  plainCopy,
  wellFormedElement,
} from './input-issues';

/** A listing query as a driver receives it: every field checked, the cursor decoded. */
export interface CheckedInboxQuery {
  /** 1..100. */
  limit: number;
  /** Only items with a position below this one (from the cursor). */
  beforePosition?: number;
  status?: InboxStatusFilter;
  type?: string;
  /** Always present: `exclude` when the query named none. */
  archived: InboxArchivedFilter;
}

/** A bulk change's options as a driver receives them: the watermark is always fixed by the kit's caller or the driver. */
export interface CheckedBulkOptions {
  /** Only items of this type (read-all and archive-all-read). */
  type?: string;
  /** Only items at or below this position; `undefined`: the user's last position when the driver call begins. */
  upToPosition?: number;
}

const ITEM_IDS = ['id', 'userId', 'notificationId', 'type'] as const;
const ITEM_TEXTS = ['title', 'body'] as const;
const ITEM_OPTIONAL_TEXTS = ['url', 'icon', 'actorId'] as const;

/** The write path's fast check: one pass of named reads; the issues are only worked out when it fails. */
function isWellFormed(value: Record<string, unknown>): boolean {
  return (
    isNonEmptyString(value.id) &&
    isNonEmptyString(value.userId) &&
    isNonEmptyString(value.notificationId) &&
    isNonEmptyString(value.type) &&
    isDate(value.createdAt) &&
    typeof value.title === 'string' &&
    typeof value.body === 'string' &&
    isOptionalText(value.url) &&
    isOptionalText(value.icon) &&
    isOptionalText(value.actorId) &&
    (value.data === undefined || isObject(value.data))
  );
}

function reportItem(value: Record<string, unknown>, index: number, issues: IssueList): void {
  for (const field of ITEM_IDS) {
    if (!isNonEmptyString(value[field])) issues.add(`items.${index}.${field}`, 'Expected a non-empty string');
  }
  if (!isDate(value.createdAt)) issues.add(`items.${index}.createdAt`, dateMessage(value.createdAt));
  for (const field of ITEM_TEXTS) {
    if (typeof value[field] !== 'string') issues.add(`items.${index}.${field}`, 'Expected a string');
  }
  for (const field of ITEM_OPTIONAL_TEXTS) {
    if (!isOptionalText(value[field])) issues.add(`items.${index}.${field}`, 'Expected a string');
  }
  if (value.data !== undefined && !isObject(value.data)) issues.add(`items.${index}.data`, 'Expected an object');
}

/**
 * One item of an insert batch: issues under `items.<index>`, or the item reduced to its declared fields with a
 * private copy of its `data` (read state, a position or extras a loose caller sent are dropped).
 */
export function checkNewInboxItem(value: unknown, index: number, issues: IssueList): NewInboxItem | undefined {
  const element = wellFormedElement(value, `items.${index}`, 'an inbox item', issues, isWellFormed, (bad) =>
    reportItem(bad, index, issues),
  );
  if (element === undefined) return undefined;
  const input = element as unknown as NewInboxItem;
  const item = toNewInboxItem(input, input);
  if (input.data !== undefined) {
    const data = plainCopy(input.data, `items.${index}.data`, issues);
    if (data === undefined) return undefined;
    item.data = data;
  }
  return item;
}

export function checkInboxQuery(query: unknown): CheckedInboxQuery {
  if (query === undefined) return { limit: checkPageLimit(undefined), archived: 'exclude' };
  if (!isObject(query)) throw invalid('query', 'Expected an object');
  const checked: CheckedInboxQuery = {
    limit: checkPageLimit(query.limit),
    archived: query.archived === undefined ? 'exclude' : checkOneOf(query.archived, inboxArchivedFilters, 'archived'),
  };
  if (query.cursor !== undefined) checked.beforePosition = decodeCursor('inbox', query.cursor);
  if (query.status !== undefined) checked.status = checkOneOf(query.status, inboxStatusFilters, 'status');
  if (query.type !== undefined) {
    if (!isNonEmptyString(query.type)) throw invalid('type', 'Expected a non-empty string');
    checked.type = query.type;
  }
  return checked;
}

/** `markAllRead`'s options: the one type to read, or every type. */
export function checkReadAllOptions(options: unknown): string | undefined {
  return optionalOption(options, 'type');
}

/**
 * A bulk change's options (`markAllRead`, `archiveAllRead` with `type`; `markAllSeen` without): an object, a type
 * that is a non-empty string, a watermark that is an integer ≥ 0.
 */
export function checkBulkOptions(options: unknown, allowsType: boolean): CheckedBulkOptions {
  if (options === undefined) return {};
  if (!isObject(options)) throw invalid('options', 'Expected an object');
  const checked: CheckedBulkOptions = {};
  if (allowsType) {
    const type = optionalOption(options, 'type');
    if (type !== undefined) checked.type = type;
  }
  const upTo = options.upToPosition;
  if (upTo !== undefined) {
    if (typeof upTo !== 'number' || !Number.isSafeInteger(upTo) || upTo < 0) {
      throw invalid('options.upToPosition', `Expected an integer ≥ 0, got ${String(upTo)}`);
    }
    checked.upToPosition = upTo;
  }
  return checked;
}

/** `listInboxAfter`'s arguments: any position (fractions and infinities included), a positive integer limit. */
export function checkReplay(afterPosition: unknown, limit: unknown): { afterPosition: number; limit: number } {
  if (typeof afterPosition !== 'number' || Number.isNaN(afterPosition)) {
    throw invalid('afterPosition', `Expected a number, got ${String(afterPosition)}`);
  }
  return { afterPosition, limit: checkPositiveInteger(limit, 'limit') };
}

/** One user's acknowledged ids as a driver receives them. */
export interface CheckedAck {
  userId: string;
  ids: readonly string[];
}

/** One entry of `markDeliveredMany`: issues under `acks.<index>`, or a checked copy. */
export function checkAck(value: unknown, index: number, issues: IssueList): CheckedAck | undefined {
  if (!isObject(value)) {
    issues.add(`acks.${index}`, 'Expected an object { userId, ids }');
    return undefined;
  }
  const { userId, ids } = value;
  let isValid = true;
  if (!isNonEmptyString(userId)) {
    issues.add(`acks.${index}.userId`, 'Expected a non-empty string');
    isValid = false;
  }
  if (!Array.isArray(ids)) {
    issues.add(`acks.${index}.ids`, 'Expected an array of ids');
    return undefined;
  }
  for (let position = 0; position < ids.length; position++) {
    if (isNonEmptyString(ids[position])) continue;
    issues.add(`acks.${index}.ids.${position}`, 'Expected a non-empty string');
    isValid = false;
  }
  return isValid ? { userId: userId as string, ids: [...(ids as string[])] } : undefined;
}
