// Several relays at once: three processes with Herald and the relay on race over 20 notifications a SIGKILLed
// process left stopped before any hand-over. Each delivery must be handed to a runner exactly once — with the
// in-process runner there is no job id to dedupe on, so a delivery handed over twice would be sent twice.
import { RedisStore } from '@herald/storage/redis';
import { testRedisUrl } from '@herald/test-peers/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Boundary, type HeraldProcessConfig, type NotifyRequest, recipientsOf, uniqueName } from './chaos.fixture';
import { killChildren, readerOf, readLogs, settledInvariant, startHeraldProcess } from './processes.fixture';

const NOTIFICATIONS = 20;
const RECIPIENTS = 25;
/** Every boundary before the first hand-over, so the killed process handed nothing to its runner. */
const beforeHandOver: Boundary[] = [
  'after the claim',
  'mid-items',
  'after items',
  'mid-deliveries',
  'before the hand-over',
];

afterAll(killChildren);

describe('relays of several processes at once', () => {
  it('complete 20 stopped notifications, each delivery handed over exactly once', async () => {
    const tag = uniqueName('relay-race');
    const base: Omit<HeraldProcessConfig, 'role' | 'lanes' | 'leaseMs'> = {
      redisUrl: testRedisUrl(),
      providerUrl: testRedisUrl(),
      runKey: `chaos:${tag}`,
      runner: 'in-process',
      worker: true,
      storeTimeoutMs: 30_000,
      intervalMs: 300,
    };
    const lane = { recovery: 'relay' as const, namespace: tag };
    // The notifier's dispatches hold 1 s leases, so its notifications are up for grabs a second after it dies (its
    // relay is on only because a process without one dispatches with the default lease). Each relay takes one notification per pass (then looks again at once), so the three interleave on every
    // take; what a relay takes it holds for 10 s, far longer than completing it lasts.
    const [notifier, ...relays] = await Promise.all([
      startHeraldProcess({ ...base, role: 'notifier', leaseMs: 1_000, lanes: [{ ...lane, relay: true }] }),
      ...[1, 2, 3].map((index) =>
        startHeraldProcess({
          ...base,
          role: `relay-${index}`,
          leaseMs: 10_000,
          relayBatchSize: 1,
          lanes: [{ ...lane, relay: true }],
        }),
      ),
    ]);
    const requests: NotifyRequest[] = Array.from({ length: NOTIFICATIONS }, (_, index) => ({
      recovery: 'relay',
      idempotencyKey: `${tag}:${index}`,
      recipients: RECIPIENTS,
      boundary: beforeHandOver[index % beforeHandOver.length] as Boundary,
      attempt: 1,
    }));
    notifier.tell({ type: 'notify', requests });
    const ids = new Map<string, string>();
    for (const request of requests) {
      const paused = await notifier.waitFor(
        `${request.idempotencyKey} to stop`,
        (message) => message.type === 'paused' && message.idempotencyKey === request.idempotencyKey,
      );
      if (paused.type === 'paused') ids.set(request.idempotencyKey, paused.notificationId);
    }
    await notifier.kill();

    const redis = new Redis(testRedisUrl());
    const store = new RedisStore({ redis, namespace: lane.namespace });
    const reader = readerOf(store);
    try {
      for (const request of requests) {
        const invariant = await settledInvariant({
          store,
          reader,
          provider: redis,
          runKey: base.runKey,
          notificationId: ids.get(request.idempotencyKey) as string,
          recipients: recipientsOf(request.idempotencyKey, RECIPIENTS),
        });
        expect(invariant.problems, request.idempotencyKey).toEqual([]);
        expect(invariant.figures.handOvers).toBe(RECIPIENTS * 2);
        expect(invariant.figures.handedTwice).toEqual([]);
        expect(invariant.figures.pagerDuplicates).toEqual([]);
        expect(invariant.figures.inAppCalls).toBe(RECIPIENTS);
        expect(invariant.figures.resumedBy).toHaveLength(1);
      }
      const resumed = (await readLogs(redis, base.runKey)).get('resumed') ?? new Map();
      const byRelay = new Map<string, number>();
      for (const [, roles] of resumed) for (const role of roles) byRelay.set(role, (byRelay.get(role) ?? 0) + 1);
      console.log(
        `relay race: ${NOTIFICATIONS} stopped notifications × ${RECIPIENTS} recipients × 2 kinds, completed by ` +
          [...byRelay].map(([role, count]) => `${role} ${count}`).join(', ') +
          '; every delivery handed over once and sent once',
      );
    } finally {
      await Promise.all(relays.map((relay) => relay.close()));
      await reader.close();
      redis.disconnect();
    }
  });
});
