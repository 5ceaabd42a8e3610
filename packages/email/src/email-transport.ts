// The slice of a nodemailer transport the channel uses. Any nodemailer `Transporter` fits (SMTP, SES,
// stream, JSON), and so does anything else with a `sendMail` of this shape.

/** The message the channel hands to `sendMail` (a subset of nodemailer's mail options). */
export interface EmailMessage {
  from: string | { name: string; address: string };
  to: string | { name: string; address: string };
  replyTo?: string | { name: string; address: string };
  subject: string;
  html?: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
  attachments?: { filename: string; content: string | Buffer; contentType?: string; cid?: string }[];
  /** Attachments are given as content only; nodemailer must not read files or fetch URLs on our behalf. */
  disableFileAccess: true;
  disableUrlAccess: true;
}

/** What `sendMail` resolves with; nodemailer's SMTP transports fill these fields. */
export interface EmailSendInfo {
  messageId?: string;
  accepted?: (string | { address: string })[];
  rejected?: (string | { address: string })[];
  rejectedErrors?: unknown[];
  /** The server's last reply, e.g. `250 2.0.0 Ok: queued as 4Bc1`. */
  response?: string;
}

export interface EmailTransport {
  sendMail(message: EmailMessage): Promise<unknown>;
  close?(): void;
}
