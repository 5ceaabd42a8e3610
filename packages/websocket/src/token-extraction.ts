// Helpers for `authenticate`: where a WebSocket upgrade request can carry an access token.
// Browsers cannot set headers on a WebSocket, so the subprotocol, a cookie or the query string carry it there.

import type { IncomingMessage } from 'node:http';
import { TOKEN_SUBPROTOCOL_PREFIX } from './protocol';

/** `Authorization: Bearer <token>`. */
export function tokenFromAuthorizationHeader(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** `Sec-WebSocket-Protocol: herald.v1, herald.auth.<base64url token>` (what the Herald client sends). */
export function tokenFromSubprotocol(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (!protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) continue;
    const encoded = protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    if (encoded.length === 0 || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return Buffer.from(encoded, 'base64url').toString('utf8');
  }
  return undefined;
}

/** A named cookie. */
export function tokenFromCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    const value = part.slice(separator + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/** A query-string parameter, `?token=` by default. Tokens in URLs end up in access logs: prefer the others. */
export function tokenFromQuery(request: IncomingMessage, name = 'token'): string | undefined {
  const url = new URL(request.url ?? '/', 'http://localhost');
  return url.searchParams.get(name) ?? undefined;
}

export interface ExtractTokenOptions {
  /** Also look in this cookie. */
  cookie?: string;
  /** The query parameter to look in; `false` never reads the query string (default `token`). */
  query?: string | false;
}

/** Tries the Authorization header, the subprotocol, the cookie (when named), then the query string. */
export function extractToken(request: IncomingMessage, options: ExtractTokenOptions = {}): string | undefined {
  return (
    tokenFromAuthorizationHeader(request) ??
    tokenFromSubprotocol(request) ??
    (options.cookie === undefined ? undefined : tokenFromCookie(request, options.cookie)) ??
    (options.query === false ? undefined : tokenFromQuery(request, options.query ?? 'token'))
  );
}
