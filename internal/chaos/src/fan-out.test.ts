// notify() to a huge fan-out — 200,000 recipients × 2 kinds when HERALD_CHAOS_FAN_OUT=200000, a tenth of that by
// default so the suite stays quick — through a producer-only BullMQ runner, on RedisStore and on MemoryStore. It
// must work (no call takes an unbounded argument list), store one item and one record per recipient and kind,
// and hand each delivery over as one job; the figures are printed.
import { type RedisServer, startRedisServer } from '@herald/test-peers/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './chaos.fixture';
import type { FanOutConfig, FanOutReport } from './fan-out.fixture';
import { killChildren, spawnScript } from './processes.fixture';

const RECIPIENTS = Number(process.env.HERALD_CHAOS_FAN_OUT ?? 20_000);

let server: RedisServer;

beforeAll(async () => {
  // Its own server: the jobs and records of a 200,000-recipient fan-out take most of a gigabyte.
  server = await startRedisServer();
});

afterAll(async () => {
  await killChildren();
  await server?.stop();
});

describe(`notify() to ${RECIPIENTS.toLocaleString('en')} recipients × 2 kinds`, () => {
  it.each(['redis', 'memory'] as const)(
    'works on the %s store, in bounded stalls',
    async (store) => {
      const config: FanOutConfig = {
        store,
        redisUrl: server.url,
        namespace: uniqueName('fan-out'),
        recipients: RECIPIENTS,
      };
      const child = spawnScript<FanOutReport>(new URL('./fan-out.fixture.ts', import.meta.url), {
        HERALD_CHAOS_FAN_OUT: JSON.stringify(config),
      });
      const report = await child.waitFor('the fan-out figures', () => true, 170_000);
      await child.exited;
      console.log(
        `fan-out of ${RECIPIENTS.toLocaleString('en')} × 2 on ${store === 'redis' ? 'RedisStore' : 'MemoryStore'} ` +
          `(BullMQ producer): notify ${report.notifyMs} ms, peak RSS +${report.rssGrowthMiB} MiB ` +
          `(heap +${report.heapGrowthMiB} MiB), longest event-loop stall ${report.longestStallMs} ms`,
      );
      expect(report).toMatchObject({
        status: 'dispatched',
        deliveryCount: RECIPIENTS * 2,
        jobs: { inApp: RECIPIENTS, pager: RECIPIENTS },
        wrongInboxes: [],
        wrongRecords: [],
      });
      expect(report.sampled).toBeGreaterThanOrEqual(Math.min(RECIPIENTS, 500));
    },
    180_000,
  );
});
