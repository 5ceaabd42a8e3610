// The devtools handler against real channels and the local peers: what was sent, the deliveries, the previews,
// escaping of hostile payloads, the production guard and every bad setting.

import { ConfigurationError, createHerald, html } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { waitUntil } from '@herald/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ana, type DevtoolsStack, definitions, startDevtoolsStack, ticketAssigned } from './devtools.fixture';
import { createDevtoolsHandler } from './devtools-handler';
import type { NotificationPreview } from './notification-preview';

let stack: DevtoolsStack;

beforeAll(async () => {
  stack = await startDevtoolsStack();
});
afterAll(async () => {
  await stack.stop();
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.origin}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return (await response.json()) as T;
}

describe('what was sent', () => {
  it('lists every email, WhatsApp message and push the peers received, and each notification with its deliveries', async () => {
    const result = await stack.herald.notify(ticketAssigned, {
      to: [{ ...ana, pushTokens: ['ana-phone', 'ana-tablet'] }],
      payload: { ticketId: 'T-9', title: 'Printer on fire', urgent: true },
    });
    const report = await result.settled;
    // One delivery per recipient × channel: the push delivery reaches both devices.
    expect(report).toMatchObject({ sent: 4, failed: 0 });

    const mail = await getJson<{
      configured: boolean;
      messages: { subject: string; to: string[]; text: string; html: string }[];
    }>('/dev/api/mail');
    expect(mail.configured).toBe(true);
    expect(mail.messages).toEqual([
      expect.objectContaining({
        subject: 'Assigned: Printer on fire',
        to: ['ana@acme.test'],
        from: '"Desk" <desk@acme.test>',
        text: 'Hi Ana, you now own Printer on fire.',
        html: '<h1>Hi Ana</h1><p>You now own <strong>Printer on fire</strong>.</p>',
      }),
    ]);
    const whatsapp = await getJson<{ messages: unknown[] }>('/dev/api/whatsapp');
    expect(whatsapp.messages).toEqual([
      expect.objectContaining({ to: '15550100002', type: 'text', text: 'Urgent ticket: Printer on fire' }),
    ]);
    const push = await getJson<{ messages: { token: string }[] }>('/dev/api/push');
    expect(push.messages.map((message) => message.token).sort()).toEqual(['ana-phone', 'ana-tablet']);
    expect(push.messages[0]).toMatchObject({
      title: 'Ticket assigned',
      body: 'Printer on fire',
      data: { ticketId: 'T-9' },
    });

    const { notifications } = await getJson<{
      notifications: { notificationId: string; deliveries: { kind: string; status: string }[] }[];
    }>('/dev/api/notifications');
    expect(notifications[0]?.notificationId).toBe(result.id);
    expect(notifications[0]?.deliveries.map((delivery) => `${delivery.kind}:${delivery.status}`).sort()).toEqual([
      'email:sent',
      'inApp:sent',
      'push:sent',
      'whatsapp:sent',
    ]);

    const page = await fetch(`${stack.origin}/dev`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    expect(text).toContain('<h2>Email (1)</h2>');
    expect(text).toContain('<h2>WhatsApp (1)</h2>');
    expect(text).toContain('<h2>Push (2)</h2>');
    expect(text).toContain('Assigned: Printer on fire');
  });

  it('escapes everything it renders: hostile subjects, bodies, tokens and types never become markup', async () => {
    const hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">"\'&';
    const before = stack.smtp.acceptedCount();
    const result = await stack.herald.notify(ticketAssigned, {
      to: [{ ...ana, name: hostile, pushTokens: [`tok${hostile}`] }],
      payload: { ticketId: hostile, title: hostile, urgent: true },
    });
    await result.settled;
    await waitUntil('the hostile mail arrives', () => stack.smtp.acceptedCount() > before);
    const text = await (await fetch(`${stack.origin}/dev`)).text();
    // The page carries no script and no element from a payload: only the escaped text.
    expect(text).not.toMatch(/<script/i);
    expect(text).not.toMatch(/<img src=x/i);
    expect(text).toContain(
      '&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;&quot;&#39;&amp;',
    );
    // The email's HTML part stays an attribute value (it renders only inside the sandboxed frame).
    expect(text).toMatch(/<iframe sandbox="" referrerpolicy="no-referrer" title="[^"<>]*" srcdoc="[^"<>]*"><\/iframe>/);
  });

  it('says a source is not configured instead of failing, and answers an empty list', async () => {
    const herald = createHerald({ store: new MemoryStore(), channels: [] });
    const devtools = createDevtoolsHandler({ herald, definitions: [] });
    const mail = await devtools(new Request('http://local/dev/api/mail'));
    expect(await mail.json()).toEqual({ configured: false, messages: [] });
    const page = await (await devtools(new Request('http://local/dev'))).text();
    expect(page).toContain('No mail source');
    expect(page).toContain('No definitions given.');
    devtools.close();
    await herald.close();
  });

  it('answers 500 with the reason when a source cannot be read, and the other routes still work', async () => {
    const herald = createHerald({ store: new MemoryStore(), channels: [] });
    const devtools = createDevtoolsHandler({
      herald,
      definitions,
      mail: {
        listReceived: () => {
          throw new Error('sink is down');
        },
      },
    });
    const response = await devtools(new Request('http://local/dev/api/mail'));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'INTERNAL', message: 'The devtools could not read what was sent: sink is down' },
    });
    expect((await devtools(new Request('http://local/dev/api/previews'))).status).toBe(200);
    devtools.close();
    await herald.close();
  });
});

