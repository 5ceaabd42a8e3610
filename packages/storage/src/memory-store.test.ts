// MemoryStore: the shared Store contract, then what is MemoryStore's own — the indexes it builds as they are first
// needed (deep paging, sparse and dense status filters, pruned items leaving them), copies, and its clock setting.
import type { DeliveryQuery, DeliveryRecord, InboxItem, InboxStatusFilter, NotificationRecord } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { describeStoreContract } from '@herald/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, MemoryStore } from './memory-store';

describeStoreContract('MemoryStore', () => new MemoryStore());

function item(userId: string, index: number, overrides: Partial<NewInboxItem> = {}): NewInboxItem {
  return {
    id: `${userId}-item-${index}`,
    userId,
    notificationId: `notification-${index}`,
    type: index % 2 === 0 ? 'even' : 'odd',
    title: `Title ${index}`,
    body: 'Body',
    createdAt: '2024-05-01T10:00:00.000Z',
    ...overrides,
  };
}

describe('MemoryStore', () => {
  it('numbers each user from 1', async () => {
    const store = new MemoryStore();
    const stored = await store.insertInboxItems([item('a', 1), item('b', 1), item('a', 2)]);
    expect(stored.map((each) => [each.userId, each.position])).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
    ]);
  });

  it('pages through a 100,000-item inbox and lands on the right items', async () => {
    const store = new MemoryStore();
    const items = Array.from({ length: 100_000 }, (_, index) => item('big', index + 1));
    await store.insertInboxItems(items);
    await store.markRead(
      'big',
      items.filter((_, index) => index % 10 === 0).map((each) => each.id),
      '2024-05-02T00:00:00.000Z',
    );

    const first = await store.listInbox('big', { limit: 100 });
    expect(first.items[0]!.position).toBe(100_000);
    expect(first.items[99]!.position).toBe(99_901);
    let cursor = first.nextCursor!;
    let page = first;
    // Jump deep into the inbox by following 500 cursors.
    for (let step = 0; step < 500; step++) {
      page = await store.listInbox('big', { limit: 100, cursor });
      cursor = page.nextCursor!;
    }
    expect(page.items.map((each) => each.position)).toEqual(Array.from({ length: 100 }, (_, index) => 50_000 - index));

    const tail = await store.listInboxAfter('big', 99_990, 100);
    expect(tail.map((each) => each.position)).toEqual([
      99_991, 99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999, 100_000,
    ]);
    const middle = await store.listInboxAfter('big', 50_000, 3);
    expect(middle.map((each) => each.position)).toEqual([50_001, 50_002, 50_003]);

    expect(await store.unreadCount('big')).toEqual({ total: 90_000, byType: { even: 50_000, odd: 40_000 } });
    const read = await store.listInbox('big', { status: 'read', type: 'odd', limit: 3 });
    // Read items are positions 1, 11, 21, …; all odd, so the newest read odd ones are 99 991, 99 981, 99 971.
    expect(read.items.map((each) => each.position)).toEqual([99_991, 99_981, 99_971]);
    const evens = await store.listInbox('big', { type: 'even', limit: 2 });
    expect(evens.items.map((each) => each.position)).toEqual([100_000, 99_998]);
  });

  it('pages status filters the same way whether few or many items match', async () => {
    const store = new MemoryStore();
    const types = ['even', 'odd', 'third'];
    const items = Array.from({ length: 2_000 }, (_, index) => item('a', index, { type: types[index % 3]! }));
    await store.insertInboxItems(items);
    // About 3% read and 3% undelivered: those filters take the sparse path, their complements the walk.
    const rare = items.filter((_, index) => (index * 7919) % 97 < 3).map((each) => each.id);
    const common = items.filter((_, index) => (index * 7919) % 97 >= 3).map((each) => each.id);
    await store.markRead('a', rare, '2024-05-02T00:00:00.000Z');
    await store.markDelivered('a', common, '2024-05-02T00:00:00.000Z');
    const all = await store.listInboxAfter('a', 0, 10_000);
    const expectations: [InboxStatusFilter, (each: InboxItem) => boolean][] = [
      ['read', (each) => each.readAt !== undefined],
      ['unread', (each) => each.readAt === undefined],
      ['undelivered', (each) => each.deliveredAt === undefined],
    ];
    for (const [status, keep] of expectations) {
      for (const type of [undefined, 'odd']) {
        const expected = all
          .filter((each) => keep(each) && (type === undefined || each.type === type))
          .map((each) => each.position)
          .reverse();
        const walked: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listInbox('a', {
            status,
            limit: 7,
            ...(type === undefined ? {} : { type }),
            ...(cursor === undefined ? {} : { cursor }),
          });
          walked.push(...page.items.map((each) => each.position));
          cursor = page.nextCursor;
          if (cursor !== undefined) expect(page.items).toHaveLength(7);
        } while (cursor !== undefined);
        expect(walked, `${status} ${type ?? 'any type'}`).toEqual(expected);
        if (expected.length <= 100) {
          // Exactly one page's worth: no cursor, since nothing older matches.
          const whole = await store.listInbox('a', { status, limit: expected.length, ...(type ? { type } : {}) });
          expect(whole.items).toHaveLength(expected.length);
          expect(whole.nextCursor).toBeUndefined();
        }
      }
    }
  });

  it('drops pruned items from the status sets that serve sparse filters', async () => {
    const store = new MemoryStore();
    const items = Array.from({ length: 100 }, (_, index) => item('a', index));
    await store.insertInboxItems(items);
    await store.markDelivered(
      'a',
      items.slice(5).map((each) => each.id),
      '2024-05-02T00:00:00.000Z',
    );
    // Three of the five undelivered items are read long ago, then pruned.
    await store.markRead(
      'a',
      items.slice(0, 3).map((each) => each.id),
      '2001-01-01T00:00:00.000Z',
    );
    expect(await store.pruneInbox({ readBefore: '2002-01-01T00:00:00.000Z' })).toBe(3);
    const undelivered = await store.listInbox('a', { status: 'undelivered' });
    expect(undelivered.items.map((each) => each.id)).toEqual([items[4]!.id, items[3]!.id]);
    expect((await store.listInbox('a', { status: 'read' })).items).toEqual([]);
    expect(await store.unreadCount('a')).toEqual({ total: 97, byType: { even: 48, odd: 49 } });
  });

  it('pages delivery status filters the same way whether few or many records match', async () => {
    const store = new MemoryStore();
    const records: DeliveryRecord[] = Array.from({ length: 600 }, (_, index) => ({
      id: `d${index}`,
      notificationId: `n${index % 4}`,
      type: 't',
      recipientId: `r${index % 5}`,
      kind: 'inApp',
      status: 'pending',
      attempts: 0,
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:00.000Z',
    }));
    await store.createDeliveries(records.slice(0, 300));
    await store.createDeliveries(records.slice(300));
    // 2% fail (sparse), the rest are sent (dense); one failure is then retried into `sent`, leaving the failed set.
    for (const [index, record] of records.entries()) {
      await store.updateDelivery(record.id, { status: index % 50 === 7 ? 'failed' : 'sent' });
    }
    await store.updateDelivery('d57', { status: 'sent' }, ['failed']);
    const current = await store.getDeliveries(records.map((record) => record.id));
    const queries: DeliveryQuery[] = [
      { status: 'failed' },
      { status: 'sent' },
      { status: 'failed', notificationId: 'n3' },
      { status: 'failed', recipientId: 'r2' },
      { status: 'sent', notificationId: 'n1', recipientId: 'r4' },
      { status: 'pending' },
    ];
    for (const query of queries) {
      const expected = current
        .filter(
          (record) =>
            record.status === query.status &&
            (query.notificationId === undefined || record.notificationId === query.notificationId) &&
            (query.recipientId === undefined || record.recipientId === query.recipientId),
        )
        .map((record) => record.id)
        .reverse();
      const walked: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listDeliveries({ ...query, limit: 4, ...(cursor === undefined ? {} : { cursor }) });
        walked.push(...page.records.map((record) => record.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(walked, JSON.stringify(query)).toEqual(expected);
    }
    // The status index, built by the first query, follows later writes.
    await store.updateDelivery('d7', { status: 'sent' }, ['failed']);
    await store.createDeliveries([{ ...(records[0] as DeliveryRecord), id: 'late', status: 'failed' }]);
    const failed = (await store.listDeliveries({ status: 'failed', limit: 100 })).records.map((record) => record.id);
    expect(failed[0]).toBe('late');
    expect(failed).not.toContain('d7');
    expect(failed).toHaveLength(current.filter((record) => record.status === 'failed').length);
    expect((await store.listDeliveries({ recipientId: 'r0', limit: 1 })).records[0]?.id).toBe('late');
    expect((await store.listDeliveries({ status: 'failed', limit: 100 })).records).toHaveLength(11);
  });

  it('inserts 10,000 items for 10,000 users in one call', async () => {
    const store = new MemoryStore();
    const items = Array.from({ length: 10_000 }, (_, index) => item(`user-${index}`, 1));
    const stored = await store.insertInboxItems(items);
    expect(stored).toHaveLength(10_000);
    expect(stored.every((each) => each.position === 1)).toBe(true);
    expect(await store.unreadCount('user-9999')).toEqual({ total: 1, byType: { odd: 1 } });
    expect(await store.lastPosition('user-5000')).toBe(1);
  });

  it('never lists a type at zero in byType', async () => {
    const store = new MemoryStore();
    await store.insertInboxItems([item('a', 1), item('a', 2)]);
    await store.markAllRead('a', { type: 'odd' }, '2024-05-02T00:00:00.000Z');
    expect(await store.unreadCount('a')).toEqual({ total: 1, byType: { even: 1 } });
  });

  it('returns copies everywhere: mutating results never reaches the store', async () => {
    const store = new MemoryStore();
    await store.insertInboxItems([item('a', 1, { data: { deep: { value: 1 } } })]);
    const fromAfter = (await store.listInboxAfter('a', 0, 10))[0]!;
    (fromAfter.data!.deep as { value: number }).value = 2;
    fromAfter.readAt = 'x';
    const fromGet = (await store.getInboxItems('a', ['a-item-1']))[0] as InboxItem;
    expect(fromGet.data).toEqual({ deep: { value: 1 } });
    expect(fromGet.readAt).toBeUndefined();

    await store.registerDevice({ token: 't', userId: 'a', platform: 'ios', createdAt: '2024-05-01T10:00:00.000Z' });
    (await store.listDevices(['a'])).get('a')![0]!.userId = 'b';
    expect((await store.listDevices(['a'])).get('a')![0]!.userId).toBe('a');
  });

  it('omits users without devices from listDevices', async () => {
    const store = new MemoryStore();
    await store.registerDevice({ token: 't', userId: 'a', platform: 'ios', createdAt: '2024-05-01T10:00:00.000Z' });
    await store.removeDevice('t');
    expect(await store.listDevices(['a', 'b'])).toEqual(new Map());
  });

  it('expires idempotency keys on the injected clock', async () => {
    let now = 1_000;
    const store = createMemoryStore({ clock: { now: () => now } });
    const record = (id: string): NotificationRecord => ({
      id,
      type: 'memory.clock',
      payload: {},
      recipients: [{ id: 'ana' }],
      kinds: ['inApp'],
      createdAt: '2024-05-01T10:00:00.000Z',
      status: 'dispatching',
      idempotencyKey: 'k',
    });
    const options = { leaseUntil: '2030-01-01T00:00:00.000Z', idempotencyKey: { key: 'k', ttlMs: 100 } };
    expect(await store.beginNotification(record('n1'), options)).toEqual({ created: true });
    now = 1_099;
    expect(await store.beginNotification(record('n2'), options)).toMatchObject({
      created: false,
      notificationId: 'n1',
    });
    now = 1_100;
    expect(await store.getIdempotencyKey('k')).toBeUndefined();
    expect(await store.beginNotification(record('n2'), options)).toEqual({ created: true });
    expect(await store.getIdempotencyKey('k')).toBe('n2');
  });

  it('stamps updatedAt from the injected clock', async () => {
    const store = new MemoryStore({ clock: { now: () => Date.UTC(2030, 0, 1) } });
    await store.createDeliveries([
      {
        id: 'd1',
        notificationId: 'n1',
        type: 't',
        recipientId: 'a',
        kind: 'inApp',
        status: 'pending',
        attempts: 0,
        createdAt: '2024-05-01T10:00:00.000Z',
        updatedAt: '2024-05-01T10:00:00.000Z',
      },
    ]);
    const updated = await store.updateDelivery('d1', { status: 'sent', providerMessageId: 'p1' });
    expect(updated!.updatedAt).toBe('2030-01-01T00:00:00.000Z');
    // Changing the provider message id moves the lookup to the new id.
    await store.updateDelivery('d1', { providerMessageId: 'p2' });
    expect(await store.findDeliveryByProviderMessageId('p1')).toBeUndefined();
    expect((await store.findDeliveryByProviderMessageId('p2'))!.id).toBe('d1');
  });
});
