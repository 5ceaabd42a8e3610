// End to end on Redis: `notify` to 10,000 recipients over inApp (a realtime-like no-op channel) + a no-op
// channel, through RedisStore and the BullMQ runner with an in-process worker, until every delivery has settled;
// beside raw BullMQ moving the same number of no-op jobs (addBulk + a worker), on the same redis-server.
// Knobs: BENCH_E2E_RECIPIENTS, BENCH_E2E_ROUNDS, BENCH_E2E_CONCURRENCY, BENCH_E2E_EVENTS=0 (no QueueEvents reader).

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBullMQRunner } from '@herald/bullmq';
import { createHerald, defineNotification } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';

declare module '@herald/core' {
  interface ChannelContentMap {
    e2eNoop: { subject: string; text: string };
  }
}

const RECIPIENTS = Number(process.env.BENCH_E2E_RECIPIENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 256);
const DELIVERIES = RECIPIENTS * 2;
const WORKER_PROCESSES = Number(process.env.BENCH_E2E_WORKER_PROCESSES ?? 2);
const SETTLE_FROM_EVENTS = process.env.BENCH_E2E_EVENTS !== '0';

export const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, url: `/tickets/${payload.ticketId}` }),
    e2eNoop: ({ payload, recipient }) => ({ subject: `Assigned: ${payload.title}`, text: `Hi ${recipient.id}` }),
  },
});

export const noopChannel: Channel<'e2eNoop'> = {
  specificationVersion: 'v1',
  kind: 'e2eNoop',
  id: 'noop',
  send: async () => ({ status: 'sent' }),
};

/** Stands in for a realtime gateway, so in-app deliveries run through the runner too. */
export const realtimeChannel: Channel<'inApp'> = {
  specificationVersion: 'v1',
  kind: 'inApp',
  id: 'noop-realtime',
  send: async () => ({ status: 'sent' }),
};

const recipients = Array.from({ length: RECIPIENTS }, (_, index) => `user-${index}`);
const payload = { ticketId: 'T-1', title: 'Printer on fire' };

export function connectionFor(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

interface Timing {
  ms: number;
  cpuMs: number;
  redisCpuMs: number;
}

/** redis-server's own CPU time so far (ms), from INFO: the other half of the cost on a shared machine. */
async function redisCpuMs(url: string): Promise<number> {
  const client = new Redis(url);
  const info = await client.info('cpu');
  await client.quit();
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1_000;
}

async function heraldRound(url: string, round: number): Promise<Timing & { notifyMs: number }> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const runner = createBullMQRunner({
    connection: connectionFor(url),
    namespace: `e2e-herald-${round}`,
    concurrency: CONCURRENCY,
    settleFromEvents: SETTLE_FROM_EVENTS,
  });
  const herald = createHerald({
    store: new RedisStore({ redis, namespace: `e2e-herald-${round}` }),
    channels: [noopChannel, realtimeChannel],
    notifications: [ticketAssigned],
    runner,
  });
  const redisCpu = await redisCpuMs(url);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await herald.notify(ticketAssigned, { to: recipients, payload });
  const notifyMs = performance.now() - started;
  const report = await result.settled;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const redisUsed = (await redisCpuMs(url)) - redisCpu;
  if (report.sent !== DELIVERIES) throw new Error(`expected ${DELIVERIES} sent, got ${JSON.stringify(report)}`);
  await herald.close();
  await redis.quit();
  return { ms, notifyMs, cpuMs: (used.user + used.system) / 1_000, redisCpuMs: redisUsed };
}

/** The same notify from a producer-only process, delivered by separate worker processes. */
async function processesRound(url: string, round: number): Promise<Timing & { notifyMs: number }> {
  const namespace = `e2e-processes-${round}`;
  const script = fileURLToPath(new URL('./e2e-worker.ts', import.meta.url));
  const workers = Array.from({ length: WORKER_PROCESSES }, () =>
    spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        BENCH_E2E_WORKER: JSON.stringify({ url, namespace, concurrency: CONCURRENCY }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await Promise.all(
    workers.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.stdout?.on('data', (chunk: Buffer) => {
            if (chunk.toString('utf8').includes('ready')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`a worker process exited early (${code})`)));
        }),
    ),
  );
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const herald = createHerald({
    store: new RedisStore({ redis, namespace }),
    channels: [noopChannel, realtimeChannel],
    notifications: [ticketAssigned],
    runner: createBullMQRunner({ connection: connectionFor(url), namespace, worker: false }),
  });
  const redisCpu = await redisCpuMs(url);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await herald.notify(ticketAssigned, { to: recipients, payload });
  const notifyMs = performance.now() - started;
  const report = await result.settled;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const redisUsed = (await redisCpuMs(url)) - redisCpu;
  if (report.sent !== DELIVERIES) throw new Error(`expected ${DELIVERIES} sent, got ${JSON.stringify(report)}`);
  await herald.close();
  await redis.quit();
  await Promise.all(
    workers.map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
  return { ms, notifyMs, cpuMs: (used.user + used.system) / 1_000, redisCpuMs: redisUsed };
}

