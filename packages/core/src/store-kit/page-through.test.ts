import { describe, expect, it } from 'vitest';
import type { InboxItem, InboxPage, InboxQuery } from '../spec/store';
import { decodeCursor, encodeCursor } from './cursor-codec';
import { inboxPages, pageThrough } from './page-through';

function item(position: number): InboxItem {
  return {
    id: `item-${position}`,
    userId: 'u',
    notificationId: 'n',
    type: 't',
    title: 'Title',
    body: 'Body',
    createdAt: '2024-05-01T10:00:00.000Z',
    position,
  };
}

/** A listing over positions 1..count, newest first, as a store pages it. */
function listing(count: number): { listInbox: (userId: string, query?: InboxQuery) => Promise<InboxPage> } {
  return {
    async listInbox(_userId, query = {}) {
      const limit = query.limit ?? 20;
      const before = query.cursor === undefined ? count + 1 : decodeCursor('inbox', query.cursor);
      const positions: number[] = [];
      for (let position = before - 1; position >= 1 && positions.length < limit; position--) positions.push(position);
      const page: InboxPage = { items: positions.map(item) };
      const last = positions[positions.length - 1];
      if (last !== undefined && last > 1) page.nextCursor = encodeCursor('inbox', last);
      return page;
    },
  };
}

describe('pageThrough', () => {
  it('walks every page once, following nextCursor to a page without one', async () => {
    const seen: number[] = [];
    for await (const page of inboxPages(listing(45), 'u', { limit: 10 })) {
      seen.push(...page.items.map((each) => each.position));
    }
    expect(seen).toEqual(Array.from({ length: 45 }, (_, index) => 45 - index));
  });

  it('stops after maxPages with an error when a cursor never ends', async () => {
    const endless = pageThrough(async () => ({ nextCursor: 'again' }), { maxPages: 3 });
    let pages = 0;
    await expect(async () => {
      for await (const _ of endless) pages += 1;
    }).rejects.toThrow('still had a nextCursor after 3 pages');
    expect(pages).toBe(3);
  });
});

describe('cursor codec', () => {
  it('round-trips keys and refuses a cursor of the other kind', () => {
    expect(decodeCursor('inbox', encodeCursor('inbox', 123_456))).toBe(123_456);
    expect(() => decodeCursor('deliveries', encodeCursor('inbox', 5))).toThrow(/cursor: Malformed cursor "i5"/);
  });
});
