// What a notification's `email` content builder returns. Importing @herald/email adds the `email`
// kind to Herald's content map, so `channels.email` is type-checked in `defineNotification`.

import type { SafeHtml } from '@herald/core';

export interface EmailAttachment {
  /** The name the recipient sees. */
  filename: string;
  /** The bytes (or text) of the file. Paths and URLs are not read: pass the content itself. */
  content: string | Uint8Array;
  /** Defaults to a type derived from the file name. */
  contentType?: string;
  /** Content-ID for inline images referenced as `cid:…` from the HTML. */
  cid?: string;
}

interface EmailContentBase {
  subject: string;
  /** The sender's display name for this message (`Alice via Acme`); the address stays the configured one. */
  fromName?: string;
  attachments?: EmailAttachment[];
  /**
   * Extra headers. Names that the channel sets itself (From, To, Subject, Message-ID, the MIME headers)
   * are refused, as is any value with a line break.
   */
  headers?: Record<string, string>;
}

/** An email needs an HTML body, a text body, or both; the text part is derived from the HTML when missing. */
export type EmailContent = EmailContentBase &
  ({ html: string | SafeHtml; text?: string } | { html?: string | SafeHtml; text: string });

declare module '@herald/core' {
  interface ChannelContentMap {
    email: EmailContent;
  }
}
