// <herald-inbox> in Chromium against the real gateway and HTTP inbox API: two tabs of one user, going offline and
// back, 500 items through infinite scroll, keyboard only with axe-core, and screenshots in light and dark.

import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@herald/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, type InboxStack, launchChromium, startInboxStack } from './inbox-browser.fixture';

const screenshots = fileURLToPath(new URL('../../../.tmp/', import.meta.url));

interface Seen {
  badge: string;
  label: string;
  connection: string;
  items: { id: string; text: string; unread: boolean }[];
}

/** What a person sees: the badge, the bell's name, the connection state, and the listed items in order. */
function look(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const host = document.querySelector('herald-inbox')!;
    const root = host.shadowRoot!;
    const badge = root.querySelector<HTMLElement>('.badge')!;
    return {
      badge: badge.hidden ? '' : (badge.textContent ?? ''),
      label: root.querySelector('.bell')!.getAttribute('aria-label') ?? '',
      connection: host.getAttribute('connection') ?? '',
      items: Array.from(root.querySelectorAll<HTMLElement>('li.item')).map((li) => ({
        id: li.dataset.id ?? '',
        text: li.querySelector('.main')?.textContent ?? '',
        unread: li.classList.contains('unread'),
      })),
    };
  });
}

async function until(page: Page, check: (seen: Seen) => boolean, what: string): Promise<Seen> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const seen = await look(page);
    if (check(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}: ${JSON.stringify(seen)}`);
    await page.waitForTimeout(25);
  }
}

async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await until(page, (seen) => seen.connection === 'online', 'the socket to open');
  return page;
}

function bell(page: Page) {
  return page.locator('herald-inbox').locator('.bell');
}

async function axeViolations(page: Page): Promise<unknown[]> {
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> } }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => {
      const { id, impact, nodes } = violation as { id: string; impact: string; nodes: { target: unknown }[] };
      return { id, impact, targets: nodes.map((node) => node.target) };
    });
  });
}

describe('<herald-inbox> in a browser', () => {
  let browser: Browser;
  let stack: InboxStack;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`Chromium is needed at ${chromiumPath} (apt-get install chromium)`);
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await stack?.stop();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    contexts.push(context);
    return context;
  }

  it('keeps two tabs of one user in step: live items, unseen badge, seen, read and archive', async () => {
    stack = await startInboxStack();
    const tabA = await openPage(await newContext(), stack.pageUrl('ann'));
    const tabB = await openPage(await newContext(), stack.pageUrl('ann'));

    await stack.notify('ann', 'Printer on fire');
    for (const tab of [tabA, tabB]) {
      const seen = await until(tab, (each) => each.badge === '1', 'the badge to show 1 unseen');
      expect(seen.label).toBe('Notifications, 1 unseen');
    }

    await bell(tabA).click();
    const [item] = (await until(tabA, (seen) => seen.items.length === 1, 'the item in the panel')).items;
    expect(item!.text).toContain('Printer on fire');
    expect(item!.unread).toBe(true);
    for (const tab of [tabA, tabB]) await until(tab, (seen) => seen.badge === '', 'unseen to clear');
    expect((await stack.store.unreadCount('ann')).unseen).toBe(0);

    await bell(tabB).click();
    await until(tabB, (seen) => seen.items.length === 1, 'the item in tab B');
    await tabB.locator('herald-inbox').locator('li.item .action[data-action="read"]').click();
    await until(tabA, (seen) => seen.items[0]?.unread === false, 'tab A to show the item read');

    await tabA.locator('herald-inbox').locator('li.item .action[data-action="archive"]').click();
    await until(tabB, (seen) => seen.items.length === 0, 'the archived item to leave tab B');
    expect((await stack.herald.inbox.list('ann')).items).toEqual([]);
    expect((await stack.herald.inbox.list('ann', { archived: 'only' })).items).toHaveLength(1);
  });

  it('applies reads and archives from another tab to the items it loaded through the HTTP API', async () => {
    stack = await startInboxStack();
    const tabA = await openPage(await newContext(), stack.pageUrl('ann'));
    for (const title of ['first', 'second', 'third']) await stack.notify('ann', title);
    await until(tabA, (seen) => seen.badge === '3', 'tab A to receive the items');
    // Acknowledged by tab A: a tab opened now is not replayed them, it reads them through the HTTP API.
    await waitUntil('the items to be delivered', async () =>
      (await stack.herald.inbox.list('ann')).items.every((item) => item.deliveredAt !== undefined),
    );
    const tabB = await openPage(await newContext(), stack.pageUrl('ann'));
    await bell(tabB).click();
    const loaded = await until(tabB, (seen) => seen.items.length === 3, 'tab B to load the items');
    expect(loaded.items.every((item) => item.unread)).toBe(true);

    await bell(tabA).click();
    await until(tabA, (seen) => seen.items.length === 3, 'the items in tab A');
    await tabA.locator('herald-inbox').locator('li.item .action[data-action="read"]').first().click();
    await until(tabB, (seen) => seen.items.filter((item) => item.unread).length === 2, 'one read in tab B');
    await tabA.locator('herald-inbox').locator('[part="mark-all"]').click();
    await until(tabB, (seen) => seen.items.every((item) => !item.unread), 'every item read in tab B');
    await tabA.locator('herald-inbox').locator('li.item .action[data-action="archive"]').first().click();
    const rest = await until(tabB, (seen) => seen.items.length === 2, 'the archived item to leave tab B');
    expect(rest.items.map((item) => item.text.match(/(first|second|third)/)?.[1])).toEqual(['second', 'first']);
  });

  it('goes offline and back: each missed item appears once, in order, with an exact badge', async () => {
    stack = await startInboxStack();
    const context = await newContext();
    const page = await openPage(context, stack.pageUrl('ann'));
    await page.evaluate(() => {
      const host = document.querySelector('herald-inbox')!;
      const states: string[] = [host.getAttribute('connection') ?? ''];
      new MutationObserver(() => {
        const state = host.getAttribute('connection') ?? '';
        if (states[states.length - 1] !== state) states.push(state);
      }).observe(host, { attributes: true, attributeFilter: ['connection'] });
      (window as unknown as { states: string[] }).states = states;
    });
    await stack.notify('ann', 'before');
    await until(page, (seen) => seen.badge === '1', 'the first item');

    await context.setOffline(true);
    await until(page, (seen) => seen.connection === 'offline', 'the indicator to say offline');
    for (const title of ['one', 'two', 'three']) await stack.notify('ann', title);
    await context.setOffline(false);

    await until(page, (seen) => seen.connection === 'online' && seen.badge === '4', 'the replay after going online');
    await bell(page).click();
    const seen = await until(page, (each) => each.items.length === 4, 'four items in the panel');
    expect(seen.items.map((item) => item.text.match(/(before|one|two|three)/)?.[1])).toEqual([
      'three',
      'two',
      'one',
      'before',
    ]);
    expect(new Set(seen.items.map((item) => item.id)).size).toBe(4);
    const states = await page.evaluate(() => (window as unknown as { states: string[] }).states);
    expect(states[0]).toBe('online');
    expect(states).toContain('offline');
    expect(states[states.length - 1]).toBe('online');
    const offlineText = await page.evaluate(() => document.querySelector('herald-inbox')!.getAttribute('connection'));
    expect(offlineText).toBe('online');
  });

  it('scrolls through 500 items over the HTTP API without a duplicate or a gap', async () => {
    stack = await startInboxStack();
    const now = Date.now();
    await stack.store.insertInboxItems(
      Array.from({ length: 500 }, (_, index) => ({
        id: `item-${index + 1}`,
        userId: 'ann',
        notificationId: `n-${index + 1}`,
        type: 'ticket.assigned',
        title: `Ticket ${index + 1}`,
        body: 'Assigned to you',
        createdAt: new Date(now - (500 - index) * 60_000).toISOString(),
      })),
    );
    const page = await openPage(await newContext(), stack.pageUrl('ann'));
    await bell(page).click();
    const scroller = page.locator('herald-inbox').locator('.scroller');
    let count = 0;
    for (let round = 0; round < 200; round++) {
      const seen = await look(page);
      if (seen.items.length === 500) break;
      if (seen.items.length !== count) count = seen.items.length;
      await scroller.evaluate((node) => {
        node.scrollTop = node.scrollHeight;
      });
      await page.waitForTimeout(50);
    }
    const seen = await until(page, (each) => each.items.length === 500, 'all 500 items');
    const ids = seen.items.map((item) => item.id);
    expect(new Set(ids).size).toBe(500);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, index) => `item-${500 - index}`));
  });

  it('works by keyboard alone — open, move, read, close — and axe finds no violation', async () => {
    stack = await startInboxStack();
    const page = await openPage(await newContext(), stack.pageUrl('ann'));
    for (const title of ['first', 'second', 'third']) await stack.notify('ann', title);
    await until(page, (seen) => seen.badge === '3', 'three unseen');
    expect(await axeViolations(page)).toEqual([]);
    await page.evaluate(() => {
      document.addEventListener('herald-navigate', (event) => {
        event.preventDefault();
        (window as unknown as { followed: string }).followed = (event as CustomEvent<{ url: string }>).detail.url;
      });
    });

    await page.keyboard.press('Tab');
    const focusedName = () =>
      page.evaluate(() => {
        const host = document.querySelector('herald-inbox')!;
        const active = host.shadowRoot!.activeElement;
        return active ? (active.getAttribute('aria-label') ?? active.textContent ?? '') : '';
      });
    expect(await focusedName()).toBe('Notifications, 3 unseen');
    await page.keyboard.press('Enter');
    await until(page, (seen) => seen.items.length === 3, 'the panel to open');
    expect(await bell(page).getAttribute('aria-expanded')).toBe('true');
    expect(await focusedName()).toContain('third');
    expect(await axeViolations(page)).toEqual([]);

    await page.keyboard.press('ArrowDown');
    expect(await focusedName()).toContain('second');
    await page.keyboard.press('ArrowDown');
    expect(await focusedName()).toContain('first');
    await page.keyboard.press('ArrowUp');
    expect(await focusedName()).toContain('second');
    await page.keyboard.press('Enter');
    const seen = await until(page, (each) => each.items[1]?.unread === false, 'the item to be read');
    expect(seen.items.map((item) => item.unread)).toEqual([true, false, true]);
    expect(await page.evaluate(() => (window as unknown as { followed: string }).followed)).toMatch(/^\/tickets\/T-/);
    expect((await stack.store.unreadCount('ann')).total).toBe(2);

    await page.keyboard.press('Escape');
    expect(await bell(page).getAttribute('aria-expanded')).toBe('false');
    expect(await focusedName()).toBe('Notifications');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('writes screenshots of the open panel in light and dark, and axe passes in both', async () => {
    stack = await startInboxStack();
    const titles = [
      'Printer on fire on the third floor',
      'Invoice #2041 is overdue',
      'Maya commented on “Quarterly report”',
      'New login from Firefox on Linux',
    ];
    for (const title of titles) await stack.notify('ann', title);
    const items = (await stack.herald.inbox.list('ann')).items;
    await stack.herald.inbox.markRead('ann', [items[2]!.id, items[3]!.id]);
    mkdirSync(screenshots, { recursive: true });
    for (const theme of ['light', 'dark'] as const) {
      const page = await openPage(await newContext(), stack.pageUrl('ann', { theme }));
      await bell(page).click();
      await until(page, (seen) => seen.items.length === 4, 'the items');
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({
        path: `${screenshots}inbox-element-${theme}.png`,
        clip: { x: 480, y: 0, width: 420, height: 560 },
      });
      expect(existsSync(`${screenshots}inbox-element-${theme}.png`)).toBe(true);
    }
  });
});
