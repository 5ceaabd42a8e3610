import { describe, expect, it } from 'vitest';
import { createNotificationCache } from './notification-cache';
import type { InboxItem } from './spec/store';

function item(id: string): InboxItem {
  return {
    id,
    userId: 'u',
    notificationId: 'n',
    type: 't',
    position: 1,
    title: id,
    body: '',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('notification cache', () => {
  it('keeps the newest items up to its limit, a re-remembered item counting as new', () => {
    const cache = createNotificationCache({ items: 3 });
    cache.rememberItems(['a', 'b', 'c'].map(item));
    cache.rememberItems([item('a')]);
    cache.rememberItems(['d', 'e'].map(item));
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => cache.item(id)?.id)).toEqual(['a', undefined, undefined, 'd', 'e']);
  });

  it('evicts in insertion order across many more items than it holds', () => {
    const cache = createNotificationCache({ items: 1_000, contexts: 10 });
    for (let batch = 0; batch < 100; batch++) {
      cache.rememberItems(Array.from({ length: 500 }, (_, index) => item(`i${batch * 500 + index}`)));
    }
    expect(cache.item('i48999')).toBeUndefined();
    expect(cache.item('i49000')?.id).toBe('i49000');
    expect(cache.item('i49999')?.id).toBe('i49999');
    for (let index = 0; index < 30; index++)
      cache.rememberContext(`n${index}`, { type: 't', payload: index, actorId: undefined });
    expect(cache.context('n19')).toBeUndefined();
    expect(cache.context('n20')?.payload).toBe(20);
  });

  it('keeps nothing with a limit of 0', () => {
    const cache = createNotificationCache({ items: 0 });
    cache.rememberItems([item('a')]);
    expect(cache.item('a')).toBeUndefined();
  });
});
