// WhatsApp part of the channels benchmark: 1,000 messages through Herald `notify` (1,000 recipients, MemoryStore,
// the Cloud API channel) against raw `fetch` calls carrying the same JSON to the same local Graph API peer,
// which runs in a worker thread so its own work does not share the event loop with the side being measured.
//
// Like with like: both sides use Node's global fetch (undici, keep-alive) and keep at most 64 requests in
// flight — Herald through its in-process runner (`concurrency: 64`), the raw side through 64 workers pulling
// from one queue. The Cloud API has no batch endpoint: one HTTP request per message on both sides.

import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createHerald, defineNotification } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { createWhatsAppChannel } from '@herald/whatsapp';
import { z } from 'zod';

const MESSAGE_COUNT = 1_000;
const CONCURRENCY = 64;
const ROUNDS = 7;

interface PeerAddress {
  url: string;
  phoneNumberId: string;
  accessToken: string;
  apiVersion: string;
}

export interface WhatsAppBenchResult {
  messages: number;
  concurrency: number;
  rawPerSecond: number;
  heraldPerSecond: number;
  /** Herald / raw throughput, from the median round of each side. */
  ratio: number;
  /** Herald / raw throughput, from the fastest round of each side. */
  bestRatio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');

async function startPeerThread(): Promise<{ address: PeerAddress; worker: Worker }> {
  const worker = new Worker(new URL('./whatsapp-peer-worker.mjs', import.meta.url));
  const address = await new Promise<PeerAddress>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { address, worker };
}

export async function run(): Promise<WhatsAppBenchResult> {
  const { address, worker } = await startPeerThread();
  try {
    const phones = Array.from({ length: MESSAGE_COUNT }, (_, index) => `+1415555${String(index).padStart(4, '0')}`);
    const text = (index: number): string => `Ticket T-${index}: Printer on fire`;
    const endpoint = `${address.url}/${address.apiVersion}/${address.phoneNumberId}/messages`;

    let rawRound = 0;
    const sendRaw = async (): Promise<void> => {
      rawRound += 1;
      let next = 0;
      let sent = 0;
      const worker = async (): Promise<void> => {
        while (next < MESSAGE_COUNT) {
          const index = next++;
          const response = await fetch(endpoint, {
            method: 'POST',
            headers: { authorization: `Bearer ${address.accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              messaging_product: 'whatsapp',
              recipient_type: 'individual',
              to: (phones[index] as string).slice(1),
              biz_opaque_callback_data: `raw-${rawRound}-${index}`,
              type: 'text',
              text: { body: text(index) },
            }),
          });
          const body = (await response.json()) as { messages?: { id?: string }[] };
          if (response.ok && typeof body.messages?.[0]?.id === 'string') sent += 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (sent !== MESSAGE_COUNT) throw new Error(`raw: ${sent} of ${MESSAGE_COUNT} sent`);
    };

    const herald = createHerald({
      store: new MemoryStore(),
      concurrency: CONCURRENCY,
      channels: [
        createWhatsAppChannel({
          phoneNumberId: address.phoneNumberId,
          accessToken: address.accessToken,
          apiVersion: address.apiVersion,
          graphBaseUrl: address.url,
        }),
      ],
    });
    const ticketUpdate = defineNotification({
      type: 'ticket.update',
      schema: z.object({ title: z.string() }),
      channels: {
        whatsapp: ({ recipient, payload }) => ({ text: `Ticket T-${recipient.data?.index}: ${payload.title}` }),
      },
    });
    const recipients = phones.map((phone, index) => ({ id: `user-${index}`, phone, data: { index } }));
    const sendThroughHerald = async (): Promise<void> => {
      const result = await herald.notify(ticketUpdate, { to: recipients, payload: { title: 'Printer on fire' } });
      const report = await result.settled;
      if (report.sent !== MESSAGE_COUNT) {
        throw new Error(
          `herald: ${report.sent} of ${MESSAGE_COUNT} sent (${report.failed} failed, ${report.skipped} skipped)`,
        );
      }
    };

    // One warm-up each (connections, JIT), then alternate which side goes first so drift hits both alike.
    await sendRaw();
    await sendThroughHerald();
    const rawTimes: number[] = [];
    const heraldTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        rawTimes.push(await timed(sendRaw));
        heraldTimes.push(await timed(sendThroughHerald));
      } else {
        heraldTimes.push(await timed(sendThroughHerald));
        rawTimes.push(await timed(sendRaw));
      }
    }
    await herald.close();

    const rawPerSecond = MESSAGE_COUNT / (median(rawTimes) / 1000);
    const heraldPerSecond = MESSAGE_COUNT / (median(heraldTimes) / 1000);
    const ratio = heraldPerSecond / rawPerSecond;
    const bestRatio = Math.min(...rawTimes) / Math.min(...heraldTimes);
    const lines = [
      `whatsapp (Cloud API over HTTP/1.1 keep-alive, global fetch, local Graph API peer in a worker): ${format(MESSAGE_COUNT)} messages, at most ${CONCURRENCY} in flight on both sides, median of ${ROUNDS}`,
      `  raw fetch, ${CONCURRENCY} workers            ${format(rawPerSecond).padStart(8)} messages/s  (median ${median(rawTimes).toFixed(0)} ms, best ${Math.min(...rawTimes).toFixed(0)} ms)`,
      `  Herald notify → @herald/whatsapp ${format(heraldPerSecond).padStart(8)} messages/s  (median ${median(heraldTimes).toFixed(0)} ms, best ${Math.min(...heraldTimes).toFixed(0)} ms)`,
      `  ratio Herald / raw               ${ratio.toFixed(2)} by median, ${bestRatio.toFixed(2)} by best round`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return { messages: MESSAGE_COUNT, concurrency: CONCURRENCY, rawPerSecond, heraldPerSecond, ratio, bestRatio };
  } finally {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
