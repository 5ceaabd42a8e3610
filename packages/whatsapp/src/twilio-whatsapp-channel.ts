// WhatsApp through Twilio's Messages API: the same `whatsapp` content, a second provider to fall back on.

import { ConfigurationError, DeliveryError, type Logger } from '@herald/core';
import { type Channel, type SendRequest, type SendResult, silentLogger } from '@herald/core/spec';
import { readJson, retryAfterMs, throwIfAborted, transportError } from './http-failure';
import { recipientPhone } from './phone-number';
import { type TwilioError, toTwilioDeliveryError } from './twilio-error';
import { checkWhatsAppContent, type WhatsAppContent, type WhatsAppTemplate } from './whatsapp-content';

export interface TwilioWhatsAppChannelSettings {
  accountSid: string;
  authToken: string;
  /** The WhatsApp sender, E.164 (`+14155238886`) or already prefixed (`whatsapp:+14155238886`). */
  from: string;
  /** Default `https://api.twilio.com`; point it at a local peer in tests. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /**
   * Where Twilio posts status callbacks (see `createTwilioStatusWebhook`). Herald adds `heraldDeliveryId=<id>`
   * to its query so a callback finds its delivery even before the message SID is recorded.
   */
  statusCallbackUrl?: string;
  /**
   * Template name → Content SID (`HX…`). Keys are `name:language` or `name`; a template whose name is itself a
   * Content SID needs no entry. Lets one notification definition serve the Cloud API and Twilio alike.
   */
  contentSids?: Record<string, string>;
  /** Channel id in records and logs (default `whatsapp-twilio`). */
  id?: string;
  logger?: Logger;
}

const provider = 'Twilio WhatsApp';
const e164 = /^\+[1-9]\d{6,14}$/;

/** A created message (`sid`) or an error body. */
type TwilioResponseBody = TwilioError & { sid?: unknown };

/** A Herald channel that sends WhatsApp messages through Twilio. */
export function createTwilioWhatsAppChannel(settings: TwilioWhatsAppChannelSettings): Channel<'whatsapp'> {
  const { accountSid, authToken } = settings;
  if (typeof accountSid !== 'string' || accountSid === '') {
    throw new ConfigurationError('createTwilioWhatsAppChannel: accountSid is required.');
  }
  if (typeof authToken !== 'string' || authToken === '') {
    throw new ConfigurationError('createTwilioWhatsAppChannel: authToken is required.');
  }
  const fromNumber = (settings.from ?? '').replace(/^whatsapp:/, '');
  if (!e164.test(fromNumber)) {
    throw new ConfigurationError(
      `createTwilioWhatsAppChannel: from must be the WhatsApp sender's E.164 number, e.g. +14155238886 (got ${JSON.stringify(settings.from)}).`,
    );
  }
  const fetchImpl = settings.fetch ?? globalThis.fetch;
  const logger = settings.logger ?? silentLogger;
  const contentSids = settings.contentSids ?? {};
  const base = (settings.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
  const authorization = `Basic ${globalThis.btoa(`${accountSid}:${authToken}`)}`;

  function contentSid(template: WhatsAppTemplate): string {
    const sid = contentSids[`${template.name}:${template.language}`] ?? contentSids[template.name];
    if (sid !== undefined) return sid;
    if (/^HX[0-9a-fA-F]{32}$/.test(template.name)) return template.name;
    throw new DeliveryError(
      'INVALID_CONTENT',
      `Twilio WhatsApp: no Content SID for template "${template.name}" (${template.language}); add it to contentSids.`,
    );
  }

  function statusCallback(deliveryId: string): string | undefined {
    if (settings.statusCallbackUrl === undefined) return undefined;
    const url = new URL(settings.statusCallbackUrl);
    url.searchParams.set('heraldDeliveryId', deliveryId);
    return url.toString();
  }

  return {
    specificationVersion: 'v1',
    kind: 'whatsapp',
    id: settings.id ?? 'whatsapp-twilio',
    capabilities: { receipts: settings.statusCallbackUrl !== undefined },

    async send(request: SendRequest<WhatsAppContent>): Promise<SendResult> {
      const to = recipientPhone(request.recipient);
      if (to === undefined)
        return {
          status: 'skipped',
          reason: `Recipient ${request.recipient.id} has no phone number.`,
          code: 'no-address',
        };
      const { text, template } = checkWhatsAppContent(request.content);
      const form = new URLSearchParams({ To: `whatsapp:${to}`, From: `whatsapp:${fromNumber}` });
      // Twilio reports a closed window only later, in the status callback, so there is no same-send fallback:
      // with a template at hand, the template goes out (it is delivered in or out of the window).
      if (template !== undefined) {
        if (template.components !== undefined) {
          throw new DeliveryError(
            'INVALID_CONTENT',
            `Twilio WhatsApp: template "${template.name}" has components; Twilio takes body parameters only (template.body).`,
          );
        }
        form.set('ContentSid', contentSid(template));
        if (template.body !== undefined && template.body.length > 0) {
          form.set(
            'ContentVariables',
            JSON.stringify(Object.fromEntries(template.body.map((value, index) => [String(index + 1), value]))),
          );
        }
      } else {
        form.set('Body', text as string);
      }
      const callback = statusCallback(request.deliveryId);
      if (callback !== undefined) form.set('StatusCallback', callback);
      throwIfAborted(provider, request.signal);

      let response: Response;
      let body: unknown;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
          signal: request.signal,
        });
        body = await readJson(response);
      } catch (error) {
        throw transportError(provider, error, request.signal);
      }
      const parsed = (typeof body === 'object' && body !== null ? body : undefined) as TwilioResponseBody | undefined;
      if (!response.ok) throw toTwilioDeliveryError(parsed, response.status, retryAfterMs(response));
      if (typeof parsed?.sid !== 'string') {
        throw new DeliveryError('UNAVAILABLE', 'Twilio WhatsApp: the response carried no message SID.');
      }
      logger.debug('Twilio WhatsApp: message accepted', { deliveryId: request.deliveryId, sid: parsed.sid });
      return template !== undefined && text !== undefined
        ? { status: 'sent', providerMessageId: parsed.sid, detail: 'template' }
        : { status: 'sent', providerMessageId: parsed.sid };
    },
  };
}
