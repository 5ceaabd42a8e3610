// HMAC signatures of webhook bodies, with WebCrypto so the handlers run on any fetch-standard runtime.

const encoder = new TextEncoder();

export type HmacHash = 'SHA-1' | 'SHA-256';

/** Prepares an HMAC key once; `sign` then costs one digest per request. */
export function createHmacSigner(secret: string, hash: HmacHash): (data: Uint8Array) => Promise<Uint8Array> {
  const key = globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash }, false, [
    'sign',
  ]);
  return async (data) =>
    new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await key, data as Uint8Array<ArrayBuffer>));
}

/**
 * Compares two byte strings in time that depends only on their lengths. The expected length is public
 * (a digest size), so leaving early on a length mismatch tells an attacker nothing.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= (a[index] as number) ^ (b[index] as number);
  return difference === 0;
}

/** Lower- or upper-case hex → bytes; `undefined` for anything that is not even-length hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}

/** Standard base64 → bytes; `undefined` when it is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const binary = globalThis.atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Equality of two strings (tokens) in time that does not reveal where they differ. */
export function constantTimeEqualText(a: string, b: string): boolean {
  return constantTimeEqual(encoder.encode(a), encoder.encode(b));
}
