// `createEmailChannel`: Herald's email channel over nodemailer — a pooled SMTP transport it builds
// itself, or any transport the host injects.

import { ConfigurationError, DeliveryError, type Logger } from '@herald/core';
import {
  type Channel,
  htmlToString,
  isSafeHtml,
  type SendRequest,
  type SendResult,
  silentLogger,
} from '@herald/core/spec';
import { type AbortWatch, createAbortWatch } from './abort-watch';
import {
  cleanDisplayName,
  type EmailAddress,
  isPlausibleAddress,
  lineBreak,
  messageIdFor,
  type ParsedAddress,
  parseAddress,
} from './email-address';
import type { EmailContent } from './email-content';
import { classifySmtpError } from './email-error';
import type { EmailMessage, EmailSendInfo, EmailTransport } from './email-transport';
import { htmlToText } from './html-to-text';
import { createSmtpTransport, type EmailSmtpSettings } from './smtp-transport';

/** Where a recipient can unsubscribe: an HTTPS one-click URL (RFC 8058), a mailto address, or both. */
export interface ListUnsubscribe {
  url?: string;
  /** `unsubscribe@example.com` or `mailto:unsubscribe@example.com?subject=…`. */
  mailto?: string;
}

export interface EmailChannelSettings {
  /** A nodemailer transport (or anything with `sendMail`). The host owns it: `close()` leaves it open. */
  transport?: EmailTransport;
  /** Options for a pooled SMTP transport the channel builds (and closes) itself. */
  smtp?: EmailSmtpSettings;
  /** The sender: `"Acme <noreply@acme.test>"` or `{ name, address }`. Its domain names the Message-IDs. */
  from: EmailAddress;
  replyTo?: EmailAddress;
  /** Adds `List-Unsubscribe` (and `List-Unsubscribe-Post` for a URL); a function can give per-recipient links. */
  listUnsubscribe?: ListUnsubscribe | ((request: SendRequest<EmailContent>) => ListUnsubscribe | undefined);
  /** Names the provider in delivery records (default `smtp`). */
  id?: string;
  logger?: Logger;
}

/** Headers the channel writes itself; content may not set them. */
const reservedHeaders = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

const headerName = /^[!-9;-~]+$/;

function invalidContent(message: string): DeliveryError {
  return new DeliveryError('INVALID_CONTENT', message);
}

function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidContent(`email content: ${field} must be a string.`);
  if (lineBreak.test(value)) {
    throw invalidContent(`email content: ${field} contains a CR, LF or NUL character; remove line breaks from it.`);
  }
  return value;
}

function unsubscribeHeaders(target: ListUnsubscribe | undefined): Record<string, string> {
  if (!target) return {};
  const entries: string[] = [];
  if (target.url !== undefined) {
    const url = checkText(target.url, 'listUnsubscribe.url');
    if (!/^https?:\/\/[^\s<>]+$/i.test(url)) {
      throw invalidContent(
        `listUnsubscribe.url must be an http(s) URL without spaces or angle brackets (got ${JSON.stringify(url)}).`,
      );
    }
    entries.push(`<${url}>`);
  }
  if (target.mailto !== undefined) {
    const raw = checkText(target.mailto, 'listUnsubscribe.mailto');
    const mailto = /^mailto:/i.test(raw) ? raw : `mailto:${raw}`;
    if (/[\s<>]/.test(mailto) || !mailto.includes('@')) {
      throw invalidContent(`listUnsubscribe.mailto must be an address or mailto: URL (got ${JSON.stringify(raw)}).`);
    }
    entries.push(`<${mailto}>`);
  }
  if (entries.length === 0) return {};
  const headers: Record<string, string> = { 'List-Unsubscribe': entries.join(', ') };
  // One-click unsubscribe (RFC 8058) is only defined for a URL the mailbox provider can POST to.
  if (target.url !== undefined) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  return headers;
}

function contentHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw invalidContent('email content: headers must be an object of header name to string value.');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!headerName.test(name)) {
      throw invalidContent(`email content: ${JSON.stringify(name)} is not a valid header name.`);
    }
    if (reservedHeaders.has(name.toLowerCase())) {
      throw invalidContent(
        `email content: the ${name} header is set by the email channel; use the content fields instead.`,
      );
    }
    out[name] = checkText(value, `headers.${name}`);
  }
  return out;
}

function attachmentContent(content: unknown, index: number): string | Buffer {
  if (typeof content === 'string') return content;
  // A view over the same bytes: nodemailer wants a Buffer, the caller may have any Uint8Array.
  if (content instanceof Uint8Array) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  throw invalidContent(`email content: attachments.${index}.content must be a string or bytes.`);
}

