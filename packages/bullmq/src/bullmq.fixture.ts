// Shared fixtures for this package's tests (files named *.fixture.ts are left out of the package).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AnyChannel, createHerald, defineNotification, type Herald, type Store } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { testRedisUrl } from '@herald/test-peers/redis';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { type BullMQRunner, type BullMQRunnerSettings, createBullMQRunner } from './bullmq-runner';
import type { ChildConfig } from './worker-process.fixture';

declare module '@herald/core' {
  interface ChannelContentMap {
    /** A kind only these tests use, so no other package's content type can clash with it. */
    pager: { text: string };
  }
}

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }),
    pager: ({ payload, recipient }) => ({ text: `${recipient.id}: ${payload.title}` }),
  },
});

export function connectionFor(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

export function uniqueName(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export interface Rig {
  herald: Herald;
  runner: BullMQRunner;
  store: Store;
}

/** Heralds and clients made by `rig`/`redisClient`, closed after each test. */
const open: { close(): Promise<unknown> }[] = [];

export async function closeAll(): Promise<void> {
  const all = open.splice(0);
  for (const item of all.reverse()) await item.close();
}

export function redisClient(): Redis {
  const client = new Redis(testRedisUrl(), { maxRetriesPerRequest: 3 });
  open.push({ close: () => client.quit() });
  return client;
}

export function rig(options: {
  channels: AnyChannel[];
  namespace: string;
  store?: Store;
  runner?: Partial<BullMQRunnerSettings>;
  maxAttempts?: number;
}): Rig {
  const store = options.store ?? new MemoryStore();
  const runner = createBullMQRunner({
    connection: connectionFor(testRedisUrl()),
    prefix: 'hbq',
    namespace: options.namespace,
    ...options.runner,
  });
  const herald = createHerald({
    store,
    channels: options.channels,
    notifications: [ticketAssigned],
    runner,
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: options.maxAttempts ?? 5 },
  });
  open.push(herald);
  return { herald, runner, store };
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./worker-process.fixture.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** Resolves once the child has started (and, for the notify role, notified). */
  ready: Promise<void>;
  /** Resolves when the child has exited. */
  exited: Promise<void>;
  output(): string;
}

/** Starts `worker-process.fixture.ts` in its own Node process, on package sources. */
export function spawnChild(config: ChildConfig): Child {
  const child = spawn(process.execPath, ['--conditions=herald-source', '--import', 'tsx', childScript], {
    cwd: repositoryRoot,
    env: { ...process.env, HERALD_TEST_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready\n')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then(() => reject(new Error(`The ${config.role} child exited early: ${output.slice(-2_000)}`)));
  });
  ready.catch(() => undefined);
  open.push({
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  });
  return { process: child, ready, exited, output: () => output };
}
