// The web app (Hono): sign-in, the ticket pages and API, and what Herald serves beside them — the inbox API
// for the bell, the realtime token, and the /dev page.

import type { DeliveryRecord, Herald } from '@herald/core';
import type { DevtoolsHandler } from '@herald/devtools';
import { createInboxHandler } from '@herald/http';
import { build } from 'esbuild';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { clientScript, deskPage, loginPage } from './pages';
import { type Sessions, sessionCookie } from './session';
import { ActionError, type Desk } from './tickets';
import { findUser, type User } from './users';

export interface AppOptions {
  herald: Herald;
  desk: Desk;
  sessions: Sessions;
  devtools: DevtoolsHandler | undefined;
}

let inboxBundle: Promise<string> | undefined;

/** `<herald-inbox>` for the browser, bundled once from the package on first request. */
function bundleInboxElement(): Promise<string> {
  inboxBundle ??= build({
    stdin: { contents: "import '@herald/inbox-element/define';", resolveDir: import.meta.dirname, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['herald-source'],
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  }).then((result) => result.outputFiles[0]?.text ?? '');
  return inboxBundle;
}

export function createApp(options: AppOptions): Hono<{ Variables: { user: User } }> {
  const { herald, desk, sessions, devtools } = options;
  const app = new Hono<{ Variables: { user: User } }>();
  const inbox = createInboxHandler({ herald, authenticate: sessions.authenticate, basePath: '/api/inbox' });

  const signedIn = (cookie: string | undefined): User | undefined => sessions.verify(cookie);

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const user = findUser(typeof form.userId === 'string' ? form.userId : undefined);
    if (user === undefined) return c.text('Unknown user', 400);
    setCookie(c, sessionCookie, sessions.sign(user.id), { httpOnly: true, sameSite: 'Lax', path: '/' });
    return c.redirect('/');
  });
  app.post('/logout', (c) => {
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.redirect('/');
  });

  if (devtools !== undefined) {
    app.all('/dev', (c) => devtools(c.req.raw));
    app.all('/dev/*', (c) => devtools(c.req.raw));
  }
  app.get('/assets/inbox.js', async (c) =>
    c.body(await bundleInboxElement(), 200, { 'content-type': 'text/javascript' }),
  );
  app.get('/assets/client.js', (c) => c.body(clientScript, 200, { 'content-type': 'text/javascript' }));

  // The inbox API authenticates on its own, with the same session check.
  app.all('/api/inbox/*', (c) => inbox(c.req.raw));

  app.use('/api/*', async (c, next) => {
    const user = signedIn(getCookie(c, sessionCookie));
    if (user === undefined) return c.json({ error: { code: 'UNAUTHENTICATED', message: 'Sign in first.' } }, 401);
    c.set('user', user);
    // Writes must be JSON: a cross-site form cannot send that without CORS.
    if (c.req.method === 'POST' && !c.req.header('content-type')?.startsWith('application/json')) {
      return c.json(
        { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send JSON (content-type: application/json).' } },
        415,
      );
    }
    await next();
  });
  app.onError((error, c) => {
    if (error instanceof ActionError) {
      return c.json({ error: { code: error.code, message: error.message, issues: error.issues } }, error.status);
    }
    console.error(error);
    return c.json({ error: { code: 'INTERNAL', message: 'Internal error' } }, 500);
  });

  const body = async (c: { req: { json(): Promise<unknown> } }): Promise<unknown> => {
    try {
      return await c.req.json();
    } catch {
      throw new ActionError(400, 'VALIDATION', 'The body is not JSON.', [{ path: '(body)', message: 'not JSON' }]);
    }
  };

  app.get('/api/realtime-token', (c) => c.json({ token: getCookie(c, sessionCookie) }));
  app.get('/api/me', (c) => c.json({ user: c.get('user') }));
  app.get('/api/tickets', (c) => c.json({ tickets: desk.list() }));
  app.post('/api/tickets', async (c) => c.json({ ticket: await desk.create(c.get('user'), await body(c)) }, 201));
  app.get('/api/tickets/:id', (c) => c.json({ ticket: desk.get(c.req.param('id')) }));
  app.get('/api/tickets/:id/deliveries', async (c) =>
    c.json({ deliveries: await desk.deliveryLog(c.req.param('id')) }),
  );
  app.post('/api/tickets/:id/assign', async (c) =>
    c.json(await desk.assign(c.get('user'), c.req.param('id'), await body(c))),
  );
  app.post('/api/tickets/:id/status', async (c) =>
    c.json({ ticket: await desk.setStatus(c.get('user'), c.req.param('id'), await body(c)) }),
  );
  app.post('/api/tickets/:id/comments', async (c) =>
    c.json({ ticket: await desk.comment(c.get('user'), c.req.param('id'), await body(c)) }),
  );
  app.post('/api/tickets/:id/resolve', async (c) =>
    c.json({ ticket: await desk.resolve(c.get('user'), c.req.param('id'), await body(c)) }),
  );
  app.post('/api/tickets/:id/reject', async (c) =>
    c.json({ ticket: await desk.reject(c.get('user'), c.req.param('id'), await body(c)) }),
  );
  app.post('/api/tickets/:id/watch', (c) => c.json({ ticket: desk.watch(c.get('user'), c.req.param('id')) }));

  const page = async (c: Context<{ Variables: { user: User } }>, ticketId?: string) => {
    const user = signedIn(getCookie(c, sessionCookie));
    if (user === undefined) return c.html(loginPage());
    let current: { ticket: ReturnType<Desk['get']>; records: DeliveryRecord[] } | undefined;
    if (ticketId !== undefined) {
      try {
        current = { ticket: desk.get(ticketId), records: await desk.deliveryLog(ticketId) };
      } catch {
        return c.text('No such ticket', 404);
      }
    }
    const host = c.req.header('host') ?? 'localhost';
    return c.html(deskPage({ user, tickets: desk.list(), current, realtimeUrl: `ws://${host}/realtime` }));
  };
  app.get('/', (c) => page(c));
  app.get('/tickets/:id', (c) => page(c, c.req.param('id')));
  return app;
}
