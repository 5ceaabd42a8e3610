// Jitter at scale: N clients (Herald's own client, in child processes), each one's socket cut every ~15 s and
// kept away for up to ~2 s (its reconnect backoff), while notifications stream to random users. Prints the share
// of notifications shown (target 100%), repeats (target 0) and notify → receipt latency, live and by replay.
//
//   npm run realtime:jitter --workspace bench -- --clients 5000 --workers 4 --seconds 60 --rate 500

import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHerald, defineNotification } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { createWebSocketGateway } from '@herald/websocket';
import { z } from 'zod';
import { authenticateBenchUser, flag, now, percentile } from './shared';

const clients = Number(flag('clients', '5000'));
const workers = Number(flag('workers', '4'));
const seconds = Number(flag('seconds', '60'));
/** Deliveries a second: every 100 ms one notification to rate / 10 random users. */
const rate = Number(flag('rate', '500'));
const dropEveryMs = Number(flag('drop-every-ms', '15000'));
const dropForMs = Number(flag('drop-for-ms', '2000'));
const workerScript = fileURLToPath(new URL('./jitter-worker.ts', import.meta.url));

const update = defineNotification({
  type: 'bench.jitter',
  schema: z.object({ sentAt: z.number() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Update', body: 'Something changed', data: { sentAt: payload.sentAt } }),
  },
});

interface Report {
  type: 'report';
  shown: [string, number][];
  repeats: number;
  live: number[];
  replayed: number[];
  sinceBack: number[];
  cuts: number;
}

const server = createServer();
server.maxConnections = clients * 2;
const gateway = createWebSocketGateway({
  server,
  authenticate: authenticateBenchUser,
});
const herald = createHerald({ store: new MemoryStore(), channels: [gateway.channel], concurrency: 256 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/realtime`;

const users = Array.from({ length: clients }, (_, index) => `user-${index}`);
const perWorker = Math.ceil(clients / workers);
const children: ChildProcess[] = [];
let connected = 0;
let allConnected: () => void = () => {};
const connectedPromise = new Promise<void>((resolve) => {
  allConnected = resolve;
});
const reports: Report[] = [];
let allReported: () => void = () => {};
const reportedPromise = new Promise<void>((resolve) => {
  allReported = resolve;
});
for (let index = 0; index < workers; index++) {
  const first = index * perWorker;
  const count = Math.min(perWorker, clients - first);
  if (count <= 0) break;
  const child = fork(workerScript, [url, String(count), String(first), String(dropEveryMs), String(dropForMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (message: { type: string }) => {
    if (message.type === 'connected' && ++connected === children.length) allConnected();
    if (message.type === 'report') {
      reports.push(message as Report);
      if (reports.length === children.length) allReported();
    }
  });
  children.push(child);
}
await connectedPromise;
process.stdout.write(`jitter: ${clients} clients connected; streaming ${rate} deliveries/s for ${seconds} s…\n`);
for (const child of children) child.send({ type: 'start' });

const expected = new Map<string, number>();
const perTick = Math.max(1, Math.round(rate / 10));
const started = now();
let notifications = 0;
while (now() - started < seconds * 1_000) {
  const to = new Set<string>();
  while (to.size < perTick) to.add(users[Math.floor(Math.random() * users.length)] as string);
  for (const userId of to) expected.set(userId, (expected.get(userId) ?? 0) + 1);
  await herald.notify(update, { to: [...to], payload: { sentAt: now() } });
  notifications += 1;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
for (const child of children) child.send({ type: 'finish' });
await reportedPromise;

let expectedTotal = 0;
for (const count of expected.values()) expectedTotal += count;
let shownTotal = 0;
let missing = 0;
const shownByUser = new Map(reports.flatMap((report) => report.shown));
for (const [userId, count] of expected) {
  const shown = shownByUser.get(userId) ?? 0;
  shownTotal += Math.min(shown, count);
  if (shown < count) missing += count - shown;
}
const live = reports.flatMap((report) => report.live).sort((a, b) => a - b);
const replayed = reports.flatMap((report) => report.replayed).sort((a, b) => a - b);
const sinceBack = reports.flatMap((report) => report.sinceBack).sort((a, b) => a - b);
const cuts = reports.reduce((sum, report) => sum + report.cuts, 0);
const repeats = reports.reduce((sum, report) => sum + report.repeats, 0);
const format = (value: number): string => value.toFixed(1);
process.stdout.write(
  `jitter: ${clients} clients, ${cuts} socket cuts (every ~${dropEveryMs / 1000} s, away up to ${dropForMs / 1000} s), ` +
    `${notifications} notifications, ${expectedTotal} deliveries\n` +
    `  shown            ${((shownTotal / expectedTotal) * 100).toFixed(3)}% (${missing} missing), ${repeats} shown twice\n` +
    `  live             notify → receipt p50 ${format(percentile(live, 50))} ms, p99 ${format(percentile(live, 99))} ms (${live.length})\n` +
    `  replayed         notify → receipt p50 ${format(percentile(replayed, 50))} ms, p99 ${format(percentile(replayed, 99))} ms (${replayed.length}; includes the time away)\n` +
    `  replay           back online → shown p50 ${format(percentile(sinceBack, 50))} ms, p99 ${format(percentile(sinceBack, 99))} ms\n`,
);
for (const child of children) child.send({ type: 'close' });
await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
await herald.close();
await gateway.close();
server.close();
