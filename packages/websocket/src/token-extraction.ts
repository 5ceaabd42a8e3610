// Helpers for `authenticate`: where a request can carry an access token. They read core's shared view of a
// request (headers and URL), so they work on a WebSocket upgrade and on a fetch `Request` to the HTTP inbox API
// alike. Browsers cannot set headers on a WebSocket, so the subprotocol, a cookie or the query string carry it there.

import type { AuthenticationRequest } from '@herald/core';
import { TOKEN_SUBPROTOCOL_PREFIX } from './protocol';

/** `Authorization: Bearer <token>`. */
export function tokenFromAuthorizationHeader(request: AuthenticationRequest): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function decodeBase64Url(encoded: string): string | undefined {
  try {
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** `Sec-WebSocket-Protocol: herald.v1, herald.auth.<base64url token>` (what the Herald client sends). */
export function tokenFromSubprotocol(request: AuthenticationRequest): string | undefined {
  const header = request.headers.get('sec-websocket-protocol');
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (!protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) continue;
    const encoded = protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    if (encoded.length === 0 || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return decodeBase64Url(encoded);
  }
  return undefined;
}

/** A named cookie. */
export function tokenFromCookie(request: AuthenticationRequest, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
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
export function tokenFromQuery(request: AuthenticationRequest, name = 'token'): string | undefined {
  let url: URL;
  try {
    url = new URL(request.url, 'http://localhost');
  } catch {
    return undefined;
  }
  return url.searchParams.get(name) ?? undefined;
}

export interface ExtractTokenOptions {
  /** Also look in this cookie. */
  cookie?: string;
  /** The query parameter to look in; `false` never reads the query string (default `token`). */
  query?: string | false;
}

/** Tries the Authorization header, the subprotocol, the cookie (when named), then the query string. */
export function extractToken(request: AuthenticationRequest, options: ExtractTokenOptions = {}): string | undefined {
  return (
    tokenFromAuthorizationHeader(request) ??
    tokenFromSubprotocol(request) ??
    (options.cookie === undefined ? undefined : tokenFromCookie(request, options.cookie)) ??
    (options.query === false ? undefined : tokenFromQuery(request, options.query ?? 'token'))
  );
}
