// Notification ids sort by creation time; inbox and delivery ids derive from them deterministically,
// so the same notification always yields the same delivery ids (durable runners dedupe on them).

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomSuffix(length: number): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % 36];
  return out;
}

export function createNotificationId(now: number): string {
  return `n${now.toString(36).padStart(9, '0')}${randomSuffix(10)}`;
}

export function inboxItemId(notificationId: string, recipientIndex: number): string {
  return `${notificationId}.${recipientIndex.toString(36)}`;
}

export function deliveryId(notificationId: string, recipientIndex: number, kind: string): string {
  return `${notificationId}.${recipientIndex.toString(36)}.${kind}`;
}
