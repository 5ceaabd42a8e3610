// Shared helpers for the Store contract suite: unique ids, item and record builders, page walking.

import {
  type ChannelKind,
  type DeliveryQuery,
  type DeliveryRecord,
  type InboxItem,
  type InboxQuery,
  type NotificationRecord,
  type Store,
  type UnreadCount,
  ValidationError,
} from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { deliveryPages, inboxPages } from '@herald/core/store-kit';
import { expect } from 'vitest';

export interface StoreContractContext {
  /** The store the running test uses. */
  readonly store: Store;
  /** A user id no other test or run uses, so a shared backing store is fine. */
  userId(label?: string): string;
  /** A unique id with a readable label. */
  uniqueId(label: string): string;
  /**
   * Stores over the same data as `store`, each through a connection of its own when the suite was given
   * `makePeer` (otherwise `store` itself, four times): concurrency cases spread their calls over them, as
   * separate processes would.
   */
  peers(): Promise<readonly Store[]>;
}

// Core alone knows only `inApp`; adapter packages add the others by augmentation. A store must keep any kind.
export const EMAIL = 'email' as ChannelKind;
export const PUSH = 'push' as ChannelKind;

/** Safety bound for page walks: a store whose cursor never ends fails instead of looping forever. */
const MAX_PAGES = 10_000;

