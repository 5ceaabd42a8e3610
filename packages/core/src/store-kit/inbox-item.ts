// The stored shape of an inbox item, built by core (at notify time, and when a scheduled in-app delivery
// falls due) and by stores, which keep exactly these fields whatever a caller sends.

import type { InAppContent } from '../spec/channel';
import type { NewInboxItem } from '../spec/store';

export interface InboxItemOrigin {
  id: string;
  userId: string;
  notificationId: string;
  type: string;
  createdAt: string;
  actorId?: string | undefined;
}

/**
 * An inbox item of exactly the declared fields: in-app content and where it comes from. Stores call it as
 * `toNewInboxItem(item, item)` to drop what a loosely typed caller sent along (read state, extras).
 */
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
