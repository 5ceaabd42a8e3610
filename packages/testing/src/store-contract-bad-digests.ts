// Store contract: bad input to the digest calls. Every store refuses the same inputs with the same ValidationError
// (path and message), and a refused call changes nothing: each case checks the buckets it could have touched.

import type { DigestJoin } from '@herald/core/spec';
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

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const WINDOW = 600_000;

function join(context: StoreContractContext, recipientId: string, key: string): DigestJoin {
  const notificationId = context.uniqueId('notification');
  return {
    key,
    openAs: `digest:${notificationId}:${recipientId}`,
    type: 'contract.alpha',
    recipientId,
    event: { notificationId, payload: { ticketId: 't-1' }, createdAt: iso(T0) },
    at: iso(T0),
    closesAt: iso(T0 + WINDOW),
    windowMs: WINDOW,
    capAt: iso(T0 + 6 * WINDOW),
    maxEvents: 50,
  };
}

export function badDigestsContract(context: StoreContractContext): void {
  describe('bad input: digests', () => {
    it('refuses bad joins, naming each field, and joins nothing of a refused batch', async () => {
      const recipientId = context.userId();
      const prefix = `contract.alpha|${context.uniqueId('bad')}|`;
      const key = `${prefix}${recipientId}`;
      const good = join(context, recipientId, key);
      const bad = (overrides: Record<string, unknown>): unknown => ({
        ...join(context, recipientId, key),
        ...overrides,
      });
      const event = (overrides: Record<string, unknown>): unknown => bad({ event: { ...good.event, ...overrides } });
      const cases: [unknown, ExpectedIssue[]][] = [
        [good, [{ path: 'joins', message: 'Expected an array of digest joins' }]],
        [[good, null], [{ path: 'joins.1', message: 'Expected a digest join object' }]],
        [
          [good, bad({ key: '', openAs: undefined, type: 3, recipientId: '' })],
          [
            { path: 'joins.1.key', message: NON_EMPTY },
            { path: 'joins.1.openAs', message: NON_EMPTY },
            { path: 'joins.1.type', message: NON_EMPTY },
            { path: 'joins.1.recipientId', message: NON_EMPTY },
          ],
        ],
        [[good, bad({ event: 'commented' })], [{ path: 'joins.1.event', message: 'Expected a digest event object' }]],
        [
          [good, event({ notificationId: '', createdAt: 'yesterday', actorId: '' })],
          [
            { path: 'joins.1.event.notificationId', message: NON_EMPTY },
            { path: 'joins.1.event.createdAt', message: notADate('yesterday') },
            { path: 'joins.1.event.actorId', message: NON_EMPTY },
          ],
        ],
        [
          [good, event({ payload: { render: () => 'x' } })],
          [{ path: 'joins.1.event.payload', message: /^Expected plain data \(JSON-like values\): / }],
        ],
        [
          [good, bad({ at: 'now', closesAt: 1_714_557_600_000 })],
          [
            { path: 'joins.1.at', message: notADate('now') },
            { path: 'joins.1.closesAt', message: notADate(1_714_557_600_000) },
          ],
        ],
        ...[0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10m'].map((windowMs): [unknown, ExpectedIssue[]] => [
          [good, bad({ windowMs })],
          [
            {
              path: 'joins.1.windowMs',
              message: `Expected a positive number of milliseconds, got ${String(windowMs)}`,
            },
          ],
        ]),
        [[good, bad({ capAt: 'later' })], [{ path: 'joins.1.capAt', message: notADate('later') }]],
        [
          [good, bad({ windowMs: undefined })],
          [{ path: 'joins.1.capAt', message: 'Expected only with windowMs: a cap bounds a sliding window' }],
        ],
        [
          [good, bad({ capAt: iso(T0 + WINDOW - 1) })],
          [
            {
              path: 'joins.1.capAt',
              message: 'Expected a time not before closesAt: a bucket never closes after its cap',
            },
          ],
        ],
        ...[0, 1.5, 10_001, '5', undefined].map((maxEvents): [unknown, ExpectedIssue[]] => [
          [good, bad({ maxEvents })],
          [{ path: 'joins.1.maxEvents', message: `Expected an integer from 1 to 10000, got ${String(maxEvents)}` }],
        ]),
      ];
      for (const [input, issues] of cases) await expectIssues(context.store.joinDigests(loose(input)), issues);
      expect(await context.store.getDigest(recipientId, good.openAs)).toBeUndefined();
      expect(await context.store.listOpenDigests(prefix, { limit: 10 })).toEqual([]);
      expect(await context.store.joinDigests([])).toEqual([]);
    });

    it('refuses bad ids, instants and listing options, and changes no bucket', async () => {
      const { store } = context;
      const recipientId = context.userId();
      const prefix = `contract.alpha|${context.uniqueId('bad')}|`;
      const first = join(context, recipientId, `${prefix}${recipientId}`);
      await store.joinDigests([first]);
      const before = await store.getDigest(recipientId, first.openAs);
      const id = first.openAs;
      const notificationId = first.event.notificationId;
      const limitMessage = (value: unknown): string => `Expected an integer from 1 to 1000, got ${String(value)}`;
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [store.getDigest('', id), [{ path: 'recipientId', message: NON_EMPTY }]],
        [store.getDigest(recipientId, loose(undefined)), [{ path: 'id', message: NON_EMPTY }]],
        [store.closeDigest(loose(7), id, iso(T0 + WINDOW)), [{ path: 'recipientId', message: NON_EMPTY }]],
        [store.closeDigest(recipientId, '', iso(T0 + WINDOW)), [{ path: 'id', message: NON_EMPTY }]],
        [store.closeDigest(recipientId, id, 'soon'), [{ path: 'at', message: notADate('soon') }]],
        [store.expediteDigest('', id, iso(T0)), [{ path: 'recipientId', message: NON_EMPTY }]],
        [store.expediteDigest(recipientId, '', iso(T0)), [{ path: 'id', message: NON_EMPTY }]],
        [store.expediteDigest(recipientId, id, loose(T0)), [{ path: 'at', message: notADate(T0) }]],
        [store.leaveDigest('', id, notificationId), [{ path: 'recipientId', message: NON_EMPTY }]],
        [store.leaveDigest(recipientId, loose(null), notificationId), [{ path: 'id', message: NON_EMPTY }]],
        [store.leaveDigest(recipientId, id, ''), [{ path: 'notificationId', message: NON_EMPTY }]],
        [store.listOpenDigests(loose(undefined), { limit: 10 }), [{ path: 'keyPrefix', message: 'Expected a string' }]],
        [store.listOpenDigests(prefix, loose(null)), [{ path: 'options', message: 'Expected an object with a limit' }]],
        ...[0, 1_001, 1.5, '10', undefined].map((limit): [Promise<unknown>, ExpectedIssue[]] => [
          store.listOpenDigests(prefix, loose({ limit })),
          [{ path: 'options.limit', message: limitMessage(limit) }],
        ]),
        [store.listOpenDigests(prefix, { limit: 10, after: '' }), [{ path: 'options.after', message: NON_EMPTY }]],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect(await store.getDigest(recipientId, id)).toEqual(before);
      expect((await store.listOpenDigests(prefix, { limit: 10 })).map((bucket) => bucket.id)).toEqual([id]);
    });
  });
}
