// The helpdesk in Chromium, against the running app (in this process, with Herald on a test clock): a manager
// assigns, the agent's bell updates live; the same assignee again sends nothing; the unread assignment's email
// shows on /dev; a reject without a reason is a 400 naming the field; offline and back, two comments are shown
// once each; reading in one tab clears the other.

import { fileURLToPath } from 'node:url';
import { launchChromium } from '@herald/test-peers/browser';
import { createTestClock, type TestClock, waitUntil } from '@herald/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Helpdesk, startHelpdesk } from '../src/server';
import type { Ticket } from '../src/tickets';

// The README's picture is refreshed only when asked (HERALD_UPDATE_SCREENSHOTS=1), so a test run leaves the tree
// as it found it; otherwise the screenshot goes to the repository's .tmp/.
const screenshot = fileURLToPath(
  new URL(
    process.env.HERALD_UPDATE_SCREENSHOTS ? '../docs/helpdesk.png' : '../../../.tmp/screenshots/helpdesk.png',
    import.meta.url,
  ),
);

let helpdesk: Helpdesk;
let clock: TestClock;
let browser: Browser;

beforeAll(async () => {
  // Two minutes behind, so that after the escalation test moves it on, the clock is about the browser's.
  clock = createTestClock(Date.now() - 2 * 60_000);
  helpdesk = await startHelpdesk({ clock, sessionSecret: 'test-secret' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await helpdesk?.close();
});

/** A browser context signed in as a seeded user (the signed session cookie is set by POST /login). */
async function signIn(userId: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const response = await context.request.post(`${helpdesk.url}/login`, { form: { userId }, maxRedirects: 0 });
  expect(response.status()).toBe(302);
  return context;
}

async function api<T>(context: BrowserContext, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const url = `${helpdesk.url}${path}`;
  const response =
    body === undefined ? await context.request.get(url) : await context.request.post(url, { data: body });
  return { status: response.status(), body: (await response.json()) as T };
}

interface Bell {
  badge: string;
  connection: string;
  items: { id: string; text: string; unread: boolean }[];
}

function bell(page: Page): Promise<Bell> {
  return page.evaluate(() => {
    const host = document.querySelector('herald-inbox');
    const root = host?.shadowRoot;
    const badge = root?.querySelector<HTMLElement>('.badge');
    return {
      badge: badge === null || badge === undefined || badge.hidden ? '' : (badge.textContent ?? ''),
      connection: host?.getAttribute('connection') ?? '',
      items: Array.from(root?.querySelectorAll<HTMLElement>('li.item') ?? []).map((li) => ({
        id: li.dataset.id ?? '',
        text: li.querySelector('.main')?.textContent ?? '',
        unread: li.classList.contains('unread'),
      })),
    };
  });
}

async function until(page: Page, check: (seen: Bell) => boolean, what: string): Promise<Bell> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const seen = await bell(page);
    if (check(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}: ${JSON.stringify(seen)}`);
    await page.waitForTimeout(25);
  }
}

async function openDesk(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${helpdesk.url}${path}`);
  await until(page, (seen) => seen.connection === 'online', 'the bell to connect');
  return page;
}

function openPanel(page: Page): Promise<void> {
  return page.evaluate(() => (document.querySelector('herald-inbox') as HTMLElement & { show(): void }).show());
}

async function createTicket(context: BrowserContext, title: string, priority = 'normal'): Promise<Ticket> {
  const created = await api<{ ticket: Ticket }>(context, '/api/tickets', { title, priority });
  expect(created.status).toBe(201);
  return created.body.ticket;
}

describe('helpdesk', () => {
  let manager: BrowserContext;
  let agent: BrowserContext;
  let reporter: BrowserContext;
  let ticket: Ticket;
  let agentPage: Page;

  beforeAll(async () => {
    [manager, agent, reporter] = await Promise.all([signIn('maya'), signIn('alex'), signIn('rita')]);
  });

  it('a manager assigns a ticket in one browser; the agent’s bell in another updates live', async () => {
    ticket = await createTicket(reporter, 'Checkout returns 500', 'urgent');
    agentPage = await openDesk(agent);
    const before = await bell(agentPage);
    expect(before.items.some((item) => item.text.includes(ticket.id))).toBe(false);

    const managerPage = await managerDesk(ticket.id);
    await managerPage.selectOption('form[data-action="assign"] select', 'alex');
    await managerPage.click('form[data-action="assign"] button');
    await managerPage.waitForURL(`${helpdesk.url}/tickets/${ticket.id}`);

    // The badge counts it at once; opening the panel shows it (and marks it seen, not read).
    await until(agentPage, (look) => look.badge === '1', 'the badge to count the assignment');
    await openPanel(agentPage);
    const seen = await until(
      agentPage,
      (look) => look.items.some((item) => item.text.includes(ticket.id)),
      'the assignment',
    );
    expect(seen.items.filter((item) => item.text.includes(ticket.id))).toEqual([
      expect.objectContaining({ unread: true, text: expect.stringContaining('Ticket assigned to you') }),
    ]);
    // Urgent: WhatsApp went out at once; the email waits for the escalation.
    await waitUntil('the WhatsApp message', () =>
      (helpdesk.providers.whatsapp?.listReceived() ?? []).some((message) => message.text?.includes(ticket.id)),
    );
    await managerPage.close();
  });

  async function managerDesk(ticketId: string): Promise<Page> {
    const page = await manager.newPage();
    await page.goto(`${helpdesk.url}/tickets/${ticketId}`);
    return page;
  }

  it('re-assigning to the same agent sends nothing', async () => {
    const deliveryIds = async (): Promise<string[]> =>
      (await api<{ deliveries: { id: string }[] }>(manager, `/api/tickets/${ticket.id}/deliveries`)).body.deliveries
        .map((delivery) => delivery.id)
        .sort();
    const before = await deliveryIds();
    const notificationsBefore = (await api<{ ticket: Ticket }>(manager, `/api/tickets/${ticket.id}`)).body.ticket
      .notificationIds;
    const again = await api<{ changed: boolean; ticket: Ticket }>(manager, `/api/tickets/${ticket.id}/assign`, {
      assigneeId: 'alex',
    });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    // No notification and no delivery: not even a rescheduled SLA alert.
    expect(again.body.ticket.notificationIds).toEqual(notificationsBefore);
    expect(await deliveryIds()).toEqual(before);
    const inbox = await helpdesk.wiring.herald.inbox.list('alex');
    expect(inbox.items.filter((item) => item.type === 'ticket.assigned' && item.body.includes(ticket.id))).toHaveLength(
      1,
    );
  });

  it('the unread assignment is emailed after the escalation delay, and the email appears on /dev', async () => {
    const subject = `[${ticket.id}] Still unread: Checkout returns 500 is assigned to you`;
    const mailNow = () => (helpdesk.providers.smtp?.listReceived() ?? []).filter((mail) => mail.subject === subject);
    expect(mailNow()).toEqual([]);
    await clock.advance(2 * 60_000);
    await waitUntil('the escalation email', () => mailNow().length === 1);
    expect(mailNow()[0]?.to).toEqual(['alex@desk.test']);

    const devPage = await manager.newPage();
    await devPage.goto(`${helpdesk.url}/dev`);
    expect(await devPage.locator('article[data-kind="email"] h3').allTextContents()).toContain(subject);
    const json = await api<{ messages: { subject: string }[] }>(manager, '/dev/api/mail');
    expect(json.body.messages.map((mail) => mail.subject)).toContain(subject);
    // The delivery log on the ticket page shows the escalated email as sent.
    const page = await managerDesk(ticket.id);
    expect(
      await page
        .locator('#delivery-log tr[data-type="ticket.assigned"][data-kind="email"]')
        .getAttribute('data-status'),
    ).toBe('sent');
    await Promise.all([devPage.close(), page.close()]);
  });

  it('a reject without a reason is a 400 with the field named, and changes nothing', async () => {
    const resolved = await api<{ ticket: Ticket }>(agent, `/api/tickets/${ticket.id}/resolve`, {
      resolution: 'Rolled back the deploy.',
    });
    expect(resolved.body.ticket.status).toBe('resolved');
    const notificationsBefore = (await api<{ ticket: Ticket }>(reporter, `/api/tickets/${ticket.id}`)).body.ticket
      .notificationIds;

    const missing = await api<{ error: unknown }>(reporter, `/api/tickets/${ticket.id}/reject`, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        code: 'VALIDATION',
        message: 'reason: Invalid input: expected string, received undefined',
        issues: [{ path: 'reason', message: 'Invalid input: expected string, received undefined' }],
      },
    });
    const short = await api<{ error: unknown }>(reporter, `/api/tickets/${ticket.id}/reject`, { reason: 'nope' });
    expect(short.status).toBe(400);
    expect(short.body).toEqual({
      error: {
        code: 'VALIDATION',
        message: 'reason: Give a reason of at least 10 characters',
        issues: [{ path: 'reason', message: 'Give a reason of at least 10 characters' }],
      },
    });
    const after = (await api<{ ticket: Ticket }>(reporter, `/api/tickets/${ticket.id}`)).body.ticket;
    expect(after.status).toBe('resolved');
    expect(after.notificationIds).toEqual(notificationsBefore);

    const rejected = await api<{ ticket: Ticket }>(reporter, `/api/tickets/${ticket.id}/reject`, {
      reason: 'Still failing on mobile Safari.',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.ticket.status).toBe('in_progress');
  });

  it('the agent goes offline, two comments arrive, back online: both are shown, once each', async () => {
    const comments = () =>
      bell(agentPage).then((seen) => seen.items.filter((item) => item.text.includes('Rita Reporter commented')));
    expect(await comments()).toEqual([]);
    await agent.setOffline(true);
    await until(agentPage, (seen) => seen.connection === 'offline', 'the bell to go offline');
    await api(reporter, `/api/tickets/${ticket.id}/comments`, { text: 'It fails on the second page too.' });
    await api(reporter, `/api/tickets/${ticket.id}/comments`, { text: 'Screenshot attached.' });
    await agentPage.waitForTimeout(300);
    expect(await comments()).toEqual([]);

    await agent.setOffline(false);
    await until(agentPage, (seen) => seen.connection === 'online', 'the bell to reconnect');
    await until(
      agentPage,
      (seen) => seen.items.filter((item) => item.text.includes('Rita Reporter commented')).length >= 2,
      'both comments',
    );
    await agentPage.waitForTimeout(300);
    const shown = await comments();
    expect(shown.map((item) => item.text.replace(/\s+/g, ' '))).toEqual([
      expect.stringContaining('Screenshot attached.'),
      expect.stringContaining('It fails on the second page too.'),
    ]);
    expect(new Set(shown.map((item) => item.id)).size).toBe(2);
  });

  it('reading in one tab clears it in the other', async () => {
    // Opened after its items were delivered to the first tab: it reads them through the HTTP inbox API.
    const otherTab = await openDesk(agent);
    await openPanel(otherTab);
    const unread = await until(
      otherTab,
      (seen) => seen.items.some((item) => item.unread),
      'unread items in the second tab',
    );
    expect(unread.items.filter((item) => item.unread).length).toBeGreaterThanOrEqual(3);
    await agentPage.locator('herald-inbox').locator('[part="mark-all"]').click();
    const cleared = await until(
      otherTab,
      (seen) => seen.items.length > 0 && seen.items.every((item) => !item.unread),
      'the other tab to clear',
    );
    expect(cleared.items.length).toBe(unread.items.length);
    expect((await helpdesk.wiring.herald.inbox.unreadCount('alex')).total).toBe(0);

    // The README's screenshot: the agent's desk with the bell open on the ticket.
    await agentPage.goto(`${helpdesk.url}/tickets/${ticket.id}`);
    await until(agentPage, (seen) => seen.connection === 'online', 'the bell after reload');
    await openPanel(agentPage);
    await until(agentPage, (seen) => seen.items.length > 0, 'the items after reload');
    await agentPage.screenshot({ path: screenshot });
    await otherTab.close();
  });
});
