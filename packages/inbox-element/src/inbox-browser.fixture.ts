// What the element's browser tests run against: one HTTP server holding the real WebSocket gateway, the real HTTP
// inbox API, a token endpoint and the test page (the element bundled by esbuild, axe-core beside it), with Herald on
// a MemoryStore; and Debian's Chromium driven by Playwright.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type AuthenticationRequest, createHerald, defineNotification, type Herald, type Store } from '@herald/core';
import { createInboxHandler, toNodeHandler } from '@herald/http';
import { MemoryStore } from '@herald/storage';
import { createWebSocketGateway, extractToken } from '@herald/websocket';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { z } from 'zod';

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing running in the background that could reach the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Ticket assigned',
      body: payload.title,
      url: `/tickets/${payload.ticketId}`,
    }),
  },
});

/** Tokens are `user:<id>`, read from the bearer header (HTTP) or the subprotocol (WebSocket). */
async function authenticate(request: AuthenticationRequest): Promise<{ userId: string } | null> {
  const token = extractToken(request, { query: false });
  return token?.startsWith('user:') ? { userId: token.slice(5) } : null;
}

/** Bundles an entry for the browser as the tests load it: Herald packages from source, one IIFE. */
export async function bundleForBrowser(entry: string, globalName: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName,
    conditions: ['herald-source'],
    write: false,
    logLevel: 'silent',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0]!.text;
}

export interface InboxStack {
  herald: Herald;
  store: Store;
  origin: string;
  /** The test page for a user: `<herald-inbox>` wired to this stack. */
  pageUrl(userId: string, options?: { theme?: 'light' | 'dark'; lang?: string }): string;
  /** Sends a notification through Herald (stored, then delivered live over the gateway). */
  notify(userId: string, title: string): Promise<void>;
  stop(): Promise<void>;
}

export interface InboxStackOptions {
  /** Extra scripts served at `/<name>.js`, e.g. a React app bundle. */
  scripts?: Record<string, string>;
  /** The page body for a user (default: one `<herald-inbox>`). */
  body?(userId: string, query: URLSearchParams): string;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const defineEntry = fileURLToPath(new URL('./define.ts', import.meta.url));
let elementScript: Promise<string> | undefined;

export async function startInboxStack(options: InboxStackOptions = {}): Promise<InboxStack> {
  elementScript ??= bundleForBrowser(defineEntry, 'HeraldInbox');
  const scripts: Record<string, string> = { element: await elementScript, axe: axeSource, ...options.scripts };
  const store = new MemoryStore();
  // Set once Herald exists, which needs the gateway, which needs the server.
  let api: ReturnType<typeof toNodeHandler> | undefined;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/inbox/')) {
      api?.(request, response);
      return;
    }
    if (url.pathname === '/token') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ token: `user:${url.searchParams.get('user') ?? ''}` }));
      return;
    }
    const script = /^\/([a-z-]+)\.js$/.exec(url.pathname)?.[1];
    if (script !== undefined && scripts[script] !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(scripts[script]);
      return;
    }
    if (url.pathname !== '/') {
      response.writeHead(404);
      response.end();
      return;
    }
    const userId = url.searchParams.get('user') ?? 'ann';
    const theme = url.searchParams.get('theme') ?? 'light';
    const lang = url.searchParams.get('lang') ?? 'en';
    const dark = theme === 'dark';
    const body =
      options.body?.(userId, url.searchParams) ??
      `<header style="display:flex;justify-content:flex-end;padding:12px 24px;border-bottom:1px solid ${dark ? '#30363d' : '#d0d7de'}">
        <herald-inbox theme="${theme}" url="ws://${request.headers.host}/realtime"
          token-url="/token?user=${encodeURIComponent(userId)}" api-url="/api/inbox"></herald-inbox>
      </header><main style="padding:24px"><h1 style="margin:0;font:600 20px system-ui">Acme Helpdesk</h1></main>
      <script src="/element.js"></script>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Herald inbox</title>
      <style>body{margin:0;min-height:640px;font-family:system-ui;background:${dark ? '#0d1117' : '#f6f8fa'};color:${dark ? '#e6edf3' : '#1b1f24'}}</style>
      </head><body>${body}<script src="/axe.js"></script></body></html>`);
  });
  const gateway = createWebSocketGateway({ authenticate, server });
  const herald = createHerald({ store, channels: [gateway.channel] });
  api = toNodeHandler(createInboxHandler({ herald, authenticate, basePath: '/api/inbox' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let ticket = 0;
  let stopped: Promise<void> | undefined;
  return {
    herald,
    store,
    origin,
    pageUrl(userId, pageOptions = {}) {
      const query = new URLSearchParams({ user: userId, theme: pageOptions.theme ?? 'light' });
      if (pageOptions.lang) query.set('lang', pageOptions.lang);
      return `${origin}/?${query}`;
    },
    async notify(userId, title) {
      ticket += 1;
      const result = await herald.notify(ticketAssigned, { to: userId, payload: { ticketId: `T-${ticket}`, title } });
      await result.settled;
    },
    stop() {
      stopped ??= (async () => {
        await herald.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}
