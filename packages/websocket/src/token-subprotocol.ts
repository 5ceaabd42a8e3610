// The `herald.auth.<token>` subprotocol: how a browser, which cannot set headers on a WebSocket, sends its token.

import { TOKEN_SUBPROTOCOL_PREFIX } from './protocol';

function base64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `herald.auth.` + the token as UTF-8, base64url without padding. */
export function tokenSubprotocol(token: string): string {
  return TOKEN_SUBPROTOCOL_PREFIX + base64Url(token);
}
