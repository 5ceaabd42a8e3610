// The bulk paths core takes on its own: the delivery update batcher and herald.inbox.markDeliveredMany, over a
// store with the bulk calls (MemoryStore) and over one without them (the kit's fallbacks).

import { MemoryStore } from '@herald/storage';
import { describe, expect, it } from 'vitest';
import { createDeliveryUpdateBatcher } from './delivery-update-batcher';
import { ValidationError } from './errors';
import { createHerald } from './herald';
import type { DeliveryRecord, Store } from './spec/store';

function record(id: string): DeliveryRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    notificationId: 'n',
    type: 't',
    recipientId: 'u',
    kind: 'inApp',
    status: 'pending',
    attempts: 0,
    createdAt: at,
    updatedAt: at,
  };
}

/** The store as one written without the bulk calls would be. */
function withoutBulk(store: MemoryStore): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'updateDeliveries' || property === 'markDeliveredMany') return undefined;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('delivery update batcher', () => {
  it('writes the updates of one turn in one bulk call, each with its own condition and answer', async () => {
    const store = new MemoryStore();
    await store.createDeliveries(['a', 'b', 'c'].map(record));
    const bulk: number[] = [];
    const updateDeliveries = store.updateDeliveries.bind(store);
    store.updateDeliveries = (updates) => {
      bulk.push(updates.length);
      return updateDeliveries(updates);
    };
    const update = createDeliveryUpdateBatcher(store);
    const results = await Promise.all([
      update('a', { status: 'sent' }, ['pending']),
      update('b', { status: 'sent' }, ['failed']),
      update('a', { status: 'failed' }, ['pending']),
      update('missing', { status: 'sent' }),
    ]);
    expect(results.map((result) => result?.status)).toEqual(['sent', undefined, undefined, undefined]);
    expect(bulk).toEqual([4]);
    expect((await store.getDeliveries(['a', 'b'])).map((stored) => stored.status)).toEqual(['sent', 'pending']);
  });

  it('answers each update on its own when one of the batch is bad, and loops for a store without the bulk call', async () => {
    const store = new MemoryStore();
    await store.createDeliveries(['a', 'b'].map(record));
    const update = createDeliveryUpdateBatcher(store);
    const [good, bad] = await Promise.allSettled([
      update('a', { status: 'sent', providerMessageId: 'p-1' }),
      update('b', { status: 'sent', providerMessageId: '' }),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { id: 'a', status: 'sent' } });
    expect(bad.status).toBe('rejected');
    expect(ValidationError.is((bad as PromiseRejectedResult).reason)).toBe(true);
    expect((await store.getDeliveries(['b']))[0]?.status).toBe('pending');

    const looped = createDeliveryUpdateBatcher(withoutBulk(store));
    const answers = await Promise.all([
      looped('b', { status: 'sent' }, ['pending']),
      looped('b', { status: 'failed' }, ['pending']),
    ]);
    expect(answers.map((answer) => answer?.status)).toEqual(['sent', undefined]);
  });
});

describe('herald.inbox.markDeliveredMany', () => {
  for (const [name, wrap] of [
    ['a store with the bulk call', (store: MemoryStore): Store => store],
    ['a store without it', withoutBulk],
  ] as const) {
    it(`marks each entry as markDelivered would and emits inbox.delivered per user (${name})`, async () => {
      const store = new MemoryStore();
      const herald = createHerald({ store: wrap(store), channels: [] });
      const [ann1, ann2] = await store.insertInboxItems(
        ['a1', 'a2'].map((id) => ({
          id,
          userId: 'ann',
          notificationId: 'n',
          type: 't',
          title: 'T',
          body: 'B',
          createdAt: '2026-01-01T00:00:00.000Z',
        })),
      );
      const [bob1] = await store.insertInboxItems([
        {
          id: 'b1',
          userId: 'bob',
          notificationId: 'n',
          type: 't',
          title: 'T',
          body: 'B',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ]);
      const events: { userId: string; ids: string[] }[] = [];
      herald.on('inbox.delivered', (event) => events.push(event));
      const changed = await herald.inbox.markDeliveredMany([
        { userId: 'ann', ids: [ann1!.id, bob1!.id] },
        { userId: 'bob', ids: [bob1!.id] },
        { userId: 'ann', ids: [ann1!.id] },
      ]);
      expect(changed).toEqual([[ann1!.id], [bob1!.id], []]);
      expect(events).toEqual([
        { userId: 'ann', ids: [ann1!.id] },
        { userId: 'bob', ids: [bob1!.id] },
      ]);
      expect((await store.getInboxItems('ann', [ann2!.id]))[0]?.deliveredAt).toBeUndefined();
      await herald.close();
    });
  }

  it('refuses bad input with the path of the bad entry, changing nothing', async () => {
    const store = new MemoryStore();
    const herald = createHerald({ store, channels: [] });
    const [item] = await store.insertInboxItems([
      {
        id: 'a1',
        userId: 'ann',
        notificationId: 'n',
        type: 't',
        title: 'T',
        body: 'B',
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
    const bad: [unknown, string][] = [
      ['all', 'acks: Expected an array of { userId, ids }'],
      [[{ userId: 'ann', ids: [item!.id] }, null], 'acks.1: Expected an object { userId, ids }'],
      [[{ userId: '', ids: [item!.id] }], 'acks.0.userId: Expected a non-empty string'],
      [[{ userId: 'ann', ids: [item!.id, ''] }], 'acks.0.ids.1: Expected a non-empty string'],
    ];
    for (const [input, message] of bad) {
      await expect(herald.inbox.markDeliveredMany(input as never)).rejects.toThrow(`Invalid input: ${message}`);
    }
    expect((await store.getInboxItems('ann', [item!.id]))[0]?.deliveredAt).toBeUndefined();
    await herald.close();
  });
});