function contentAttachments(attachments: unknown): EmailMessage['attachments'] {
  if (attachments === undefined) return undefined;
  if (!Array.isArray(attachments)) throw invalidContent('email content: attachments must be an array.');
  return attachments.map((attachment: unknown, index) => {
    if (typeof attachment !== 'object' || attachment === null) {
      throw invalidContent(`email content: attachments.${index} must be an object.`);
    }
    const { filename, content, contentType, cid } = attachment as Record<string, unknown>;
    const out: NonNullable<EmailMessage['attachments']>[number] = {
      filename: checkText(filename, `attachments.${index}.filename`),
      content: attachmentContent(content, index),
    };
    if (contentType !== undefined) out.contentType = checkText(contentType, `attachments.${index}.contentType`);
    if (cid !== undefined) out.cid = checkText(cid, `attachments.${index}.cid`);
    return out;
  });
}

/** Reads an address out of nodemailer's accepted/rejected lists (strings, or objects in some transports). */
function addressOf(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry === 'object' && entry !== null && typeof (entry as { address?: unknown }).address === 'string') {
    return (entry as { address: string }).address;
  }
  return undefined;
}

/**
 * The error for our recipient listed in `rejected` of a resolved send. nodemailer fills `rejectedErrors`
 * for RCPT TO refusals; an LMTP refusal after DATA leaves only the final reply in `response`.
 */
function recipientRefused(address: string, info: EmailSendInfo): DeliveryError {
  const errors = Array.isArray(info.rejectedErrors) ? info.rejectedErrors : [];
  const detail = (errors.find((entry) => (entry as { recipient?: unknown })?.recipient === address) ?? errors[0]) as
    | { responseCode?: unknown; response?: unknown }
    | undefined;
  const response =
    typeof detail?.response === 'string' ? detail.response : typeof info.response === 'string' ? info.response : '';
  const responseCode =
    typeof detail?.responseCode === 'number'
      ? detail.responseCode
      : Number(/^([45]\d\d)\b/.exec(response)?.[1] ?? Number.NaN);
  if (Number.isNaN(responseCode)) {
    return new DeliveryError('INVALID_RECIPIENT', `The transport refused the recipient ${address}.`, { cause: detail });
  }
  // Classified as a refusal at RCPT TO: 4xx stays retryable, 5xx means this address will not take mail.
  const refusal = Object.assign(new Error(`Recipient ${address} was refused: ${response}`), {
    responseCode,
    response,
    command: 'RCPT TO',
    cause: detail,
  });
  return classifySmtpError(refusal);
}

