// What the developer page lists: the messages a local provider stand-in (an SMTP sink, a WhatsApp Cloud API peer,
// an FCM peer) received. Any object with `listReceived()` is a source, so a host can plug in its own sink.

/** An email as the SMTP sink received it. */
export interface SentEmail {
  messageId?: string | undefined;
  /** The From header, as written (`Desk <desk@acme.test>`). */
  from: string;
  /** The envelope recipients. */
  to: readonly string[];
  subject: string;
  html?: string | undefined;
  text?: string | undefined;
  /** ISO 8601. */
  receivedAt: string;
}

/** A WhatsApp message as the Cloud API stand-in accepted it. */
export interface SentWhatsAppMessage {
  to: string;
  /** `text`, `template`, … as sent. */
  type: string;
  text?: string | undefined;
  template?: { name: string; language: string; parameters: readonly string[] } | undefined;
  /** ISO 8601. */
  receivedAt: string;
}

/** A push message as the FCM stand-in accepted it (one per device token). */
export interface SentPush {
  token: string;
  title?: string | undefined;
  body?: string | undefined;
  data?: Readonly<Record<string, string>> | undefined;
  /** ISO 8601. */
  receivedAt: string;
}

/** Lists what a stand-in received, oldest first. */
export interface SentMessageSource<Message> {
  listReceived(): readonly Message[] | Promise<readonly Message[]>;
}