describe('previews', () => {
  it('renders every definition × channel from its sample payloads, and reports refused payloads, throws and skips', async () => {
    const { previews } = await getJson<{ previews: NotificationPreview[] }>('/dev/api/previews');
    expect(previews.map((preview) => `${preview.type}/${preview.name}`)).toEqual([
      'ticket.assigned/default',
      'ticket.assigned/urgent',
      'ticket.broken/default',
      'ticket.broken/wrong',
    ]);
    const [assigned, urgent, broken, wrong] = previews;
    expect(assigned?.channels).toEqual([
      {
        kind: 'inApp',
        status: 'rendered',
        afterMs: 0,
        content: { title: 'Ticket assigned', body: 'Printer on fire', url: '/tickets/T-1' },
      },
      {
        kind: 'email',
        status: 'rendered',
        afterMs: 0,
        content: {
          subject: 'Assigned: Printer on fire',
          html: '<h1>Hi Ada Lovelace</h1><p>You now own <strong>Printer on fire</strong>.</p>',
          text: 'Hi Ada Lovelace, you now own Printer on fire.',
        },
      },
      { kind: 'whatsapp', status: 'skipped', reason: 'not urgent', afterMs: 0 },
      {
        kind: 'push',
        status: 'rendered',
        afterMs: 0,
        content: { title: 'Ticket assigned', body: 'Printer on fire', data: { ticketId: 'T-1' } },
      },
    ]);
    expect(urgent?.channels[2]).toEqual({
      kind: 'whatsapp',
      status: 'rendered',
      afterMs: 0,
      content: { text: 'Urgent ticket: Server room flooded' },
    });
    expect(broken?.channels[1]).toEqual({
      kind: 'email',
      status: 'error',
      afterMs: 0,
      error: 'Error: template exploded',
    });
    expect(wrong?.channels).toEqual([]);
    expect(wrong?.issues).toEqual([
      { path: 'payload.ticketId', message: 'Invalid input: expected string, received number' },
    ]);

    const page = await (await fetch(`${stack.origin}/dev`)).text();
    expect(page).toContain('<h2>Previews (4)</h2>');
    expect(page).toContain('The schema refuses this sample payload:');
    expect(page).toContain('<li>payload.ticketId: Invalid input: expected string, received number</li>');
    expect(page).toContain('No <code>previews</code> declared: <code>ticket.silent</code>');
  });
});

