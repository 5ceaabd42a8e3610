export type { EmailAddress } from './email-address';
export type { EmailChannelSettings, ListUnsubscribe } from './email-channel';
export { createEmailChannel } from './email-channel';
export type { EmailAttachment, EmailContent } from './email-content';
export { classifySmtpError } from './email-error';
export type { EmailMessage, EmailSendInfo, EmailTransport } from './email-transport';
export { htmlToText } from './html-to-text';
export type { EmailSmtpSettings } from './smtp-transport';
