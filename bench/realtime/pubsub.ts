// Redis pub/sub cost of the realtime relay: one PUBLISH per delivered item, to the item's user channel, received by
// one subscribed gateway process. Publishes BENCH_PUBSUB_ITEMS item-sized messages to BENCH_PUBSUB_USERS user
// channels (each subscribed once) and reports redis-server CPU per 1,000 items and the bytes on the wire, beside
// the same number of plain SETs of the same size (the baseline every Redis sizing starts from).
//
//   npm run realtime:pubsub --workspace bench

import { startRedisServer } from '@herald/test-peers/redis';
import { Redis } from 'ioredis';

const USERS = Number(process.env.BENCH_PUBSUB_USERS ?? 10_000);
const ITEMS = Number(process.env.BENCH_PUBSUB_ITEMS ?? 100_000);

async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1_000;
}

const message = JSON.stringify({
  kind: 'item',
  origin: '2f1c6a0e-6a55-4a53-9a51-4c1d2f6b8e11',
  item: {
    id: 'n0000000000abcdefghij.user-1234',
    userId: 'user-1234',
    notificationId: 'n0000000000abcdefghij',
    type: 'bench.round',
    position: 17,
    title: 'Ticket assigned',
    body: 'A ticket was assigned to you',
    data: { round: 3, sentAt: 1764633600000 },
    createdAt: '2026-12-01T22:00:00.000Z',
  },
});

const server = await startRedisServer();
try {
  const publisher = new Redis(server.url);
  const subscriber = new Redis(server.url);
  const channels = Array.from({ length: USERS }, (_, index) => `herald:realtime:user:user-${index}`);
  for (let start = 0; start < channels.length; start += 1_000)
    await subscriber.subscribe(...channels.slice(start, start + 1_000));
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  subscriber.on('message', () => {
    if (++received === ITEMS) done();
  });

  const publishCpu = await redisCpuMs(publisher);
  let started = performance.now();
  for (let start = 0; start < ITEMS; start += 1_000) {
    const pipeline = publisher.pipeline();
    for (let index = start; index < Math.min(ITEMS, start + 1_000); index++) {
      pipeline.publish(channels[index % USERS] as string, message);
    }
    await pipeline.exec();
  }
  await all;
  const publishMs = performance.now() - started;
  const publishCpuMs = (await redisCpuMs(publisher)) - publishCpu;

  const setCpu = await redisCpuMs(publisher);
  started = performance.now();
  for (let start = 0; start < ITEMS; start += 1_000) {
    const pipeline = publisher.pipeline();
    for (let index = start; index < Math.min(ITEMS, start + 1_000); index++)
      pipeline.set(`bench:${index % USERS}`, message);
    await pipeline.exec();
  }
  const setMs = performance.now() - started;
  const setCpuMs = (await redisCpuMs(publisher)) - setCpu;

  const per1000 = (ms: number): string => ((ms * 1_000) / ITEMS).toFixed(1);
  console.log(
    `pub/sub: ${ITEMS.toLocaleString('en-US')} item messages (${message.length} bytes) to ${USERS.toLocaleString('en-US')} user channels, one subscriber each`,
  );
  console.log(
    `  PUBLISH + delivery  ${Math.round(ITEMS / (publishMs / 1_000)).toLocaleString('en-US')}/s, redis-server CPU ${per1000(publishCpuMs)} ms per 1,000 items`,
  );
  console.log(
    `  SET (baseline)      ${Math.round(ITEMS / (setMs / 1_000)).toLocaleString('en-US')}/s, redis-server CPU ${per1000(setCpuMs)} ms per 1,000`,
  );
  console.log(
    `  wire per item: ~${message.length + 60} bytes in (PUBLISH) and ~${message.length + 70} bytes out (message) per subscribed process`,
  );
  await subscriber.quit();
  await publisher.quit();
} finally {
  await server.stop();
}
