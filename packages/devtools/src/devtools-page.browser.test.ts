// The developer page in Chromium: an email's HTML renders inside its sandboxed frame (and its scripts never run),
// the text part and the previews show, and hostile payloads stay text.

import { launchChromium } from '@herald/test-peers/browser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ana, type DevtoolsStack, rawMarkup, startDevtoolsStack, ticketAssigned } from './devtools.fixture';

let stack: DevtoolsStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startDevtoolsStack();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openDevtools(): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(`${stack.origin}/dev`);
  expect(response?.status()).toBe(200);
  return { page, dialogs, errors };
}

describe('the devtools page', () => {
  it('renders a sent email in a sandboxed frame beside its text part, where the email’s scripts never run', async () => {
    await (
      await stack.herald.notify(rawMarkup, {
        to: [ana],
        payload: {
          markup:
            '<p id="inside">Rendered <b>HTML</b></p><script>document.body.dataset.ran = "yes"; parent.document.title = "pwned"; alert(1)</script><img src="x" onerror="alert(2)">',
        },
      })
    ).settled;
    const { page, dialogs, errors } = await openDevtools();
    const frame = page.frameLocator('article[data-kind="email"] iframe').first();
    expect(await frame.locator('#inside').textContent()).toBe('Rendered HTML');
    expect(await frame.locator('body').getAttribute('data-ran')).toBeNull();
    expect(await page.title()).toBe('Herald devtools');
    expect(await page.locator('article[data-kind="email"] pre[data-part="text"]').first().textContent()).toBe(
      'Raw markup',
    );
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows hostile payloads as text, and previews every definition × channel', async () => {
    const hostile = '<img src=x onerror=alert(3)><script>alert(4)</script>';
    await (
      await stack.herald.notify(ticketAssigned, {
        to: [{ ...ana, pushTokens: ['ana-phone'] }],
        payload: { ticketId: 'T-7', title: hostile, urgent: true },
      })
    ).settled;
    const { page, dialogs } = await openDevtools();
    const subjects = await page.locator('article[data-kind="email"] h3').allTextContents();
    expect(subjects).toContain(`Assigned: ${hostile}`);
    expect(await page.locator('article[data-kind="whatsapp"] pre').first().textContent()).toBe(
      `Urgent ticket: ${hostile}`,
    );
    expect(await page.locator('article[data-kind="push"] p').first().textContent()).toBe(hostile);
    // The email's own HTML part shows the payload escaped, as text, inside the frame too.
    const assignedFrame = page.frameLocator('article[data-kind="email"] iframe').first();
    expect(await assignedFrame.locator('strong').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);

    const previews = page.locator('article[data-kind="preview"]');
    expect(await previews.count()).toBe(4);
    const previewEmail = page.locator('#preview-ticket\\.assigned-default [data-channel="email"] iframe').first();
    expect(await previewEmail.count()).toBe(1);
    expect(
      await page
        .frameLocator('#preview-ticket\\.assigned-default [data-channel="email"] iframe')
        .locator('h1')
        .textContent(),
    ).toBe('Hi Ada Lovelace');
    expect(await page.locator('#previews').textContent()).toContain('not urgent');
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
