// bench/dispatch: `notify` to 10,000 recipients over inApp + one no-op channel with MemoryStore, beside a
// hand-written loop doing only the irreducible work (render both contents, insert the inbox items, await
// a no-op send per delivery), and beside the same loop keeping Herald's delivery log (every record created, every
// send recorded), measured in the same run. Run: npm run dispatch --workspace bench
import { createHerald, defineNotification } from '@herald/core';
import type { Channel, DeliveryRecord } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import { z } from 'zod';

declare module '@herald/core' {
  interface ChannelContentMap {
    noop: { subject: string; text: string };
  }
}

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Recipients per chunk of the hand loop that keeps the delivery log. */
const LOG_CHUNK = 500;

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, url: `/tickets/${payload.ticketId}` }),
    noop: ({ payload, recipient }) => ({ subject: `Assigned: ${payload.title}`, text: `Hi ${recipient.id}` }),
  },
});

const noopChannel: Channel<'noop'> = {
  specificationVersion: 'v1',
  kind: 'noop',
  id: 'noop',
  send: async () => ({ status: 'sent' }),
};

const recipients = Array.from({ length: RECIPIENTS }, (_, index) => `user-${index}`);
const payload = { ticketId: 'T-1', title: 'Printer on fire' };

/** Wall time and this process's CPU time of one round (ms): CPU time holds better on a machine shared with others. */
interface Round {
  ms: number;
  cpuMs: number;
}

function cpuSince(cpu: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1_000;
}

async function herald(): Promise<Round> {
  const instance = createHerald({ store: new MemoryStore(), channels: [noopChannel], concurrency: 256 });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await instance.notify(ticketAssigned, { to: recipients, payload });
  const report = await result.settled;
  const round = { ms: performance.now() - started, cpuMs: cpuSince(cpu) };
  if (report.sent !== RECIPIENTS * 2) throw new Error(`expected ${RECIPIENTS * 2} sent, got ${report.sent}`);
  await instance.close();
  return round;
}

/**
 * The hand loop plus the delivery log Herald keeps — one record per delivery, created pending (the in-app ones
 * decided sent: storing the item is their delivery), and each sent one updated once — written the way a careful
 * hand would: in chunks of 500 recipients, each chunk's records and items in one call, its updates in one call.
 * The floor of what `notify` must do while it keeps that log.
 */
async function baselineWithLog(): Promise<Round> {
  const store = new MemoryStore();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const signal = new AbortController().signal;
  const type = ticketAssigned.type;
  for (let start = 0; start < recipients.length; start += LOG_CHUNK) {
    const end = Math.min(recipients.length, start + LOG_CHUNK);
    const items = [];
    const contents = [];
    const records: DeliveryRecord[] = [];
    for (let index = start; index < end; index++) {
      const recipientId = recipients[index] as string;
      const context = {
        payload,
        recipient: { id: recipientId },
        locale: undefined,
        notificationId: 'n',
        actorId: undefined,
      };
      const inApp = ticketAssigned.steps.inApp?.build(context) as { title: string; body: string } | undefined;
      contents.push(ticketAssigned.steps.noop?.build(context) as { subject: string; text: string });
      const itemId = `n.${index}`;
      items.push({ ...inApp!, id: itemId, userId: recipientId, notificationId: 'n', type, createdAt });
      records.push(
        {
          id: `${itemId}.inApp`,
          notificationId: 'n',
          type,
          recipientId,
          kind: 'inApp',
          status: 'sent' as const,
          attempts: 1,
          createdAt,
          updatedAt: createdAt,
          inboxItemId: itemId,
        },
        {
          id: `${itemId}.noop`,
          notificationId: 'n',
          type,
          recipientId,
          kind: 'noop',
          status: 'pending' as const,
          attempts: 0,
          createdAt,
          updatedAt: createdAt,
        },
      );
    }
    await store.createDeliveries(records);
    await store.insertInboxItems(items);
    const updates = [];
    for (let offset = 0; offset < contents.length; offset++) {
      const deliveryId = `n.${start + offset}.noop`;
      await noopChannel.send({
        deliveryId,
        notificationId: 'n',
        type,
        recipient: { id: recipients[start + offset] as string },
        content: contents[offset]!,
        attempt: 1,
        signal,
      });
      updates.push({
        id: deliveryId,
        patch: { status: 'sent' as const, attempts: 1, channelId: 'noop' },
        onlyFrom: ['pending' as const],
      });
    }
    await store.updateDeliveries(updates);
  }
  return { ms: performance.now() - started, cpuMs: cpuSince(cpu) };
}

