/** Reminder times without I/O: occurrences in the user's zone (DST included), the tool's validation, the footer line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateToolInput } from '../src/tools';
import { describeEffect } from '../src/i18n/messages';
import { zonedToEpochMs } from '../src/lark/time';
import { describeSchedule, formatForUi, nextOccurrence } from '../src/reminders/schedule';

const HCM = 'Asia/Ho_Chi_Minh';
const NY = 'America/New_York';

test('daily, weekdays and weekly occurrences are local wall times, the first one strictly after "now"', () => {
  const now = zonedToEpochMs('2026-12-02T10:00', HCM); // a Wednesday
  assert.equal(nextOccurrence({ kind: 'daily', time: '08:00' }, now, HCM), zonedToEpochMs('2026-12-03T08:00', HCM));
  assert.equal(nextOccurrence({ kind: 'daily', time: '10:00' }, now, HCM), zonedToEpochMs('2026-12-03T10:00', HCM), 'not the same instant again');
  assert.equal(nextOccurrence({ kind: 'daily', time: '10:01' }, now, HCM), zonedToEpochMs('2026-12-02T10:01', HCM));
  assert.equal(nextOccurrence({ kind: 'weekly', time: '09:00', weekdays: [1] }, now, HCM), zonedToEpochMs('2026-12-07T09:00', HCM));
  const fri = zonedToEpochMs('2026-12-04T18:00', HCM);
  assert.equal(nextOccurrence({ kind: 'weekdays', time: '09:00' }, fri, HCM), zonedToEpochMs('2026-12-07T09:00', HCM), 'skips the weekend');
  assert.equal(nextOccurrence({ kind: 'once', atMs: now }, now, HCM), undefined);
  assert.equal(nextOccurrence({ kind: 'interval', seconds: 3, startMs: 1000 }, 7000, HCM), 10000);
});

test('DST: "every day at 08:00" stays 08:00 local across the change; a skipped time fires just after the jump', () => {
  const before = zonedToEpochMs('2026-03-07T09:00', NY); // Saturday, EST
  const sunday = nextOccurrence({ kind: 'daily', time: '08:00' }, before, NY)!; // Sunday 8 March: EDT
  assert.equal(formatForUi(sunday, NY), '2026-03-08 08:00 -04:00');
  assert.equal(sunday - nextOccurrence({ kind: 'daily', time: '08:00' }, before - 86_400_000, NY)!, 23 * 3600_000, 'a 23-hour day');
  const skipped = nextOccurrence({ kind: 'daily', time: '02:30' }, before, NY)!;
  assert.equal(formatForUi(skipped, NY), '2026-03-08 03:30 -04:00');
  const fallBack = nextOccurrence({ kind: 'daily', time: '01:30' }, zonedToEpochMs('2026-10-31T12:00', NY), NY)!;
  assert.equal(formatForUi(fallBack, NY), '2026-11-01 01:30 -04:00', 'the first 01:30 of the repeated hour');
});

test('set_reminder input: exactly one "when", a recurrence with its time, weekdays only for weekly', () => {
  const ok = (input: object) => assert.ok(validateToolInput('set_reminder', input).ok, JSON.stringify(input));
  const bad = (input: object, re: RegExp) => {
    const r = validateToolInput('set_reminder', input);
    assert.ok(!r.ok && re.test(r.error), `${JSON.stringify(input)}: ${r.ok ? 'passed' : r.error}`);
  };
  ok({ text: 'call Lan', at: '2026-12-02T17:00' });
  ok({ text: 'call Lan', in_minutes: 20 });
  ok({ text: 'weekly report', repeat: 'weekly', time: '09:00', weekdays: [1] });
  ok({ text: 'uống thuốc', repeat: 'daily', time: '08:00' });
  bad({ text: 'x' }, /exactly one of at, in_minutes, repeat, event_id \(got none\)/);
  bad({ text: 'x', at: '2026-12-02T17:00', in_minutes: 5 }, /exactly one/);
  bad({ text: 'x', repeat: 'daily' }, /repeat needs time/);
  bad({ text: 'x', repeat: 'daily', time: '8am' }, /time must be "HH:mm"/);
  bad({ text: 'x', repeat: 'weekly', time: '09:00' }, /needs weekdays/);
  bad({ text: 'x', repeat: 'hourly', time: '09:00' }, /repeat must be one of daily, weekdays, weekly/);
  bad({ text: 'x', at: 'tomorrow 5pm' }, /at must be local wall-clock/);
  bad({ text: 'x', in_minutes: 0 }, /in_minutes must be from 1/);
  bad({ text: '', in_minutes: 5 }, /text must not be empty/);
  assert.ok(validateToolInput('daily_agenda', { enabled: true, time: '08:00' }).ok);
  assert.ok(!validateToolInput('daily_agenda', { enabled: true, time: '25:00' }).ok);
});

test('the footer line for reminders, in both languages', () => {
  const at = zonedToEpochMs('2026-12-03T17:00', HCM);
  assert.equal(
    describeEffect({ action: 'created', kind: 'reminder', id: 'r1', title: 'call Lan', startMs: at }, HCM, 'en'),
    'Reminder set: “call Lan” (Thu 3 Dec, 17:00)',
  );
  assert.equal(
    describeEffect({ action: 'created', kind: 'reminder', id: 'r1', title: 'gọi cho Lan', startMs: at }, HCM, 'vi'),
    'Đã đặt lời nhắc: “gọi cho Lan” (Thứ Năm 3/12, 17:00)',
  );
  assert.equal(
    describeEffect(
      { action: 'cancelled', kind: 'reminder', id: 'r1', title: 'weekly report', schedule: { kind: 'weekly', time: '09:00', weekdays: [1] } },
      HCM,
      'en',
    ),
    'Reminder cancelled: “weekly report” (every Monday at 09:00)',
  );
  // A one-off names when it was due, not a bare time that reads like the cancel's.
  const once = describeEffect({ action: 'cancelled', kind: 'reminder', id: 'r2', title: 'Uống nước', startMs: Date.UTC(2026, 11, 7, 3, 10) }, 'UTC', 'vi');
  assert.match(once, /^Đã huỷ lời nhắc: “Uống nước” \(lẽ ra nhắc lúc .*03:10\)$/);
  assert.equal(
    describeEffect({ action: 'created', kind: 'agenda', id: 'a1', schedule: { kind: 'daily', time: '08:00' } }, HCM, 'vi'),
    'Đã bật lịch trình hằng ngày: mỗi ngày lúc 08:00',
  );
  assert.equal(describeSchedule({ kind: 'weekdays', time: '09:00' }, HCM, 'en'), 'every weekday (Mon–Fri) at 09:00');
});

test('a meeting-linked reminder names its event and the minutes before it; set_timezone takes an IANA name', () => {
  assert.equal(validateToolInput('set_reminder', { text: 'Sync', event_id: 'evt_1', minutes_before: 15 }).ok, true);
  const noOffset = validateToolInput('set_reminder', { text: 'Sync', event_id: 'evt_1' });
  assert.ok(!noOffset.ok && /event_id needs minutes_before/.test(noOffset.error));
  const two = validateToolInput('set_reminder', { text: 'Sync', event_id: 'evt_1', minutes_before: 15, at: '2026-12-03T09:00' });
  assert.ok(!two.ok && /exactly one of at, in_minutes, repeat, event_id \(got at, event_id\)/.test(two.error));
  const stray = validateToolInput('set_reminder', { text: 'Sync', in_minutes: 5, minutes_before: 15 });
  assert.ok(!stray.ok && /minutes_before goes with event_id/.test(stray.error));
  assert.equal(validateToolInput('set_timezone', { timezone: 'Asia/Tokyo' }).ok, true);
  assert.equal(validateToolInput('set_timezone', { timezone: 'America/Argentina/Buenos_Aires' }).ok, true);
  assert.equal(validateToolInput('set_timezone', { timezone: 'UTC' }).ok, true);
  const city = validateToolInput('set_timezone', { timezone: 'Tokyo time' });
  assert.ok(!city.ok && /IANA name like "Asia\/Tokyo"/.test(city.error));
  assert.equal(describeEffect({ action: 'updated', kind: 'timezone', id: 'ou_x', title: 'Asia/Tokyo' }, HCM, 'vi'), 'Đã đặt múi giờ: Asia/Tokyo');
});
