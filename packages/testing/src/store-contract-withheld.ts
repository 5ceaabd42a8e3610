// Store contract: what says why and when a delivery is withheld — a delivery record's reason code and the digest
// delivery it went into, and a recipient's time zone and quiet hours in their preferences. Stored as given, bad
// values refused with the kit's messages, and a refused call changes nothing.

import type { DeliveryRecord, Preferences } from '@herald/core';
import { skipReasonCodes } from '@herald/core/spec';
import { describe, expect, it } from 'vitest';
import {
  deliveryRecord,
  EMAIL,
  type ExpectedIssue,
  expectIssues,
  listAllDeliveries,
  loose,
  NON_EMPTY,
  PUSH,
  type StoreContractContext,
} from './store-contract-fixtures';

const REASON_CODES = skipReasonCodes.join(', ');

export function withheldContract(context: StoreContractContext): void {
  describe('deliveries: reason codes', () => {
    it('keeps a record’s reason code and digest delivery id, and patches the reason code', async () => {
      const notificationId = context.uniqueId('notification');
      const digestDeliveryId = context.uniqueId('delivery');
      const records: DeliveryRecord[] = [
        deliveryRecord(context, {
          notificationId,
          kind: EMAIL,
          status: 'skipped',
          reason: 'folded into a digest',
          reasonCode: 'digested',
          digestDeliveryId,
        }),
        deliveryRecord(context, { notificationId, kind: PUSH }),
      ];
      await context.store.createDeliveries(records);
      expect(await context.store.getDeliveries([records[0]!.id])).toEqual([records[0]]);
      const throttled = await context.store.updateDelivery(
        records[1]!.id,
        { status: 'skipped', reasonCode: 'throttled', reason: 'at most 3 an hour' },
        ['pending'],
      );
      expect(throttled).toMatchObject({ status: 'skipped', reasonCode: 'throttled', reason: 'at most 3 an hour' });
      expect((await context.store.getDeliveries([records[1]!.id]))[0]).toEqual(throttled);
      const listed = await listAllDeliveries(context.store, { notificationId });
      expect(listed.map((record) => [record.reasonCode, record.digestDeliveryId])).toEqual([
        ['throttled', undefined],
        ['digested', digestDeliveryId],
      ]);
      // Every code the spec lists is a code a record may hold.
      const each = skipReasonCodes.map((reasonCode) => deliveryRecord(context, { status: 'skipped', reasonCode }));
      await context.store.createDeliveries(each);
      const stored = await context.store.getDeliveries(each.map((record) => record.id));
      expect(stored.map((record) => record.reasonCode).sort()).toEqual([...skipReasonCodes].sort());
    });

    it('refuses an unknown reason code or an empty digest delivery id, in records and patches', async () => {
      const record = deliveryRecord(context);
      await context.store.createDeliveries([record]);
      const fresh = deliveryRecord(context);
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [
          context.store.createDeliveries([loose({ ...fresh, reasonCode: 'busy', digestDeliveryId: '' })]),
          [
            { path: 'records.0.digestDeliveryId', message: NON_EMPTY },
            { path: 'records.0.reasonCode', message: `Expected one of ${REASON_CODES}, got "busy"` },
          ],
        ],
        [
          context.store.updateDelivery(record.id, loose({ status: 'skipped', reasonCode: 'Throttled' })),
          [{ path: 'patch.reasonCode', message: `Expected one of ${REASON_CODES}, got "Throttled"` }],
        ],
        [
          context.store.updateDelivery(record.id, loose({ reasonCode: 3 })),
          [{ path: 'patch.reasonCode', message: `Expected one of ${REASON_CODES}, got 3` }],
        ],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect(await context.store.getDeliveries([fresh.id])).toEqual([]);
      expect(await context.store.getDeliveries([record.id])).toEqual([record]);
      // The digest delivery id is set when a record is created: a patch leaves it as it is.
      const patched = await context.store.updateDelivery(record.id, loose({ digestDeliveryId: 'elsewhere' }));
      expect(patched?.digestDeliveryId).toBeUndefined();
    });
  });

  describe('preferences: time zone and quiet hours', () => {
    it('keeps a recipient’s time zone and quiet hours, overall or for some channel kinds', async () => {
      const userId = context.userId();
      const night: Preferences = {
        channels: {},
        types: {},
        timeZone: 'America/New_York',
        quietHours: { from: '22:00', to: '07:00', channels: [EMAIL, PUSH] },
      };
      await context.store.setPreferences(userId, night);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(night);
      const lunch: Preferences = {
        channels: {},
        types: {},
        timeZone: 'UTC',
        quietHours: { from: '00:00', to: '23:59' },
      };
      await context.store.setPreferences(userId, lunch);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(lunch);
    });

    it('refuses an unknown time zone and malformed quiet hours, and keeps what was stored', async () => {
      const userId = context.userId();
      const stored: Preferences = { channels: {}, types: {}, timeZone: 'Europe/Lisbon' };
      await context.store.setPreferences(userId, stored);
      const zone = (value: unknown): string =>
        `Expected an IANA time zone such as "Europe/Lisbon", got ${JSON.stringify(value)}`;
      const time = (value: unknown): string =>
        `Expected a local time "HH:MM" from 00:00 to 23:59, got ${JSON.stringify(value) ?? String(value)}`;
      const preferences = (extra: Record<string, unknown>): Preferences => loose({ channels: {}, types: {}, ...extra });
      const cases: [Preferences, ExpectedIssue[]][] = [
        [preferences({ timeZone: 'Mars/Olympus' }), [{ path: 'preferences.timeZone', message: zone('Mars/Olympus') }]],
        [preferences({ timeZone: '' }), [{ path: 'preferences.timeZone', message: zone('') }]],
        [preferences({ timeZone: -5 }), [{ path: 'preferences.timeZone', message: zone(-5) }]],
        [
          preferences({ quietHours: 'nights' }),
          [{ path: 'preferences.quietHours', message: 'Expected an object with from and to ("HH:MM")' }],
        ],
        [
          preferences({ quietHours: { from: '24:00', to: '7:00' } }),
          [
            { path: 'preferences.quietHours.from', message: time('24:00') },
            { path: 'preferences.quietHours.to', message: time('7:00') },
          ],
        ],
        [
          preferences({ quietHours: { from: '22:60', to: 700 } }),
          [
            { path: 'preferences.quietHours.from', message: time('22:60') },
            { path: 'preferences.quietHours.to', message: time(700) },
          ],
        ],
        [
          preferences({ quietHours: { to: '07:00', channels: EMAIL } }),
          [
            { path: 'preferences.quietHours.from', message: time(undefined) },
            { path: 'preferences.quietHours.channels', message: 'Expected an array of channel kinds' },
          ],
        ],
        [
          preferences({ quietHours: { from: '22:00', to: '07:00', channels: [EMAIL, ''] } }),
          [{ path: 'preferences.quietHours.channels.1', message: NON_EMPTY }],
        ],
      ];
      for (const [input, issues] of cases) await expectIssues(context.store.setPreferences(userId, input), issues);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(stored);
    });
  });
}
