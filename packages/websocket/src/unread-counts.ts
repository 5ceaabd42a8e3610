// Arithmetic on inbox counts (`{ total, unseen, byType }`) for the client's optimistic updates.

import type { UnreadCount } from '@herald/core';

/**
 * A private copy. A gateway from before `unseen` existed sends counts without it: every unread item then counts
 * as unseen, the closest reading of what it knows.
 */
export function cloneCounts(counts: UnreadCount): UnreadCount {
  const unseen = typeof counts.unseen === 'number' ? counts.unseen : counts.total;
  return { total: counts.total, unseen, byType: { ...counts.byType } };
}

/** Equal counts; a type missing from `byType` counts as 0 (stores may leave zeros out). */
export function countsEqual(a: UnreadCount, b: UnreadCount): boolean {
  if (a.total !== b.total || a.unseen !== b.unseen) return false;
  const types = new Set([...Object.keys(a.byType), ...Object.keys(b.byType)]);
  for (const type of types) if ((a.byType[type] ?? 0) !== (b.byType[type] ?? 0)) return false;
  return true;
}

/** Counts with `delta` added to `type` and to the total, and `unseenDelta` to unseen, never below zero. */
export function adjustCount(counts: UnreadCount, type: string, delta: number, unseenDelta = 0): UnreadCount {
  const next = cloneCounts(counts);
  next.total = Math.max(0, next.total + delta);
  next.unseen = Math.max(0, next.unseen + unseenDelta);
  if (delta !== 0) next.byType[type] = Math.max(0, (next.byType[type] ?? 0) + delta);
  return next;
}
