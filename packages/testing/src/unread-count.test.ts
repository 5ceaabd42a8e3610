import type { InboxItem } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { unreadCountOf } from './unread-count';

function item(id: string, type: string, readAt?: string): InboxItem {
  return {
    id,
    userId: 'ana',
    notificationId: `n-${id}`,
    type,
    title: 'Title',
    body: 'Body',
    createdAt: '2024-05-01T10:00:00.000Z',
    position: Number(id),
    ...(readAt === undefined ? {} : { readAt }),
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
    expect(unreadCountOf(items)).toEqual({ total: 3, byType: { 'ticket.assigned': 2, 'comment.added': 1 } });
    expect(unreadCountOf([])).toEqual({ total: 0, byType: {} });
  });
});
