// The delivery record rules: what a new record must hold, what a patch may change, and what a query may ask.

import { ValidationError } from '../errors';
import type { DeliveryFailure, DeliveryPatch, DeliveryRecord, DeliveryStatus, SkipReasonCode } from '../spec/store';
import { deliveryStatuses, skipReasonCodes } from '../spec/store';
import { checkOneOf, checkPageLimit, dateMessage, isDate } from './check-values';
import { decodeCursor } from './cursor-codec';
import {
  IssueList,
  invalid,
  isNonEmptyString,
  isObject,
  isOptionalId,
  isOptionalText,
  wellFormedElement,
} from './input-issues';

/** A delivery query as a driver receives it: every field checked, the cursor decoded. */
export interface CheckedDeliveryQuery {
  /** 1..100. */
  limit: number;
  /** Only records created before the one with this creation sequence (from the cursor). */
  beforeSequence?: number;
  notificationId?: string;
  recipientId?: string;
  status?: DeliveryStatus;
}

const RECORD_IDS = ['id', 'notificationId', 'type', 'recipientId', 'kind'] as const;
const RECORD_DATES = ['createdAt', 'updatedAt'] as const;
const OPTIONAL_IDS = ['channelId', 'providerMessageId', 'inboxItemId', 'digestDeliveryId'] as const;
const OPTIONAL_TEXTS = ['reason', 'detail'] as const;
const PATCHABLE_FIELDS = [
  'status',
  'channelId',
  'attempts',
  'providerMessageId',
  'reason',
  'reasonCode',
  'detail',
  'error',
] as const;

function statusMessage(value: unknown): string {
  return `Expected one of ${deliveryStatuses.join(', ')}, got ${JSON.stringify(value) ?? String(value)}`;
}

function reasonCodeMessage(value: unknown): string {
  return `Expected one of ${skipReasonCodes.join(', ')}, got ${JSON.stringify(value) ?? String(value)}`;
}

