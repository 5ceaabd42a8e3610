// Store contract: throttles. Each take is one atomic step on a sliding log per recipient and key: exact under
// concurrency across connections, members age out of the window, and a member asked again (a resumed dispatch) gets
// the answer it got before without counting twice. Bad requests are refused whole.

import type { ThrottleRequest } from '@herald/core/spec';
import { describe, expect, it } from 'vitest';
import {
  type ExpectedIssue,
  expectIssues,
  iso,
  loose,
  NON_EMPTY,
  notADate,
  type StoreContractContext,
} from './store-contract-fixtures';

/** Throttle requests in these tests happen at fixed instants: nothing here waits for the wall clock. */
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const HOUR = 3_600_000;

interface Throttle {
  recipientId: string;
  key: string;
  request(member: string, at: number, overrides?: Partial<ThrottleRequest>): ThrottleRequest;
}

function throttle(context: StoreContractContext, limit: number, windowMs = HOUR): Throttle {
  const recipientId = context.userId();
  const key = `contract.alpha|push|${context.uniqueId('throttle')}`;
  return {
    recipientId,
    key,
    request: (member, at, overrides = {}) => ({ recipientId, key, member, limit, windowMs, at: iso(at), ...overrides }),
  };
}

export function throttlesContract(context: StoreContractContext): void {
  describe('throttles', () => {
    it('lets exactly `limit` of 100 concurrent takes for one key through, across connections', async () => {
      const peers = await context.peers();
      const push = throttle(context, 3);
      const members = Array.from({ length: 100 }, () => context.uniqueId('delivery'));
      const answers = await Promise.all(
        members.map((member, index) => peers[index % peers.length]!.takeThrottles([push.request(member, T0 + index)])),
      );
      const through = members.filter((_, index) => answers[index]![0] === true);
      expect(through).toHaveLength(3);
      expect(answers.every((answer) => answer.length === 1)).toBe(true);
      // Asked again, each gets its first answer, and nothing counts twice.
      const again = await context.store.takeThrottles(members.map((member) => push.request(member, T0 + 200)));
      expect(members.filter((_, index) => again[index])).toEqual(through);
    });

    it('answers one call’s requests in order, each key of each recipient counted apart', async () => {
      const { store } = context;
      const one = throttle(context, 2);
      const two = throttle(context, 2);
      const sameKeyOtherRecipient = { ...one, recipientId: context.userId() };
      const answers = await store.takeThrottles([
        one.request('a', T0),
        two.request('a', T0),
        { ...one.request('a', T0), recipientId: sameKeyOtherRecipient.recipientId },
        one.request('b', T0),
        one.request('c', T0),
        one.request('a', T0),
        two.request('b', T0),
        two.request('c', T0),
      ]);
      expect(answers).toEqual([true, true, true, true, false, true, true, false]);
    });

    it('slides the window: members let through before `at - windowMs` stop counting', async () => {
      const { store } = context;
      const push = throttle(context, 2, 1_000);
      expect(
        await store.takeThrottles([push.request('a', T0), push.request('b', T0 + 10), push.request('c', T0 + 20)]),
      ).toEqual([true, true, false]);
      // At T0 + 1000, `a` (let through at T0) is not older than T0 + 1000 - 1000 yet.
      expect(await store.takeThrottles([push.request('d', T0 + 1_000)])).toEqual([false]);
      expect(await store.takeThrottles([push.request('d', T0 + 1_001)])).toEqual([true]);
      expect(await store.takeThrottles([push.request('e', T0 + 1_005)])).toEqual([false]);
      expect(await store.takeThrottles([push.request('e', T0 + 1_011)])).toEqual([true]);
      // `a` aged out of the log: asked now it is a new member, and the log is full.
      expect(await store.takeThrottles([push.request('a', T0 + 1_011)])).toEqual([false]);
      expect(await store.takeThrottles([push.request('d', T0 + 1_500), push.request('e', T0 + 1_500)])).toEqual([
        true,
        true,
      ]);
    });

    it('gives a member asked again its first answer without counting it twice', async () => {
      const { store } = context;
      const push = throttle(context, 2);
      expect(await store.takeThrottles([push.request('a', T0)])).toEqual([true]);
      expect(await store.takeThrottles([push.request('a', T0 + 1), push.request('a', T0 + 2)])).toEqual([true, true]);
      expect(await store.takeThrottles([push.request('b', T0 + 3)])).toEqual([true]);
      expect(await store.takeThrottles([push.request('c', T0 + 4), push.request('c', T0 + 5)])).toEqual([false, false]);
      expect(await store.takeThrottles([push.request('b', T0 + 6), push.request('a', T0 + 7)])).toEqual([true, true]);
    });

    it('takes more than one chunk in one call, answering in input order', async () => {
      const { store } = context;
      const throttles = Array.from({ length: 400 }, () => throttle(context, 2));
      const requests = ['a', 'b', 'c'].flatMap((member, round) =>
        throttles.map((each, index) => each.request(member, T0 + round * 400 + index)),
      );
      const answers = await store.takeThrottles(requests);
      expect(answers).toEqual(requests.map((_, index) => index < 800));
      expect(await store.takeThrottles([])).toEqual([]);
    });
  });

  describe('bad input: throttles', () => {
    it('refuses bad requests, naming each field, and takes nothing from a refused batch', async () => {
      const push = throttle(context, 1);
      const good = push.request('first', T0);
      const cases: [unknown, ExpectedIssue[]][] = [
        [good, [{ path: 'requests', message: 'Expected an array of throttle requests' }]],
        [[good, 'second'], [{ path: 'requests.1', message: 'Expected a throttle request object' }]],
        [
          [good, { ...good, recipientId: '', key: undefined, member: 7 }],
          [
            { path: 'requests.1.recipientId', message: NON_EMPTY },
            { path: 'requests.1.key', message: NON_EMPTY },
            { path: 'requests.1.member', message: NON_EMPTY },
          ],
        ],
        ...[0, 2.5, 10_001, '3', undefined].map((limit): [unknown, ExpectedIssue[]] => [
          [good, { ...good, limit }],
          [{ path: 'requests.1.limit', message: `Expected an integer from 1 to 10000, got ${String(limit)}` }],
        ]),
        ...[0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1h'].map((windowMs): [unknown, ExpectedIssue[]] => [
          [good, { ...good, windowMs }],
          [
            {
              path: 'requests.1.windowMs',
              message: `Expected a positive number of milliseconds, got ${String(windowMs)}`,
            },
          ],
        ]),
        [[good, { ...good, at: 'now' }], [{ path: 'requests.1.at', message: notADate('now') }]],
      ];
      for (const [input, issues] of cases) {
        await expectIssues(context.store.takeThrottles(loose(input)), issues);
      }
      // Nothing was taken: the one slot is still free for another member.
      expect(await context.store.takeThrottles([push.request('other', T0)])).toEqual([true]);
    });
  });
}
