// One child process holding many realtime clients of one kind. It reports to the parent over IPC:
// `connected`, then per round `round` once all its clients have the round's message, then `latencies`.

import { createHeraldClient } from '@herald/websocket/client';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { now } from './shared';

type Kind = 'herald' | 'gateway' | 'ws-store' | 'ws' | 'socketio';

const [kind, url, countText, firstText, clientMode] = process.argv.slice(2) as [Kind, string, string, string, string];
/** `full`: Herald's own client (snapshot, dedupe, events); otherwise a lean protocol client that only acks. */
const isFullClient = clientMode === 'full';
const count = Number(countText);
const first = Number(firstText);

const latencies: number[] = [];
const perRound = new Map<number, number>();
const closers: (() => void)[] = [];

function send(message: unknown): void {
  process.send?.(message);
}

/** Latencies of the steady phase: single notifications to random users (round < 0). */
const steadyLatencies: number[] = [];

function receive(round: number, sentAt: number): void {
  if (round < 0) {
    steadyLatencies.push(now() - sentAt);
    return;
  }
  latencies.push(now() - sentAt);
  const seen = (perRound.get(round) ?? 0) + 1;
  perRound.set(round, seen);
  if (seen === count) send({ type: 'round', round });
}

async function connectOne(index: number): Promise<void> {
  const userId = `user-${index}`;
  if (((kind === 'herald' || kind === 'gateway') && !isFullClient) || kind === 'ws-store') {
    const socket =
      kind === 'ws-store'
        ? new WebSocket(`${url}?user=${userId}`)
        : new WebSocket(url, ['herald.v1'], { headers: { authorization: `Bearer user:${userId}` } });
    const acks: string[] = [];
    let isAckScheduled = false;
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        item?: { id: string; data: { round: number; sentAt: number } };
      };
      if (frame.type !== 'notification' || !frame.item) return;
      receive(frame.item.data.round, frame.item.data.sentAt);
      acks.push(frame.item.id);
      if (isAckScheduled) return;
      isAckScheduled = true;
      setTimeout(() => {
        isAckScheduled = false;
        while (acks.length > 0) socket.send(JSON.stringify({ type: 'ack', ids: acks.splice(0, 100) }));
      }, 100);
    });
    closers.push(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        if (kind !== 'ws-store') socket.send(JSON.stringify({ type: 'hello' }));
        resolve();
      });
      socket.once('error', reject);
    });
  } else if (kind === 'herald' || kind === 'gateway') {
    const client = createHeraldClient({ url, token: `user:${userId}`, WebSocket, pingIntervalMs: 0 });
    client.on('notification', ({ item }) => {
      const data = item.data as { round: number; sentAt: number };
      receive(data.round, data.sentAt);
    });
    closers.push(() => client.close());
    await new Promise<void>((resolve) => {
      const stop = client.on('status', (status) => {
        if (status === 'open') {
          stop();
          resolve();
        }
      });
    });
  } else if (kind === 'ws') {
    const socket = new WebSocket(`${url}?user=${userId}`);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { item: { data: { round: number; sentAt: number } } };
      receive(frame.item.data.round, frame.item.data.sentAt);
    });
    closers.push(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  } else {
    const socket = io(url, { transports: ['websocket'], auth: { userId }, reconnection: false });
    socket.on('notification', (message: { data: { round: number; sentAt: number } }) =>
      receive(message.data.round, message.data.sentAt),
    );
    closers.push(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
  }
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') send({ type: 'latencies', latencies, steadyLatencies });
  if (message.type === 'close') {
    for (const close of closers) close();
    setTimeout(() => process.exit(0), 200);
  }
});

// Open in batches so the server sees a steady ramp rather than one SYN flood.
for (let start = 0; start < count; start += 50) {
  const batch = [];
  for (let index = start; index < Math.min(count, start + 50); index++) batch.push(connectOne(first + index));
  await Promise.all(batch);
}
send({ type: 'connected' });