describe('routes', () => {
  it('answers only under its base path, only to reads', async () => {
    const outside = await fetch(`${stack.origin}/tickets`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No devtools route at /tickets.' } });
    expect((await fetch(`${stack.origin}/devices`)).status).toBe(404);
    expect((await fetch(`${stack.origin}/dev/`)).status).toBe(200);
    expect((await fetch(`${stack.origin}/dev/api/nothing`)).status).toBe(404);
    const post = await fetch(`${stack.origin}/dev/api/mail`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed here; the devtools only read.' },
    });
  });

  it('mounts under another base path', async () => {
    const herald = createHerald({ store: new MemoryStore(), channels: [] });
    const devtools = createDevtoolsHandler({ herald, definitions, basePath: '/_herald/dev' });
    expect(devtools.basePath).toBe('/_herald/dev');
    expect((await devtools(new Request('http://local/_herald/dev/api/previews'))).status).toBe(200);
    expect((await devtools(new Request('http://local/dev/api/previews'))).status).toBe(404);
    devtools.close();
    await herald.close();
  });
});

describe('settings', () => {
  const herald = createHerald({ store: new MemoryStore(), channels: [] });
  const previousEnvironment = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = previousEnvironment;
  });
  afterAll(async () => {
    await herald.close();
  });

  it('refuses to start when NODE_ENV is production, unless forced', async () => {
    process.env.NODE_ENV = 'production';
    let thrown: unknown;
    try {
      createDevtoolsHandler({ herald, definitions });
    } catch (error) {
      thrown = error;
    }
    expect(ConfigurationError.is(thrown)).toBe(true);
    expect(thrown).toMatchObject({
      code: 'CONFIGURATION',
      message:
        'createDevtoolsHandler refuses to run with NODE_ENV=production: the page shows every message sent and every template. Pass { force: true } to run it anyway, behind your own authentication.',
    });
    const forced = createDevtoolsHandler({ herald, definitions, force: true });
    expect((await forced(new Request('http://local/dev/api/previews'))).status).toBe(200);
    forced.close();
  });

  it('refuses each bad setting with a message that names it, and starts nothing', () => {
    const attempt = (settings: unknown) => () => createDevtoolsHandler(settings as never);
    expect(attempt(undefined)).toThrow('createDevtoolsHandler: pass { herald, definitions }.');
    expect(attempt({ definitions })).toThrow(
      'createDevtoolsHandler: herald must be the instance createHerald returned.',
    );
    expect(attempt({ herald, definitions: { ticketAssigned } })).toThrow(
      'createDevtoolsHandler: definitions must be an array of defineNotification results (e.g. Object.values(notifications)).',
    );
    expect(attempt({ herald, definitions: [ticketAssigned, { type: 'x' }] })).toThrow(
      'createDevtoolsHandler: definitions[1] is not a defineNotification result.',
    );
    expect(attempt({ herald, definitions, mail: { received: [] } })).toThrow(
      'createDevtoolsHandler: mail must be an object with listReceived() (such as a local peer), got object.',
    );
    expect(attempt({ herald, definitions, push: null })).toThrow(
      'createDevtoolsHandler: push must be an object with listReceived() (such as a local peer), got null.',
    );
    for (const basePath of ['dev', '/dev/', '/', '/d ev', '']) {
      expect(attempt({ herald, definitions, basePath })).toThrow(
        `createDevtoolsHandler: basePath must be a path such as "/dev" (a leading slash, no trailing slash), got ${JSON.stringify(basePath)}.`,
      );
    }
    expect(attempt({ herald, definitions, notificationLimit: 0 })).toThrow(
      'createDevtoolsHandler: notificationLimit must be an integer from 1 to 10000, got 0.',
    );
    expect(attempt({ herald, definitions, basePath: 'dev' })).toThrow(ConfigurationError);
  });

  it('escapes the html tag once: a SafeHtml body is rendered as its markup, not as an object', async () => {
    const rendered = await createDevtoolsHandler({ herald, definitions })(new Request('http://local/dev/api/previews'));
    const body = JSON.stringify(await rendered.json());
    expect(body).not.toContain('"value"');
    expect(String(html`<b>${'x'}</b>`)).toBe('<b>x</b>');
  });
});
