import type { InboxItem } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { unreadCountOf } from './unread-count';

function item(id: string, type: string, readAt?: string, archivedAt?: string): InboxItem {
  return {
    id,
    userId: 'ana',
    notificationId: `n-${id}`,
    type,
    title: 'Title',
    body: 'Body',
    createdAt: '2024-05-01T10:00:00.000Z',
    position: Number(id),
    ...(readAt === undefined ? {} : { readAt, seenAt: readAt }),
    ...(archivedAt === undefined ? {} : { archivedAt }),
  };
}

describe('unreadCountOf', () => {
  it('counts the items without readAt, in total and by type, leaving out types with none unread', () => {
    const items = [
      item('1', 'ticket.assigned'),
      item('2', 'ticket.assigned', '2024-05-01T11:00:00.000Z'),
      item('3', 'comment.added'),
      item('4', 'ticket.assigned'),
      item('5', 'security.alert', '2024-05-01T11:00:00.000Z'),
    ];
    expect(unreadCountOf(items)).toEqual({
      total: 3,
      unseen: 3,
      byType: { 'ticket.assigned': 2, 'comment.added': 1 },
    });
    expect(unreadCountOf([])).toEqual({ total: 0, unseen: 0, byType: {} });
  });

  it('leaves archived items out of every count, and counts unseen items apart from unread ones', () => {
    const at = '2024-05-01T11:00:00.000Z';
    const items = [
      item('1', 'ticket.assigned', undefined, at),
      item('2', 'ticket.assigned'),
      item('3', 'ticket.assigned'),
    ];
    items[2]!.seenAt = at;
    expect(unreadCountOf(items)).toEqual({ total: 2, unseen: 1, byType: { 'ticket.assigned': 2 } });
  });
});
