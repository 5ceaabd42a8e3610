// The WhatsApp Cloud API channel: one Graph API call per message, with the template fallback for a closed window.

import { ConfigurationError, DeliveryError, type Logger } from '@herald/core';
import { type Channel, type SendRequest, type SendResult, silentLogger } from '@herald/core/spec';
import { readJson, retryAfterMs, throwIfAborted, transportError } from './http-failure';
import { recipientPhone } from './phone-number';
import { checkWhatsAppContent, toGraphTemplate, type WhatsAppContent, type WhatsAppTemplate } from './whatsapp-content';
import { type GraphError, toWhatsAppDeliveryError, WINDOW_CLOSED_CODE } from './whatsapp-error';

export interface WhatsAppChannelSettings {
  /** The business phone number's id (WhatsApp Manager → API setup), not the number itself. */
  phoneNumberId: string;
  /** A system-user access token with `whatsapp_business_messaging`. */
  accessToken: string;
  /** Graph API version (default `v23.0`). */
  apiVersion?: string;
  /** Default `https://graph.facebook.com`; point it at a local peer in tests. */
  graphBaseUrl?: string;
  /** Any fetch-compatible function (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Channel id in records and logs (default `whatsapp-cloud`). */
  id?: string;
  logger?: Logger;
}

export const DEFAULT_GRAPH_API_VERSION = 'v23.0';
const provider = 'WhatsApp Cloud API';

interface GraphSendResponse {
  messages?: { id?: string; message_status?: string }[];
  error?: GraphError;
}

/** A Herald channel that sends WhatsApp messages through Meta's Cloud API. */
export function createWhatsAppChannel(settings: WhatsAppChannelSettings): Channel<'whatsapp'> {
  const { phoneNumberId, accessToken } = settings;
  if (typeof phoneNumberId !== 'string' || phoneNumberId === '') {
    throw new ConfigurationError('createWhatsAppChannel: phoneNumberId is required (WhatsApp Manager → API setup).');
  }
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new ConfigurationError('createWhatsAppChannel: accessToken is required.');
  }
  const fetchImpl = settings.fetch ?? globalThis.fetch;
  const logger = settings.logger ?? silentLogger;
  const id = settings.id ?? 'whatsapp-cloud';
  const base = (settings.graphBaseUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
  const endpoint = `${base}/${settings.apiVersion ?? DEFAULT_GRAPH_API_VERSION}/${encodeURIComponent(phoneNumberId)}/messages`;

  async function post(message: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    let response: Response;
    let body: unknown;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal,
      });
      body = await readJson(response);
    } catch (error) {
      throw transportError(provider, error, signal);
    }
    const parsed = (typeof body === 'object' && body !== null ? body : {}) as GraphSendResponse;
    if (!response.ok || parsed.error !== undefined) {
      throw toWhatsAppDeliveryError(parsed.error, response.status, retryAfterMs(response));
    }
    const messageId = parsed.messages?.[0]?.id;
    if (typeof messageId !== 'string') {
      // Accepted without an id would leave webhooks nothing to match; treat it as Meta's fault and retry.
      throw toWhatsAppDeliveryError({ code: 1, message: 'response carried no message id' }, 502);
    }
    return messageId;
  }

  function envelope(to: string, deliveryId: string): Record<string, unknown> {
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: to.slice(1),
      // Echoed back in status webhooks, so a receipt finds its delivery even if our record lacks the wamid.
      biz_opaque_callback_data: deliveryId,
    };
  }

  function templateMessage(to: string, deliveryId: string, template: WhatsAppTemplate): Record<string, unknown> {
    return { ...envelope(to, deliveryId), type: 'template', template: toGraphTemplate(template) };
  }

  return {
    specificationVersion: 'v1',
    kind: 'whatsapp',
    id,
    capabilities: { receipts: true },

    async send(request: SendRequest<WhatsAppContent>): Promise<SendResult> {
      const to = recipientPhone(request.recipient);
      if (to === undefined)
        return {
          status: 'skipped',
          reason: `Recipient ${request.recipient.id} has no phone number.`,
          code: 'no-address',
        };
      const { text, template } = checkWhatsAppContent(request.content);
      // Build the template first so bad template content fails before anything is sent.
      const templateBody = template === undefined ? undefined : templateMessage(to, request.deliveryId, template);
      throwIfAborted(provider, request.signal);

      if (text === undefined) {
        const providerMessageId = await post(templateBody as Record<string, unknown>, request.signal);
        return { status: 'sent', providerMessageId };
      }
      const previewUrl = (request.content as { previewUrl?: boolean }).previewUrl;
      const textBody = {
        ...envelope(to, request.deliveryId),
        type: 'text',
        text: { body: text, ...(previewUrl !== undefined ? { preview_url: previewUrl } : {}) },
      };
      try {
        return { status: 'sent', providerMessageId: await post(textBody, request.signal) };
      } catch (error) {
        const isWindowClosed = DeliveryError.is(error) && error.providerCode === WINDOW_CLOSED_CODE;
        if (!isWindowClosed || templateBody === undefined) throw error;
        logger.info('WhatsApp: the 24-hour window is closed; sending the template instead', {
          deliveryId: request.deliveryId,
          template: template?.name,
        });
        const providerMessageId = await post(templateBody, request.signal);
        return { status: 'sent', providerMessageId, detail: 'template-fallback' };
      }
    },
  };
}
