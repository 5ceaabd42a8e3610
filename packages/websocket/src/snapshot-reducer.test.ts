import type { InboxItem } from '@herald/core';
import { describe, expect, it } from 'vitest';
import type { HeraldClientSnapshot } from './herald-client-types';
import { createSnapshotReducer } from './snapshot-reducer';

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

function reducer(lastPosition?: number) {
  const changes: HeraldClientSnapshot[] = [];
  const snapshot = createSnapshotReducer({ maxItems: 3, lastPosition, onChange: (next) => changes.push(next) });
  return { snapshot, changes };
}

const welcome = (lastPosition: number, total: number) =>
  ({
    type: 'welcome',
    userId: 'ann',
    unread: { total, byType: { 'ticket.assigned': total } },
    lastPosition,
    heartbeatMs: 30_000,
  }) as const;

describe('snapshot reducer', () => {
  it('says hello without a position until it has one, then with it', () => {
    const { snapshot } = reducer();
    expect(snapshot.hello()).toEqual({ type: 'hello' });
    snapshot.apply({ type: 'synced', lastPosition: 0 });
    expect(snapshot.hello()).toEqual({ type: 'hello', lastPosition: 0 });
    expect(reducer(7).snapshot.hello()).toEqual({ type: 'hello', lastPosition: 7 });
  });

  it('counts only items above the welcome position, keeps each id once, newest first, at most maxItems', () => {
    const { snapshot } = reducer();
    snapshot.apply(welcome(2, 2));
    expect(snapshot.apply({ type: 'notification', item: item(1), replay: true })).toMatchObject({ id: 'item-1' });
    snapshot.apply({ type: 'notification', item: item(2), replay: true });
    expect(snapshot.getSnapshot().unread.total).toBe(2); // both already in the welcome counts
    expect(snapshot.apply({ type: 'notification', item: item(2) })).toBeUndefined(); // a repeat
    for (const position of [3, 4]) snapshot.apply({ type: 'notification', item: item(position) });
    const state = snapshot.getSnapshot();
    expect(state.unread).toEqual({ total: 4, byType: { 'ticket.assigned': 4 } });
    expect(state.items.map((entry) => entry.position)).toEqual([4, 3, 2]);
    expect(state.lastPosition).toBe(4);
  });

  it('follows a gateway whose store is behind it back to a first connect', () => {
    const { snapshot } = reducer(9);
    snapshot.apply(welcome(2, 0));
    expect(snapshot.getSnapshot().lastPosition).toBe(0);
    expect(snapshot.hello()).toEqual({ type: 'hello' });
  });

  it('keeps the same snapshot for a change that changes nothing', () => {
    const { snapshot, changes } = reducer();
    snapshot.apply({ type: 'unread', counts: { total: 0, byType: { x: 0 } } });
    snapshot.setStatus('connecting');
    expect(changes).toHaveLength(0);
  });

  it('applies a typeless read-all by the counts that follow it: types with nothing unread are read', () => {
    const { snapshot } = reducer();
    snapshot.apply(welcome(0, 0));
    snapshot.apply({ type: 'notification', item: item(1) });
    snapshot.apply({ type: 'notification', item: item(2, { type: 'comment.added' }) });
    snapshot.apply({ type: 'read', ids: [], all: true });
    expect(snapshot.getSnapshot().items.every((entry) => entry.readAt === undefined)).toBe(true);
    snapshot.apply({ type: 'unread', counts: { total: 1, byType: { 'comment.added': 1 } } });
    const byType = Object.fromEntries(snapshot.getSnapshot().items.map((entry) => [entry.type, entry.readAt]));
    expect(byType['ticket.assigned']).toBeDefined();
    expect(byType['comment.added']).toBeUndefined();
  });

  it('applies local reads and unreads optimistically, never below zero', () => {
    const { snapshot } = reducer();
    snapshot.apply(welcome(0, 0));
    snapshot.apply({ type: 'notification', item: item(1) });
    snapshot.markRead(['item-1', 'item-1', 'unknown']);
    expect(snapshot.getSnapshot().unread.total).toBe(0);
    snapshot.markRead(['item-1']);
    expect(snapshot.getSnapshot().unread.total).toBe(0);
    snapshot.markUnread(['item-1']);
    expect(snapshot.getSnapshot().unread.total).toBe(1);
    expect(snapshot.getSnapshot().items[0]?.readAt).toBeUndefined();
    snapshot.markAllRead('ticket.assigned');
    expect(snapshot.getSnapshot().unread).toEqual({ total: 0, byType: { 'ticket.assigned': 0 } });
  });
});
