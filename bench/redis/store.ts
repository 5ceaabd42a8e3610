// RedisStore benchmarks: bulk inbox insert beside raw pipelined ioredis writes of the same keys, and
// unreadCount latency for a large inbox versus a small one.
import type { NewInboxItem } from '@herald/core/spec';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';

export interface StoreBenchResult {
  insert: {
    items: number;
    rounds: number;
    storeItemsPerSecond: number;
    rawItemsPerSecond: number;
    ratio: number;
    /** CPU time per item (µs): steadier than wall time when other work shares the machine. */
    storeCpu: CpuPerItem;
    rawCpu: CpuPerItem;
  };
  unreadCount: { small: Latency; large: Latency; smallItems: number; largeItems: number };
}

export interface CpuPerItem {
  clientMicros: number;
  redisMicros: number;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

function newItems(run: string, count: number, userOf: (index: number) => string): NewInboxItem[] {
  const createdAt = new Date().toISOString();
  return Array.from({ length: count }, (_, index) => ({
    id: `${run}-item-${index}`,
    userId: userOf(index),
    notificationId: `${run}-n-${index}`,
    type: index % 2 === 0 ? 'ticket.assigned' : 'ticket.closed',
    title: 'Ticket assigned',
    body: `Ticket ${index} is yours now`,
    url: `/tickets/${index}`,
    createdAt,
  }));
}

/**
 * The writes RedisStore's insert script makes for one new item of a new user — item hash, index members, counters —
 * as three plain pipelined commands: the floor without atomicity, duplicate checks or reading the last position.
 */
async function rawInsert(redis: Redis, prefix: string, items: NewInboxItem[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const item of items) {
    const base = `${prefix}{u:${item.userId}}:`;
    const member = `${String(1).padStart(12, '0')}${item.id}`;
    const typed = (set: string): string => `${set}#${Buffer.byteLength(item.type)}:${item.type}/${member}`;
    pipeline.hset(`${base}i:${item.id}`, 'j', JSON.stringify(item), 'p', 1, 't', item.type);
    pipeline.zadd(
      `${base}x`,
      0,
      `a/${member}`,
      0,
      typed('A'),
      0,
      `u/${member}`,
      0,
      typed('U'),
      0,
      `n/${member}`,
      0,
      typed('N'),
    );
    pipeline.hset(`${base}counts`, 'pos', 1, '#', 1, `t:${item.type}`, 1);
  }
  await pipeline.exec();
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Wall time, client CPU and Redis CPU of one call. */
async function measure(
  redis: Redis,
  run: () => Promise<unknown>,
): Promise<{ ms: number; clientUs: number; redisUs: number }> {
  const redisBefore = await redisCpuSeconds(redis);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const redisUs = ((await redisCpuSeconds(redis)) - redisBefore) * 1e6;
  return { ms, clientUs: cpu.user + cpu.system, redisUs };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function latency(call: () => Promise<unknown>, samples: number): Promise<Latency> {
  for (let warm = 0; warm < 200; warm++) await call();
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const start = process.hrtime.bigint();
    await call();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), samples };
}

export async function runStoreBenchmarks(url: string): Promise<StoreBenchResult> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 60_000 });
  try {
    const store = new RedisStore({ redis, namespace: 'bench-store', timeoutMs: 120_000 });
    const items = 10_000;
    const rounds = 5;

    // Warm-up: loads the scripts, grows Redis's allocations.
    await store.insertInboxItems(newItems('warm', items, (index) => `warm-user-${index}`));
    await rawInsert(
      redis,
      'bench:raw:',
      newItems('warm', items, (index) => `warm-user-${index}`),
    );

    const totals = {
      store: { ms: 0, clientUs: 0, redisUs: 0 },
      raw: { ms: 0, clientUs: 0, redisUs: 0 },
    };
    const add = (into: typeof totals.store, from: typeof totals.store): void => {
      into.ms += from.ms;
      into.clientUs += from.clientUs;
      into.redisUs += from.redisUs;
    };
    // Alternating rounds so both see the same machine state.
    for (let round = 0; round < rounds; round++) {
      const run = `r${round}`;
      const forStore = newItems(run, items, (index) => `${run}-user-${index}`);
      const forRaw = newItems(run, items, (index) => `${run}-user-${index}`);
      add(totals.store, await measure(redis, () => store.insertInboxItems(forStore)));
      add(totals.raw, await measure(redis, () => rawInsert(redis, 'bench:raw:', forRaw)));
    }
    const count = items * rounds;
    const storeItemsPerSecond = count / (totals.store.ms / 1000);
    const rawItemsPerSecond = count / (totals.raw.ms / 1000);
    const perItem = (total: typeof totals.store): CpuPerItem => ({
      clientMicros: total.clientUs / count,
      redisMicros: total.redisUs / count,
    });

    // unreadCount: one user with 100,000 items, one with 10.
    const largeItems = 100_000;
    const smallItems = 10;
    for (let start = 0; start < largeItems; start += 10_000) {
      await store.insertInboxItems(newItems(`large-${start}`, 10_000, () => 'large-user'));
    }
    await store.insertInboxItems(newItems('small', smallItems, () => 'small-user'));
    const samples = 5_000;
    const large = await latency(() => store.unreadCount('large-user'), samples);
    const small = await latency(() => store.unreadCount('small-user'), samples);

    return {
      insert: {
        items,
        rounds,
        storeItemsPerSecond,
        rawItemsPerSecond,
        ratio: storeItemsPerSecond / rawItemsPerSecond,
        storeCpu: perItem(totals.store),
        rawCpu: perItem(totals.raw),
      },
      unreadCount: { small, large, smallItems, largeItems },
    };
  } finally {
    await redis.quit();
  }
}

export function printStoreBenchmarks(result: StoreBenchResult): void {
  const { insert, unreadCount } = result;
  const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')} items/s`;
  console.log(
    `RedisStore bulk insert (${insert.items.toLocaleString('en-US')} items for as many users, one call, ${insert.rounds} rounds)`,
  );
  console.log(`  RedisStore.insertInboxItems   ${rate(insert.storeItemsPerSecond)}`);
  console.log(`  raw pipelined ioredis writes  ${rate(insert.rawItemsPerSecond)}   (same keys, no atomicity)`);
  console.log(`  store / raw                   ${insert.ratio.toFixed(2)}`);
  const cpu = (label: string, value: CpuPerItem): string =>
    `  ${label.padEnd(28)}  client ${value.clientMicros.toFixed(1)} µs/item   redis ${value.redisMicros.toFixed(1)} µs/item   (ceiling with a core each for client and Redis ≈ ${Math.round(1e6 / Math.max(value.clientMicros, value.redisMicros)).toLocaleString('en-US')} items/s)`;
  console.log('  CPU per item (steadier than wall time on a busy machine):');
  console.log(cpu('  RedisStore', insert.storeCpu));
  console.log(cpu('  raw pipelined writes', insert.rawCpu));
  const line = (label: string, latency: Latency): string =>
    `  ${label.padEnd(28)} p50 ${latency.p50Ms.toFixed(3)} ms   p99 ${latency.p99Ms.toFixed(3)} ms   (${latency.samples} calls)`;
  console.log('RedisStore.unreadCount latency');
  console.log(line(`user with ${unreadCount.largeItems.toLocaleString('en-US')} items`, unreadCount.large));
  console.log(line(`user with ${unreadCount.smallItems} items`, unreadCount.small));
}
