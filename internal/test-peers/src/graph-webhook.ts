// What Meta sends to a WhatsApp webhook: status callbacks shaped like the Cloud API's, signed with the app secret
// as `x-hub-signature-256`, and the verify token of the subscription handshake.

import { createHmac } from 'node:crypto';

export const appSecret = 'meta-app-secret';
export const verifyToken = 'herald-verify-token';

/** A POST as Meta sends it: the body's raw UTF-8 bytes signed with the app secret. */
export function signedWebhookRequest(body: string, secret = appSecret): Request {
  const bytes = Buffer.from(body, 'utf8');
  const signature = createHmac('sha256', secret).update(bytes).digest('hex');
  return new Request('https://hooks.example.com/whatsapp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
    body: bytes,
  });
}

export interface StatusInput {
  id: string;
  status: string;
  deliveryId?: string;
  errors?: { code: number; title: string; message?: string; error_data?: { details: string } }[];
}

/** A `messages` change carrying statuses, shaped like Meta's webhook payloads. */
export function statusPayload(statuses: StatusInput[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              statuses: statuses.map((status) => ({
                id: status.id,
                status: status.status,
                timestamp: '1750263773',
                recipient_id: '14155550123',
                ...(status.deliveryId !== undefined ? { biz_opaque_callback_data: status.deliveryId } : {}),
                ...(status.errors !== undefined ? { errors: status.errors } : {}),
              })),
              ...extra,
            },
          },
        ],
      },
    ],
  });
}
