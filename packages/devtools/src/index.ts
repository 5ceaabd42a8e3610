export { createDevtoolsHandler, type DevtoolsHandler, type DevtoolsSettings } from './devtools-handler';
export type { LoggedNotification, NotificationWithDeliveries } from './notification-log';
export {
  type ChannelPreview,
  defaultPreviewRecipient,
  type NotificationPreview,
  type RenderPreviewsOptions,
  renderNotificationPreviews,
} from './notification-preview';
export type { SentEmail, SentMessageSource, SentPush, SentWhatsAppMessage } from './sent-messages';
