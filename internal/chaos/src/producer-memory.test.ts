// A producer-only process (BullMQ `worker: false`, `settleFromEvents: false`) neither runs deliveries nor hears
// their outcomes, so it must keep nothing per notification: its heap after 2,000 notifies is its heap after 200.
// (It grew by 26.8 MiB per 1,000 when every notification's context and settlement tracker were kept.)
import { testRedisUrl } from '@herald/test-peers/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from './chaos.fixture';
import { killChildren, spawnScript } from './processes.fixture';
import type { ProducerMemoryConfig, ProducerMemoryReport } from './producer-memory.fixture';

afterAll(killChildren);

const MiB = 2 ** 20;

describe('a producer-only process', () => {
  it('keeps nothing per notification: heap growth over 2,000 notifies stays flat', async () => {
    const tag = uniqueName('producer-memory');
    const config: ProducerMemoryConfig = {
      redisUrl: testRedisUrl(),
      namespace: tag,
      notifies: 2_000,
      warmUp: 200,
      recipients: 10,
    };
    const child = spawnScript<ProducerMemoryReport>(
      new URL('./producer-memory.fixture.ts', import.meta.url),
      { HERALD_CHAOS_MEMORY: JSON.stringify(config) },
      ['--expose-gc'],
    );
    const report = await child.waitFor('the heap figures', () => true, 90_000);
    await child.exited;
    const perThousand =
      (report.heapAfterAll - report.heapAfterWarmUp) / MiB / ((config.notifies - config.warmUp) / 1_000);
    console.log(
      `producer-only heap: ${(report.heapAfterWarmUp / MiB).toFixed(1)} MiB after ${config.warmUp} notifies, ` +
        `${(report.heapAfterAll / MiB).toFixed(1)} MiB after ${config.notifies} (${perThousand >= 0 ? '+' : ''}${perThousand.toFixed(2)} MiB per 1,000; ` +
        `${config.recipients} recipients × 2 kinds each, ${Math.round(report.notifyMs)} ms in all)`,
    );
    expect(perThousand).toBeLessThan(1);
  });
});
