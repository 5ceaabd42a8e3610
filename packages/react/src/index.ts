export { HeraldProvider, type HeraldProviderProps, useHeraldClient } from './herald-provider';
export { Inbox, type InboxProps } from './inbox';
export {
  type NotificationsFilter,
  type UseNotificationsOptions,
  useInbox,
  useNotifications,
  useUnreadCount,
} from './use-inbox';
