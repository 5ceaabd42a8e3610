// Arithmetic on unread counts (`{ total, byType }`) for the client's optimistic updates.

import type { UnreadCount } from '@herald/core';

export function cloneCounts(counts: UnreadCount): UnreadCount {
  return { total: counts.total, byType: { ...counts.byType } };
}

/** Equal counts; a type missing from `byType` counts as 0 (stores may leave zeros out). */
export function countsEqual(a: UnreadCount, b: UnreadCount): boolean {
  if (a.total !== b.total) return false;
  const types = new Set([...Object.keys(a.byType), ...Object.keys(b.byType)]);
  for (const type of types) if ((a.byType[type] ?? 0) !== (b.byType[type] ?? 0)) return false;
  return true;
}

/** Counts with `delta` added to `type` and to the total, never below zero. */
export function adjustCount(counts: UnreadCount, type: string, delta: number): UnreadCount {
  const next = cloneCounts(counts);
  next.total = Math.max(0, next.total + delta);
  next.byType[type] = Math.max(0, (next.byType[type] ?? 0) + delta);
  return next;
}
