// Digest joins on RedisStore: 10,000 events into 1,000 buckets through `joinDigests`, beside the same Redis work
// done by hand — one HINCRBY (the bucket's count) and one RPUSH (the event) per event, pipelined — in the same run.
import type { DigestJoin } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';

export interface DigestBenchResult {
  events: number;
  buckets: number;
  rounds: number;
  storeEventsPerSecond: number;
  rawEventsPerSecond: number;
  ratio: number;
  /** CPU time per event (µs): steadier than wall time when other work shares the machine. */
  storeCpu: CpuPerEvent;
  rawCpu: CpuPerEvent;
}

export interface CpuPerEvent {
  clientMicros: number;
  redisMicros: number;
}

const EVENTS = Number(process.env.BENCH_DIGEST_EVENTS ?? 10_000);
const BUCKETS = Number(process.env.BENCH_DIGEST_BUCKETS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_DIGEST_ROUNDS ?? 5);
const T0 = Date.UTC(2024, 4, 1, 10);
const WINDOW_MS = 10 * 60_000;

/**
 * Event i goes to bucket i % buckets: each recipient has one digest key, and the events arrive as notifications
 * fanning out to every recipient would bring them, one round of buckets after another.
 */
function newJoins(run: string): DigestJoin[] {
  return Array.from({ length: EVENTS }, (_, index) => {
    const recipientId = `${run}-user-${index % BUCKETS}`;
    const notificationId = `${run}-n-${Math.floor(index / BUCKETS)}`;
    const at = T0 + index;
    return {
      key: `ticket.commented|ticket-${index % BUCKETS}|${recipientId}`,
      openAs: `${notificationId}:${recipientId}`,
      type: 'ticket.commented',
      recipientId,
      event: {
        notificationId,
        payload: { ticketId: `ticket-${index % BUCKETS}`, comment: 'Printer is on fire again' },
        actorId: 'ana',
        createdAt: new Date(at).toISOString(),
      },
      at: new Date(at).toISOString(),
      closesAt: new Date(at + WINDOW_MS).toISOString(),
      windowMs: WINDOW_MS,
      capAt: new Date(at + 6 * WINDOW_MS).toISOString(),
      maxEvents: 500,
    };
  });
}

/** The floor: a count and a list per bucket, written blind — no atomic open-or-join, no window, no dedup. */
async function rawJoins(redis: Redis, prefix: string, joins: readonly DigestJoin[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const join of joins) {
    const bucket = `${prefix}{u:${join.recipientId}}:dg:${join.key}`;
    pipeline.hincrby(bucket, 'n', 1);
    pipeline.rpush(`${bucket}:events`, JSON.stringify(join.event));
  }
  await pipeline.exec();
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

interface Measured {
  ms: number;
  clientUs: number;
  redisUs: number;
}

async function measure(redis: Redis, run: () => Promise<unknown>): Promise<Measured> {
  const redisBefore = await redisCpuSeconds(redis);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const redisUs = ((await redisCpuSeconds(redis)) - redisBefore) * 1e6;
  return { ms, clientUs: cpu.user + cpu.system, redisUs };
}

export async function runDigestBenchmark(url: string): Promise<DigestBenchResult> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 60_000 });
  try {
    const store = new RedisStore({ redis, namespace: 'bench-digests', timeoutMs: 120_000 });
    // Warm-up: loads the scripts, grows Redis's allocations, lets the JIT see both paths.
    await store.joinDigests(newJoins('warm'));
    await rawJoins(redis, 'bench:raw-digests:', newJoins('warm'));

    const totals = { store: { ms: 0, clientUs: 0, redisUs: 0 }, raw: { ms: 0, clientUs: 0, redisUs: 0 } };
    const add = (into: Measured, from: Measured): void => {
      into.ms += from.ms;
      into.clientUs += from.clientUs;
      into.redisUs += from.redisUs;
    };
    // Alternating rounds so both see the same machine state; every round has buckets of its own.
    for (let round = 0; round < ROUNDS; round++) {
      const forStore = newJoins(`r${round}`);
      const forRaw = newJoins(`r${round}`);
      add(totals.store, await measure(redis, () => store.joinDigests(forStore)));
      add(totals.raw, await measure(redis, () => rawJoins(redis, 'bench:raw-digests:', forRaw)));
    }
    const count = EVENTS * ROUNDS;
    const storeEventsPerSecond = count / (totals.store.ms / 1000);
    const rawEventsPerSecond = count / (totals.raw.ms / 1000);
    const perEvent = (total: Measured): CpuPerEvent => ({
      clientMicros: total.clientUs / count,
      redisMicros: total.redisUs / count,
    });
    return {
      events: EVENTS,
      buckets: BUCKETS,
      rounds: ROUNDS,
      storeEventsPerSecond,
      rawEventsPerSecond,
      ratio: storeEventsPerSecond / rawEventsPerSecond,
      storeCpu: perEvent(totals.store),
      rawCpu: perEvent(totals.raw),
    };
  } finally {
    await redis.quit();
  }
}

export function printDigestBenchmark(result: DigestBenchResult): void {
  const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')} events/s`;
  console.log(
    `Digest joins (${result.events.toLocaleString('en-US')} events into ${result.buckets.toLocaleString('en-US')} buckets, one call, ${result.rounds} rounds)`,
  );
  const line = (label: string, value: string): void => console.log(`  ${label.padEnd(32)} ${value}`);
  line('RedisStore.joinDigests', rate(result.storeEventsPerSecond));
  line(
    'raw HINCRBY + RPUSH per event',
    `${rate(result.rawEventsPerSecond)}   (pipelined; no atomic open-or-join, window or dedup)`,
  );
  line('store / raw', `${result.ratio.toFixed(2)}   (target ≥ 0.50)`);
  const cpu = (label: string, value: CpuPerEvent): string =>
    `  ${label.padEnd(36)}  client ${value.clientMicros.toFixed(1)} µs/event   redis ${value.redisMicros.toFixed(1)} µs/event   (ceiling with a core each for client and Redis ≈ ${Math.round(1e6 / Math.max(value.clientMicros, value.redisMicros)).toLocaleString('en-US')} events/s)`;
  console.log('  CPU per event (steadier than wall time on a busy machine):');
  console.log(cpu('  RedisStore.joinDigests', result.storeCpu));
  console.log(cpu('  raw pipelined writes', result.rawCpu));
}
