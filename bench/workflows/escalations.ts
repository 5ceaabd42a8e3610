// Escalations: what reading an item costs when it withdraws a pending escalation step (`after` + `unless: 'read'`),
// beside the same markRead of items whose notification has no such step, in the same run; and the heap a pending
// escalation holds on the in-process runner, beside a plain delayed delivery (`delayMs`).

import type { StandardSchemaV1 } from '@herald/core';
import { createHerald, defineNotification, type Herald, type Store } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';

declare module '@herald/core' {
  interface ChannelContentMap {
    /** A no-op email-like kind of this benchmark. */
    benchMail: { subject: string };
  }
}

const READS = Number(process.env.BENCH_ESCALATION_READS ?? 10_000);
const PENDING = Number(process.env.BENCH_ESCALATION_PENDING ?? 10_000);
/** markReads in flight at once, as many users reading at the same time. */
const READ_CONCURRENCY = Number(process.env.BENCH_ESCALATION_CONCURRENCY ?? 16);

type Payload = { title: string };
const schema: StandardSchemaV1<Payload> = {
  '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value: value as Payload }) },
};

/** Email an hour later unless the in-app item has been read. */
const escalated = defineNotification({
  type: 'bench.escalated',
  schema,
  channels: {
    inApp: ({ payload }) => ({ title: payload.title, body: 'Printer on fire' }),
    benchMail: { after: '1h', unless: 'read', content: ({ payload }) => ({ subject: payload.title }) },
  },
});
/** The same item and the same email, sent at once: nothing for a read to withdraw. */
const immediate = defineNotification({
  type: 'bench.immediate',
  schema,
  channels: {
    inApp: ({ payload }) => ({ title: payload.title, body: 'Printer on fire' }),
    benchMail: ({ payload }) => ({ subject: payload.title }),
  },
});
/** A plain delayed delivery: the email alone, an hour later through `delayMs`. */
const delayedMail = defineNotification({
  type: 'bench.delayed',
  schema,
  channels: { benchMail: ({ payload }) => ({ subject: payload.title }) },
});

const noopMail: Channel<'benchMail'> = {
  specificationVersion: 'v1',
  kind: 'benchMail',
  id: 'noop-mail',
  async send() {
    return { status: 'sent' };
  },
};

export interface WithdrawalFigures {
  store: string;
  reads: number;
  /** markRead that withdraws a pending escalation: µs per read. */
  withdrawMicros: number;
  /** markRead of an item with nothing to withdraw, in a Herald that knows no escalation: µs per read. */
  plainMicros: number;
}

export interface MemoryFigures {
  pending: number;
  /** Heap retained per 1,000 pending escalations (an item and a conditional step each; store in Redis). */
  escalationBytesPer1000: number;
  /** Heap retained per 1,000 plain delayed deliveries. */
  delayedBytesPer1000: number;
}

function makeHerald(store: Store, withEscalations: boolean): Herald {
  return createHerald({
    store,
    channels: [noopMail],
    notifications: withEscalations ? [escalated, delayedMail] : [immediate, delayedMail],
    relay: false,
  });
}

const users = (count: number, run: string): string[] => Array.from({ length: count }, (_, i) => `${run}-u${i}`);

/** The ids of the items of one notification to `recipients` (`<notification>.<place in base 36>`). */
function itemIds(notificationId: string, recipients: string[]): string[] {
  return recipients.map((_, place) => `${notificationId}.${place.toString(36)}`);
}

async function readAll(herald: Herald, recipients: string[], itemIds: string[]): Promise<number> {
  let next = 0;
  const start = performance.now();
  const reader = async (): Promise<void> => {
    while (next < recipients.length) {
      const index = next++;
      await herald.inbox.markRead(recipients[index] as string, [itemIds[index] as string]);
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, reader));
  return performance.now() - start;
}

async function withdrawalRound(
  store: () => Store,
  run: string,
  plainFirst: boolean,
): Promise<{ withdraw: number; plain: number }> {
  const withSteps = makeHerald(store(), true);
  const without = makeHerald(store(), false);
  try {
    const stepUsers = users(READS, `${run}-e`);
    const plainUsers = users(READS, `${run}-p`);
    const payload = { title: 'Ticket 42' };
    const stepItems = itemIds((await withSteps.notify(escalated, { to: stepUsers, payload })).id, stepUsers);
    const plainItems = itemIds((await without.notify(immediate, { to: plainUsers, payload })).id, plainUsers);
    // Which goes first alternates from round to round, so neither always meets the warmer machine.
    let plain = 0;
    let withdraw = 0;
    if (plainFirst) plain = await readAll(without, plainUsers, plainItems);
    withdraw = await readAll(withSteps, stepUsers, stepItems);
    if (!plainFirst) plain = await readAll(without, plainUsers, plainItems);
    const check = await withSteps.deliveries.get(`${stepItems[0]}.benchMail`);
    if (check?.reasonCode !== 'condition') throw new Error(`the step was not withdrawn: ${JSON.stringify(check)}`);
    return { withdraw, plain };
  } finally {
    await withSteps.close();
    await without.close();
  }
}