async function rawRound(url: string, round: number): Promise<Timing> {
  const connection = connectionFor(url);
  const name = `e2e-raw-${round}`;
  const queue = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: true } });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const worker = new Worker(
    name,
    async () => {
      done += 1;
      if (done === DELIVERIES) finish();
      return { status: 'sent' };
    },
    { connection, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  const redisCpu = await redisCpuMs(url);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let start = 0; start < DELIVERIES; start += 1_000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1_000, DELIVERIES - start) }, (_, offset) => ({
        name: 'noop',
        data: { index: start + offset, recipient: { id: `user-${start + offset}` } },
        opts: { jobId: `job.${start + offset}` },
      })),
    );
  }
  await finished;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const redisUsed = (await redisCpuMs(url)) - redisCpu;
  await worker.close();
  await queue.close();
  return { ms, cpuMs: (used.user + used.system) / 1_000, redisCpuMs: redisUsed };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export interface E2EResult {
  deliveries: number;
  rounds: number;
  heraldPerSecond: number;
  heraldNotifyMs: number;
  heraldCpuMsPerThousand: number;
  heraldRedisCpuMsPerThousand: number;
  /** Producer-only notify with separate worker processes, when BENCH_E2E_WORKER_PROCESSES > 0. */
  processes?: { workers: number; perSecond: number; notifyMs: number; redisCpuMsPerThousand: number };
  /** From notify() returning to the last delivery settled: the worker's share once persistence is done. */
  heraldAfterNotifyMs: number;
  rawPerSecond: number;
  rawCpuMsPerThousand: number;
  rawRedisCpuMsPerThousand: number;
  ratio: number;
}

export async function runE2E(url: string): Promise<E2EResult> {
  // A warm-up round of each, not counted: module loading and Lua script caching.
  await heraldRound(url, 0);
  await rawRound(url, 0);
  const herald: Awaited<ReturnType<typeof heraldRound>>[] = [];
  const raw: Timing[] = [];
  const processes: Awaited<ReturnType<typeof processesRound>>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    raw.push(await rawRound(url, round));
    herald.push(await heraldRound(url, round));
    if (WORKER_PROCESSES > 0) processes.push(await processesRound(url, round));
  }
  const processesMs = processes.length > 0 ? median(processes.map((timing) => timing.ms)) : undefined;
  const heraldMs = median(herald.map((timing) => timing.ms));
  const rawMs = median(raw.map((timing) => timing.ms));
  return {
    deliveries: DELIVERIES,
    rounds: ROUNDS,
    heraldPerSecond: DELIVERIES / (heraldMs / 1_000),
    heraldNotifyMs: median(herald.map((timing) => timing.notifyMs)),
    heraldCpuMsPerThousand: median(herald.map((timing) => timing.cpuMs)) / (DELIVERIES / 1_000),
    heraldRedisCpuMsPerThousand: median(herald.map((timing) => timing.redisCpuMs)) / (DELIVERIES / 1_000),
    rawPerSecond: DELIVERIES / (rawMs / 1_000),
    rawCpuMsPerThousand: median(raw.map((timing) => timing.cpuMs)) / (DELIVERIES / 1_000),
    rawRedisCpuMsPerThousand: median(raw.map((timing) => timing.redisCpuMs)) / (DELIVERIES / 1_000),
    ratio: rawMs / heraldMs,
    heraldAfterNotifyMs: median(herald.map((timing) => timing.ms - timing.notifyMs)),
    ...(processesMs === undefined
      ? {}
      : {
          processes: {
            workers: WORKER_PROCESSES,
            perSecond: DELIVERIES / (processesMs / 1_000),
            notifyMs: median(processes.map((timing) => timing.notifyMs)),
            redisCpuMsPerThousand: median(processes.map((timing) => timing.redisCpuMs)) / (DELIVERIES / 1_000),
          },
        }),
  };
}

export function printE2E(result: E2EResult): void {
  const rate = (value: number): string => Math.round(value).toLocaleString('en-US');
  console.log(
    `\ne2e: notify → RedisStore → BullMQ → worker, ${RECIPIENTS.toLocaleString('en-US')} recipients × 2 channels ` +
      `(${result.deliveries.toLocaleString('en-US')} deliveries), worker concurrency ${CONCURRENCY}, median of ${result.rounds}`,
  );
  console.log(
    `  herald      ${rate(result.heraldPerSecond)} deliveries/s, notify() to all settled ` +
      `(CPU per 1,000: ${result.heraldCpuMsPerThousand.toFixed(1)} ms Node, ${result.heraldRedisCpuMsPerThousand.toFixed(1)} ms redis-server)`,
  );
  if (result.processes) {
    console.log(
      `  herald, ${result.processes.workers} worker processes  ${rate(result.processes.perSecond)} deliveries/s ` +
        `(producer-only notify() returned after ${Math.round(result.processes.notifyMs)} ms; ` +
        `${result.processes.redisCpuMsPerThousand.toFixed(1)} ms redis-server CPU per 1,000)`,
    );
  }
  console.log(
    `  raw BullMQ  ${rate(result.rawPerSecond)} jobs/s, addBulk + worker, no-op ` +
      `(CPU per 1,000: ${result.rawCpuMsPerThousand.toFixed(1)} ms Node, ${result.rawRedisCpuMsPerThousand.toFixed(1)} ms redis-server)`,
  );
  console.log(
    `  (herald: notify() persisted ${RECIPIENTS.toLocaleString('en-US')} inbox items + ${result.deliveries.toLocaleString('en-US')} ` +
      `delivery records and added the jobs in ${Math.round(result.heraldNotifyMs)} ms, while the worker ran; ` +
      `the last delivery settled ${Math.round(result.heraldAfterNotifyMs)} ms later)`,
  );
  const cpuRatio = result.heraldCpuMsPerThousand / result.rawCpuMsPerThousand;
  const verdict = (isMet: boolean): string => (isMet ? 'met' : 'not met');
  console.log(
    `  herald / raw BullMQ throughput: ${result.ratio.toFixed(2)} (target ≥ 0.6, ${verdict(result.ratio >= 0.6)}); ` +
      `Node CPU per 1,000, herald / raw: ${cpuRatio.toFixed(2)}× (target ≤ 2×, ${verdict(cpuRatio <= 2)})`,
  );
}

/** The part bench/redis/main.ts runs. */
export async function run(url: string): Promise<void> {
  printE2E(await runE2E(url));
}
