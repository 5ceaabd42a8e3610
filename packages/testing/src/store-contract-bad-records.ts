// Store contract: bad input to the notification and delivery calls. Every store refuses the same inputs with the
// same ValidationError (path and message), and a refused call changes nothing: each case checks what it could
// have written afterwards.

import type { DeliveryRecord, NotificationRecord } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  deliveryRecord,
  type ExpectedIssue,
  expectIssues,
  inboxItem,
  iso,
  leaseEpoch,
  loose,
  NON_EMPTY,
  notADate,
  notificationRecord,
  type StoreContractContext,
} from './store-contract-fixtures';

const STATUSES = 'pending, sent, delivered, read, queued, skipped, failed, cancelled';

export function badRecordsContract(context: StoreContractContext): void {
  describe('bad input: notifications', () => {
    it('refuses a begin with a bad record or bad options, naming each field, and writes nothing', async () => {
      const key = context.uniqueId('key');
      const leaseUntil = iso(Date.now() + 600_000);
      const claim = { key, ttlMs: 600_000 };
      const record = (overrides: Record<string, unknown>): NotificationRecord =>
        loose({ ...notificationRecord(context, { idempotencyKey: key }), ...overrides });
      const cases: [NotificationRecord, unknown, ExpectedIssue[]][] = [
        [record({}), 'soon', [{ path: 'options', message: 'Expected an object' }]],
        [record({}), { idempotencyKey: claim }, [{ path: 'options.leaseUntil', message: notADate(undefined) }]],
        [
          record({}),
          { leaseUntil, idempotencyKey: { key: '', ttlMs: 1_000 } },
          [{ path: 'options.idempotencyKey.key', message: NON_EMPTY }],
        ],
        ...[0, -1, Number.NaN, Number.POSITIVE_INFINITY].map(
          (ttlMs): [NotificationRecord, unknown, ExpectedIssue[]] => [
            record({}),
            { leaseUntil, idempotencyKey: { key, ttlMs } },
            [
              {
                path: 'options.idempotencyKey.ttlMs',
                message: `Expected a positive number of milliseconds, got ${String(ttlMs)}`,
              },
            ],
          ],
        ),
        [loose(null), { leaseUntil }, [{ path: 'record', message: 'Expected a notification record object' }]],
        [
          record({ id: '', type: 3, createdAt: 'yesterday', scheduledFor: 1_714_557_600_000, actorId: '' }),
          { leaseUntil, idempotencyKey: claim },
          [
            { path: 'record.id', message: NON_EMPTY },
            { path: 'record.type', message: NON_EMPTY },
            { path: 'record.createdAt', message: notADate('yesterday') },
            { path: 'record.scheduledFor', message: notADate(1_714_557_600_000) },
            { path: 'record.actorId', message: NON_EMPTY },
          ],
        ],
        [
          record({ status: 'dispatched' }),
          { leaseUntil, idempotencyKey: claim },
          [
            {
              path: 'record.status',
              message: 'Expected "dispatching" (a notification begins in the outbox), got "dispatched"',
            },
          ],
        ],
        [
          record({}),
          { leaseUntil, idempotencyKey: { key: context.uniqueId('key'), ttlMs: 1_000 } },
          [{ path: 'record.idempotencyKey', message: /^Expected the key claimed in options\.idempotencyKey, "/ }],
        ],
        [
          record({}),
          { leaseUntil },
          [
            {
              path: 'record.idempotencyKey',
              message: 'Expected options.idempotencyKey to claim the key the record names',
            },
          ],
        ],
        [
          record({ recipients: [{ id: 'ada' }, { name: 'no id' }, 'bob'], kinds: ['inApp', ''] }),
          { leaseUntil, idempotencyKey: claim },
          [
            { path: 'record.recipients.1.id', message: NON_EMPTY },
            { path: 'record.recipients.2', message: 'Expected a recipient object' },
            { path: 'record.kinds.1', message: NON_EMPTY },
          ],
        ],
        [
          record({ recipients: 'ada', kinds: 'inApp' }),
          { leaseUntil, idempotencyKey: claim },
          [
            { path: 'record.recipients', message: 'Expected an array of recipients' },
            { path: 'record.kinds', message: 'Expected an array of channel kinds' },
          ],
        ],
        [
          record({ payload: { at: Symbol('x') } }),
          { leaseUntil, idempotencyKey: claim },
          [{ path: 'record', message: /^Expected plain data \(JSON-like values\): / }],
        ],
      ];
      for (const [input, options, issues] of cases) {
        await expectIssues(context.store.beginNotification(input, loose(options)), issues);
        if (typeof input?.id === 'string' && input.id !== '') {
          expect(await context.store.getNotification(input.id)).toBeUndefined();
        }
      }
      expect(await context.store.getIdempotencyKey(key)).toBeUndefined();
    });

    it('refuses bad lease options and lease renewals, leaving every lease as it was', async () => {
      const epoch = leaseEpoch();
      const record = notificationRecord(context);
      await context.store.beginNotification(record, { leaseUntil: iso(epoch - 30_000) });
      try {
        const now = iso(epoch);
        const leaseUntil = iso(epoch + 30_000);
        const cases: [unknown, ExpectedIssue[]][] = [
          [undefined, [{ path: 'options', message: 'Expected an object' }]],
          [{ now: 'now', leaseUntil, limit: 10 }, [{ path: 'options.now', message: notADate('now') }]],
          [{ now, leaseUntil: 5, limit: 10 }, [{ path: 'options.leaseUntil', message: notADate(5) }]],
          [
            { now, leaseUntil: now, limit: 10 },
            [{ path: 'options.leaseUntil', message: 'Expected a time after options.now' }],
          ],
          ...[0, 1_001, 1.5, '10', undefined].map((limit): [unknown, ExpectedIssue[]] => [
            { now, leaseUntil, limit },
            [{ path: 'options.limit', message: `Expected an integer from 1 to 1000, got ${String(limit)}` }],
          ]),
        ];
        for (const [options, issues] of cases) {
          await expectIssues(context.store.leaseNotifications(loose(options)), issues);
        }
        await expectIssues(context.store.renewNotificationLease(record.id, 'later'), [
          { path: 'leaseUntil', message: notADate('later') },
        ]);
        await expectIssues(context.store.renewNotificationLease('', leaseUntil), [{ path: 'id', message: NON_EMPTY }]);
        await expectIssues(context.store.markNotificationDispatched(loose(undefined)), [
          { path: 'id', message: NON_EMPTY },
        ]);
        await expectIssues(context.store.getNotification(''), [{ path: 'id', message: NON_EMPTY }]);
        expect((await context.store.getNotification(record.id))?.leaseUntil).toBe(iso(epoch - 30_000));
        // Nothing was leased by the refused calls: the first valid one takes it.
        const taken = await context.store.leaseNotifications({ now, leaseUntil, limit: 10 });
        expect(taken.map((each) => each.id)).toEqual([record.id]);
      } finally {
        await context.store.markNotificationDispatched(record.id);
      }
    });
  });

  describe('bad input: deliveries', () => {
    it('refuses a batch with a bad record, naming each field, and creates none of it', async () => {
      const notificationId = context.uniqueId('notification');
      const good = deliveryRecord(context, { notificationId });
      const bad = (overrides: Record<string, unknown>): DeliveryRecord =>
        loose({ ...deliveryRecord(context, { notificationId }), ...overrides });
      const cases: [unknown, ExpectedIssue[]][] = [
        [{ length: 1 }, [{ path: 'records', message: 'Expected an array of delivery records' }]],
        [[good, 'record'], [{ path: 'records.1', message: 'Expected a delivery record object' }]],
        [
          [good, bad({ id: '', notificationId: 1, type: undefined, recipientId: '', kind: null })],
          ['id', 'notificationId', 'type', 'recipientId', 'kind'].map((field) => ({
            path: `records.1.${field}`,
            message: NON_EMPTY,
          })),
        ],
        [
          [bad({ createdAt: 'then', updatedAt: undefined })],
          [
            { path: 'records.0.createdAt', message: notADate('then') },
            { path: 'records.0.updatedAt', message: notADate(undefined) },
          ],
        ],
        [[bad({ status: 'lost' })], [{ path: 'records.0.status', message: `Expected one of ${STATUSES}, got "lost"` }]],
        ...[-1, 1.5, '0', undefined].map((attempts): [unknown, ExpectedIssue[]] => [
          [bad({ attempts })],
          [{ path: 'records.0.attempts', message: 'Expected a non-negative integer' }],
        ]),
        [
          [bad({ channelId: '', providerMessageId: 5, inboxItemId: '', reason: 1, detail: false })],
          [
            { path: 'records.0.channelId', message: NON_EMPTY },
            { path: 'records.0.providerMessageId', message: NON_EMPTY },
            { path: 'records.0.inboxItemId', message: NON_EMPTY },
            { path: 'records.0.reason', message: 'Expected a string' },
            { path: 'records.0.detail', message: 'Expected a string' },
          ],
        ],
        [[bad({ scheduledFor: 'soon' })], [{ path: 'records.0.scheduledFor', message: notADate('soon') }]],
        [
          [bad({ error: 'boom' })],
          [{ path: 'records.0.error', message: 'Expected an object with a code and a message' }],
        ],
        [
          [bad({ error: { code: '', message: 3, providerCode: {} } })],
          [
            { path: 'records.0.error.code', message: NON_EMPTY },
            { path: 'records.0.error.message', message: 'Expected a string' },
            { path: 'records.0.error.providerCode', message: 'Expected a string or a number' },
          ],
        ],
        [
          [good, deliveryRecord(context, { notificationId }), { ...good, status: 'sent' }],
          [{ path: 'records.2.id', message: `Delivery ${JSON.stringify(good.id)} appears twice in the batch` }],
        ],
      ];
      for (const [records, issues] of cases) {
        await expectIssues(context.store.createDeliveries(loose(records)), issues);
      }
      expect(await context.store.getDeliveries([good.id])).toEqual([]);
      expect(await context.store.listDeliveries({ notificationId })).toEqual({ records: [] });
    });

    it('checks a whole batch before writing: a bad record at index 9,999 of 10,000 creates nothing', async () => {
      const notificationId = context.uniqueId('notification');
      const records = Array.from({ length: 10_000 }, () => deliveryRecord(context, { notificationId }));
      records[9_999] = { ...records[9_999]!, status: loose('lost') };
      await expectIssues(context.store.createDeliveries(records), [
        { path: 'records.9999.status', message: `Expected one of ${STATUSES}, got "lost"` },
      ]);
      expect(await context.store.listDeliveries({ notificationId })).toEqual({ records: [] });
      expect(await context.store.getDeliveries([records[0]!.id, records[5_000]!.id])).toEqual([]);
    });

    it('refuses a bad update, patch or condition and leaves the record as it was', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([record]);
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [context.store.updateDelivery('', { status: 'sent' }), [{ path: 'id', message: NON_EMPTY }]],
        [context.store.updateDelivery(record.id, loose('sent')), [{ path: 'patch', message: 'Expected an object' }]],
        [
          context.store.updateDelivery(record.id, loose({ status: 'gone', attempts: -1, channelId: '', reason: 4 })),
          [
            { path: 'patch.status', message: `Expected one of ${STATUSES}, got "gone"` },
            { path: 'patch.channelId', message: NON_EMPTY },
            { path: 'patch.attempts', message: 'Expected a non-negative integer' },
            { path: 'patch.reason', message: 'Expected a string' },
          ],
        ],
        [
          context.store.updateDelivery(record.id, loose({ status: 'failed', error: { message: 'no code' } })),
          [{ path: 'patch.error.code', message: NON_EMPTY }],
        ],
        [
          context.store.updateDelivery(record.id, { status: 'sent' }, loose('pending')),
          [{ path: 'onlyFrom', message: 'Expected an array of delivery statuses' }],
        ],
        [
          context.store.updateDelivery(record.id, { status: 'sent' }, loose(['pending', 'done'])),
          [{ path: 'onlyFrom.1', message: `Expected one of ${STATUSES}, got "done"` }],
        ],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect(await context.store.getDeliveries([record.id])).toEqual([record]);
    });

    it('refuses bad lookups and delivery queries', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([
        record,
        deliveryRecord(context, { notificationId: record.notificationId }),
      ]);
      // An inbox listing's cursor is not a delivery cursor.
      const userId = context.userId();
      await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      const inboxCursor = (await context.store.listInbox(userId, { limit: 1 })).nextCursor!;
      const { notificationId } = record;
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [context.store.getDeliveries(loose(record.id)), [{ path: 'ids', message: 'Expected an array of ids' }]],
        [context.store.getDeliveries(loose([record.id, ''])), [{ path: 'ids.1', message: NON_EMPTY }]],
        [context.store.findDeliveryByProviderMessageId(''), [{ path: 'providerMessageId', message: NON_EMPTY }]],
        [context.store.listDeliveries(loose(notificationId)), [{ path: 'query', message: 'Expected an object' }]],
        ...[0, 101, 1.5].map((limit): [Promise<unknown>, ExpectedIssue[]] => [
          context.store.listDeliveries({ notificationId, limit }),
          [{ path: 'limit', message: `Expected an integer from 1 to 100, got ${limit}` }],
        ]),
        ...['not a cursor!', inboxCursor].map((cursor): [Promise<unknown>, ExpectedIssue[]] => [
          context.store.listDeliveries(loose({ notificationId, cursor })),
          [
            {
              path: 'cursor',
              message: `Malformed cursor ${JSON.stringify(cursor)}: pass the nextCursor of a previous page`,
            },
          ],
        ]),
        [
          context.store.listDeliveries(loose({ notificationId, status: 'lost' })),
          [{ path: 'status', message: `Expected one of ${STATUSES}, got "lost"` }],
        ],
        [context.store.listDeliveries(loose({ notificationId: '' })), [{ path: 'notificationId', message: NON_EMPTY }]],
        [context.store.listDeliveries(loose({ recipientId: 9 })), [{ path: 'recipientId', message: NON_EMPTY }]],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect((await context.store.listDeliveries({ notificationId })).records).toHaveLength(2);
    });
  });
}
