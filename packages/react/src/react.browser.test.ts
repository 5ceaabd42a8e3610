// @herald/react in Chromium: the hooks and <Inbox /> share one client and follow the real gateway.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleForBrowser,
  chromiumPath,
  type InboxStack,
  launchChromium,
  startInboxStack,
} from '../../inbox-element/src/inbox-browser.fixture';

const appEntry = fileURLToPath(new URL('./react-app.fixture.tsx', import.meta.url));

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

describe('@herald/react in a browser', () => {
  let browser: Browser;
  let stack: InboxStack;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`Chromium is needed at ${chromiumPath} (apt-get install chromium)`);
    const app = await bundleForBrowser(appEntry, 'HeraldReactApp');
    stack = await startInboxStack({
      scripts: { app },
      body: () => '<div id="app"></div><script src="/app.js"></script>',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('renders the snapshot through the hooks and the element through <Inbox />, in step', async () => {
    const page = await browser.newPage();
    await page.goto(stack.pageUrl('ann'));
    await page.locator('#status', { hasText: 'open' }).waitFor();
    expect(await text(page, '#counts')).toBe('unread 0, unseen 0');

    await stack.notify('ann', 'Printer on fire');
    await page.locator('#counts', { hasText: 'unread 1, unseen 1' }).waitFor();
    expect(await page.locator('#unread li').allTextContents()).toEqual(['Printer on fire']);
    const bell = page.locator('herald-inbox').locator('.bell');
    expect(await bell.getAttribute('aria-label')).toBe('Notifications, 1 unseen');

    // Opening the element's panel marks it seen: the hooks follow.
    await bell.click();
    await page.locator('#counts', { hasText: 'unread 1, unseen 0' }).waitFor();

    // A click in the element reads the item and reaches onNavigate, which routes instead of leaving the page.
    await page.locator('herald-inbox').locator('li.item .main').click();
    await page.locator('#counts', { hasText: 'unread 0, unseen 0' }).waitFor();
    expect(await page.locator('#unread li').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { navigated: string[] }).navigated)).toEqual([
      '/tickets/T-1',
    ]);
    expect((await stack.store.unreadCount('ann')).total).toBe(0);

    // The slot reaches the element's empty state.
    await page
      .locator('herald-inbox')
      .locator('.main')
      .evaluate(() => undefined);
    await page.locator('herald-inbox').locator('li.item .action[data-action="archive"]').click();
    await page.locator('herald-inbox [slot="empty"]').waitFor({ state: 'visible' });
    await page.close();
  });
});