async function baseline(): Promise<Round> {
  const store = new MemoryStore();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const items = [];
  const contents = [];
  for (let index = 0; index < recipients.length; index++) {
    const recipient = { id: recipients[index] as string };
    const context = { payload, recipient, locale: undefined, notificationId: 'n', actorId: undefined };
    const inApp = ticketAssigned.steps.inApp?.build(context) as { title: string; body: string } | undefined;
    contents.push(ticketAssigned.steps.noop?.build(context) as { subject: string; text: string });
    items.push({
      ...inApp!,
      id: `n.${index}`,
      userId: recipient.id,
      notificationId: 'n',
      type: ticketAssigned.type,
      createdAt,
    });
  }
  await store.insertInboxItems(items);
  // One signal for every send: a fresh AbortController per send is not irreducible work.
  const signal = new AbortController().signal;
  for (const content of contents) {
    await noopChannel.send({
      deliveryId: 'd',
      notificationId: 'n',
      type: 'ticket.assigned',
      recipient: { id: 'x' },
      content: content!,
      attempt: 1,
      signal,
    });
  }
  return { ms: performance.now() - started, cpuMs: cpuSince(cpu) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** A full collection, after letting timers and pending callbacks of earlier rounds run out. */
async function collect(): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
}

async function heapGrowth(): Promise<number | undefined> {
  if (!gc) return undefined;
  const instance = createHerald({ store: new MemoryStore(), channels: [noopChannel], concurrency: 256 });
  await collect();
  const before = process.memoryUsage().heapUsed;
  await (await instance.notify(ticketAssigned, { to: recipients, payload })).settled;
  await collect();
  const after = process.memoryUsage().heapUsed;
  await instance.close();
  return after - before;
}

// Heap first, while nothing of the timed rounds is around to be collected in the middle of it.
const growth = await heapGrowth();

// Warm up both paths so the JIT has compiled them before we measure.
await herald();
await baseline();
await baselineWithLog();

const heraldTimes: Round[] = [];
const baselineTimes: Round[] = [];
const withLogTimes: Round[] = [];
for (let round = 0; round < ROUNDS; round++) {
  baselineTimes.push(await baseline());
  withLogTimes.push(await baselineWithLog());
  heraldTimes.push(await herald());
}
const heraldMs = median(heraldTimes.map((round) => round.ms));
const baselineMs = median(baselineTimes.map((round) => round.ms));
const heraldCpuMs = median(heraldTimes.map((round) => round.cpuMs));
const baselineCpuMs = median(baselineTimes.map((round) => round.cpuMs));
const withLogMs = median(withLogTimes.map((round) => round.ms));
const deliveries = RECIPIENTS * 2;
const per10k = (ms: number): string => ((ms * 10_000) / RECIPIENTS).toFixed(1);
console.log(
  `bench/dispatch — ${RECIPIENTS} recipients × (inApp + no-op) = ${deliveries} deliveries, median of ${ROUNDS}`,
);
console.log(
  `  Herald notify → settled : ${Math.round(deliveries / (heraldMs / 1000)).toLocaleString('en')} deliveries/s, ${per10k(heraldMs)} ms per 10,000 recipients`,
);
console.log(
  `  baseline (hand loop)    : ${Math.round(deliveries / (baselineMs / 1000)).toLocaleString('en')} deliveries/s, ${per10k(baselineMs)} ms per 10,000 recipients`,
);
console.log(
  `  hand loop + delivery log: ${Math.round(deliveries / (withLogMs / 1000)).toLocaleString('en')} deliveries/s, ${per10k(withLogMs)} ms per 10,000 recipients`,
);
console.log(
  `  Herald / baseline time  : ${(heraldMs / baselineMs).toFixed(2)}× (target ≤ 1.3×${heraldMs / baselineMs <= 1.3 ? ', met' : ', not met'})`,
);
console.log(
  `  Herald / (loop + log)   : ${(heraldMs / withLogMs).toFixed(2)}× (the part of the gap that is not the delivery log itself)`,
);
console.log(
  `  Herald / baseline CPU   : ${(heraldCpuMs / baselineCpuMs).toFixed(2)}× (${per10k(heraldCpuMs)} vs ${per10k(baselineCpuMs)} ms CPU per 10,000 recipients)`,
);
console.log(
  growth === undefined
    ? '  heap growth             : run with --expose-gc to measure'
    : `  heap growth             : ${((growth * 10_000) / RECIPIENTS / 1024 / 1024).toFixed(1)} MiB per 10,000 recipients (retained by the store: items, records)`,
);