function isAttempts(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Issues of a delivery failure under `path`, or its copy. */
function checkFailure(value: unknown, path: string, issues: IssueList): DeliveryFailure | undefined {
  if (!isObject(value)) {
    issues.add(path, 'Expected an object with a code and a message');
    return undefined;
  }
  let isValid = true;
  if (!isNonEmptyString(value.code)) {
    issues.add(`${path}.code`, 'Expected a non-empty string');
    isValid = false;
  }
  if (typeof value.message !== 'string') {
    issues.add(`${path}.message`, 'Expected a string');
    isValid = false;
  }
  const providerCode = value.providerCode;
  if (providerCode !== undefined && typeof providerCode !== 'string' && typeof providerCode !== 'number') {
    issues.add(`${path}.providerCode`, 'Expected a string or a number');
    isValid = false;
  }
  if (!isValid) return undefined;
  const failure = { code: value.code, message: value.message } as DeliveryFailure;
  if (providerCode !== undefined) failure.providerCode = providerCode as string | number;
  return failure;
}

const isDeliveryStatus = (value: unknown): value is DeliveryStatus =>
  (deliveryStatuses as readonly unknown[]).includes(value);

const isSkipReasonCode = (value: unknown): value is SkipReasonCode =>
  (skipReasonCodes as readonly unknown[]).includes(value);

/** The write path's fast check: one pass of named reads; the issues are only worked out when it fails. */
function isWellFormed(value: Record<string, unknown>): boolean {
  const { error, scheduledFor } = value;
  return (
    isNonEmptyString(value.id) &&
    isNonEmptyString(value.notificationId) &&
    isNonEmptyString(value.type) &&
    isNonEmptyString(value.recipientId) &&
    isNonEmptyString(value.kind) &&
    isDate(value.createdAt) &&
    isDate(value.updatedAt) &&
    isDeliveryStatus(value.status) &&
    isAttempts(value.attempts) &&
    isOptionalId(value.channelId) &&
    isOptionalId(value.providerMessageId) &&
    isOptionalId(value.inboxItemId) &&
    isOptionalId(value.digestDeliveryId) &&
    (value.reasonCode === undefined || isSkipReasonCode(value.reasonCode)) &&
    isOptionalText(value.reason) &&
    isOptionalText(value.detail) &&
    (error === undefined ||
      (isObject(error) &&
        isNonEmptyString(error.code) &&
        typeof error.message === 'string' &&
        (error.providerCode === undefined ||
          typeof error.providerCode === 'string' ||
          typeof error.providerCode === 'number'))) &&
    (scheduledFor === undefined || isDate(scheduledFor))
  );
}

function reportRecord(value: Record<string, unknown>, index: number, issues: IssueList): void {
  for (const field of RECORD_IDS) {
    if (!isNonEmptyString(value[field])) issues.add(`records.${index}.${field}`, 'Expected a non-empty string');
  }
  for (const field of RECORD_DATES) {
    if (!isDate(value[field])) issues.add(`records.${index}.${field}`, dateMessage(value[field]));
  }
  if (!isDeliveryStatus(value.status)) issues.add(`records.${index}.status`, statusMessage(value.status));
  if (!isAttempts(value.attempts)) issues.add(`records.${index}.attempts`, 'Expected a non-negative integer');
  for (const field of OPTIONAL_IDS) {
    if (!isOptionalId(value[field])) issues.add(`records.${index}.${field}`, 'Expected a non-empty string');
  }
  for (const field of OPTIONAL_TEXTS) {
    if (!isOptionalText(value[field])) issues.add(`records.${index}.${field}`, 'Expected a string');
  }
  const reasonCode = value.reasonCode;
  if (reasonCode !== undefined && !isSkipReasonCode(reasonCode)) {
    issues.add(`records.${index}.reasonCode`, reasonCodeMessage(reasonCode));
  }
  const scheduledFor = value.scheduledFor;
  if (scheduledFor !== undefined && !isDate(scheduledFor)) {
    issues.add(`records.${index}.scheduledFor`, dateMessage(scheduledFor));
  }
  if (value.error !== undefined) checkFailure(value.error, `records.${index}.error`, issues);
}

/**
 * One record of a create batch: issues under `records.<index>` (an id seen earlier in the batch included), or a
 * copy of exactly the declared fields. `seen` holds the ids of the batch checked so far.
 */
export function checkDeliveryRecord(
  value: unknown,
  index: number,
  issues: IssueList,
  seen: Set<string>,
): DeliveryRecord | undefined {
  const element = wellFormedElement(value, `records.${index}`, 'a delivery record', issues, isWellFormed, (bad) =>
    reportRecord(bad, index, issues),
  );
  if (element === undefined) return undefined;
  const input = element as unknown as DeliveryRecord;
  // One hash operation per record: the set grows unless the id is there already.
  const size = seen.size;
  if (seen.add(input.id).size === size) {
    issues.add(`records.${index}.id`, `Delivery ${JSON.stringify(input.id)} appears twice in the batch`);
    return undefined;
  }
  const record: DeliveryRecord = {
    id: input.id,
    notificationId: input.notificationId,
    type: input.type,
    recipientId: input.recipientId,
    kind: input.kind,
    status: input.status,
    attempts: input.attempts,
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
  };
  if (input.channelId !== undefined) record.channelId = input.channelId;
  if (input.providerMessageId !== undefined) record.providerMessageId = input.providerMessageId;
  if (input.reason !== undefined) record.reason = input.reason;
  if (input.reasonCode !== undefined) record.reasonCode = input.reasonCode;
  if (input.digestDeliveryId !== undefined) record.digestDeliveryId = input.digestDeliveryId;
  if (input.detail !== undefined) record.detail = input.detail;
  if (input.error !== undefined) {
    const error = input.error;
    record.error = { code: error.code, message: error.message };
    if (error.providerCode !== undefined) record.error.providerCode = error.providerCode;
  }
  if (input.inboxItemId !== undefined) record.inboxItemId = input.inboxItemId;
  if (input.scheduledFor !== undefined) record.scheduledFor = input.scheduledFor;
  return record;
}

/** A patch of the patchable fields only, each checked; a field set to `undefined` is left out (left as stored). */
export function checkDeliveryPatch(patch: unknown): DeliveryPatch {
  if (!isObject(patch)) throw invalid('patch', 'Expected an object');
  const issues = new IssueList();
  const checked: DeliveryPatch = {};
  for (const field of PATCHABLE_FIELDS) {
    const value = patch[field];
    if (value === undefined) continue;
    switch (field) {
      case 'status':
        if (isDeliveryStatus(value)) checked.status = value;
        else issues.add(`patch.${field}`, statusMessage(value));
        break;
      case 'attempts':
        if (isAttempts(value)) checked.attempts = value;
        else issues.add(`patch.${field}`, 'Expected a non-negative integer');
        break;
      case 'reasonCode':
        if (isSkipReasonCode(value)) checked.reasonCode = value;
        else issues.add(`patch.${field}`, reasonCodeMessage(value));
        break;
      case 'error': {
        const error = checkFailure(value, `patch.${field}`, issues);
        if (error !== undefined) checked.error = error;
        break;
      }
      case 'reason':
      case 'detail':
        if (typeof value === 'string') checked[field] = value;
        else issues.add(`patch.${field}`, 'Expected a string');
        break;
      default:
        if (isNonEmptyString(value)) checked[field] = value;
        else issues.add(`patch.${field}`, 'Expected a non-empty string');
    }
  }
  issues.throwIfAny('Invalid delivery patch', 'patch');
  return checked;
}

/** `updateDelivery`'s condition: the statuses the record may be in, or any when omitted. */
export function checkOnlyFrom(onlyFrom: unknown): readonly DeliveryStatus[] | undefined {
  if (onlyFrom === undefined) return undefined;
  if (!Array.isArray(onlyFrom)) throw invalid('onlyFrom', 'Expected an array of delivery statuses');
  return onlyFrom.map((status: unknown, index) => checkOneOf(status, deliveryStatuses, `onlyFrom.${index}`));
}

export function checkDeliveryQuery(query: unknown): CheckedDeliveryQuery {
  if (query === undefined) return { limit: checkPageLimit(undefined) };
  if (!isObject(query)) throw invalid('query', 'Expected an object');
  const checked: CheckedDeliveryQuery = { limit: checkPageLimit(query.limit) };
  if (query.cursor !== undefined) checked.beforeSequence = decodeCursor('deliveries', query.cursor);
  if (query.status !== undefined) checked.status = checkOneOf(query.status, deliveryStatuses, 'status');
  for (const field of ['notificationId', 'recipientId'] as const) {
    const value = query[field];
    if (value === undefined) continue;
    if (!isNonEmptyString(value)) throw invalid(field, 'Expected a non-empty string');
    checked[field] = value;
  }
  return checked;
}

/** One update of `updateDeliveries` as a driver receives it. */
export interface CheckedDeliveryUpdate {
  id: string;
  patch: DeliveryPatch;
  onlyFrom: readonly DeliveryStatus[] | undefined;
}

/** One element of `updateDeliveries`: issues under `updates.<index>` (its patch's as `updates.<index>.patch.…`). */
export function checkDeliveryUpdate(
  value: unknown,
  index: number,
  issues: IssueList,
): CheckedDeliveryUpdate | undefined {
  if (!isObject(value)) {
    issues.add(`updates.${index}`, 'Expected an object { id, patch, onlyFrom? }');
    return undefined;
  }
  let isValid = true;
  if (!isNonEmptyString(value.id)) {
    issues.add(`updates.${index}.id`, 'Expected a non-empty string');
    isValid = false;
  }
  // The single update's own checks, their paths placed under this element.
  const nested = <T>(check: () => T): T | undefined => {
    try {
      return check();
    } catch (error) {
      if (!ValidationError.is(error)) throw error;
      for (const issue of error.issues) issues.add(`updates.${index}.${issue.path}`, issue.message);
      isValid = false;
      return undefined;
    }
  };
  const patch = nested(() => checkDeliveryPatch(value.patch));
  const onlyFrom = nested(() => checkOnlyFrom(value.onlyFrom));
  if (!isValid || patch === undefined) return undefined;
  return { id: value.id as string, patch, onlyFrom };
}
