// Inbox items are built in two places (at notify time, and when a scheduled in-app delivery falls due).

import type { InAppContent } from './channel';
import type { NewInboxItem } from './store';

export interface InboxItemOrigin {
  id: string;
  userId: string;
  notificationId: string;
  type: string;
  createdAt: string;
  actorId: string | undefined;
}

/** The stored shape of in-app content: only its declared fields, so a loosely typed builder adds nothing else. */
export function toNewInboxItem(content: InAppContent, origin: InboxItemOrigin): NewInboxItem {
  const item: NewInboxItem = {
    id: origin.id,
    userId: origin.userId,
    notificationId: origin.notificationId,
    type: origin.type,
    title: content.title,
    body: content.body,
    createdAt: origin.createdAt,
  };
  if (content.url !== undefined) item.url = content.url;
  if (content.icon !== undefined) item.icon = content.icon;
  if (content.data !== undefined) item.data = content.data;
  if (origin.actorId !== undefined) item.actorId = origin.actorId;
  return item;
}