/** Resolves with the send, or rejects as soon as the signal aborts (the transport may still finish). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, watch: AbortWatch): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unwatch = watch(signal, () => {
      reject(
        new DeliveryError('TIMEOUT', 'The email send was aborted before the SMTP server confirmed it.', {
          cause: signal.reason,
          retryable: true,
        }),
      );
    });
    promise.then(
      (value) => {
        unwatch();
        resolve(value);
      },
      (error: unknown) => {
        unwatch();
        reject(error);
      },
    );
  });
}

/** Creates the email channel. Throws `ConfigurationError` for unusable settings. */
export function createEmailChannel(settings: EmailChannelSettings): Channel<'email'> {
  if (typeof settings !== 'object' || settings === null) {
    throw new ConfigurationError('createEmailChannel: settings are required ({ from, smtp } or { from, transport }).');
  }
  if (settings.transport && settings.smtp) {
    throw new ConfigurationError('createEmailChannel: give either transport or smtp, not both.');
  }
  if (!settings.transport && !settings.smtp) {
    throw new ConfigurationError(
      'createEmailChannel: give smtp options (e.g. { host, port, auth }) or a nodemailer transport.',
    );
  }
  if (settings.transport && typeof settings.transport.sendMail !== 'function') {
    throw new ConfigurationError('createEmailChannel: transport must have a sendMail(message) method.');
  }
  if (settings.smtp && (typeof settings.smtp.host !== 'string' || settings.smtp.host === '')) {
    throw new ConfigurationError('createEmailChannel: smtp.host is required.');
  }
  const parsedFrom = parseAddress(settings.from);
  if (typeof parsedFrom === 'string') throw new ConfigurationError(`createEmailChannel: from ${parsedFrom}.`);
  const from: ParsedAddress = parsedFrom;
  let replyTo: ParsedAddress | undefined;
  if (settings.replyTo !== undefined) {
    const parsed = parseAddress(settings.replyTo);
    if (typeof parsed === 'string') throw new ConfigurationError(`createEmailChannel: replyTo ${parsed}.`);
    replyTo = parsed;
  }
  if (settings.listUnsubscribe !== undefined && typeof settings.listUnsubscribe !== 'function') {
    try {
      unsubscribeHeaders(settings.listUnsubscribe);
    } catch (error) {
      throw new ConfigurationError(`createEmailChannel: ${(error as Error).message}`);
    }
  }

  const ownsTransport = !settings.transport;
  const transport: EmailTransport = settings.transport ?? createSmtpTransport(settings.smtp as EmailSmtpSettings);
  const logger = settings.logger ?? silentLogger;
  const id = settings.id ?? 'smtp';
  const watchAbort = createAbortWatch();
  let closed = false;

  function buildMessage(request: SendRequest<EmailContent>, address: string): EmailMessage {
    const content = request.content as unknown;
    if (typeof content !== 'object' || content === null) {
      throw invalidContent('email content must be an object with subject and html or text.');
    }
    const { subject, html, text, headers, attachments, fromName } = content as Record<string, unknown>;
    const checkedSubject = checkText(subject, 'subject');
    let markup: string | undefined;
    if (html !== undefined) {
      if (typeof html !== 'string' && !isSafeHtml(html)) {
        throw invalidContent('email content: html must be a string or the result of the html`…` tag.');
      }
      markup = htmlToString(html);
    }
    if (text !== undefined && typeof text !== 'string') throw invalidContent('email content: text must be a string.');
    if (markup === undefined && text === undefined) {
      throw invalidContent('email content needs html, text or both.');
    }
    const senderName = fromName === undefined ? from.name : checkText(fromName, 'fromName');

    const listUnsubscribe =
      typeof settings.listUnsubscribe === 'function' ? settings.listUnsubscribe(request) : settings.listUnsubscribe;
    const allHeaders = { ...contentHeaders(headers), ...unsubscribeHeaders(listUnsubscribe) };
    const recipientName = cleanDisplayName(request.recipient.name);

    const message: EmailMessage = {
      from: senderName ? { name: senderName, address: from.address } : from.address,
      to: recipientName ? { name: recipientName, address } : address,
      subject: checkedSubject,
      text: text ?? htmlToText(markup ?? ''),
      messageId: messageIdFor(request.deliveryId, from.domain),
      headers: allHeaders,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    if (markup !== undefined) message.html = markup;
    if (replyTo) message.replyTo = replyTo.name ? { name: replyTo.name, address: replyTo.address } : replyTo.address;
    const files = contentAttachments(attachments);
    if (files) message.attachments = files;
    return message;
  }

  async function send(request: SendRequest<EmailContent>): Promise<SendResult> {
    if (closed) {
      throw new DeliveryError('UNAVAILABLE', 'The email channel is closed; it sends nothing more.');
    }
    if (request.signal.aborted) {
      throw new DeliveryError('TIMEOUT', 'The email send was aborted before it started.', {
        cause: request.signal.reason,
        retryable: true,
      });
    }
    const address = typeof request.recipient.email === 'string' ? request.recipient.email.trim() : '';
    if (address === '') return { status: 'skipped', reason: 'recipient has no email address', code: 'no-address' };
    if (!isPlausibleAddress(address)) {
      // No `token`: that field names push tokens for Herald to remove, not addresses.
      throw new DeliveryError('INVALID_RECIPIENT', `Recipient ${request.recipient.id} has an unusable email address.`);
    }

    const message = buildMessage(request, address);
    let info: EmailSendInfo;
    try {
      info = ((await untilAborted(transport.sendMail(message), request.signal, watchAbort)) ?? {}) as EmailSendInfo;
    } catch (error) {
      const failure = classifySmtpError(error);
      logger.debug('email send failed', {
        deliveryId: request.deliveryId,
        code: failure.code,
        retryable: failure.retryable,
      });
      throw failure;
    }

    // A transport may accept the message for some recipients and turn others away without throwing.
    const lower = address.toLowerCase();
    const rejected = Array.isArray(info.rejected) ? info.rejected.map(addressOf) : [];
    if (rejected.some((entry) => entry?.toLowerCase() === lower)) throw recipientRefused(address, info);

    const providerMessageId =
      typeof info.messageId === 'string' && info.messageId !== '' ? info.messageId : message.messageId;
    logger.debug('email sent', { deliveryId: request.deliveryId, messageId: providerMessageId });
    const result: SendResult = { status: 'sent', providerMessageId };
    if (typeof info.response === 'string' && info.response !== '') result.detail = info.response;
    return result;
  }

  return {
    specificationVersion: 'v1',
    kind: 'email',
    id,
    send,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (ownsTransport) transport.close?.();
    },
  };
}
