// Store contract: digest buckets. Opening or joining a bucket is one atomic step (two joins never open two buckets
// for one key, a join never lands in a bucket being closed), exactly one closer claims a bucket, and every event is
// in exactly one bucket — under concurrent joins and closes across connections included.

import type { Store } from '@herald/core';
import type { DigestBucket, DigestCloseResult, DigestJoin, DigestJoinResult } from '@herald/core/spec';
import { describe, expect, it } from 'vitest';
import { iso, type StoreContractContext } from './store-contract-fixtures';

/** Buckets in these tests open and close around fixed instants: nothing here waits for the wall clock. */
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MINUTE = 60_000;
const WINDOW = 10 * MINUTE;
const MAX_WINDOW = 60 * MINUTE;

interface JoinOptions {
  /** Epoch ms of the join. */
  at: number;
  notificationId?: string;
  payload?: unknown;
  actorId?: string;
  maxEvents?: number;
  /** A calendar window: the bucket a join opens closes here, and never moves. */
  closesAt?: number;
}

/** One digest of one recipient: the key and type every join of a test shares, and a builder of joins. */
interface Digest {
  recipientId: string;
  key: string;
  join(options: JoinOptions): DigestJoin;
}

function digest(context: StoreContractContext, keyPrefix?: string, recipientId = context.userId()): Digest {
  const key = `${keyPrefix ?? `contract.alpha|${context.uniqueId('group')}|`}${recipientId}`;
  return {
    recipientId,
    key,
    join(options) {
      const notificationId = options.notificationId ?? context.uniqueId('notification');
      const event: DigestJoin['event'] = {
        notificationId,
        payload: options.payload ?? { ticketId: notificationId },
        createdAt: iso(options.at),
      };
      if (options.actorId !== undefined) event.actorId = options.actorId;
      const base = {
        key,
        // Deterministic from the event, as core derives it: the same event opens the same bucket.
        openAs: `digest:${notificationId}:${recipientId}`,
        type: 'contract.alpha',
        recipientId,
        event,
        at: iso(options.at),
        maxEvents: options.maxEvents ?? 500,
      };
      if (options.closesAt !== undefined) return { ...base, closesAt: iso(options.closesAt) };
      const capAt = options.at + MAX_WINDOW;
      return {
        ...base,
        closesAt: iso(Math.min(options.at + WINDOW, capAt)),
        windowMs: WINDOW,
        capAt: iso(capAt),
      };
    },
  };
}

async function joinOne(store: Store, join: DigestJoin): Promise<DigestJoinResult> {
  const [result] = await store.joinDigests([join]);
  expect(result).toBeDefined();
  return result!;
}

function notificationIds(bucket: DigestBucket | undefined): string[] {
  return (bucket?.events ?? []).map((event) => event.notificationId);
}

function closedBucket(result: DigestCloseResult | undefined): DigestBucket {
  expect(result?.status).toBe('closed');
  return (result as { bucket: DigestBucket }).bucket;
}

