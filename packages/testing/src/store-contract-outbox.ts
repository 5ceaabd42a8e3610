// Store contract: notifications as an outbox — beginNotification claims the key and stores the record in one
// step, dispatching notifications are leased by relays (never two at once), and dispatched ones leave the outbox.

import type { NotificationRecord } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { iso, leaseEpoch, notificationRecord, type StoreContractContext, waitUntil } from './store-contract-fixtures';

/** Long enough that no test can see it expire while it runs. */
const LONG_TTL_MS = 10 * 60_000;

/** A lease that outlives every test: notifications begun with it are never taken by the lease tests. */
function farLease(): string {
  return iso(Date.now() + LONG_TTL_MS);
}

function ids(records: readonly NotificationRecord[]): string[] {
  return records.map((record) => record.id);
}

export function outboxContract(context: StoreContractContext): void {
  describe('notifications: begin', () => {
    it('stores the record as dispatching, leased until the given time, and returns created', async () => {
      const record = notificationRecord(context, {
        payload: { ticketId: 't-1', tags: ['a', 'b'], nested: { count: 2, flag: true, none: null } },
        actorId: 'actor-1',
        recipients: [{ id: context.userId(), email: 'ada@example.com', name: 'Ada' }, { id: context.userId() }],
        scheduledFor: '2024-05-01T12:00:00.000Z',
      });
      const leaseUntil = farLease();
      expect(await context.store.beginNotification(record, { leaseUntil })).toEqual({ created: true });
      expect(await context.store.getNotification(record.id)).toEqual({ ...record, status: 'dispatching', leaseUntil });
      expect(await context.store.getNotification(context.uniqueId('missing'))).toBeUndefined();
    });

    it('claims the idempotency key with the record; while it is held, another begin writes nothing', async () => {
      const key = context.uniqueId('key');
      const first = notificationRecord(context, { idempotencyKey: key });
      const second = notificationRecord(context, { idempotencyKey: key, payload: { ticketId: 't-2' } });
      const leaseUntil = farLease();
      expect(await context.store.getIdempotencyKey(key)).toBeUndefined();
      expect(
        await context.store.beginNotification(first, { leaseUntil, idempotencyKey: { key, ttlMs: LONG_TTL_MS } }),
      ).toEqual({ created: true });
      expect(await context.store.getIdempotencyKey(key)).toBe(first.id);

      const again = await context.store.beginNotification(second, {
        leaseUntil: farLease(),
        idempotencyKey: { key, ttlMs: LONG_TTL_MS },
      });
      expect(again).toEqual({
        created: false,
        notificationId: first.id,
        existing: { ...first, status: 'dispatching', leaseUntil },
      });
      expect(await context.store.getNotification(second.id)).toBeUndefined();
      expect(await context.store.getIdempotencyKey(key)).toBe(first.id);
    });

    it('keeps keys independent, and a begin without a key claims none', async () => {
      const one = context.uniqueId('key');
      const two = context.uniqueId('key');
      const first = notificationRecord(context, { idempotencyKey: one });
      const second = notificationRecord(context, { idempotencyKey: two });
      const plain = notificationRecord(context);
      await context.store.beginNotification(first, {
        leaseUntil: farLease(),
        idempotencyKey: { key: one, ttlMs: LONG_TTL_MS },
      });
      expect(
        await context.store.beginNotification(second, {
          leaseUntil: farLease(),
          idempotencyKey: { key: two, ttlMs: LONG_TTL_MS },
        }),
      ).toEqual({ created: true });
      expect(await context.store.beginNotification(plain, { leaseUntil: farLease() })).toEqual({ created: true });
      expect(await context.store.getIdempotencyKey(one)).toBe(first.id);
      expect(await context.store.getIdempotencyKey(two)).toBe(second.id);
    });

    it('frees an expired key: the next begin with it creates its notification', async () => {
      const key = context.uniqueId('key');
      const first = notificationRecord(context, { idempotencyKey: key });
      await context.store.beginNotification(first, { leaseUntil: farLease(), idempotencyKey: { key, ttlMs: 50 } });
      let winner: NotificationRecord | undefined;
      // Poll with begins themselves: until expiry each one is told of the first; afterwards one creates.
      await waitUntil(async () => {
        const next = notificationRecord(context, { idempotencyKey: key });
        const result = await context.store.beginNotification(next, {
          leaseUntil: farLease(),
          idempotencyKey: { key, ttlMs: LONG_TTL_MS },
        });
        if (!result.created) {
          expect(result.notificationId).toBe(first.id);
          expect(await context.store.getNotification(next.id)).toBeUndefined();
          return false;
        }
        winner = next;
        return true;
      }, 'the key to expire');
      expect(await context.store.getIdempotencyKey(key)).toBe(winner!.id);
      expect((await context.store.getNotification(winner!.id))?.status).toBe('dispatching');
      // The first notification is still stored: an expired key frees the key, not the notification.
      expect((await context.store.getNotification(first.id))?.id).toBe(first.id);
    });

    it('lets exactly one of 20 concurrent begins with one key, across connections, create its notification', async () => {
      const peers = await context.peers();
      const key = context.uniqueId('key');
      const records = Array.from({ length: 20 }, () => notificationRecord(context, { idempotencyKey: key }));
      const results = await Promise.all(
        records.map((record, index) =>
          peers[index % peers.length]!.beginNotification(record, {
            leaseUntil: farLease(),
            idempotencyKey: { key, ttlMs: LONG_TTL_MS },
          }),
        ),
      );
      const created = records.filter((_, index) => results[index]!.created);
      expect(created).toHaveLength(1);
      const winner = created[0]!;
      for (const [index, result] of results.entries()) {
        if (result.created) continue;
        expect(result.notificationId).toBe(winner.id);
        expect(await context.store.getNotification(records[index]!.id)).toBeUndefined();
      }
      expect(await context.store.getIdempotencyKey(key)).toBe(winner.id);
    });

    it('returns a copy: mutating the input or the result does not change the stored record', async () => {
      const record = notificationRecord(context, { payload: { nested: { count: 1 } } });
      await context.store.beginNotification(record, { leaseUntil: farLease() });
      (record.payload as { nested: { count: number } }).nested.count = 2;
      const loaded = await context.store.getNotification(record.id);
      expect(loaded!.payload).toEqual({ nested: { count: 1 } });
      (loaded!.payload as { nested: { count: number } }).nested.count = 3;
      loaded!.recipients.push({ id: 'someone-else' });
      const again = await context.store.getNotification(record.id);
      expect(again!.payload).toEqual({ nested: { count: 1 } });
      expect(again!.recipients).toEqual(record.recipients);
    });
  });

  describe('notifications: leases', () => {
    it('takes dispatching notifications whose lease ended before now, oldest lease first, up to the limit', async () => {
      const epoch = leaseEpoch();
      const oldest = notificationRecord(context);
      const middle = notificationRecord(context);
      const newest = notificationRecord(context);
      const current = notificationRecord(context);
      // Begun out of lease order: the order taken is the leases', not the writes'.
      await context.store.beginNotification(middle, { leaseUntil: iso(epoch - 20_000) });
      await context.store.beginNotification(newest, { leaseUntil: iso(epoch - 10_000) });
      await context.store.beginNotification(oldest, { leaseUntil: iso(epoch - 30_000) });
      await context.store.beginNotification(current, { leaseUntil: iso(epoch + 1) });
      const leaseUntil = iso(epoch + 30_000);
      try {
        const firstTwo = await context.store.leaseNotifications({ now: iso(epoch), leaseUntil, limit: 2 });
        expect(firstTwo).toEqual([
          { ...oldest, status: 'dispatching', leaseUntil },
          { ...middle, status: 'dispatching', leaseUntil },
        ]);
        const rest = await context.store.leaseNotifications({ now: iso(epoch), leaseUntil, limit: 10 });
        expect(ids(rest)).toEqual([newest.id]);
        // A lease ending at `now` has not ended before it; every other one is held until `leaseUntil` now.
        expect(await context.store.leaseNotifications({ now: iso(epoch + 1), leaseUntil, limit: 10 })).toEqual([]);
        expect((await context.store.getNotification(oldest.id))?.leaseUntil).toBe(leaseUntil);
        expect((await context.store.getNotification(current.id))?.leaseUntil).toBe(iso(epoch + 1));
      } finally {
        for (const record of [oldest, middle, newest, current]) {
          await context.store.markNotificationDispatched(record.id);
        }
      }
    });

    it('takes an expired lease again, and never a notification whose lease still runs', async () => {
      const epoch = leaseEpoch();
      const record = notificationRecord(context);
      await context.store.beginNotification(record, { leaseUntil: iso(epoch - 30_000) });
      try {
        const first = await context.store.leaseNotifications({
          now: iso(epoch - 20_000),
          leaseUntil: iso(epoch - 10_000),
          limit: 10,
        });
        expect(ids(first)).toEqual([record.id]);
        // The new lease runs until epoch - 10 s: not before then.
        expect(
          await context.store.leaseNotifications({
            now: iso(epoch - 10_000),
            leaseUntil: iso(epoch + 30_000),
            limit: 10,
          }),
        ).toEqual([]);
        // The relay that took it died without renewing: once the lease is over, another relay takes it.
        const second = await context.store.leaseNotifications({
          now: iso(epoch - 9_999),
          leaseUntil: iso(epoch + 30_000),
          limit: 10,
        });
        expect(second).toEqual([{ ...record, status: 'dispatching', leaseUntil: iso(epoch + 30_000) }]);
      } finally {
        await context.store.markNotificationDispatched(record.id);
      }
    });

    it('renewNotificationLease extends a dispatching lease, and is false for a dispatched or unknown one', async () => {
      const epoch = leaseEpoch();
      const record = notificationRecord(context);
      await context.store.beginNotification(record, { leaseUntil: iso(epoch - 30_000) });
      try {
        expect(await context.store.renewNotificationLease(record.id, iso(epoch + 30_000))).toBe(true);
        expect((await context.store.getNotification(record.id))?.leaseUntil).toBe(iso(epoch + 30_000));
        // Renewed past `now`: not taken, though the first lease had ended.
        expect(
          await context.store.leaseNotifications({ now: iso(epoch), leaseUntil: iso(epoch + 40_000), limit: 10 }),
        ).toEqual([]);
        await context.store.markNotificationDispatched(record.id);
        expect(await context.store.renewNotificationLease(record.id, iso(epoch + 50_000))).toBe(false);
        expect(await context.store.renewNotificationLease(context.uniqueId('missing'), iso(epoch))).toBe(false);
        expect(await context.store.getNotification(context.uniqueId('missing'))).toBeUndefined();
      } finally {
        await context.store.markNotificationDispatched(record.id);
      }
    });

    it('never leases a dispatched notification; marking it again or marking an unknown id changes nothing', async () => {
      const epoch = leaseEpoch();
      const record = notificationRecord(context);
      await context.store.beginNotification(record, { leaseUntil: iso(epoch - 30_000) });
      await context.store.markNotificationDispatched(record.id);
      const dispatched = { ...record, status: 'dispatched' };
      expect(await context.store.getNotification(record.id)).toEqual(dispatched);
      expect(
        await context.store.leaseNotifications({ now: iso(epoch), leaseUntil: iso(epoch + 30_000), limit: 10 }),
      ).toEqual([]);
      await context.store.markNotificationDispatched(record.id);
      expect(await context.store.getNotification(record.id)).toEqual(dispatched);
      const unknown = context.uniqueId('missing');
      await context.store.markNotificationDispatched(unknown);
      expect(await context.store.getNotification(unknown)).toBeUndefined();
    });

    it('never hands one notification to two of 8 relays leasing at once across connections', async () => {
      const epoch = leaseEpoch();
      const peers = await context.peers();
      const records = Array.from({ length: 40 }, () => notificationRecord(context));
      for (const [index, record] of records.entries()) {
        await context.store.beginNotification(record, { leaseUntil: iso(epoch - 40_000 + index) });
      }
      try {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, relay) =>
            peers[relay % peers.length]!.leaseNotifications({
              now: iso(epoch),
              leaseUntil: iso(epoch + 30_000),
              limit: 7,
            }),
          ),
        );
        const taken = results.flatMap(ids);
        expect(new Set(taken).size).toBe(taken.length);
        // 8 relays × 7 can take all 40, and nothing else is in this window.
        expect([...taken].sort()).toEqual(ids(records).sort());
      } finally {
        for (const record of records) await context.store.markNotificationDispatched(record.id);
      }
    });
  });
}
