// The example apps' tests: each runs its app as its README says (`npm start --workspace examples/<name>`, from the
// repository root), waits for the URL it prints, and drives Debian's Chromium against it.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './browser';

export { launchChromium };

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface AppProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startApp(workspace: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const child: ChildProcess = spawn('npm', ['start', '--workspace', workspace], {
    cwd: repositoryRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // npm, tsx and the app (and its worker) are one process group: end them together.
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${workspace} printed no URL in 90 s:\n${output}`)), 90_000);
    child.on('exit', (code) => reject(new Error(`${workspace} exited with ${code}:\n${output}`)));
    const look = (): void => {
      const match = /on (http:\/\/localhost:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}

/** An app started once for the tests of a `describe` block, with Chromium beside it. */
export interface ExampleApp {
  /** The running app, from the block's `beforeAll` hooks on. */
  readonly app: AppProcess;
  readonly browser: Browser;
  /** A page signed in as `userId`, its bell online; its context is closed after the block's tests. */
  open(userId: string): Promise<Page>;
  /** `open`, with the context too (a test that takes it offline); it is closed after the block's tests. */
  openContext(userId: string): Promise<{ context: BrowserContext; page: Page }>;
}

/**
 * Starts `workspace` (with `env`) and Chromium before the tests of the `describe` block it is called in; after
 * them, closes every context it opened, then the browser, then stops the app.
 */
export function useExampleApp(workspace: string, env: Record<string, string> = {}): ExampleApp {
  let app: AppProcess | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(workspace, env), launchChromium()]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.stop();
  });
  const example: ExampleApp = {
    get app() {
      return started(app, workspace);
    },
    get browser() {
      return started(browser, 'Chromium');
    },
    async openContext(userId) {
      const opened = await signIn(example.browser, example.app.url, userId);
      contexts.push(opened.context);
      return opened;
    },
    async open(userId) {
      return (await example.openContext(userId)).page;
    },
  };
  return example;
}

/** Chromium for the tests of the `describe` block it is called in: launched before them, closed after them. */
export function useChromium(): { readonly browser: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      return started(browser, 'Chromium');
    },
  };
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started yet: use it in a test or a later beforeAll hook`);
  return value;
}

/** A browser context signed in as `userId`, on the board page, its bell online. */
export async function signIn(
  browser: Browser,
  url: string,
  userId: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  await page.goto(`${url}/sign-in/${userId}`);
  await waitFor(page, 'the bell to go online', async () => (await bellState(page)).connection === 'online');
  return { context, page };
}

export interface BellState {
  badge: string;
  connection: string;
  items: string[];
}

/** What the user sees in `<herald-inbox>`: the badge, the connection state and the listed items' text. */
export function bellState(page: Page): Promise<BellState> {
  return page.evaluate(() => {
    const host = document.querySelector('herald-inbox');
    const root = host?.shadowRoot;
    const badge = root?.querySelector<HTMLElement>('.badge');
    return {
      badge: !badge || badge.hidden ? '' : (badge.textContent ?? ''),
      connection: host?.getAttribute('connection') ?? '',
      items: Array.from(root?.querySelectorAll<HTMLElement>('li.item') ?? []).map((li) => li.textContent ?? ''),
    };
  });
}

/** Polls until `check` holds; fails naming what it waited for. Nothing asserts on how long it took. */
export async function waitFor(
  page: Page | undefined,
  what: string,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await (page ? page.waitForTimeout(50) : new Promise((resolve) => setTimeout(resolve, 50)));
  }
}

/** The app's JSON API as one signed-in user (the session cookie from /sign-in). */
export async function apiAs(url: string, userId: string) {
  const response = await fetch(`${url}/sign-in/${userId}`, { redirect: 'manual' });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const answer = await fetch(`${url}${path}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.text();
    return { status: answer.status, body: (text ? JSON.parse(text) : {}) as T };
  };
}
