// Page cursors: opaque to callers, a kind letter and a base-36 key to the store. The kind keeps an inbox cursor
// from being accepted by a delivery listing (and the other way round).

import { invalid } from './input-issues';

/** Which listing a cursor belongs to. */
export type CursorKind = 'inbox' | 'deliveries';

const prefixes: Record<CursorKind, string> = { inbox: 'i', deliveries: 'd' };

/**
 * The cursor for the page after the element whose key is `key`: for the inbox the item's position, for deliveries
 * the store's creation sequence of the record. Keys are positive safe integers.
 */
export function encodeCursor(kind: CursorKind, key: number): string {
  return `${prefixes[kind]}${key.toString(36)}`;
}

/** The key a cursor carries; a ValidationError about `cursor` when it is not one of this kind's. */
export function decodeCursor(kind: CursorKind, cursor: unknown): number {
  const prefix = prefixes[kind];
  if (typeof cursor === 'string' && cursor.startsWith(prefix) && /^[0-9a-z]{1,11}$/.test(cursor.slice(prefix.length))) {
    const key = Number.parseInt(cursor.slice(prefix.length), 36);
    if (Number.isSafeInteger(key) && key >= 1) return key;
  }
  throw invalid(
    'cursor',
    `Malformed cursor ${JSON.stringify(cursor) ?? String(cursor)}: pass the nextCursor of a previous page`,
  );
}
