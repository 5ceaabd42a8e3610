import { RedisStore } from '@herald/storage/redis';
import { testRedisUrl } from '@herald/test-peers/redis';
import { createTestChannel } from '@herald/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, redisClient, rig, spawnChild, ticketAssigned, uniqueName } from './bullmq.fixture';

afterEach(closeAll);

describe('workers in other processes', () => {
  it('a worker process delivers what this process notified, and this process sees it settle', async () => {
    const redis = redisClient();
    const namespace = uniqueName('mp');
    const runKey = uniqueName('run');
    const pager = createTestChannel('pager');
    // Registered so in-app deliveries go through the runner (without a realtime channel, storing the item is the delivery).
    const inApp = createTestChannel('inApp');
    const { herald, runner } = rig({
      channels: [pager, inApp],
      namespace,
      store: new RedisStore({ redis, namespace }),
      runner: { worker: false },
    });
    const child = spawnChild({
      role: 'worker',
      redisUrl: testRedisUrl(),
      namespace,
      runKey,
      sendDelayMs: 0,
      concurrency: 8,
      recipients: 0,
    });
    await child.ready;

    const result = await herald.notify(ticketAssigned, { to: ['ann', 'bob', 'cy'], payload: { title: 'Hello' } });
    const report = await result.settled;

    expect(report).toMatchObject({ total: 6, sent: 6, failed: 0 });
    expect(runner.workingKinds()).toEqual([]);
    expect(pager.calls).toHaveLength(0);
    expect(inApp.calls).toHaveLength(0);
    const pagerSends = (await redis.lrange(`${runKey}:sends:pager`, 0, -1)).map((line) => line.split(' '));
    const inAppSends = (await redis.lrange(`${runKey}:sends:inApp`, 0, -1)).map((line) => line.split(' '));
    expect(pagerSends.map(([id]) => id).sort()).toEqual(
      ['ann', 'bob', 'cy'].map((_, index) => `${result.id}.${index.toString(36)}.pager`).sort(),
    );
    expect(inAppSends).toHaveLength(3);
    expect(new Set([...pagerSends, ...inAppSends].map(([, role]) => role))).toEqual(new Set(['worker']));
  });
});
