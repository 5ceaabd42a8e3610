// Realtime fan-out: one notification to each of N connected clients (held by child processes), through the
// Herald gateway, through a raw `ws` server sending the same bytes, and through Socket.IO.
// Measures the time to reach every client, notify → receipt latency (p50 / p99) of the fan-out rounds and of a
// steady phase (single notifications to random users at a set rate), and heap and RSS per idle connection.
//
//   npm run realtime --workspace bench -- --clients 10000 --rounds 10 --workers 4 [--only herald,gateway,ws,socketio]
//   [--steady-rate 1000] [--steady-seconds 5] [--client lean|full] [--profile <dir>]

import { type ChildProcess, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHerald, defineNotification, type InboxItem } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { createWebSocketGateway } from '@herald/websocket';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { authenticateBenchUser, flag, now, percentile } from './shared';

/**
 * `gateway`: the Herald gateway fed directly (items inserted in bulk, then `channel.send` each), no dispatcher;
 * it still reads and writes (replays, acks) through the Herald its channel is registered with.
 * `ws-store`: a raw `ws` server doing Herald's bookkeeping by hand — the items stored in bulk in a `MemoryStore`,
 * sent, acknowledged by the clients as Herald's are, and the acks of one turn marked delivered in one store call:
 * the floor of what the guarantees cost, without the protocol (hello, replay, ordering, rate limits).
 */
type Kind = 'herald' | 'gateway' | 'ws-store' | 'ws' | 'socketio';

const clients = Number(flag('clients', '2000'));
const rounds = Number(flag('rounds', '20'));
const workers = Number(flag('workers', '4'));
const kinds = flag('only', 'herald,gateway,ws-store,ws,socketio').split(',') as Kind[];
const profileDir = flag('profile', '');
/** `--alloc-profile <dir>`: a sampling heap profile of everything the server allocates in the fan-out rounds. */
const allocProfileDir = flag('alloc-profile', '');
/** `lean` (default): Herald clients are protocol clients that only ack; `full`: `createHeraldClient`. */
const clientMode = flag('client', 'lean');
/** The steady phase: this many notifications a second, each to one random user, for `--steady-seconds`. */
const steadyRate = Number(flag('steady-rate', '1000'));
const steadySeconds = Number(flag('steady-seconds', '5'));
const workerScript = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let index = 0; index < 3; index++) gc();
  return process.memoryUsage().heapUsed;
}

const users = Array.from({ length: clients }, (_, index) => `user-${index}`);

const roundNotification = defineNotification({
  type: 'bench.round',
  schema: z.object({ round: z.number(), sentAt: z.number() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Ticket assigned',
      body: 'A ticket was assigned to you',
      data: { round: payload.round, sentAt: payload.sentAt },
    }),
  },
});

/** A frame the size of Herald's, for the servers that are not Herald. */
function lookalikeItem(userId: string, round: number, sentAt: number): InboxItem {
  return {
    id: `n0000000000abcdefghij.${userId}`,
    userId,
    notificationId: 'n0000000000abcdefghij',
    type: 'bench.round',
    position: round + 1,
    title: 'Ticket assigned',
    body: 'A ticket was assigned to you',
    data: { round, sentAt },
    createdAt: new Date().toISOString(),
  };
}

