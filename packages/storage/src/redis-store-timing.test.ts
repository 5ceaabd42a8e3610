// Herald's digests on RedisStore through four Heralds, each on a connection of its own, sharing one test clock:
// events that arrive in the very millisecond a digest closes land in exactly one digest each, and none is lost.
import { createHerald, defineNotification, type Herald, type StandardSchemaV1 } from '@herald/core';
import { createTestChannel, createTestClock, type TestChannel, waitUntil } from '@herald/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis';

declare module '@herald/core' {
  interface ChannelContentMap {
    /** A kind only this file uses. */
    letter: { subject: string; text: string };
  }
}

const url = process.env.HERALD_TEST_REDIS_URL;
if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through the root vitest config.');

const clients: Redis[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
});

type Comment = { ticketId: string; title: string };
const comment: StandardSchemaV1<Comment> = {
  '~standard': {
    version: 1,
    vendor: 'herald-test',
    validate: (value) => ({ value: value as Comment }),
  },
};

const MINUTE = 60_000;
const commented = defineNotification({
  type: 'ticket.commented',
  schema: comment,
  channels: {
    letter: ({ payload, events, digest }) => ({
      subject: `${digest.count} on ${payload.ticketId}`,
      text: events.map((event) => event.payload.title).join('\n'),
    }),
  },
  digest: { key: ({ payload }) => payload.ticketId, window: '10m', keep: 50, channels: ['letter'] },
});

describe('digests on RedisStore, four Heralds on four connections', () => {
  it('puts each event arriving in the millisecond of the close in exactly one sent digest', async () => {
    const namespace = `test-redis-timing-${Math.random().toString(36).slice(2, 10)}`;
    const start = Date.UTC(2026, 5, 10, 15, 0);
    const clock = createTestClock(start);
    const letters: TestChannel<'letter'>[] = [];
    const heralds: Herald[] = [];
    for (let place = 0; place < 4; place++) {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      clients.push(redis);
      const letter = createTestChannel('letter', { skipsRecipientsWithoutAddress: false });
      letters.push(letter);
      heralds.push(
        createHerald({
          store: new RedisStore({ redis, namespace }),
          clock,
          channels: [letter],
          notifications: [commented],
          relay: false,
        }),
      );
    }
    const closesAt = start + 10 * MINUTE;
    const notifying: Promise<unknown>[] = [];
    const racing = (first: number) => () => {
      for (let index = first; index < first + 20; index++) {
        const herald = heralds[index % 4] as Herald;
        const title = `racing-${index}`;
        notifying.push(herald.notify(commented, { to: 'ana', payload: { ticketId: 't-1', title } }));
      }
    };
    try {
      // Twenty events fall due just before the close's own timer, in the same millisecond, and twenty just after.
      clock.setTimeout(racing(0), closesAt - clock.now());
      await (heralds[0] as Herald).notify(commented, { to: 'ana', payload: { ticketId: 't-1', title: 'opening' } });
      clock.setTimeout(racing(20), closesAt - clock.now());
      await clock.advance(10 * MINUTE);
      await Promise.all(notifying);
      // A digest the racing events opened closes ten minutes after its last event.
      await clock.advance(11 * MINUTE);
      // The digests' sends run on Redis round trips, not on the clock.
      await waitUntil('every digest to be sent', async () => {
        const { records } = await (heralds[0] as Herald).deliveries.list({ recipientId: 'ana', limit: 100 });
        const events = records.filter((record) => record.digestDeliveryId !== undefined);
        const digestIds = new Set(events.map((record) => record.digestDeliveryId));
        const digests = records.filter((record) => digestIds.has(record.id));
        return (
          events.length === 41 && digests.length === digestIds.size && digests.every((d) => d.status !== 'pending')
        );
      });

      const sent = letters.flatMap((letter) => letter.calls.map((call) => call.request));
      expect(sent.length).toBeGreaterThanOrEqual(1);
      expect(sent.length).toBeLessThanOrEqual(2);
      const titles = sent.flatMap((request) => request.content.text.split('\n'));
      const expected = ['opening', ...Array.from({ length: 40 }, (_, index) => `racing-${index}`)];
      // Every event in exactly one digest: none lost, none twice.
      expect(titles.sort()).toEqual(expected.sort());
      const counts = sent.map((request) => Number(request.content.subject.split(' ')[0]));
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(41);
      const records = await (heralds[0] as Herald).deliveries.list({ recipientId: 'ana', status: 'sent', limit: 100 });
      expect(records.records.map((record) => record.id).sort()).toEqual(
        sent.map((request) => request.deliveryId).sort(),
      );
    } finally {
      await Promise.all(heralds.map((herald) => herald.close()));
    }
  });
});
