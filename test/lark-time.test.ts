import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_TIMEZONE,
  formatForUser,
  formatWall,
  fromCalendarSeconds,
  fromTaskMillis,
  isValidTimeZone,
  offsetMinutes,
  toCalendarSeconds,
  toRfc3339,
  toTaskMillis,
  zonedToEpochMs,
} from '../src/lark/time';

// Wall time <-> Lark's units, composed from the primitives as the tool activities compose them.
const wallToCalendarSeconds = (wall: string, timeZone = DEFAULT_TIMEZONE) => toCalendarSeconds(zonedToEpochMs(wall, timeZone));
const wallToTaskMillis = (wall: string, timeZone = DEFAULT_TIMEZONE) => toTaskMillis(zonedToEpochMs(wall, timeZone));
const calendarSecondsToWall = (seconds: string, timeZone = DEFAULT_TIMEZONE) => formatWall(fromCalendarSeconds(seconds), timeZone);
const taskMillisToWall = (millis: string, timeZone = DEFAULT_TIMEZONE) => formatWall(fromTaskMillis(millis), timeZone);

// 2026-11-22 15:00 at UTC+7 is 08:00 UTC; computed with Date.UTC, independently of the module.
const HCM_EXPECTED_SECONDS = Date.UTC(2026, 10, 22, 8, 0, 0) / 1000;

describe('units and the +7 offset', () => {
  it('pins 2026-11-22 15:00 Asia/Ho_Chi_Minh to 1795334400 s', () => {
    assert.equal(HCM_EXPECTED_SECONDS, 1795334400);
    assert.equal(DEFAULT_TIMEZONE, 'Asia/Ho_Chi_Minh');
    assert.equal(wallToCalendarSeconds('2026-11-22 15:00', 'Asia/Ho_Chi_Minh'), '1795334400');
    assert.equal(wallToCalendarSeconds('2026-11-22 15:00'), '1795334400'); // default zone
  });

  it('gives Task milliseconds = seconds * 1000, as strings', () => {
    const s = wallToCalendarSeconds('2026-11-22 15:00');
    const msStr = wallToTaskMillis('2026-11-22 15:00');
    assert.equal(typeof s, 'string');
    assert.equal(typeof msStr, 'string');
    assert.equal(msStr, '1795334400000');
    assert.equal(BigInt(msStr), BigInt(s) * 1000n);
  });

  it('reads seconds and milliseconds back without mixing them', () => {
    assert.equal(calendarSecondsToWall('1795334400'), '2026-11-22 15:00');
    assert.equal(taskMillisToWall('1795334400000'), '2026-11-22 15:00');
    assert.equal(fromCalendarSeconds('1795334400').getTime(), fromTaskMillis('1795334400000').getTime());
    assert.throws(() => fromCalendarSeconds('1795334400000'), /milliseconds/);
    assert.throws(() => fromCalendarSeconds('12.5'), /integer/);
  });

  it('drops sub-second parts for Calendar but keeps them for Task', () => {
    assert.equal(toCalendarSeconds(1795334400999), '1795334400');
    assert.equal(toTaskMillis(1795334400999), '1795334400999');
    assert.equal(toTaskMillis(new Date(1795334400123)), '1795334400123');
  });

  it('uses the +07:00 offset in RFC 3339 and for people', () => {
    assert.equal(offsetMinutes(HCM_EXPECTED_SECONDS * 1000, 'Asia/Ho_Chi_Minh'), 420);
    assert.equal(toRfc3339(HCM_EXPECTED_SECONDS * 1000), '2026-11-22T15:00:00+07:00');
    assert.equal(toRfc3339(HCM_EXPECTED_SECONDS * 1000, 'UTC'), '2026-11-22T08:00:00+00:00');
    assert.equal(formatForUser(HCM_EXPECTED_SECONDS * 1000), 'Sun, 22 Nov 2026, 15:00 (GMT+07:00)');
    // RFC 3339 with offset parses back to the same instant.
    assert.equal(Date.parse(toRfc3339(1795334400000)), 1795334400000);
  });
});