export function inboxItem(
  context: StoreContractContext,
  userId: string,
  overrides: Partial<NewInboxItem> = {},
): NewInboxItem {
  return {
    id: context.uniqueId('item'),
    userId,
    notificationId: context.uniqueId('notification'),
    type: 'contract.alpha',
    title: 'Ticket assigned',
    body: 'Printer on fire',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

export function deliveryRecord(context: StoreContractContext, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: context.uniqueId('delivery'),
    notificationId: context.uniqueId('notification'),
    type: 'contract.alpha',
    recipientId: context.userId('recipient'),
    kind: 'inApp',
    status: 'pending',
    attempts: 0,
    createdAt: '2020-01-01T00:00:00.000Z',
    updatedAt: '2020-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A dispatching notification record, as the dispatcher hands it to `beginNotification`. */
export function notificationRecord(
  context: StoreContractContext,
  overrides: Partial<NotificationRecord> = {},
): NotificationRecord {
  return {
    id: context.uniqueId('notification'),
    type: 'contract.alpha',
    payload: { ticketId: 't-1' },
    recipients: [{ id: context.userId('recipient') }],
    kinds: ['inApp', EMAIL],
    createdAt: '2024-05-01T10:00:00.000Z',
    status: 'dispatching',
    ...overrides,
  };
}

let leaseEpochs = 0;

/**
 * A past instant for one outbox test to lease around, as epoch ms. Leases are store-wide, so each call returns an
 * instant ten minutes earlier than the call before it, and each run starts earlier than the runs before it (100 ms
 * further back per ms of wall time): a test that keeps its leases and its `now` within a minute of its instant never
 * takes what an earlier test, or an earlier run on a shared long-lived database, left in the outbox.
 */
export function leaseEpoch(): number {
  leaseEpochs += 1;
  const elapsed = Math.max(0, Date.now() - Date.UTC(2025, 0, 1));
  return Date.UTC(2000, 0, 1) - elapsed * 100 - leaseEpochs * 600_000;
}

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Checks one page of a walk: never over the limit, never empty after a cursor, full whenever it has a cursor. */
function expectPageShape(size: number, limit: number, page: number, nextCursor: string | undefined): void {
  expect(size).toBeLessThanOrEqual(limit);
  // A cursor promises older entries: following it must not land on an empty page.
  if (page > 0) expect(size).toBeGreaterThan(0);
  if (nextCursor === undefined) return;
  expect(typeof nextCursor).toBe('string');
  // A page that announces more entries must be full: otherwise the caller cannot tell a gap from the end.
  expect(size).toBe(limit);
}

/** Walks every page of a user's inbox and checks each page's shape on the way. */
export async function listAllInbox(
  store: Store,
  userId: string,
  query: Omit<InboxQuery, 'cursor'> = {},
): Promise<InboxItem[]> {
  const limit = query.limit ?? 100;
  const all: InboxItem[] = [];
  let page = 0;
  for await (const { items, nextCursor } of inboxPages(store, userId, { ...query, limit }, { maxPages: MAX_PAGES })) {
    expectPageShape(items.length, limit, page++, nextCursor);
    for (const item of items) all.push(item);
  }
  return all;
}

export async function listAllDeliveries(store: Store, query: Omit<DeliveryQuery, 'cursor'>): Promise<DeliveryRecord[]> {
  const limit = query.limit ?? 100;
  const all: DeliveryRecord[] = [];
  let page = 0;
  for await (const { records, nextCursor } of deliveryPages(store, { ...query, limit }, { maxPages: MAX_PAGES })) {
    expectPageShape(records.length, limit, page++, nextCursor);
    for (const record of records) all.push(record);
  }
  return all;
}

/** The unread count a store must report for these items, computed from the items themselves. */
export function unreadTruth(items: readonly InboxItem[]): UnreadCount {
  const byType: Record<string, number> = {};
  let total = 0;
  for (const item of items) {
    if (item.readAt !== undefined) continue;
    total += 1;
    byType[item.type] = (byType[item.type] ?? 0) + 1;
  }
  return { total, byType };
}

/** The spec does not say whether types at zero appear in `byType`; compare without them. */
export function withoutZeros(count: UnreadCount): UnreadCount {
  const byType: Record<string, number> = {};
  for (const [type, value] of Object.entries(count.byType)) if (value !== 0) byType[type] = value;
  return { total: count.total, byType };
}

export async function expectUnreadCount(store: Store, userId: string, expected: UnreadCount): Promise<void> {
  expect(withoutZeros(await store.unreadCount(userId))).toEqual(withoutZeros(expected));
}

export interface ExpectedIssue {
  path: string;
  /** The exact message, or a pattern where part of it comes from the runtime (a structured-clone error). */
  message: string | RegExp;
}

/** Awaits the call and checks it rejected with a ValidationError carrying exactly these issues, in order. */
export async function expectIssues(call: Promise<unknown>, expected: readonly ExpectedIssue[]): Promise<void> {
  const outcome = await call.then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) {
    throw new Error(
      `Expected a ValidationError about ${expected.map((issue) => issue.path).join(', ')}, got ${JSON.stringify(outcome.value) ?? 'undefined'}`,
    );
  }
  expect(ValidationError.is(outcome.error), `expected a ValidationError, got ${String(outcome.error)}`).toBe(true);
  const error = outcome.error as ValidationError;
  expect(error.code).toBe('VALIDATION');
  const issues = error.issues.map(({ path, message }) => ({ path, message }));
  expect(issues).toHaveLength(expected.length);
  expected.forEach((issue, index) => {
    expect(issues[index]!.path).toBe(issue.path);
    if (typeof issue.message === 'string') expect(issues[index]!.message).toBe(issue.message);
    else expect(issues[index]!.message).toMatch(issue.message);
  });
}

/** The messages the rules share. */
export const NON_EMPTY = 'Expected a non-empty string';
export const STRING = 'Expected a string';

/** Passes a value the types forbid, as a loosely typed caller would. */
export function loose<T>(value: unknown): T {
  return value as T;
}

/** A ValidationError's message for a value that is not an ISO 8601 date string. */
export function notADate(value: unknown): string {
  return `Expected an ISO 8601 date string, got ${JSON.stringify(value) ?? String(value)}`;
}

/** Polls until `check` holds. The bound only turns a hang into a failure; nothing asserts on how long it took. */
export async function waitUntil(check: () => Promise<boolean>, what: string, boundMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A small seeded generator, so a failing concurrency run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function byId(a: { id: string } | undefined, b: { id: string } | undefined): number {
  if (!a || !b) return 0;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isoNow(): string {
  return new Date().toISOString();
}
