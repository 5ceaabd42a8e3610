// The WhatsApp Cloud API webhook: the verification handshake and signed status callbacks that move delivery records.

import { ConfigurationError, type Herald, type Logger } from '@herald/core';
import { silentLogger } from '@herald/core/spec';
import { receiptSink } from './receipt-sink';
import { constantTimeEqual, constantTimeEqualText, createHmacSigner, hexToBytes } from './signature';
import { DEFAULT_MAX_WEBHOOK_BODY_BYTES, readBodyLimited } from './webhook-body';
import { describeGraphError, type GraphError, graphErrorCode } from './whatsapp-error';

/** A fetch-standard request handler: mount it with `toNodeHandler` from `@herald/http`, or in any fetch runtime. */
export type WebhookHandler = (request: Request) => Promise<Response>;

export interface WhatsAppWebhookSettings {
  /** Only `deliveries.applyReceipt` is used. */
  herald: Pick<Herald, 'deliveries'>;
  /** The Meta app's secret (App settings → Basic): signs every POST. */
  appSecret: string;
  /** The token you typed into the webhook configuration; the GET handshake must present it. */
  verifyToken: string;
  /** Larger POST bodies are refused with 413 before the signature is checked (default 1 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

/** One entry of `value.statuses` in a `messages` change. */
export interface WhatsAppStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  errors?: GraphError[];
}

const statuses = new Set(['sent', 'delivered', 'read', 'failed']);
const signaturePrefix = 'sha256=';

function text(status: number, body = ''): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function collectStatuses(payload: unknown): WhatsAppStatus[] {
  const found: WhatsAppStatus[] = [];
  const entries = (payload as { entry?: unknown })?.entry;
  if (!Array.isArray(entries)) return found;
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) continue;
    for (const change of changes) {
      const list = (change as { value?: { statuses?: unknown } })?.value?.statuses;
      if (Array.isArray(list))
        found.push(...(list.filter((item) => typeof item === 'object' && item !== null) as WhatsAppStatus[]));
    }
  }
  return found;
}

/**
 * Handles Meta's webhook for a WhatsApp Business Account. GET answers the verification handshake; POST checks
 * `X-Hub-Signature-256` over the raw body bytes, then applies each message status to its delivery record
 * (forward only: `sent → delivered → read`, or `failed`). Replays and late statuses change nothing.
 */
export function createWhatsAppWebhook(settings: WhatsAppWebhookSettings): WebhookHandler {
  const { herald, appSecret, verifyToken } = settings;
  if (typeof appSecret !== 'string' || appSecret === '') {
    throw new ConfigurationError(
      'createWhatsAppWebhook: appSecret is required; unsigned webhooks would let anyone rewrite delivery state.',
    );
  }
  if (typeof verifyToken !== 'string' || verifyToken === '') {
    throw new ConfigurationError('createWhatsAppWebhook: verifyToken is required for the GET verification handshake.');
  }
  const logger = settings.logger ?? silentLogger;
  const maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BODY_BYTES;
  const sign = createHmacSigner(appSecret, 'SHA-256');
  const apply = receiptSink(herald, logger, 'WhatsApp webhook');

  function verify(request: Request): Response {
    const query = new URL(request.url).searchParams;
    const token = query.get('hub.verify_token');
    const challenge = query.get('hub.challenge');
    if (
      query.get('hub.mode') === 'subscribe' &&
      token !== null &&
      challenge !== null &&
      constantTimeEqualText(token, verifyToken)
    ) {
      return text(200, challenge);
    }
    logger.warn('WhatsApp webhook: verification handshake refused (mode or verify token wrong)');
    return text(403, 'Forbidden');
  }

  async function receive(request: Request): Promise<Response> {
    const header = request.headers.get('x-hub-signature-256');
    const claimed = header?.startsWith(signaturePrefix) ? hexToBytes(header.slice(signaturePrefix.length)) : undefined;
    const raw = await readBodyLimited(request, maxBodyBytes);
    if (raw === undefined) return text(413, 'Body too large');
    if (claimed === undefined || !constantTimeEqual(claimed, await sign(raw))) {
      logger.warn('WhatsApp webhook: signature missing or wrong; nothing recorded', { hasSignature: header !== null });
      return text(401, 'Invalid signature');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      return text(400, 'Body is not JSON');
    }
    for (const status of collectStatuses(payload)) {
      if (typeof status.id !== 'string' || typeof status.status !== 'string' || !statuses.has(status.status)) continue;
      const failure = status.status === 'failed' ? status.errors?.[0] : undefined;
      const ok = await apply({
        providerMessageId: status.id,
        deliveryId: typeof status.biz_opaque_callback_data === 'string' ? status.biz_opaque_callback_data : undefined,
        status: status.status as 'sent' | 'delivered' | 'read' | 'failed',
        error:
          status.status === 'failed'
            ? {
                code: graphErrorCode(failure?.code),
                message: failure ? `WhatsApp: ${describeGraphError(failure)}` : 'WhatsApp reported the message failed.',
                ...(failure?.code !== undefined ? { providerCode: failure.code } : {}),
              }
            : undefined,
      });
      // The store failed: answer 500 so Meta sends the batch again; receipts already applied are idempotent.
      if (!ok) return text(500, 'Could not record the statuses; retry');
    }
    return text(200, 'OK');
  }

  return async (request) => {
    if (request.method === 'GET') return verify(request);
    if (request.method === 'POST') return receive(request);
    return new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET, POST' } });
  };
}
