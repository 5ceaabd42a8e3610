// Email part of the channels benchmark: 1,000 emails through Herald `notify` (1,000 recipients, MemoryStore, the
// pooled SMTP channel) against a raw pooled nodemailer transport sending the same messages to the same local
// smtp-server, which runs in a worker thread so its own work does not share the event loop with the side measured.
//
// Like with like: both sides use a nodemailer pool of 5 connections with Nagle off (`setNoDelay(true)` through
// `getSocket`) and keep at most 64 messages in flight — Herald through its in-process runner (`concurrency: 64`),
// the raw side through 64 workers pulling from one queue. Both send the same From, To, Subject, HTML, derived text
// part and a Message-ID. Then the same pair with Nagle left on (nodemailer's default), and notifme-sdk, which
// opens an SMTP connection per message (nodemailer's unpooled transport, Nagle on), for reference.

import { createRequire } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createHerald, defineNotification, type Herald, html } from '@herald/core';
import { createEmailChannel, htmlToText } from '@herald/email';
import { MemoryStore } from '@herald/storage';
import nodemailer from 'nodemailer';
import { z } from 'zod';

const MESSAGE_COUNT = 1_000;
const CONCURRENCY = 64;
const POOL_SIZE = 5;
const ROUNDS = 5;
/** Nagle-on rounds are ~15× slower; one round each (the process is warm by then) shows the difference. */
const NAGLE_ROUNDS = 1;
const FROM = 'Acme Desk <desk@acme.test>';

interface PeerAddress {
  host: string;
  port: number;
}

export interface EmailBenchResult {
  messages: number;
  concurrency: number;
  poolSize: number;
  rawPerSecond: number;
  heraldPerSecond: number;
  /** Herald / raw throughput with Nagle off on both sides, from the median round of each. */
  ratio: number;
  /** Herald / raw throughput, from the fastest round of each side. */
  bestRatio: number;
  rawNaglePerSecond: number;
  heraldNaglePerSecond: number;
  notifmePerSecond: number;
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
  const worker = new Worker(new URL('./email-peer-worker.mjs', import.meta.url));
  const address = await new Promise<PeerAddress>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { address, worker };
}

/** What a host would write to turn Nagle off in nodemailer: open the socket itself and hand it over. */
function noDelaySocket(address: PeerAddress) {
  return (_options: unknown, callback: (error: Error | null, socket?: { connection: net.Socket }) => void): void => {
    const socket = net.connect({ host: address.host, port: address.port, noDelay: true });
    socket.once('error', (error) => callback(error));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      callback(null, { connection: socket });
    });
  };
}

const ticketUpdate = defineNotification({
  type: 'ticket.update',
  schema: z.object({ title: z.string() }),
  channels: {
    email: ({ recipient, payload }) => ({
      subject: `Ticket T-${recipient.data?.index}: ${payload.title}`,
      html: html`<p>Hi ${recipient.name},</p><p><a href="https://desk.acme.test/t/${recipient.data?.index}">${payload.title}</a> was updated.</p>`,
    }),
  },
});

const recipients = Array.from({ length: MESSAGE_COUNT }, (_, index) => ({
  id: `user-${index}`,
  email: `user-${index}@example.test`,
  name: `User ${index}`,
  data: { index },
}));
const title = 'Printer on fire';

function heraldSender(address: PeerAddress, noDelay: boolean): { send: () => Promise<void>; herald: Herald } {
  const herald = createHerald({
    store: new MemoryStore(),
    concurrency: CONCURRENCY,
    channels: [
      createEmailChannel({
        smtp: { host: address.host, port: address.port, ignoreTLS: true, maxConnections: POOL_SIZE, noDelay },
        from: FROM,
      }),
    ],
  });
  const send = async (): Promise<void> => {
    const result = await herald.notify(ticketUpdate, { to: recipients, payload: { title } });
    const report = await result.settled;
    if (report.sent !== MESSAGE_COUNT) {
      throw new Error(
        `herald: ${report.sent} of ${MESSAGE_COUNT} sent (${report.failed} failed: ${report.failures[0]?.message})`,
      );
    }
  };
  return { send, herald };
}

