// The unread count a store must report, worked out from the items themselves: the truth to compare counters with.

import type { InboxItem, UnreadCount } from '@herald/core';

/**
 * The `unreadCount` a store must report for a user whose inbox holds exactly `items` (archived ones included):
 * unarchived items without `readAt`, in total and by type (types with none unread are left out), and unarchived
 * items without `seenAt`.
 *
 * ```ts
 * const items = await store.listInboxAfter(userId, 0, 100_000);
 * expect(await store.unreadCount(userId)).toEqual(unreadCountOf(items));
 * ```
 */
export function unreadCountOf(items: readonly InboxItem[]): UnreadCount {
  const byType: Record<string, number> = {};
  let total = 0;
  let unseen = 0;
  for (const item of items) {
    if (item.archivedAt !== undefined) continue;
    if (item.seenAt === undefined) unseen += 1;
    if (item.readAt !== undefined) continue;
    total += 1;
    byType[item.type] = (byType[item.type] ?? 0) + 1;
  }
  return { total, unseen, byType };
}
