// Push part of the channels benchmark: 5,000 push tokens through Herald `notify` (5,000 recipients, one token
// each, MemoryStore, the fcm channel) against raw firebase-admin `sendEachForMulticast` batches of 500, both
// driving the real firebase-admin over HTTP/2 to the same local FCM v1 peer. The peer runs in a worker thread
// so that its own work does not share the event loop with the side being measured.
//
// Like with like: both sides send 500 messages per `sendEach` call and keep all 10 calls in flight at once
// (the raw side with Promise.all, Herald through its in-process runner, concurrency 64 batches).

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createHerald, defineNotification } from '@herald/core';
import { createFcmChannel } from '@herald/fcm';
import { MemoryStore } from '@herald/storage';
import { connectToFcmPeer, type FcmPeerAddress } from '@herald/test-peers/fcm';
import { z } from 'zod';

const TOKEN_COUNT = 5_000;
const BATCH_SIZE = 500;
const ROUNDS = 7;

export interface PushBenchResult {
  tokens: number;
  rawPerSecond: number;
  heraldPerSecond: number;
  /** Herald / raw throughput, from the median round of each side. */
  ratio: number;
  /** Herald / raw throughput, from the fastest round of each side (least disturbed by other load). */
  bestRatio: number;
  /** Raw / Herald busy time of the sending thread (median): what the ratio would be if that thread were the limit. */
  busyRatio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Timing {
  wallMs: number;
  /** Time the sending thread's event loop was busy: CPU spent by firebase-admin (and Herald), not waiting. */
  busyMs: number;
}

async function timed(work: () => Promise<void>): Promise<Timing> {
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  return { wallMs, busyMs: performance.eventLoopUtilization(loopBefore).active };
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');

async function startPeerThread(): Promise<{ address: FcmPeerAddress; worker: Worker }> {
  const worker = new Worker(new URL('./push-peer-worker.mjs', import.meta.url));
  const address = await new Promise<FcmPeerAddress>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { address, worker };
}

export async function run(): Promise<PushBenchResult> {
  const { address, worker } = await startPeerThread();
  const peer = connectToFcmPeer(address);
  try {
    const tokens = Array.from({ length: TOKEN_COUNT }, (_, index) => `bench-token-${index}`);
    const title = 'Ticket assigned';
    const body = 'Printer on fire';

    const rawMessaging = peer.createMessaging();
    const sendRaw = async (): Promise<void> => {
      const batches: string[][] = [];
      for (let start = 0; start < tokens.length; start += BATCH_SIZE)
        batches.push(tokens.slice(start, start + BATCH_SIZE));
      const responses = await Promise.all(
        batches.map((batch) =>
          rawMessaging.sendEachForMulticast({
            tokens: batch,
            notification: { title, body },
            data: { ticketId: 'T-1' },
          }),
        ),
      );
      const sent = responses.reduce((sum, response) => sum + response.successCount, 0);
      if (sent !== TOKEN_COUNT) throw new Error(`raw: ${sent} of ${TOKEN_COUNT} sent`);
    };

    const herald = createHerald({
      store: new MemoryStore(),
      channels: [createFcmChannel({ messaging: peer.createMessaging() })],
    });
    const ticketAssigned = defineNotification({
      type: 'ticket.assigned',
      schema: z.object({ ticketId: z.string() }),
      channels: { push: ({ payload }) => ({ title, body, data: { ticketId: payload.ticketId } }) },
    });
    const recipients = tokens.map((token, index) => ({ id: `user-${index}`, pushTokens: [token] }));
    const sendThroughHerald = async (): Promise<void> => {
      const result = await herald.notify(ticketAssigned, { to: recipients, payload: { ticketId: 'T-1' } });
      const report = await result.settled;
      if (report.sent !== TOKEN_COUNT) {
        throw new Error(
          `herald: ${report.sent} of ${TOKEN_COUNT} sent (${report.failed} failed, ${report.skipped} skipped)`,
        );
      }
    };

    // One warm-up each (TLS, JIT), then alternate which side goes first so drift hits both alike.
    await sendRaw();
    await sendThroughHerald();
    worker.postMessage('reset');
    const rawTimings: Timing[] = [];
    const heraldTimings: Timing[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        rawTimings.push(await timed(sendRaw));
        heraldTimings.push(await timed(sendThroughHerald));
      } else {
        heraldTimings.push(await timed(sendThroughHerald));
        rawTimings.push(await timed(sendRaw));
      }
      worker.postMessage('reset');
    }
    await herald.close();

    const rawTimes = rawTimings.map((timing) => timing.wallMs);
    const heraldTimes = heraldTimings.map((timing) => timing.wallMs);
    const rawBusy = median(rawTimings.map((timing) => timing.busyMs));
    const heraldBusy = median(heraldTimings.map((timing) => timing.busyMs));
    const busyRatio = rawBusy / heraldBusy;
    const rawPerSecond = TOKEN_COUNT / (median(rawTimes) / 1000);
    const heraldPerSecond = TOKEN_COUNT / (median(heraldTimes) / 1000);
    const ratio = heraldPerSecond / rawPerSecond;
    const bestRatio = Math.min(...rawTimes) / Math.min(...heraldTimes);
    const lines = [
      `push (FCM v1 over HTTP/2, real firebase-admin, local TLS peer): ${format(TOKEN_COUNT)} tokens, ${BATCH_SIZE} per sendEach call, all calls in flight on both sides, median of ${ROUNDS}`,
      `  raw sendEachForMulticast         ${format(rawPerSecond).padStart(8)} messages/s  (median ${median(rawTimes).toFixed(0)} ms, best ${Math.min(...rawTimes).toFixed(0)} ms)`,
      `  Herald notify → @herald/fcm      ${format(heraldPerSecond).padStart(8)} messages/s  (median ${median(heraldTimes).toFixed(0)} ms, best ${Math.min(...heraldTimes).toFixed(0)} ms)`,
      `  ratio Herald / raw               ${ratio.toFixed(2)} by median, ${bestRatio.toFixed(2)} by best round  (target ≥ 0.90)`,
      `  sending thread busy (median)     raw ${rawBusy.toFixed(0)} ms, Herald ${heraldBusy.toFixed(0)} ms → ratio ${busyRatio.toFixed(2)} (steadier than wall time on a loaded machine)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return { tokens: TOKEN_COUNT, rawPerSecond, heraldPerSecond, ratio, bestRatio, busyRatio };
  } finally {
    await peer.close();
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
