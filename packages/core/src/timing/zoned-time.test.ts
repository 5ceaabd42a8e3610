import { describe, expect, it } from 'vitest';
import { clockMinutes, instantAt, isTimeZone, localTime, nextLocalTime, quietWindowEnd } from './zoned-time';

const at = (iso: string): number => Date.parse(iso);
const newYork = 'America/New_York';

describe('zoned time', () => {
  it('converts local times to instants on ordinary days', () => {
    expect(
      new Date(instantAt({ year: 2026, month: 1, day: 15 }, clockMinutes('09:00', 't'), newYork)).toISOString(),
    ).toBe('2026-01-15T14:00:00.000Z');
    expect(new Date(instantAt({ year: 2026, month: 7, day: 15 }, 9 * 60, newYork)).toISOString()).toBe(
      '2026-07-15T13:00:00.000Z',
    );
    expect(new Date(instantAt({ year: 2026, month: 7, day: 15 }, 9 * 60, 'Asia/Kolkata')).toISOString()).toBe(
      '2026-07-15T03:30:00.000Z',
    );
  });

  it('moves a time skipped by spring-forward past the gap, and takes the first of a repeated one', () => {
    // 2026-03-08: New York clocks go 02:00 EST → 03:00 EDT (07:00Z).
    expect(new Date(instantAt({ year: 2026, month: 3, day: 8 }, 2 * 60 + 30, newYork)).toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    expect(new Date(instantAt({ year: 2026, month: 3, day: 8 }, 3 * 60, newYork)).toISOString()).toBe(
      '2026-03-08T07:00:00.000Z',
    );
    // 2026-11-01: 02:00 EDT → 01:00 EST (06:00Z); 01:30 happens at 05:30Z and 06:30Z.
    expect(new Date(instantAt({ year: 2026, month: 11, day: 1 }, 90, newYork)).toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(new Date(instantAt({ year: 2026, month: 11, day: 1 }, 7 * 60, newYork)).toISOString()).toBe(
      '2026-11-01T12:00:00.000Z',
    );
    // A 30-minute DST shift.
    expect(
      localTime(instantAt({ year: 2026, month: 10, day: 4 }, 3 * 60, 'Australia/Lord_Howe'), 'Australia/Lord_Howe'),
    ).toMatchObject({ hour: 3, minute: 0 });
  });

  it('finds the end of a quiet window that spans midnight, across both DST changes', () => {
    const from = clockMinutes('22:00', 'from');
    const to = clockMinutes('07:00', 'to');
    // 23:30 EST on the eve of spring-forward: the night is an hour shorter; 07:00 EDT is 11:00Z.
    expect(new Date(quietWindowEnd(at('2026-03-08T04:30:00Z'), from, to, newYork) ?? 0).toISOString()).toBe(
      '2026-03-08T11:00:00.000Z',
    );
    // 23:30 EDT on the eve of fall-back: 07:00 EST is 12:00Z.
    expect(new Date(quietWindowEnd(at('2026-11-01T03:30:00Z'), from, to, newYork) ?? 0).toISOString()).toBe(
      '2026-11-01T12:00:00.000Z',
    );
    // 03:00 local, after midnight: ends the same local morning.
    expect(new Date(quietWindowEnd(at('2026-06-10T07:00:00Z'), from, to, newYork) ?? 0).toISOString()).toBe(
      '2026-06-10T11:00:00.000Z',
    );
    expect(quietWindowEnd(at('2026-06-10T16:00:00Z'), from, to, newYork)).toBeUndefined();
    // A window inside one day.
    expect(
      quietWindowEnd(at('2026-06-10T16:00:00Z'), clockMinutes('12:00', 'f'), clockMinutes('13:00', 't'), newYork),
    ).toBe(at('2026-06-10T17:00:00Z'));
  });

  it('finds the next daily and weekly local time', () => {
    expect(new Date(nextLocalTime(at('2026-03-07T15:00:00Z'), 9 * 60, newYork)).toISOString()).toBe(
      '2026-03-08T13:00:00.000Z',
    );
    // The next Monday at 09:00 from a Wednesday.
    expect(new Date(nextLocalTime(at('2026-06-10T12:00:00Z'), 9 * 60, newYork, 1)).toISOString()).toBe(
      '2026-06-15T13:00:00.000Z',
    );
  });

  it('knows real zones and refuses made-up ones and bad clock times', () => {
    expect(isTimeZone('Europe/Lisbon')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(() => clockMinutes('24:00', 'quietHours.to')).toThrow(
      'quietHours.to: expected a time "HH:MM" from 00:00 to 23:59, got "24:00".',
    );
    expect(() => clockMinutes('7:00', 'x')).toThrow(/HH:MM/);
  });
});
