// The client as a browser runs it: bundled by esbuild for the browser (a Node builtin anywhere in its import
// graph fails the build) and driven in headless Chromium against a live gateway.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineNotification } from '@herald/core';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestGateway, waitUntil } from './test-support';

const chromiumPath = '/usr/bin/chromium';
const clientEntry = fileURLToPath(new URL('./client.ts', import.meta.url));

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Herald',
    write: false,
    logLevel: 'silent',
    target: 'es2020',
  });
  return result.outputFiles[0]!.text;
}

describe('client in a browser', () => {
  let browser: Browser;
  let pageServer: Server;
  let pageOrigin: string;
  let script: string;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`Chromium is needed at ${chromiumPath} (apt-get install chromium)`);
    script = await bundle(clientEntry);
    pageServer = createServer((request, response) => {
      if (request.url === '/client.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        response.end(script);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>herald</title><script src="/client.js"></script>');
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => pageServer?.close(() => resolve()));
  });

  it('bundles for the browser without any Node builtin, and the guard fails when one sneaks in', async () => {
    expect(script).toContain('createHeraldClient');
    expect(script).not.toMatch(/require\(["']node:/);
    const directory = await mkdtemp(join(tmpdir(), 'herald-bundle-'));
    try {
      const bad = join(directory, 'bad.ts');
      await writeFile(
        bad,
        `import { readFileSync } from 'node:fs';\nexport * from ${JSON.stringify(clientEntry)};\nexport const read = readFileSync;\n`,
      );
      await expect(bundle(bad)).rejects.toThrow(/node:fs/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('receives a notification, acknowledges it and marks it read from Chromium', async () => {
    const gateway = await startTestGateway({ allowedOrigins: [pageOrigin] });
    const { herald, store } = gateway;
    const page = await browser.newPage();
    try {
      await page.goto(`${pageOrigin}/`);
      await page.evaluate((url) => {
        const scope = window as unknown as Record<string, unknown> & {
          Herald: typeof import('./client');
        };
        const client = scope.Herald.createHeraldClient({ url, token: 'user:ann' });
        const shown: unknown[] = [];
        client.on('notification', ({ item }) => shown.push(item));
        scope.client = client;
        scope.shown = shown;
      }, gateway.url);
      await page.waitForFunction(
        () =>
          (window as unknown as { client: { getSnapshot(): { status: string } } }).client.getSnapshot().status ===
          'open',
      );

      await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'from the server' } });
      await page.waitForFunction(() => (window as unknown as { shown: unknown[] }).shown.length === 1);
      const shown = await page.evaluate(() => (window as unknown as { shown: { id: string; body: string }[] }).shown);
      expect(shown[0]?.body).toBe('from the server');
      const id = shown[0]!.id;
      await waitUntil(async () => (await store.getInboxItems('ann', [id]))[0]?.deliveredAt !== undefined);

      await page.evaluate((itemId) => {
        (window as unknown as { client: { markRead(id: string): void } }).client.markRead(itemId);
      }, id);
      await waitUntil(async () => (await store.getInboxItems('ann', [id]))[0]?.readAt !== undefined);
      await page.waitForFunction(
        () =>
          (window as unknown as { client: { getSnapshot(): { unread: { total: number } } } }).client.getSnapshot()
            .unread.total === 0,
      );
      expect((await store.unreadCount('ann')).total).toBe(0);
      await page.evaluate(() => (window as unknown as { client: { close(): void } }).client.close());
    } finally {
      await page.close();
      await gateway.stop();
    }
  });
});