interface Target {
  url: string;
  broadcast(round: number): Promise<void>;
  /** One notification to one user (the steady phase); `sentAt` travels in it. */
  sendOne(userId: string): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One item per user, stored in bulk: what the gateway bench and ws-store send. */
function storeRound(
  store: MemoryStore,
  userIds: string[],
  notificationId: string,
  round: number,
): Promise<InboxItem[]> {
  const sentAt = now();
  const createdAt = new Date().toISOString();
  return store.insertInboxItems(
    userIds.map((userId) => ({
      id: `${notificationId}.${userId}`,
      userId,
      notificationId,
      type: 'bench.round',
      title: 'Ticket assigned',
      body: 'A ticket was assigned to you',
      data: { round, sentAt },
      createdAt,
    })),
  );
}

async function startTarget(kind: Kind): Promise<Target> {
  const server = createServer();
  server.maxConnections = clients * 2;
  if (kind === 'gateway') {
    const store = new MemoryStore();
    const gateway = createWebSocketGateway({
      server,
      authenticate: authenticateBenchUser,
    });
    const herald = createHerald({ store, channels: [gateway.channel] });
    const port = await listen(server);
    const signal = new AbortController().signal;
    /** Stores one item per user in bulk, then hands each to the gateway's channel: Herald minus the dispatcher. */
    const deliverDirect = async (userIds: string[], notificationId: string, round: number): Promise<void> => {
      const items = await storeRound(store, userIds, notificationId, round);
      await Promise.all(
        items.map((item) =>
          gateway.channel.send({
            deliveryId: `${item.id}.inApp`,
            notificationId,
            type: item.type,
            recipient: { id: item.userId },
            content: { title: item.title, body: item.body },
            attempt: 1,
            signal,
            inboxItem: item,
          }),
        ),
      );
    };
    return {
      url: `ws://127.0.0.1:${port}/realtime`,
      broadcast: (round) => deliverDirect(users, `round-${round}`, round),
      sendOne: (userId) => deliverDirect([userId], `steady-${now()}`, -1),
      async close() {
        await herald.close();
        server.close();
      },
    };
  }
  if (kind === 'herald') {
    const gateway = createWebSocketGateway({
      server,
      authenticate: authenticateBenchUser,
    });
    const herald = createHerald({ store: new MemoryStore(), channels: [gateway.channel], concurrency: 256 });
    const port = await listen(server);
    return {
      url: `ws://127.0.0.1:${port}/realtime`,
      async broadcast(round) {
        await herald.notify(roundNotification, { to: users, payload: { round, sentAt: now() } });
      },
      async sendOne(userId) {
        await herald.notify(roundNotification, { to: userId, payload: { round: -1, sentAt: now() } });
      },
      async close() {
        await herald.close();
        server.close();
      },
    };
  }
  if (kind === 'ws-store') {
    const store = new MemoryStore();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    const sockets = new Map<string, import('ws').WebSocket>();
    let acks: { userId: string; ids: string[] }[] = [];
    const writeAcks = (): void => {
      const batch = acks;
      acks = [];
      void store.markDeliveredMany(batch, new Date().toISOString());
    };
    wss.on('connection', (socket, request) => {
      const userId = new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? '';
      sockets.set(userId, socket);
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; ids: string[] };
        if (frame.type !== 'ack') return;
        if (acks.length === 0) setImmediate(writeAcks);
        acks.push({ userId, ids: frame.ids });
      });
      socket.on('close', () => sockets.delete(userId));
    });
    const port = await listen(server);
    const storeAndSend = async (userIds: string[], notificationId: string, round: number): Promise<void> => {
      const items = await storeRound(store, userIds, notificationId, round);
      for (const item of items) sockets.get(item.userId)?.send(JSON.stringify({ type: 'notification', item }));
    };
    return {
      url: `ws://127.0.0.1:${port}/`,
      broadcast: (round) => storeAndSend(users, `round-${round}`, round),
      sendOne: (userId) => storeAndSend([userId], `steady-${now()}`, -1),
      async close() {
        for (const socket of sockets.values()) socket.terminate();
        wss.close();
        server.close();
      },
    };
  }
  if (kind === 'ws') {
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    const sockets = new Map<string, import('ws').WebSocket>();
    wss.on('connection', (socket, request) => {
      const userId = new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? '';
      sockets.set(userId, socket);
      socket.on('close', () => sockets.delete(userId));
    });
    const port = await listen(server);
    return {
      url: `ws://127.0.0.1:${port}/`,
      async broadcast(round) {
        const sentAt = now();
        for (const [userId, socket] of sockets) {
          socket.send(JSON.stringify({ type: 'notification', item: lookalikeItem(userId, round, sentAt) }));
        }
      },
      async sendOne(userId) {
        sockets.get(userId)?.send(JSON.stringify({ type: 'notification', item: lookalikeItem(userId, -1, now()) }));
      },
      async close() {
        for (const socket of sockets.values()) socket.terminate();
        wss.close();
        server.close();
      },
    };
  }
  const io = new SocketIoServer(server, { transports: ['websocket'], perMessageDeflate: false });
  io.on('connection', (socket) => {
    void socket.join(String(socket.handshake.auth.userId));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    async broadcast(round) {
      const sentAt = now();
      // The same item the other servers send, so every server moves the same bytes.
      for (const userId of users) io.to(userId).emit('notification', lookalikeItem(userId, round, sentAt));
    },
    async sendOne(userId) {
      io.to(userId).emit('notification', lookalikeItem(userId, -1, now()));
    },
    async close() {
      io.close();
      server.close();
    },
  };
}

/**
 * Samples every allocation, the collected ones included (a plain heap profile keeps only what is still alive):
 * what makes the garbage the collector spends its time on. Returns the function that stops and writes it.
 */
