// The README's two commands, run as written: `npm start` serves the sign-in page and /dev on embedded defaults;
// with REDIS_URL it runs on RedisStore + BullMQ, and its worker process delivers the email.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testRedisUrl } from '@herald/test-peers/redis';
import { waitUntil } from '@herald/testing';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const running: ChildProcess[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
});

/** Runs `npm start --workspace examples/helpdesk` and resolves with the URL it prints. */
async function start(environment: Record<string, string> = {}): Promise<{ url: string; output: () => string }> {
  const child = spawn('npm', ['start', '--workspace', 'examples/helpdesk'], {
    cwd: root,
    env: { ...process.env, PORT: '0', ...environment },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitUntil(
    'npm start to print its URL',
    () => /Helpdesk running at http:\/\/\S+/.test(output) || child.exitCode !== null,
    {
      timeoutMs: 60_000,
    },
  );
  const url = /Helpdesk running at (http:\/\/[\d.:]+)/.exec(output)?.[1];
  if (url === undefined) throw new Error(`npm start did not print a URL:\n${output}`);
  return { url, output: () => output };
}

async function signIn(url: string, userId: string): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ userId }),
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

describe('the README commands', () => {
  it('npm start serves the sign-in page and /dev, on MemoryStore and the in-process runner', async () => {
    const { url, output } = await start();
    expect(output()).toContain('(MemoryStore, in-process runner)');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign in as one of the seeded users');
    const dev = await fetch(`${url}/dev`);
    expect(dev.status).toBe(200);
    expect(await dev.text()).toContain('<h2>Previews (9)</h2>');
  });

  it('REDIS_URL=… npm start runs RedisStore + BullMQ, with a worker process that delivers', async () => {
    const { url, output } = await start({ REDIS_URL: testRedisUrl() });
    expect(output()).toMatch(/RedisStore \+ BullMQ on redis:\/\/\S+, worker pid \d+/);
    const cookie = await signIn(url, 'rita');
    const created = await fetch(`${url}/api/tickets`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Worker smoke test', priority: 'high' }),
    });
    expect(created.status).toBe(201);
    const { ticket } = (await created.json()) as { ticket: { id: string } };
    // The web process only enqueued; the worker sent both managers their email.
    await waitUntil(
      'the worker to deliver the managers’ emails',
      async () => {
        const mail = (await (await fetch(`${url}/dev/api/mail`)).json()) as {
          messages: { subject: string; to: string[] }[];
        };
        return (
          mail.messages.filter((message) => message.subject.startsWith(`[${ticket.id}] New high ticket`)).length === 2
        );
      },
      { timeoutMs: 30_000 },
    );
    const log = (await (await fetch(`${url}/api/tickets/${ticket.id}/deliveries`, { headers: { cookie } })).json()) as {
      deliveries: { type: string; kind: string; status: string }[];
    };
    expect(
      log.deliveries
        .filter((record) => record.type === 'ticket.created' && record.kind === 'email')
        .map((record) => record.status),
    ).toEqual(['sent', 'sent']);
  });
});
