// Holds many Herald clients for bench/realtime/jitter.ts and cuts each one's socket every ~dropEveryMs; the
// client's reconnect backoff (full jitter up to dropForMs) keeps it away meanwhile. Reports what each user saw.

import { createHeraldClient, type HeraldClient } from '@herald/websocket/client';
import { WebSocket } from 'ws';
import { now } from './shared';

const [url, countText, firstText, dropEveryText, dropForText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const count = Number(countText);
const first = Number(firstText);
const dropEveryMs = Number(dropEveryText);
const dropForMs = Number(dropForText);

interface Held {
  userId: string;
  client: HeraldClient;
  sockets: WebSocket[];
  seen: Set<string>;
}

const held: Held[] = [];
const live: number[] = [];
const replayed: number[] = [];
/** For replayed items: from the moment the client was back (its socket open again) to the item shown. */
const sinceBack: number[] = [];
const timers: ReturnType<typeof setTimeout>[] = [];
let repeats = 0;
let cuts = 0;
let lastItemAt = 0;

function hold(index: number): Held {
  const userId = `user-${index}`;
  const sockets: WebSocket[] = [];
  /** When the latest socket opened: the client is back (its catch-up follows). */
  let backAt = 0;
  class TrackedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.once('open', () => {
        backAt = now();
      });
      sockets.push(this);
      if (sockets.length > 2) sockets.shift();
    }
  }
  const client = createHeraldClient({
    url,
    token: `user:${userId}`,
    WebSocket: TrackedWebSocket,
    reconnect: { baseMs: dropForMs, capMs: dropForMs },
    maxItems: 50,
  });
  const seen = new Set<string>();
  client.on('notification', ({ item, replay }) => {
    const at = now();
    lastItemAt = at;
    if (seen.has(item.id)) repeats += 1;
    seen.add(item.id);
    const sentAt = (item.data as { sentAt: number }).sentAt;
    if (!replay) {
      live.push(at - sentAt);
      return;
    }
    replayed.push(at - sentAt);
    sinceBack.push(at - Math.max(backAt, sentAt));
  });
  return { userId, client, sockets, seen };
}

function scheduleCut(entry: Held, delay: number): void {
  timers.push(
    setTimeout(() => {
      const socket = entry.sockets.at(-1);
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.terminate();
        cuts += 1;
      }
      scheduleCut(entry, dropEveryMs * (0.8 + Math.random() * 0.4));
    }, delay),
  );
}

async function whenOpen(entry: Held): Promise<void> {
  if (entry.client.getSnapshot().status === 'open') return;
  await new Promise<void>((resolve) => {
    const stop = entry.client.on('status', (status) => {
      if (status === 'open') {
        stop();
        resolve();
      }
    });
  });
}

process.on('message', async (message: { type: string }) => {
  if (message.type === 'start') {
    for (const entry of held) scheduleCut(entry, Math.random() * dropEveryMs);
  }
  if (message.type === 'finish') {
    for (const timer of timers) clearTimeout(timer);
    // Everyone back, then quiet for 2 s: every catch-up has run.
    await Promise.all(held.map(whenOpen));
    while (now() - lastItemAt < 2_000) await new Promise((resolve) => setTimeout(resolve, 250));
    process.send?.({
      type: 'report',
      shown: held.map((entry) => [entry.userId, entry.seen.size]),
      repeats,
      live,
      replayed,
      sinceBack,
      cuts,
    });
  }
  if (message.type === 'close') {
    for (const entry of held) entry.client.close();
    setTimeout(() => process.exit(0), 200);
  }
});

for (let start = 0; start < count; start += 50) {
  const batch: Held[] = [];
  for (let index = start; index < Math.min(count, start + 50); index++) batch.push(hold(first + index));
  held.push(...batch);
  await Promise.all(batch.map(whenOpen));
}
process.send?.({ type: 'connected' });
