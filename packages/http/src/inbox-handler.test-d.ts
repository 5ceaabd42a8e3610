import type { RequestListener } from 'node:http';
import type { Authenticate, AuthenticatedUser, Herald } from '@herald/core';
import { describe, expectTypeOf, it } from 'vitest';
import { createInboxHandler, type InboxHandler, type InboxHandlerSettings } from './inbox-handler';
import { toNodeHandler } from './node-handler';

declare const herald: Herald;

describe('createInboxHandler types', () => {
  it('accepts a sync or async authenticate returning a user or null', () => {
    createInboxHandler({ herald, authenticate: () => ({ userId: 'u' }) });
    createInboxHandler({ herald, authenticate: () => null });
    createInboxHandler({ herald, authenticate: async () => (Math.random() > 0.5 ? { userId: 'u' } : null) });
    // @ts-expect-error the user must be `{ userId }`
    createInboxHandler({ herald, authenticate: () => ({ id: 'u' }) });
    // @ts-expect-error authenticate is required
    createInboxHandler({ herald });
  });

  it('takes core’s shared Authenticate (the one the WebSocket gateway takes), or one that needs a whole Request', () => {
    const shared: Authenticate = (request) => ({ userId: request.headers.get('x-user') ?? new URL(request.url).host });
    createInboxHandler({ herald, authenticate: shared });
    const needsRequest: Authenticate<Request> = (request) => (request.method === 'GET' ? { userId: 'u' } : null);
    createInboxHandler({ herald, authenticate: needsRequest });
    expectTypeOf<Parameters<InboxHandlerSettings['authenticate']>[0]>().toEqualTypeOf<Request>();
    expectTypeOf<Awaited<ReturnType<InboxHandlerSettings['authenticate']>>>().toEqualTypeOf<
      AuthenticatedUser | null | undefined
    >();
  });

  it('is a fetch handler and, through toNodeHandler, a node:http listener', () => {
    const handler = createInboxHandler({ herald, authenticate: () => null });
    expectTypeOf(handler).toEqualTypeOf<InboxHandler>();
    expectTypeOf(handler).toExtend<(request: Request) => Promise<Response>>();
    expectTypeOf(toNodeHandler(handler)).toExtend<RequestListener>();
  });

  it('needs only the inbox, devices and preferences APIs', () => {
    const partial: Pick<Herald, 'inbox' | 'devices' | 'preferences'> = herald;
    createInboxHandler({ herald: partial, authenticate: () => null });
    // @ts-expect-error the preferences API is needed
    createInboxHandler({ herald: { inbox: herald.inbox, devices: herald.devices }, authenticate: () => null });
  });
});
