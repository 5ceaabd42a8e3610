// Sign-in for the demo: a signed cookie holding the user id (HMAC-SHA256). The same value authenticates the page,
// the HTTP inbox API and the WebSocket: one session, one check.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Authenticate } from '@herald/core';
import { extractToken } from '@herald/websocket';
import { findUser, type User } from './users';

export const sessionCookie = 'helpdesk_session';

export interface Sessions {
  /** The cookie value for a user: `<userId>.<signature>`. */
  sign(userId: string): string;
  /** The signed-in user, or undefined for a missing, forged or unknown session. */
  verify(token: string | undefined): User | undefined;
  /** For the inbox API and the gateway: the cookie, or the same value as a bearer token / subprotocol. */
  authenticate: Authenticate;
}

export function createSessions(
  secret: string = process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
): Sessions {
  const signature = (userId: string): string => createHmac('sha256', secret).update(userId).digest('base64url');
  const sessions: Sessions = {
    sign: (userId) => `${userId}.${signature(userId)}`,
    verify(token) {
      if (token === undefined) return undefined;
      const dot = token.lastIndexOf('.');
      if (dot <= 0) return undefined;
      const userId = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1));
      const expected = Buffer.from(signature(userId));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      return findUser(userId);
    },
    async authenticate(request) {
      const user = sessions.verify(extractToken(request, { cookie: sessionCookie, query: false }));
      return user === undefined ? null : { userId: user.id };
    },
  };
  return sessions;
}
