// The JSON shapes the inbox API answers with, for clients that want them typed.

import type { InboxItem, UnreadCount } from '@herald/core';

/** `GET /notifications` */
export interface InboxListResponse {
  items: InboxItem[];
  /** Present when there are older items: pass it back as `?cursor=`. */
  nextCursor?: string;
}

/** `POST /notifications/:id/read`, `…/unread`, `…/seen`, `…/archive` and `…/unarchive` */
export interface InboxMarkResponse {
  id: string;
  /** False when the item already was in the requested state. */
  changed: boolean;
  unread: UnreadCount;
}

/** `POST /notifications/read-all`, `POST /notifications/seen-all` and `POST /notifications/archive-all-read` */
export interface InboxReadAllResponse {
  /** How many items changed. */
  changed: number;
  unread: UnreadCount;
}

/** The bulk responses by another name, for the routes other than read-all. */
export type InboxBulkResponse = InboxReadAllResponse;
