// Sign-in for the demo: pick a seeded user; the session is a signed cookie, and the same signed token
// authenticates the HTTP inbox API and the WebSocket gateway.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Authenticate } from '@herald/core';
import { extractToken } from '@herald/websocket';

export const sessionCookie = 'session';

export function createSessions(knownUser: (id: string) => boolean) {
  const secret = randomBytes(32);
  const mac = (userId: string): string => createHmac('sha256', secret).update(userId).digest('base64url');

  function verify(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const dot = token.lastIndexOf('.');
    const userId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(mac(userId));
    if (dot < 1 || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return knownUser(userId) ? userId : undefined;
  }

  const authenticate: Authenticate = (request) => {
    const userId = verify(extractToken(request, { cookie: sessionCookie, query: false }));
    return userId ? { userId } : null;
  };

  return { sign: (userId: string): string => `${userId}.${mac(userId)}`, verify, authenticate };
}

export type Sessions = ReturnType<typeof createSessions>;