function rawSender(address: PeerAddress, noDelay: boolean): { send: () => Promise<void>; close: () => void } {
  const transport = nodemailer.createTransport({
    pool: true,
    host: address.host,
    port: address.port,
    ignoreTLS: true,
    maxConnections: POOL_SIZE,
    ...(noDelay ? { getSocket: noDelaySocket(address) } : {}),
  });
  let round = 0;
  const send = async (): Promise<void> => {
    round += 1;
    let next = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (next < MESSAGE_COUNT) {
        const index = next++;
        const recipient = recipients[index] as (typeof recipients)[number];
        const markup =
          html`<p>Hi ${recipient.name},</p><p><a href="https://desk.acme.test/t/${index}">${title}</a> was updated.</p>`
            .value;
        const info = await transport.sendMail({
          from: FROM,
          to: { name: recipient.name, address: recipient.email },
          subject: `Ticket T-${index}: ${title}`,
          html: markup,
          text: htmlToText(markup),
          messageId: `<raw-${round}-${index}@acme.test>`,
        });
        if (info.accepted.length === 1) sent += 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (sent !== MESSAGE_COUNT) throw new Error(`raw: ${sent} of ${MESSAGE_COUNT} sent`);
  };
  return { send, close: () => transport.close() };
}

// notifme-sdk ships Flow types only and is CommonJS with its class on `exports.default`.
interface Notifme {
  send(request: { email: Record<string, string> }): Promise<{ status: 'success' | 'error'; errors?: unknown }>;
}
const { default: NotifmeSdk } = createRequire(import.meta.url)('notifme-sdk') as {
  default: new (options: unknown) => Notifme;
};

function notifmeSender(address: PeerAddress): () => Promise<void> {
  const notifme = new NotifmeSdk({
    channels: {
      email: { providers: [{ type: 'smtp', host: address.host, port: address.port, ignoreTLS: true, secure: false }] },
    },
  });
  return async (): Promise<void> => {
    let next = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (next < MESSAGE_COUNT) {
        const index = next++;
        const recipient = recipients[index] as (typeof recipients)[number];
        const markup =
          html`<p>Hi ${recipient.name},</p><p><a href="https://desk.acme.test/t/${index}">${title}</a> was updated.</p>`
            .value;
        const result = await notifme.send({
          email: {
            from: FROM,
            to: `${recipient.name} <${recipient.email}>`,
            subject: `Ticket T-${index}: ${title}`,
            html: markup,
            text: htmlToText(markup),
          },
        });
        if (result.status === 'success') sent += 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (sent !== MESSAGE_COUNT) throw new Error(`notifme-sdk: ${sent} of ${MESSAGE_COUNT} sent`);
  };
}

/** Runs both sides `rounds` times after a warm-up each, alternating which goes first so drift hits both alike. */
async function pair(
  first: () => Promise<void>,
  second: () => Promise<void>,
  rounds: number,
  warmUp = true,
): Promise<[number[], number[]]> {
  if (warmUp) {
    await first();
    await second();
  }
  const firstTimes: number[] = [];
  const secondTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      firstTimes.push(await timed(first));
      secondTimes.push(await timed(second));
    } else {
      secondTimes.push(await timed(second));
      firstTimes.push(await timed(first));
    }
  }
  return [firstTimes, secondTimes];
}

const perSecond = (times: number[]): number => MESSAGE_COUNT / (median(times) / 1000);

export async function run(): Promise<EmailBenchResult> {
  const { address, worker } = await startPeerThread();
  try {
    const raw = rawSender(address, true);
    const herald = heraldSender(address, true);
    const [rawTimes, heraldTimes] = await pair(raw.send, herald.send, ROUNDS);
    raw.close();
    await herald.herald.close();

    const rawNagle = rawSender(address, false);
    const heraldNagle = heraldSender(address, false);
    const [rawNagleTimes, heraldNagleTimes] = await pair(rawNagle.send, heraldNagle.send, NAGLE_ROUNDS, false);
    rawNagle.close();
    await heraldNagle.herald.close();

    const notifme = notifmeSender(address);
    await notifme();
    const notifmeTimes: number[] = [];
    for (let round = 0; round < 3; round++) notifmeTimes.push(await timed(notifme));

    const rawPerSecond = perSecond(rawTimes);
    const heraldPerSecond = perSecond(heraldTimes);
    const ratio = heraldPerSecond / rawPerSecond;
    const bestRatio = Math.min(...rawTimes) / Math.min(...heraldTimes);
    const rawNaglePerSecond = perSecond(rawNagleTimes);
    const heraldNaglePerSecond = perSecond(heraldNagleTimes);
    const notifmePerSecond = perSecond(notifmeTimes);
    const row = (label: string, rate: number, times: number[]): string =>
      `  ${label.padEnd(52)} ${format(rate).padStart(6)} messages/s  (median ${median(times).toFixed(0)} ms, best ${Math.min(...times).toFixed(0)} ms, ${times.length} round${times.length === 1 ? '' : 's'})`;
    const lines = [
      `email (SMTP to a local smtp-server in a worker): ${format(MESSAGE_COUNT)} messages, at most ${CONCURRENCY} in flight on every side`,
      row(`raw nodemailer pool of ${POOL_SIZE}, noDelay sockets`, rawPerSecond, rawTimes),
      row(`Herald notify → @herald/email pool of ${POOL_SIZE}, noDelay`, heraldPerSecond, heraldTimes),
      `  ratio Herald / raw (same socket settings)            ${ratio.toFixed(2)} by median, ${bestRatio.toFixed(2)} by best round`,
      row(`raw nodemailer pool of ${POOL_SIZE}, Nagle on (default)`, rawNaglePerSecond, rawNagleTimes),
      row(`Herald notify → @herald/email, smtp.noDelay: false`, heraldNaglePerSecond, heraldNagleTimes),
      row('notifme-sdk smtp (a connection per message, Nagle on)', notifmePerSecond, notifmeTimes),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return {
      messages: MESSAGE_COUNT,
      concurrency: CONCURRENCY,
      poolSize: POOL_SIZE,
      rawPerSecond,
      heraldPerSecond,
      ratio,
      bestRatio,
      rawNaglePerSecond,
      heraldNaglePerSecond,
      notifmePerSecond,
    };
  } finally {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
