import type { InboxItem } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { createInboxFeed, type InboxPageResult } from './inbox-feed';
import { relativeTime, textsFor } from './inbox-texts';

function item(position: number, overrides: Partial<InboxItem> = {}): InboxItem {
  return {
    id: `item-${position}`,
    userId: 'ann',
    notificationId: `n-${position}`,
    type: 'ticket.assigned',
    position,
    title: `Ticket ${position}`,
    body: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function pages(all: InboxItem[], size: number) {
  const calls: (string | undefined)[] = [];
  const load = async (cursor: string | undefined): Promise<InboxPageResult> => {
    calls.push(cursor);
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = start + size;
    return { items: all.slice(start, end), ...(end < all.length ? { nextCursor: String(end) } : {}) };
  };
  return { load, calls };
}

describe('inbox feed', () => {
  it('merges loaded pages with the snapshot, each id once, newest first, the snapshot’s copy winning', async () => {
    const older = Array.from({ length: 7 }, (_, index) => item(7 - index));
    const { load, calls } = pages(older, 3);
    const feed = createInboxFeed(load);
    const snapshot = [item(9), item(8), item(7, { readAt: '2026-01-02T00:00:00.000Z' })];
    expect(feed.items(snapshot).map((each) => each.position)).toEqual([9, 8, 7]);
    while (await feed.loadMore());
    expect(calls).toEqual([undefined, '3', '6']);
    const merged = feed.items(snapshot);
    expect(merged.map((each) => each.position)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(merged[2]!.readAt).toBe('2026-01-02T00:00:00.000Z');
    expect(feed.hasMore).toBe(false);
    expect(await feed.loadMore()).toBe(false);
  });

  it('loads one page at a time, however often it is asked', async () => {
    const { load, calls } = pages(
      Array.from({ length: 4 }, (_, index) => item(4 - index)),
      2,
    );
    const feed = createInboxFeed(load);
    await Promise.all([feed.loadMore(), feed.loadMore(), feed.loadMore()]);
    expect(calls).toEqual([undefined]);
  });

  it('drops items archived here or in another tab, and shows them again when they come back', async () => {
    const { load } = pages([item(3), item(2), item(1)], 10);
    const feed = createInboxFeed(load);
    await feed.loadMore();
    feed.archived(['item-1']);
    expect(feed.items([]).map((each) => each.id)).toEqual(['item-3', 'item-2']);
    // Another tab archived item 3: it left a snapshot that was not full.
    feed.snapshotChanged([item(3)], [], 100);
    expect(feed.items([]).map((each) => each.id)).toEqual(['item-2']);
    // Item 2 only fell off the end of a full snapshot: not archived.
    feed.snapshotChanged([item(4), item(2)], [item(5), item(4)], 2);
    expect(feed.items([]).map((each) => each.id)).toEqual(['item-2']);
    feed.snapshotChanged([], [item(3)], 100);
    expect(feed.items([item(3)]).map((each) => each.id)).toEqual(['item-3', 'item-2']);
  });

  it('applies this tab’s changes to loaded items', async () => {
    const { load } = pages([item(2), item(1)], 10);
    const feed = createInboxFeed(load);
    await feed.loadMore();
    feed.update(['item-1'], (each) => ({ ...each, readAt: 'now' }));
    expect(feed.items([]).map((each) => each.readAt)).toEqual([undefined, 'now']);
  });

  it('has nothing to load without a loader', async () => {
    const feed = createInboxFeed(undefined);
    expect(feed.hasMore).toBe(false);
    expect(await feed.loadMore()).toBe(false);
  });
});

describe('texts', () => {
  it('picks the language, falls back to its base and to English, and takes overrides', () => {
    expect(textsFor('de-CH').markAllRead).toBe('Alle als gelesen markieren');
    expect(textsFor('pt-BR').markAllRead).toBe('Mark all read');
    expect(textsFor('en', { title: 'Inbox' }).title).toBe('Inbox');
    expect(textsFor('fr').bellLabel(2)).toBe('Notifications, 2 non vues');
    expect(textsFor('en').bellLabel(0)).toBe('Notifications');
  });

  it('writes times relative to now in the language, and dates past a month', () => {
    const now = new Date('2026-05-10T12:00:00Z');
    expect(relativeTime(new Date('2026-05-10T11:55:00Z'), 'en', now)).toBe('5 minutes ago');
    expect(relativeTime(new Date('2026-05-09T12:00:00Z'), 'en', now)).toBe('yesterday');
    expect(relativeTime(new Date('2026-05-10T09:00:00Z'), 'de', now)).toBe('vor 3 Stunden');
    expect(relativeTime(new Date('2026-01-02T12:00:00Z'), 'en', now)).toBe('Jan 2, 2026');
  });
});
