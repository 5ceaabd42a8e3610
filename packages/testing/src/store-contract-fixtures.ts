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

/** Walks every page of a user's inbox and checks each page's shape on the way. */
export async function listAllInbox(
  store: Store,
  userId: string,
  query: Omit<InboxQuery, 'cursor'> = {},
): Promise<InboxItem[]> {
  const limit = query.limit ?? 100;
  const all: InboxItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await store.listInbox(userId, { ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(result.items.length).toBeLessThanOrEqual(limit);
    // A cursor promises older items: following it must not land on an empty page.
    if (page > 0) expect(result.items.length).toBeGreaterThan(0);
    all.push(...result.items);
    if (result.nextCursor === undefined) return all;
    expect(typeof result.nextCursor).toBe('string');
    // A page that announces more items must be full: otherwise the caller cannot tell a gap from the end.
    expect(result.items.length).toBe(limit);
    cursor = result.nextCursor;
  }
  throw new Error(`listInbox(${userId}) still had a nextCursor after ${MAX_PAGES} pages`);
}

export async function listAllDeliveries(store: Store, query: Omit<DeliveryQuery, 'cursor'>): Promise<DeliveryRecord[]> {
  const limit = query.limit ?? 100;
  const all: DeliveryRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await store.listDeliveries({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(result.records.length).toBeLessThanOrEqual(limit);
    if (page > 0) expect(result.records.length).toBeGreaterThan(0);
    all.push(...result.records);
    if (result.nextCursor === undefined) return all;
    expect(result.records.length).toBe(limit);
    cursor = result.nextCursor;
  }
  throw new Error(`listDeliveries still had a nextCursor after ${MAX_PAGES} pages`);
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

/** Awaits the call and checks it rejected with a ValidationError naming `path`. */
export async function expectValidationError(call: Promise<unknown>, path: string): Promise<ValidationError> {
  const outcome = await call.then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected)
    throw new Error(`Expected a ValidationError about "${path}", got ${JSON.stringify(outcome.value)}`);
  expect(ValidationError.is(outcome.error), `expected a ValidationError, got ${String(outcome.error)}`).toBe(true);
  const error = outcome.error as ValidationError;
  expect(error.code).toBe('VALIDATION');
  expect(error.issues.map((issue) => issue.path)).toContain(path);
  return error;
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