export async function runWithdrawalBenchmark(url: string, rounds = 3): Promise<WithdrawalFigures[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 60_000 });
  const figures: WithdrawalFigures[] = [];
  try {
    const memory = new MemoryStore();
    const stores: [string, () => Store][] = [
      ['MemoryStore', () => memory],
      ['RedisStore', () => new RedisStore({ redis, namespace: 'bench-escalations', timeoutMs: 120_000 })],
    ];
    for (const [name, store] of stores) {
      await withdrawalRound(store, `${name}-warm`, true);
      let withdraw = 0;
      let plain = 0;
      for (let round = 0; round < rounds; round++) {
        const times = await withdrawalRound(store, `${name}-r${round}`, round % 2 === 0);
        withdraw += times.withdraw;
        plain += times.plain;
      }
      const per = (ms: number): number => (ms * 1000) / (READS * rounds);
      figures.push({ store: name, reads: READS, withdrawMicros: per(withdraw), plainMicros: per(plain) });
    }
    return figures;
  } finally {
    await redis.quit();
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

async function collectedHeap(): Promise<number> {
  for (let pass = 0; pass < 3; pass++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
  return process.memoryUsage().heapUsed;
}

/** Heap retained while `PENDING` deliveries wait on the in-process runner's timers; the store is Redis. */
async function pendingHeap(redis: Redis, escalations: boolean, run: string): Promise<number> {
  const herald = makeHerald(new RedisStore({ redis, namespace: 'bench-escalation-heap' }), true);
  try {
    // Warm: the first notify of a kind builds caches that are not per delivery.
    await herald.notify(escalations ? escalated : delayedMail, {
      to: `${run}-warm`,
      payload: { title: 'warm' },
      ...(escalations ? {} : { delayMs: 3_600_000 }),
    });
    const before = await collectedHeap();
    for (let start = 0; start < PENDING; start += 1_000) {
      const recipients = users(Math.min(1_000, PENDING - start), `${run}-${start}`);
      await herald.notify(escalations ? escalated : delayedMail, {
        to: recipients,
        payload: { title: 'Ticket 42' },
        ...(escalations ? {} : { delayMs: 3_600_000 }),
      });
    }
    const after = await collectedHeap();
    return ((after - before) * 1_000) / PENDING;
  } finally {
    await herald.close();
  }
}

export async function runPendingMemoryBenchmark(url: string): Promise<MemoryFigures | undefined> {
  if (!gc) return undefined;
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 60_000 });
  try {
    // Each measured twice, alternating; the second of each is kept (the first pays for one-time growth).
    await pendingHeap(redis, false, 'warm-d');
    await pendingHeap(redis, true, 'warm-e');
    const delayedBytesPer1000 = await pendingHeap(redis, false, 'd');
    const escalationBytesPer1000 = await pendingHeap(redis, true, 'e');
    return { pending: PENDING, escalationBytesPer1000, delayedBytesPer1000 };
  } finally {
    await redis.quit();
  }
}

export function printEscalationBenchmark(withdrawals: WithdrawalFigures[], memory: MemoryFigures | undefined): void {
  const micros = (value: number): string => `${value.toFixed(1)} µs/read`;
  const line = (label: string, value: string): void => console.log(`  ${label.padEnd(44)} ${value}`);
  console.log(
    `Escalation withdrawals (${READS.toLocaleString('en-US')} markReads per round, ${READ_CONCURRENCY} in flight, in-process runner)`,
  );
  for (const figures of withdrawals) {
    line(`${figures.store}: markRead withdrawing a step`, micros(figures.withdrawMicros));
    line(`${figures.store}: markRead, no escalations (baseline)`, micros(figures.plainMicros));
    line(`${figures.store}: withdrawing / baseline`, `${(figures.withdrawMicros / figures.plainMicros).toFixed(2)}×`);
  }
  console.log(`Pending escalations on the in-process runner (heap, RedisStore holds the records)`);
  if (!memory) {
    console.log('  run with --expose-gc to measure');
    return;
  }
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB per 1,000`;
  line(`${memory.pending.toLocaleString('en-US')} pending escalations`, kib(memory.escalationBytesPer1000));
  line(
    `${memory.pending.toLocaleString('en-US')} plain delayed deliveries (baseline)`,
    kib(memory.delayedBytesPer1000),
  );
  line('escalation / delayed', `${(memory.escalationBytesPer1000 / memory.delayedBytesPer1000).toFixed(2)}×`);
}
