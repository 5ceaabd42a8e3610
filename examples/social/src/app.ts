// The social network's web app (Hono): sign-in, posts, reactions, connections, communities, stories, the send
// log, the inbox API and the page with its bell.
import type { Herald } from '@herald/core';
import { createInboxHandler } from '@herald/http';
import type { TestClock } from '@herald/testing';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { z } from 'zod';
import {
  answerInput,
  communities,
  connectionRequestInput,
  createNetwork,
  postInput,
  reactionInput,
  type User,
  users,
} from './domain';
import type { PushBatch } from './herald';
import { feedPage, signInPage } from './page';
import { type Sessions, sessionCookie } from './session';

export interface SocialAppSettings {
  herald: Herald;
  sessions: Sessions;
  inboxScript: string;
  /** The push batches this process sent (in-process runner only; with BullMQ they are the worker's). */
  pushBatches: PushBatch[];
  /** Devices Herald removed because FCM called their token dead. */
  removedDevices: { userId: string; token: string; reason: string }[];
  testClock?: TestClock | undefined;
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

export function createSocialApp(settings: SocialAppSettings) {
  const { herald, sessions, testClock } = settings;
  const network = createNetwork(herald);
  const inbox = createInboxHandler({ herald, authenticate: sessions.authenticate, basePath: '/api/inbox' });
  const app = new Hono<{ Variables: Variables }>();
  const body = (c: { req: { json(): Promise<unknown> } }) => c.req.json().catch(() => undefined);

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
    return c.html(user ? feedPage(user, users.slice(0, 5)) : signInPage(users.slice(0, 8)));
  });
  // Where a notification's link leads: the feed (a post's own entry highlighted).
  app.get('/posts/:id', (c) => c.redirect(`/#${encodeURIComponent(c.req.param('id'))}`));
  app.get('/connections/:id', (c) => c.redirect('/'));
  app.get('/stories/:id', (c) => c.redirect('/'));
  settings.mount?.(app as unknown as Hono);

  app.use('/api/*', async (c, next) => {
    const userId = sessions.verify(getCookie(c, sessionCookie));
    const user = users.find((candidate) => candidate.id === userId);
    if (!user) return c.json({ error: 'UNAUTHENTICATED', message: 'Sign in first: /sign-in/<userId>' }, 401);
    c.set('user', user);
    await next();
  });
  app.all('/api/inbox/*', (c) => inbox(c.req.raw));
  app.get('/api/realtime-token', (c) => c.json({ token: sessions.sign(c.get('user').id) }));

  app.get('/api/feed', (c) =>
    c.json({
      posts: network
        .posts()
        .slice(-20)
        .reverse()
        .map((post) => ({ ...post, authorName: network.person(post.authorId).name })),
      requests: network.requestsFor(c.get('user').id),
      // The app's clock (a test clock under SOCIAL_TEST_CLOCK=1), so the page shows item times against it.
      now: new Date(testClock?.now() ?? Date.now()).toISOString(),
    }),
  );
  app.post('/api/posts', async (c) => {
    const parsed = postInput.safeParse(await body(c));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    return c.json({ post: await network.post(c.get('user').id, parsed.data.text) }, 201);
  });
  app.post('/api/communities/:id/posts', async (c) => {
    const parsed = postInput.safeParse(await body(c));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    const result = await network.communityPost(c.get('user').id, c.req.param('id'), parsed.data.text);
    if (!result) return c.json({ error: 'NOT_FOUND', message: `No community ${c.req.param('id')}` }, 404);
    return c.json(result, 201);
  });
  app.post('/api/posts/:id/reactions', async (c) => {
    const parsed = reactionInput.safeParse(await body(c));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    const post = await network.react(c.get('user').id, c.req.param('id'), parsed.data.vibe);
    if (!post) return c.json({ error: 'NOT_FOUND', message: `No post ${c.req.param('id')}` }, 404);
    return c.json({ post }, 201);
  });
  app.post('/api/connections', async (c) => {
    const parsed = connectionRequestInput.safeParse(await body(c));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    return c.json({ request: await network.requestConnection(c.get('user').id, parsed.data.to) }, 201);
  });
  app.post('/api/connections/:id/answer', async (c) => {
    const parsed = answerInput.safeParse(await body(c));
    if (!parsed.success) return c.json(validationError(parsed.error), 400);
    const request = await network.answer(c.get('user').id, c.req.param('id'), parsed.data.answer);
    if (!request) return c.json({ error: 'NOT_FOUND', message: `No request ${c.req.param('id')} to you` }, 404);
    return c.json({ request });
  });
  app.post('/api/stories', async (c) => c.json({ story: await network.story(c.get('user').id) }, 201));
  app.get('/api/communities', (c) =>
    c.json({ communities: communities.map(({ id, name, members }) => ({ id, name, members: members.length })) }),
  );
  app.get('/api/devices', async (c) => {
    const userId = c.req.query('userId') ?? c.get('user').id;
    return c.json({ devices: await herald.devices.list(userId) });
  });

  // The log of every send: each notification with its delivery report (sent, skipped and why, failed), the push
  // batches and the devices removed as dead.
  app.get('/api/log', async (c) => {
    const entries = await Promise.all(
      network
        .log()
        .slice(0, 30)
        .map(async (entry) => ({ ...entry, report: await herald.deliveries.report(entry.notificationId) })),
    );
    return c.json({
      notifications: entries,
      pushBatches: settings.pushBatches,
      removedDevices: settings.removedDevices,
    });
  });

  app.post('/api/test/clock', async (c) => {
    if (!testClock) return c.json({ error: 'NOT_FOUND', message: 'Start with SOCIAL_TEST_CLOCK=1' }, 404);
    const advanceMs = ((await body(c)) as { advanceMs?: unknown } | undefined)?.advanceMs;
    if (typeof advanceMs !== 'number' || !Number.isInteger(advanceMs) || advanceMs < 0) {
      return c.json({ error: 'VALIDATION', message: 'advanceMs: Expected a non-negative integer' }, 400);
    }
    await testClock.advance(advanceMs);
    return c.json({ ok: true });
  });

  return app;
}
