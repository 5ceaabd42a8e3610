import type { AuthenticationRequest } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  extractToken,
  tokenFromAuthorizationHeader,
  tokenFromCookie,
  tokenFromQuery,
  tokenFromSubprotocol,
} from './token-extraction';

/** A fetch `Request`: what the HTTP inbox API hands to `authenticate`, and the shape the gateway's view has. */
function request(headers: Record<string, string>, url = '/realtime'): AuthenticationRequest {
  return new Request(new URL(url, 'http://app.example.com'), { headers });
}

describe('token extraction', () => {
  it('reads a bearer token from the Authorization header', () => {
    expect(tokenFromAuthorizationHeader(request({ authorization: 'Bearer abc.def' }))).toBe('abc.def');
    expect(tokenFromAuthorizationHeader(request({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(tokenFromAuthorizationHeader(request({}))).toBeUndefined();
  });

  it('decodes the herald.auth subprotocol (base64url UTF-8) and refuses malformed ones', () => {
    const encoded = Buffer.from('tök+en/=', 'utf8').toString('base64url');
    expect(tokenFromSubprotocol(request({ 'sec-websocket-protocol': `herald.v1, herald.auth.${encoded}` }))).toBe(
      'tök+en/=',
    );
    expect(tokenFromSubprotocol(request({ 'sec-websocket-protocol': 'herald.v1, herald.auth.' }))).toBeUndefined();
    expect(tokenFromSubprotocol(request({ 'sec-websocket-protocol': 'herald.v1, herald.auth.a=b' }))).toBeUndefined();
    expect(tokenFromSubprotocol(request({ 'sec-websocket-protocol': 'herald.v1' }))).toBeUndefined();
  });

  it('reads a named cookie, percent-decoded', () => {
    const headers = { cookie: 'theme=dark; session=a%20b; other=1' };
    expect(tokenFromCookie(request(headers), 'session')).toBe('a b');
    expect(tokenFromCookie(request(headers), 'missing')).toBeUndefined();
    expect(tokenFromCookie(request({ cookie: 'session=%E0%A4%A' }), 'session')).toBe('%E0%A4%A');
  });

  it('reads a query parameter', () => {
    expect(tokenFromQuery(request({}, '/realtime?token=t%201'))).toBe('t 1');
    expect(tokenFromQuery(request({}, '/realtime?access=x'), 'access')).toBe('x');
    expect(tokenFromQuery(request({}, '/realtime'))).toBeUndefined();
    expect(tokenFromQuery({ headers: new Headers(), url: '::not a url::' })).toBeUndefined();
  });

  it('tries header, subprotocol, cookie, then query, and can leave the query out', () => {
    const encoded = Buffer.from('from-protocol').toString('base64url');
    const all = request(
      {
        authorization: 'Bearer from-header',
        'sec-websocket-protocol': `herald.v1, herald.auth.${encoded}`,
        cookie: 's=from-cookie',
      },
      '/realtime?token=from-query',
    );
    expect(extractToken(all, { cookie: 's' })).toBe('from-header');
    expect(extractToken(request({ cookie: 's=from-cookie' }, '/realtime?token=q'), { cookie: 's' })).toBe(
      'from-cookie',
    );
    expect(extractToken(request({}, '/realtime?token=q'))).toBe('q');
    expect(extractToken(request({}, '/realtime?token=q'), { query: false })).toBeUndefined();
  });
});
