// The JSON shapes the inbox API answers with, for clients that want them typed.

import type { InboxItem, UnreadCount } from '@herald/core';

/** `GET /notifications` */
export interface InboxListResponse {
  items: InboxItem[];
  /** Present when there are older items: pass it back as `?cursor=`. */
  nextCursor?: string;
}

/** `POST /notifications/:id/read` and `POST /notifications/:id/unread` */
export interface InboxMarkResponse {
  id: string;
  /** False when the item already was in the requested state. */
  changed: boolean;
  unread: UnreadCount;
}

/** `POST /notifications/read-all` */
export interface InboxReadAllResponse {
  /** How many items were marked read. */
  changed: number;
  unread: UnreadCount;
}