describe('round trips', () => {
  const zones = ['Asia/Ho_Chi_Minh', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'UTC'];
  const walls = ['2026-01-01 00:00', '2026-02-28 23:59', '2026-06-15 12:34', '2026-11-22 15:00', '2028-02-29 07:05'];
  for (const zone of zones) {
    it(`wall -> seconds/millis -> wall in ${zone}`, () => {
      for (const wall of walls) {
        assert.equal(calendarSecondsToWall(wallToCalendarSeconds(wall, zone), zone), wall);
        assert.equal(taskMillisToWall(wallToTaskMillis(wall, zone), zone), wall);
      }
    });
  }

  it('instant -> wall -> instant for every hour of a year in New York', () => {
    const start = Date.UTC(2026, 0, 1);
    for (let t = start; t < start + 366 * 86_400_000; t += 3_600_000) {
      const wall = formatWall(t, 'America/New_York');
      const back = zonedToEpochMs(wall, 'America/New_York');
      // The repeated autumn hour maps to its first occurrence; everything else is exact.
      assert.ok(back === t || back === t - 3_600_000, `${wall}: ${back} vs ${t}`);
      assert.equal(formatWall(back, 'America/New_York'), wall);
    }
  });

  it('accepts seconds and the T separator, rejects impossible dates', () => {
    assert.equal(zonedToEpochMs('2026-11-22T15:00:30', 'UTC'), Date.UTC(2026, 10, 22, 15, 0, 30));
    assert.equal(zonedToEpochMs('2026-11-22', 'UTC'), Date.UTC(2026, 10, 22));
    assert.throws(() => zonedToEpochMs('2026-02-30 10:00', 'UTC'), /Not a real/);
    assert.throws(() => zonedToEpochMs('2026-11-22 24:00', 'UTC'), /Not a real/);
    assert.throws(() => zonedToEpochMs('22/11/2026 15:00', 'UTC'), /Expected/);
    assert.throws(() => zonedToEpochMs('2026-11-22 15:00', 'Mars/Olympus'), /time zone/);
    assert.equal(isValidTimeZone('America/New_York'), true);
    assert.equal(isValidTimeZone('Nowhere/Special'), false);
  });
});

describe('a DST zone: America/New_York (2026: DST from 8 March to 1 November)', () => {
  const NY = 'America/New_York';
  it('uses -05:00 in winter and -04:00 in summer', () => {
    assert.equal(zonedToEpochMs('2026-01-15 09:00', NY), Date.UTC(2026, 0, 15, 14, 0));
    assert.equal(zonedToEpochMs('2026-07-15 09:00', NY), Date.UTC(2026, 6, 15, 13, 0));
    assert.equal(toRfc3339(Date.UTC(2026, 0, 15, 14, 0), NY), '2026-01-15T09:00:00-05:00');
    assert.equal(toRfc3339(Date.UTC(2026, 6, 15, 13, 0), NY), '2026-07-15T09:00:00-04:00');
  });

  it('handles both sides of the spring jump and the skipped hour', () => {
    assert.equal(zonedToEpochMs('2026-03-08 01:30', NY), Date.UTC(2026, 2, 8, 6, 30)); // EST
    assert.equal(zonedToEpochMs('2026-03-08 03:30', NY), Date.UTC(2026, 2, 8, 7, 30)); // EDT
    // 02:30 does not exist that day: read with the offset before the jump, i.e. 03:30 EDT.
    const gap = zonedToEpochMs('2026-03-08 02:30', NY);
    assert.equal(gap, Date.UTC(2026, 2, 8, 7, 30));
    assert.equal(formatWall(gap, NY), '2026-03-08 03:30');
  });

  it('takes the earlier of the repeated autumn hour', () => {
    assert.equal(zonedToEpochMs('2026-11-01 01:30', NY), Date.UTC(2026, 10, 1, 5, 30)); // EDT, first time
    assert.equal(formatWall(Date.UTC(2026, 10, 1, 6, 30), NY), '2026-11-01 01:30'); // EST, second time
    assert.equal(zonedToEpochMs('2026-11-01 02:00', NY), Date.UTC(2026, 10, 1, 7, 0));
  });

  it('gives a 23-hour and a 25-hour day', () => {
    const day = (d: string, n: string) => (zonedToEpochMs(n, NY) - zonedToEpochMs(d, NY)) / 3_600_000;
    assert.equal(day('2026-03-08 00:00', '2026-03-09 00:00'), 23);
    assert.equal(day('2026-11-01 00:00', '2026-11-02 00:00'), 25);
    assert.equal(day('2026-11-22 00:00', '2026-11-23 00:00'), 24);
  });
});
