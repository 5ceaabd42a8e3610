// Twilio's message status callback: signed with X-Twilio-Signature, mapped onto delivery records.

import { ConfigurationError, type Herald, type Logger } from '@herald/core';
import { silentLogger } from '@herald/core/spec';
import { receiptSink } from './receipt-sink';
import { base64ToBytes, constantTimeEqual, createHmacSigner } from './signature';
import { twilioErrorCode } from './twilio-error';
import { DEFAULT_MAX_WEBHOOK_BODY_BYTES, readBodyLimited } from './webhook-body';
import type { WebhookHandler } from './whatsapp-webhook';

export interface TwilioStatusWebhookSettings {
  herald: Pick<Herald, 'deliveries'>;
  /** The account's auth token: Twilio signs callbacks with it. */
  authToken: string;
  /**
   * The public URL Twilio called, exactly as configured (scheme, host, path and query). Behind a proxy the
   * request's own URL differs and signatures would never match. Default: the request's URL.
   */
  url?: string | ((request: Request) => string);
  /** Larger bodies are refused with 413 before the signature is checked (default 1 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

const encoder = new TextEncoder();
const mapped: Record<string, 'sent' | 'delivered' | 'read' | 'failed'> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  undelivered: 'failed',
};

function text(status: number, body = ''): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/**
 * Twilio's string to sign: the full URL, then each POST parameter as name + value, sorted by name; a name given
 * several times contributes its distinct values in sorted order (as Twilio's own SDKs compute it).
 */
export function twilioSignaturePayload(url: string, params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  let payload = url;
  for (const name of names) {
    for (const value of [...new Set(params.getAll(name))].sort()) payload += name + value;
  }
  return payload;
}

/** The URL with its default port added, or removed if present: Twilio may have signed either form. */
function withPortToggled(url: string): string | undefined {
  const parsed = new URL(url);
  const defaultPort = parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : undefined;
  if (defaultPort === undefined) return undefined;
  const match = /^(\w+:\/\/)([^/?#]+)(.*)$/.exec(url);
  if (!match) return undefined;
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  if (authority.endsWith(`:${defaultPort}`)) return scheme + authority.slice(0, -(defaultPort.length + 1)) + rest;
  if (/:\d+$/.test(authority)) return undefined;
  return `${scheme}${authority}:${defaultPort}${rest}`;
}

/**
 * Handles Twilio status callbacks for WhatsApp messages. Checks `X-Twilio-Signature` (HMAC-SHA1 of the URL and
 * sorted parameters, base64) in constant time, then maps `MessageStatus` onto the delivery record found by the
 * `heraldDeliveryId` query parameter (added by the Twilio channel) or by `MessageSid`. Queued/sending are ignored.
 */
export function createTwilioStatusWebhook(settings: TwilioStatusWebhookSettings): WebhookHandler {
  const { herald, authToken } = settings;
  if (typeof authToken !== 'string' || authToken === '') {
    throw new ConfigurationError('createTwilioStatusWebhook: authToken is required to check X-Twilio-Signature.');
  }
  const logger = settings.logger ?? silentLogger;
  const sign = createHmacSigner(authToken, 'SHA-1');
  const apply = receiptSink(herald, logger, 'Twilio status webhook');

  return async (request) => {
    if (request.method !== 'POST')
      return new Response('Method Not Allowed', { status: 405, headers: { allow: 'POST' } });
    const url =
      typeof settings.url === 'function'
        ? settings.url(request)
        : settings.url !== undefined
          ? settings.url
          : request.url;
    const raw = await readBodyLimited(request, settings.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BODY_BYTES);
    if (raw === undefined) return text(413, 'Body too large');
    const params = new URLSearchParams(new TextDecoder().decode(raw));
    const claimed = base64ToBytes(request.headers.get('x-twilio-signature') ?? '');
    let isSigned = false;
    if (claimed !== undefined) {
      for (const candidate of [url, withPortToggled(url)]) {
        if (candidate === undefined) continue;
        if (constantTimeEqual(claimed, await sign(encoder.encode(twilioSignaturePayload(candidate, params)))))
          isSigned = true;
      }
    }
    if (!isSigned) {
      logger.warn('Twilio status webhook: signature missing or wrong; nothing recorded');
      return text(401, 'Invalid signature');
    }
    const sid = params.get('MessageSid') ?? params.get('SmsSid');
    const status = mapped[params.get('MessageStatus') ?? params.get('SmsStatus') ?? ''];
    if (!sid) return text(400, 'MessageSid is missing');
    // queued, accepted, scheduled, sending: nothing a delivery record tracks.
    if (status === undefined) return text(200);
    const errorCode = params.get('ErrorCode');
    const providerCode = errorCode !== null && /^\d+$/.test(errorCode) ? Number(errorCode) : undefined;
    const ok = await apply({
      providerMessageId: sid,
      deliveryId: new URL(url).searchParams.get('heraldDeliveryId') ?? undefined,
      status,
      error:
        status === 'failed'
          ? {
              code: twilioErrorCode(providerCode),
              message: `Twilio reported the message ${params.get('MessageStatus')}${
                providerCode !== undefined ? ` (error ${providerCode})` : ''
              }${params.get('ErrorMessage') ? `: ${params.get('ErrorMessage')}` : ''}.`,
              ...(providerCode !== undefined ? { providerCode } : {}),
            }
          : undefined,
    });
    return ok ? text(200) : text(500, 'Could not record the status; retry');
  };
}