async function startAllocationSampling(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async (file) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

interface Result {
  kind: Kind;
  heapPerConnectionKiB: number;
  rssPerConnectionKiB: number;
  fanOutMs: { p50: number; max: number };
  /** Server CPU (ms) per 1,000 items delivered in the fan-out rounds, acknowledgements included. */
  cpuMsPerThousand: number;
  latencyMs: { p50: number; p99: number };
  steadyLatencyMs: { p50: number; p99: number; received: number; sent: number };
}

async function run(kind: Kind): Promise<Result> {
  const target = await startTarget(kind);
  const before = heapUsed();
  const rssBefore = process.memoryUsage().rss;
  const perWorker = Math.ceil(clients / workers);
  const children: ChildProcess[] = [];
  const roundWaiters = new Map<number, { remaining: number; resolve: () => void }>();
  let connected = 0;
  let allConnected: () => void = () => {};
  const connectedPromise = new Promise<void>((resolve) => {
    allConnected = resolve;
  });
  const latencyReports: number[][] = [];
  const steadyReports: number[][] = [];
  let latencyDone: () => void = () => {};
  const latencyPromise = new Promise<void>((resolve) => {
    latencyDone = resolve;
  });

  for (let index = 0; index < workers; index++) {
    const first = index * perWorker;
    const count = Math.min(perWorker, clients - first);
    if (count <= 0) break;
    const child = fork(workerScript, [kind, target.url, String(count), String(first), clientMode], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on(
      'message',
      (message: { type: string; round?: number; latencies?: number[]; steadyLatencies?: number[] }) => {
        if (message.type === 'connected' && ++connected === children.length) allConnected();
        if (message.type === 'round') {
          const waiter = roundWaiters.get(message.round!);
          if (waiter && --waiter.remaining === 0) waiter.resolve();
        }
        if (message.type === 'latencies') {
          latencyReports.push(message.latencies!);
          steadyReports.push(message.steadyLatencies ?? []);
          if (latencyReports.length === children.length) latencyDone();
        }
      },
    );
    children.push(child);
  }
  await connectedPromise;
  // Idle connections: what holding them costs, before any message.
  const heapPerConnectionKiB = (heapUsed() - before) / clients / 1024;
  const rssPerConnectionKiB = (process.memoryUsage().rss - rssBefore) / clients / 1024;

  const fanOut: number[] = [];
  // The server's own CPU time over the fan-out rounds: what a delivery costs it, whatever else the machine runs.
  const roundsCpu = process.cpuUsage();
  const allocations = allocProfileDir === '' ? undefined : await startAllocationSampling();
  for (let round = 0; round < rounds; round++) {
    const done = new Promise<void>((resolve) => roundWaiters.set(round, { remaining: children.length, resolve }));
    const start = now();
    await target.broadcast(round);
    await done;
    fanOut.push(now() - start);
  }
  const roundsCpuUsed = process.cpuUsage(roundsCpu);
  await allocations?.(`${allocProfileDir}/${kind}.heapprofile`);
  const cpuMsPerThousand = (roundsCpuUsed.user + roundsCpuUsed.system) / 1_000 / ((rounds * clients) / 1_000);
  // Steady phase: `steadyRate` notifications a second, each to one random user, paced in 10 ms ticks.
  const steadyTotal = Math.round(steadyRate * steadySeconds);
  const steadyStart = now();
  let steadySent = 0;
  while (steadySent < steadyTotal) {
    const due = Math.min(steadyTotal, Math.floor(((now() - steadyStart) / 1000) * steadyRate));
    const sends: Promise<void>[] = [];
    for (; steadySent < due; steadySent++) {
      sends.push(target.sendOne(users[Math.floor(Math.random() * users.length)] as string));
    }
    await Promise.all(sends);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Let the last ones arrive before asking for the figures.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  for (const child of children) child.send({ type: 'report' });
  await latencyPromise;
  for (const child of children) child.send({ type: 'close' });
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await target.close();

  const latencies = latencyReports.flat().sort((a, b) => a - b);
  const steady = steadyReports.flat().sort((a, b) => a - b);
  fanOut.sort((a, b) => a - b);
  return {
    kind,
    heapPerConnectionKiB,
    rssPerConnectionKiB,
    fanOutMs: { p50: percentile(fanOut, 50), max: fanOut.at(-1)! },
    cpuMsPerThousand,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    steadyLatencyMs: {
      p50: percentile(steady, 50),
      p99: percentile(steady, 99),
      received: steady.length,
      sent: steadyTotal,
    },
  };
}

// Each server runs in a process of its own, so one's garbage never counts against the next one's heap.
if (process.env.HERALD_BENCH_REALTIME_KIND) {
  const result = await run(process.env.HERALD_BENCH_REALTIME_KIND as Kind);
  process.send?.(result);
  process.exit(0);
}

const results: Result[] = [];
for (const kind of kinds) {
  process.stdout.write(`realtime: ${kind}, ${clients} clients in ${workers} processes, ${rounds} rounds…\n`);
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
    // `--profile <dir>` writes a CPU profile of each server process there.
    execArgv: ['--import', 'tsx', ...(profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])],
    env: { ...process.env, HERALD_BENCH_REALTIME_KIND: kind },
  });
  results.push(await new Promise<Result>((resolve) => child.once('message', (result) => resolve(result as Result))));
  await new Promise((resolve) => child.once('exit', resolve));
}