export function digestsContract(context: StoreContractContext): void {
  describe('digests: open and join', () => {
    it('opens a bucket on the first join, joins it after; a sliding close moves later, never past its cap', async () => {
      const { store } = context;
      const group = digest(context);
      const joins = Array.from({ length: 13 }, (_, index) =>
        group.join({ at: T0 + index * 5 * MINUTE - (index === 12 ? 2 * MINUTE : 0) }),
      );
      const first = joins[0]!;
      expect(await joinOne(store, first)).toEqual({
        digestId: first.openAs,
        opened: true,
        joined: true,
        closesAt: iso(T0 + WINDOW),
        count: 1,
      });
      for (let index = 1; index < joins.length; index++) {
        const at = Date.parse(joins[index]!.at);
        // Each later join carries its own cap (an hour after it): the bucket keeps the cap it opened with.
        expect(await joinOne(store, joins[index]!)).toEqual({
          digestId: first.openAs,
          opened: false,
          joined: true,
          closesAt: iso(Math.min(at + WINDOW, T0 + MAX_WINDOW)),
          count: index + 1,
        });
      }
      const bucket = await store.getDigest(group.recipientId, first.openAs);
      expect(bucket).toEqual({
        id: first.openAs,
        key: group.key,
        type: 'contract.alpha',
        recipientId: group.recipientId,
        status: 'open',
        openedAt: first.at,
        closesAt: iso(T0 + MAX_WINDOW),
        events: joins.map((join) => join.event),
      });
      expect(await store.getDigest(group.recipientId, context.uniqueId('missing'))).toBeUndefined();
      expect(await store.getDigest(context.userId(), first.openAs)).toBeUndefined();
    });

    it('keeps a calendar window’s close where the opening join put it', async () => {
      const { store } = context;
      const group = digest(context);
      const closesAt = T0 + 23 * 60 * MINUTE;
      const first = group.join({ at: T0, closesAt });
      expect(await joinOne(store, first)).toMatchObject({ opened: true, closesAt: iso(closesAt) });
      const later = group.join({ at: T0 + 60 * MINUTE, closesAt: closesAt + 24 * 60 * MINUTE });
      expect(await joinOne(store, later)).toEqual({
        digestId: first.openAs,
        opened: false,
        joined: true,
        closesAt: iso(closesAt),
        count: 2,
      });
      expect((await store.getDigest(group.recipientId, first.openAs))?.closesAt).toBe(iso(closesAt));
    });

    it('takes events into a bucket past its close without moving it, and never moves a close earlier', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0 });
      await joinOne(store, first);
      expect(await joinOne(store, group.join({ at: T0 + 5 * MINUTE }))).toMatchObject({
        closesAt: iso(T0 + 15 * MINUTE),
      });
      // Out of order (another process's earlier instant): its close would be earlier; the bucket's stays.
      expect(await joinOne(store, group.join({ at: T0 + MINUTE }))).toMatchObject({ closesAt: iso(T0 + 15 * MINUTE) });
      // Due at its close time and after it: still taking events until a closer claims it, without moving.
      expect(await joinOne(store, group.join({ at: T0 + 15 * MINUTE }))).toMatchObject({
        digestId: first.openAs,
        closesAt: iso(T0 + 15 * MINUTE),
        count: 4,
      });
      expect(await joinOne(store, group.join({ at: T0 + 40 * MINUTE }))).toMatchObject({
        digestId: first.openAs,
        closesAt: iso(T0 + 15 * MINUTE),
        count: 5,
      });
    });

    it('changes nothing for a join repeated for the same event, before and after its bucket closed', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0 });
      const second = group.join({ at: T0 + MINUTE });
      await store.joinDigests([first, second]);
      const before = await store.getDigest(group.recipientId, first.openAs);
      // Repeated later (a resumed dispatch): its instant would slide the close, but it joined already.
      const repeated = await store.joinDigests([
        { ...first, at: iso(T0 + 5 * MINUTE) },
        { ...second, at: iso(T0 + 5 * MINUTE) },
      ]);
      expect(repeated).toEqual([
        { digestId: first.openAs, opened: false, joined: false, closesAt: iso(T0 + 11 * MINUTE), count: 2 },
        { digestId: first.openAs, opened: false, joined: false, closesAt: iso(T0 + 11 * MINUTE), count: 2 },
      ]);
      expect(await store.getDigest(group.recipientId, first.openAs)).toEqual(before);

      closedBucket(await store.closeDigest(group.recipientId, first.openAs, iso(T0 + 11 * MINUTE)));
      // After the close the event is still in that bucket: it opens no new one.
      expect(await joinOne(store, { ...second, at: iso(T0 + 12 * MINUTE) })).toEqual({
        digestId: first.openAs,
        opened: false,
        joined: false,
        closesAt: iso(T0 + 11 * MINUTE),
        count: 2,
      });
      expect(await store.getDigest(group.recipientId, second.openAs)).toBeUndefined();
      const third = group.join({ at: T0 + 12 * MINUTE });
      expect(await joinOne(store, third)).toMatchObject({ digestId: third.openAs, opened: true, count: 1 });
      expect(await store.getDigest(group.recipientId, first.openAs)).toEqual({ ...before, status: 'closed' });
    });

    it('keeps buckets apart by key and by recipient', async () => {
      const { store } = context;
      const one = digest(context);
      const two = digest(context);
      const other = digest(context, one.key.slice(0, one.key.lastIndexOf('|') + 1));
      const notificationId = context.uniqueId('notification');
      const results = await store.joinDigests([
        one.join({ at: T0, notificationId }),
        two.join({ at: T0, notificationId }),
        other.join({ at: T0, notificationId }),
      ]);
      expect(results.map((result) => result.opened)).toEqual([true, true, true]);
      expect(new Set(results.map((result) => result.digestId)).size).toBe(3);
      expect(results.map((result) => result.count)).toEqual([1, 1, 1]);
    });

    it('returns copies: changing a join’s payload or a returned bucket changes nothing stored', async () => {
      const { store } = context;
      const group = digest(context);
      const payload = { ticket: { title: 'Printer on fire' } };
      const first = group.join({ at: T0, payload, actorId: 'actor-1' });
      await joinOne(store, first);
      payload.ticket.title = 'changed';
      const bucket = await store.getDigest(group.recipientId, first.openAs);
      expect(bucket?.events).toEqual([{ ...first.event, payload: { ticket: { title: 'Printer on fire' } } }]);
      (bucket!.events[0]!.payload as typeof payload).ticket.title = 'changed again';
      bucket!.events.pop();
      const again = await store.getDigest(group.recipientId, first.openAs);
      expect(again?.events.map((event) => event.payload)).toEqual([{ ticket: { title: 'Printer on fire' } }]);
      expect(again?.events[0]?.actorId).toBe('actor-1');
    });

    it('joins more than one chunk in one call, answering in input order', async () => {
      const { store } = context;
      const groups = Array.from({ length: 100 }, () => digest(context));
      // 1,100 joins, 11 per key, interleaved: every key's counts run 1..11 in input order.
      const joins = Array.from({ length: 1_100 }, (_, index) => groups[index % 100]!.join({ at: T0 + index }));
      const results = await store.joinDigests(joins);
      expect(results).toHaveLength(1_100);
      results.forEach((result, index) => {
        const round = Math.floor(index / 100);
        expect(result.count).toBe(round + 1);
        expect(result.opened).toBe(round === 0);
        expect(result.digestId).toBe(joins[index % 100]!.openAs);
      });
      const bucket = await store.getDigest(groups[7]!.recipientId, joins[7]!.openAs);
      expect(notificationIds(bucket)).toEqual(
        joins.filter((_, index) => index % 100 === 7).map((join) => join.event.notificationId),
      );
    });
  });

  describe('digests: maxEvents', () => {
    it('makes a bucket that reaches maxEvents due at once, and opens the next join a new one', async () => {
      const { store } = context;
      const group = digest(context);
      const joins = Array.from({ length: 7 }, (_, index) => group.join({ at: T0 + index * 1_000, maxEvents: 3 }));
      const results = await store.joinDigests(joins);
      expect(results.map((result) => [result.digestId, result.opened, result.count])).toEqual([
        [joins[0]!.openAs, true, 1],
        [joins[0]!.openAs, false, 2],
        [joins[0]!.openAs, false, 3],
        [joins[3]!.openAs, true, 1],
        [joins[3]!.openAs, false, 2],
        [joins[3]!.openAs, false, 3],
        [joins[6]!.openAs, true, 1],
      ]);
      // Full at the third join: due then.
      expect(results[2]!.closesAt).toBe(iso(T0 + 2_000));
      const full = await store.getDigest(group.recipientId, joins[0]!.openAs);
      expect(full).toMatchObject({ status: 'open', closesAt: iso(T0 + 2_000) });
      expect(notificationIds(full)).toEqual(joins.slice(0, 3).map((join) => join.event.notificationId));
      expect(await store.closeDigest(group.recipientId, joins[0]!.openAs, iso(T0 + 2_000))).toMatchObject({
        status: 'closed',
        closedNow: true,
      });
    });

    it('fills buckets of exactly maxEvents under 20 concurrent joins across connections', async () => {
      const peers = await context.peers();
      const group = digest(context);
      const joins = Array.from({ length: 20 }, () => group.join({ at: T0, maxEvents: 5 }));
      const results = await Promise.all(joins.map((join, index) => joinOne(peers[index % peers.length]!, join)));
      const ids = [...new Set(results.map((result) => result.digestId))];
      expect(ids).toHaveLength(4);
      expect(results.filter((result) => result.opened)).toHaveLength(4);
      const seen: string[] = [];
      for (const id of ids) {
        const bucket = await context.store.getDigest(group.recipientId, id);
        expect(bucket?.events).toHaveLength(5);
        seen.push(...notificationIds(bucket));
      }
      expect(seen.sort()).toEqual(joins.map((join) => join.event.notificationId).sort());
    });

    it('opens a bucket of maxEvents 1 due at once', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0, maxEvents: 1 });
      const second = group.join({ at: T0 + 1, maxEvents: 1 });
      expect(await store.joinDigests([first, second])).toEqual([
        { digestId: first.openAs, opened: true, joined: true, closesAt: first.at, count: 1 },
        { digestId: second.openAs, opened: true, joined: true, closesAt: second.at, count: 1 },
      ]);
    });
  });

  describe('digests: concurrency', () => {
    it('puts 50 concurrent joins into one key across connections in one bucket, losing none', async () => {
      const peers = await context.peers();
      const group = digest(context);
      const joins = Array.from({ length: 50 }, (_, index) => group.join({ at: T0 + (index % 7) }));
      const results = await Promise.all(joins.map((join, index) => joinOne(peers[index % peers.length]!, join)));
      const ids = new Set(results.map((result) => result.digestId));
      expect(ids.size).toBe(1);
      expect(results.filter((result) => result.opened)).toHaveLength(1);
      expect(results.every((result) => result.joined)).toBe(true);
      // Each join was one atomic step: each saw its own count.
      expect(results.map((result) => result.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      const bucket = await context.store.getDigest(group.recipientId, [...ids][0]!);
      expect(bucket?.events).toHaveLength(50);
      expect(notificationIds(bucket).sort()).toEqual(joins.map((join) => join.event.notificationId).sort());
    });

    it('puts every event racing a close, in the same millisecond too, in exactly one bucket', async () => {
      const peers = await context.peers();
      for (let round = 0; round < 3; round++) {
        const group = digest(context);
        const closesAt = T0 + WINDOW;
        const opening = group.join({ at: T0 });
        await joinOne(context.store, opening);
        // Every racing join happens at the close's own instant: due, so it never moves the close.
        const racing = Array.from({ length: 40 }, () => group.join({ at: closesAt }));
        const calls: Promise<unknown>[] = [];
        const joinResults: Promise<DigestJoinResult>[] = [];
        const closeResults: Promise<DigestCloseResult | undefined>[] = [];
        racing.forEach((join, index) => {
          const peer = peers[index % peers.length]!;
          const result = joinOne(peer, join);
          joinResults.push(result);
          calls.push(result);
          if (index % 8 === 3) {
            const close = peer.closeDigest(group.recipientId, opening.openAs, iso(closesAt));
            closeResults.push(close);
            calls.push(close);
          }
        });
        await Promise.all(calls);
        const closes = await Promise.all(closeResults);
        expect(closes.filter((result) => result?.status === 'closed' && result.closedNow)).toHaveLength(1);
        const closed = closedBucket(closes[0]);
        for (const result of closes) expect(closedBucket(result)).toEqual(closed);

        const joined = await Promise.all(joinResults);
        const ids = [...new Set([opening.openAs, ...joined.map((result) => result.digestId)])];
        expect(ids.length).toBeLessThanOrEqual(2);
        const where = new Map<string, string>();
        for (const id of ids) {
          const bucket = id === opening.openAs ? closed : await context.store.getDigest(group.recipientId, id);
          if (id !== opening.openAs) expect(bucket?.status).toBe('open');
          for (const notificationId of notificationIds(bucket)) {
            expect(where.has(notificationId), `${notificationId} is in two buckets`).toBe(false);
            where.set(notificationId, id);
          }
        }
        expect(where.size).toBe(41);
        racing.forEach((join, index) => {
          expect(where.get(join.event.notificationId)).toBe(joined[index]!.digestId);
        });
        // The closed bucket's events are final.
        expect(await context.store.getDigest(group.recipientId, opening.openAs)).toEqual(closed);
      }
    });

    it('lets exactly one of 12 concurrent closes across connections claim a due bucket', async () => {
      const peers = await context.peers();
      const group = digest(context);
      const first = group.join({ at: T0 });
      await context.store.joinDigests([first, group.join({ at: T0 + 1 })]);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          peers[index % peers.length]!.closeDigest(group.recipientId, first.openAs, iso(T0 + 1 + WINDOW + index)),
        ),
      );
      expect(results.filter((result) => result?.status === 'closed' && result.closedNow)).toHaveLength(1);
      const buckets = results.map(closedBucket);
      for (const bucket of buckets) {
        expect(bucket).toEqual(buckets[0]);
        expect(bucket.status).toBe('closed');
        expect(bucket.events).toHaveLength(2);
      }
    });
  });

  describe('digests: close, expedite, leave', () => {
    it('says when an open bucket is due, claims it once due, and returns a closed one as it is', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0 });
      await joinOne(store, first);
      expect(await store.closeDigest(group.recipientId, context.uniqueId('missing'), iso(T0))).toBeUndefined();
      expect(await store.closeDigest(group.recipientId, first.openAs, iso(T0 + WINDOW - 1))).toEqual({
        status: 'open',
        closesAt: iso(T0 + WINDOW),
      });
      const closed = await store.closeDigest(group.recipientId, first.openAs, iso(T0 + WINDOW));
      expect(closed).toEqual({
        status: 'closed',
        closedNow: true,
        bucket: {
          id: first.openAs,
          key: group.key,
          type: 'contract.alpha',
          recipientId: group.recipientId,
          status: 'closed',
          openedAt: first.at,
          closesAt: iso(T0 + WINDOW),
          events: [first.event],
        },
      });
      // A later join opens another bucket; the closed one is returned as it was, to any later close.
      const next = group.join({ at: T0 + WINDOW });
      expect(await joinOne(store, next)).toMatchObject({ digestId: next.openAs, opened: true, count: 1 });
      expect(await store.closeDigest(group.recipientId, first.openAs, iso(T0))).toEqual({
        ...closed,
        closedNow: false,
      });
      expect(await store.getDigest(group.recipientId, first.openAs)).toEqual(closedBucket(closed));
    });

    it('expedites an open bucket’s close, earlier only, and later joins no longer move it', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0 });
      await joinOne(store, first);
      expect(await store.expediteDigest(group.recipientId, first.openAs, iso(T0 + 20 * MINUTE))).toMatchObject({
        id: first.openAs,
        status: 'open',
        closesAt: iso(T0 + WINDOW),
      });
      const expedited = await store.expediteDigest(group.recipientId, first.openAs, iso(T0 + 2 * MINUTE));
      expect(expedited).toMatchObject({ status: 'open', closesAt: iso(T0 + 2 * MINUTE), events: [first.event] });
      expect(await joinOne(store, group.join({ at: T0 + MINUTE }))).toMatchObject({
        digestId: first.openAs,
        closesAt: iso(T0 + 2 * MINUTE),
        count: 2,
      });
      expect(await store.expediteDigest(group.recipientId, context.uniqueId('missing'), iso(T0))).toBeUndefined();
      closedBucket(await store.closeDigest(group.recipientId, first.openAs, iso(T0 + 2 * MINUTE)));
      const closed = await store.getDigest(group.recipientId, first.openAs);
      expect(await store.expediteDigest(group.recipientId, first.openAs, iso(T0))).toEqual(closed);
      expect(await store.getDigest(group.recipientId, first.openAs)).toEqual(closed);
    });

    it('takes an event out of an open bucket only; a bucket left empty stays open until closed', async () => {
      const { store } = context;
      const group = digest(context);
      const joins = Array.from({ length: 3 }, (_, index) => group.join({ at: T0 + index }));
      await store.joinDigests(joins);
      const [a, b, c] = joins.map((join) => join.event.notificationId) as [string, string, string];
      const id = joins[0]!.openAs;
      expect(await store.leaveDigest(group.recipientId, id, b)).toBe(true);
      expect(await store.leaveDigest(group.recipientId, id, b)).toBe(false);
      expect(await store.leaveDigest(group.recipientId, id, context.uniqueId('notification'))).toBe(false);
      expect(await store.leaveDigest(group.recipientId, context.uniqueId('missing'), a)).toBe(false);
      expect(await store.leaveDigest(context.userId(), id, a)).toBe(false);
      expect(notificationIds(await store.getDigest(group.recipientId, id))).toEqual([a, c]);
      const d = group.join({ at: T0 + 10 });
      expect(await joinOne(store, d)).toMatchObject({ digestId: id, count: 3 });
      // An event that left may join again, as a new event: last.
      expect(await joinOne(store, { ...joins[1]!, at: iso(T0 + 11) })).toMatchObject({ joined: true, count: 4 });
      expect(notificationIds(await store.getDigest(group.recipientId, id))).toEqual([a, c, d.event.notificationId, b]);
      for (const notificationId of [a, c, d.event.notificationId, b]) {
        expect(await store.leaveDigest(group.recipientId, id, notificationId)).toBe(true);
      }
      const empty = await store.getDigest(group.recipientId, id);
      expect(empty).toMatchObject({ status: 'open', events: [] });
      expect(closedBucket(await store.closeDigest(group.recipientId, id, iso(T0 + MAX_WINDOW))).events).toEqual([]);
      expect(await store.leaveDigest(group.recipientId, id, a)).toBe(false);
    });

    it('never takes an event out of a closed bucket', async () => {
      const { store } = context;
      const group = digest(context);
      const first = group.join({ at: T0 });
      await joinOne(store, first);
      const closed = closedBucket(await store.closeDigest(group.recipientId, first.openAs, iso(T0 + WINDOW)));
      expect(await store.leaveDigest(group.recipientId, first.openAs, first.event.notificationId)).toBe(false);
      expect(await store.getDigest(group.recipientId, first.openAs)).toEqual(closed);
    });
  });

  describe('digests: listing open buckets', () => {
    it('lists the open buckets whose key starts with a prefix, across recipients, in id order, page by page', async () => {
      const { store } = context;
      const prefix = `contract.alpha|${context.uniqueId('flush')}|`;
      const groups = Array.from({ length: 5 }, () => digest(context, prefix));
      const joins = groups.flatMap((group, index) => [
        group.join({ at: T0 + index }),
        group.join({ at: T0 + index + 1 }),
      ]);
      const closedGroup = digest(context, prefix);
      const closedJoin = closedGroup.join({ at: T0 });
      // A key that has the prefix's text but for its last character is not listed.
      const elsewhere = digest(context, prefix.slice(0, -1));
      await store.joinDigests([...joins, closedJoin, elsewhere.join({ at: T0 })]);
      closedBucket(await store.closeDigest(closedGroup.recipientId, closedJoin.openAs, iso(T0 + WINDOW)));

      const expected = groups.map((_, index) => joins[index * 2]!.openAs).sort();
      const all = await store.listOpenDigests(prefix, { limit: 1_000 });
      expect(all.map((bucket) => bucket.id)).toEqual(expected);
      for (const bucket of all) {
        expect(bucket.status).toBe('open');
        expect(bucket.events).toHaveLength(2);
        expect(bucket.key.startsWith(prefix)).toBe(true);
      }

      const paged: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const buckets = await store.listOpenDigests(prefix, after === undefined ? { limit: 2 } : { limit: 2, after });
        expect(buckets.length).toBeLessThanOrEqual(2);
        if (buckets.length === 0) break;
        paged.push(...buckets.map((bucket) => bucket.id));
        after = buckets[buckets.length - 1]!.id;
      }
      expect(paged).toEqual(expected);
      // One recipient's buckets: the whole key as the prefix.
      expect((await store.listOpenDigests(groups[2]!.key, { limit: 10 })).map((bucket) => bucket.id)).toEqual([
        joins[4]!.openAs,
      ]);

      // Closing as one pages (a flush) skips nothing.
      const flushed: string[] = [];
      after = undefined;
      for (let page = 0; page < 10; page++) {
        const buckets = await store.listOpenDigests(prefix, after === undefined ? { limit: 2 } : { limit: 2, after });
        if (buckets.length === 0) break;
        for (const bucket of buckets) {
          expect(await store.expediteDigest(bucket.recipientId, bucket.id, iso(T0))).toMatchObject({
            closesAt: iso(T0),
          });
          closedBucket(await store.closeDigest(bucket.recipientId, bucket.id, iso(T0)));
          flushed.push(bucket.id);
        }
        after = buckets[buckets.length - 1]!.id;
      }
      expect(flushed).toEqual(expected);
      expect(await store.listOpenDigests(prefix, { limit: 1_000 })).toEqual([]);
    });
  });
}
