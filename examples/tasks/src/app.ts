// The task manager's web app (Hono): sign-in, the task board API, the office's broadcast, the delivery tracking
// view, the inbox API and the page with its bell.
import type { Clock, Herald } from '@herald/core';
import { createInboxHandler } from '@herald/http';
import type { TestClock } from '@herald/testing';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { z } from 'zod';
import {
  broadcastInput,
  createTaskBoard,
  newTaskInput,
  taskChangeInput,
  technicians,
  type User,
  users,
} from './domain';
import { boardPage, signInPage } from './page';
import { type Sessions, sessionCookie } from './session';

export interface TasksAppSettings {
  herald: Herald;
  clock: Clock;
  /** Set when the app runs on a test clock: `POST /api/test/clock` moves it. */
  testClock?: TestClock | undefined;
  /** The same sessions authenticate the WebSocket gateway. */
  sessions: Sessions;
  inboxScript: string;
  /** Extra routes mounted by the host (the developer page). */
  mount?: (app: Hono) => void;
}

type Variables = { user: User };

function validationError(error: z.ZodError) {
  return {
    error: 'VALIDATION',
    message: error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
    issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  };
}

export function createTasksApp(settings: TasksAppSettings) {
  const { herald, clock, testClock, sessions } = settings;
  const board = createTaskBoard(herald, clock);
  const inbox = createInboxHandler({ herald, authenticate: sessions.authenticate, basePath: '/api/inbox' });
  const app = new Hono<{ Variables: Variables }>();

  app.get('/assets/herald-inbox.js', (c) =>
    c.body(settings.inboxScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/sign-in/:userId', (c) => {
    const userId = c.req.param('userId');
    if (!users.some((user) => user.id === userId)) return c.text(`Unknown user "${userId}"`, 404);
    setCookie(c, sessionCookie, sessions.sign(userId), { httpOnly: true, sameSite: 'Lax', path: '/' });
    return c.redirect('/');
  });
  app.get('/', (c) => {
    const userId = sessions.verify(getCookie(c, sessionCookie));
    const user = users.find((candidate) => candidate.id === userId);
    return c.html(user ? boardPage(user, users) : signInPage(users));
  });
  // Where a notification's link leads: the board, the task's row highlighted.
  app.get('/tasks/:id', (c) => c.redirect(`/#task-${encodeURIComponent(c.req.param('id'))}`));
  settings.mount?.(app as unknown as Hono);

  // Everything under /api needs a session.
  app.use('/api/*', async (c, next) => {
    const userId = sessions.verify(getCookie(c, sessionCookie));
    const user = users.find((candidate) => candidate.id === userId);
    if (!user) return c.json({ error: 'UNAUTHENTICATED', message: 'Sign in first: /sign-in/<userId>' }, 401);
    c.set('user', user);
    await next();
  });
  app.all('/api/inbox/*', (c) => inbox(c.req.raw));
  app.get('/api/realtime-token', (c) => c.json({ token: sessions.sign(c.get('user').id) }));
  app.get('/api/me', (c) => c.json({ user: c.get('user'), now: new Date(clock.now()).toISOString() }));

  app.get('/api/tasks', (c) => c.json({ tasks: board.list() }));
  app.post('/api/tasks', async (c) => {
    const parsed = newTaskInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    return c.json({ task: await board.create(c.get('user').id, parsed.data) }, 201);
  });
  app.patch('/api/tasks/:id', async (c) => {
    const task = board.get(c.req.param('id'));
    if (!task) return c.json({ error: 'NOT_FOUND', message: `No task ${c.req.param('id')}` }, 404);
    const parsed = taskChangeInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    return c.json({ task: await board.change(c.get('user').id, task, parsed.data) });
  });

  app.post('/api/broadcasts', async (c) => {
    if (c.get('user').role !== 'office')
      return c.json({ error: 'FORBIDDEN', message: 'Only office staff broadcast' }, 403);
    const parsed = broadcastInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    const report = await board.broadcast(c.get('user').id, parsed.data);
    return c.json({ report }, 201);
  });

  // What the seed tracked per notification: delivered to a device (`deliveredAt`) and read (`readAt`).
  app.get('/api/tracking', async (c) => {
    const rows = await Promise.all(
      technicians().map(async (user) => {
        const { items } = await herald.inbox.list(user.id, { limit: 50 });
        const unread = await herald.inbox.unreadCount(user.id);
        return { user: { id: user.id, name: user.name }, unread: unread.total, items };
      }),
    );
    return c.json({ technicians: rows });
  });

  app.post('/api/maintenance/prune', async (c) => {
    if (c.get('user').role !== 'office') return c.json({ error: 'FORBIDDEN', message: 'Office staff only' }, 403);
    const readBefore = new Date(clock.now() - 30 * 24 * 3_600_000);
    return c.json({ removed: await herald.inbox.prune({ readBefore }), readBefore: readBefore.toISOString() });
  });

  app.post('/api/test/clock', async (c) => {
    if (!testClock) return c.json({ error: 'NOT_FOUND', message: 'Start with TASKS_TEST_CLOCK=1' }, 404);
    const body = (await c.req.json().catch(() => undefined)) as { advanceMs?: unknown } | undefined;
    const advanceMs = body?.advanceMs;
    if (typeof advanceMs !== 'number' || !Number.isInteger(advanceMs) || advanceMs < 0) {
      return c.json({ error: 'VALIDATION', message: 'advanceMs: Expected a non-negative integer' }, 400);
    }
    await testClock.advance(advanceMs);
    return c.json({ now: new Date(clock.now()).toISOString() });
  });

  return app;
}