const format = (value: number): string => value.toFixed(1);
process.stdout.write(
  `\n| server | clients | fan-out to all p50 / max (ms) | server CPU per 1,000 delivered (ms) | fan-out notify → receipt p50 / p99 (ms) | ${steadyRate}/s to random users: notify → receipt p50 / p99 (ms), received | heap / RSS per idle connection (KiB) |\n` +
    '|---|---|---|---|---|---|---|\n',
);
for (const result of results) {
  process.stdout.write(
    `| ${result.kind} | ${clients} | ${format(result.fanOutMs.p50)} / ${format(result.fanOutMs.max)} | ${format(result.cpuMsPerThousand)} | ` +
      `${format(result.latencyMs.p50)} / ${format(result.latencyMs.p99)} | ` +
      `${format(result.steadyLatencyMs.p50)} / ${format(result.steadyLatencyMs.p99)}, ${result.steadyLatencyMs.received} of ${result.steadyLatencyMs.sent} | ` +
      `${format(result.heapPerConnectionKiB)} / ${format(result.rssPerConnectionKiB)} |\n`,
  );
}
// The targets, as ratios to the baselines of this run: a rate ≥ 0.7 of raw ws's (time ≤ ws time ÷ 0.7), faster
// than Socket.IO, and a fan-out notify → receipt p99 no worse than Socket.IO's.
const byKind = new Map(results.map((result) => [result.kind, result]));
const ws = byKind.get('ws');
const wsStore = byKind.get('ws-store');
const socketIo = byKind.get('socketio');
for (const kind of ['herald', 'gateway'] as const) {
  const herald = byKind.get(kind);
  if (!herald) continue;
  const parts: string[] = [];
  const verdict = (isMet: boolean): string => (isMet ? 'met' : 'not met');
  if (ws) {
    const rate = ws.fanOutMs.p50 / herald.fanOutMs.p50;
    parts.push(`fan-out rate ${rate.toFixed(2)} of raw ws (target ≥ 0.7, ${verdict(rate >= 0.7)})`);
  }
  if (wsStore) {
    const rate = wsStore.fanOutMs.p50 / herald.fanOutMs.p50;
    parts.push(`${rate.toFixed(2)} of ws-store's rate (the same store and acks, done by hand)`);
  }
  if (socketIo) {
    const rate = socketIo.fanOutMs.p50 / herald.fanOutMs.p50;
    parts.push(`${rate.toFixed(2)}× Socket.IO's rate (target > 1, ${verdict(rate > 1)})`);
    parts.push(
      `p99 ${format(herald.latencyMs.p99)} vs Socket.IO ${format(socketIo.latencyMs.p99)} ms (target ≤, ${verdict(herald.latencyMs.p99 <= socketIo.latencyMs.p99)})`,
    );
  }
  parts.push(
    `heap ${format(herald.heapPerConnectionKiB)} KiB per idle connection (target ≤ 8, ${verdict(herald.heapPerConnectionKiB <= 8)})`,
  );
  process.stdout.write(`\n${kind}: ${parts.join('; ')}`);
}
process.stdout.write(
  '\n\nHerald stores one inbox item per recipient, records a delivery per recipient, and the clients acknowledge ' +
    'every item (the acks of one turn, from every socket, in one store write); ws-store does the same by hand; the raw ws and Socket.IO servers only send bytes. ' +
    `Herald clients: ${clientMode === 'full' ? 'createHeraldClient' : 'lean protocol clients (hello + batched acks)'}.\n`,
);
