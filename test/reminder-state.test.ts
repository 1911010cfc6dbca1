/**
 * A reminder workflow's rules (workflows/reminder-state.ts) without a server: ReminderState is plain data and
 * rules, so a click taken once per card, the next fire (a snooze, a linked meeting), a fire recorded, the meeting
 * as re-read, the zone and what the query answers are tested here in milliseconds; test/reminders*.test.ts run
 * them inside the real workflow. And the sign-in wait's clock (workflows/sign-in-wait.ts), shared with the
 * per-user workflow: its deadline and its looks at the token store, by each waiter's rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReminderSettings } from '../src/config';
import { ReminderState, SNOOZE_MS, type ReminderCarried, type ReminderInput } from '../workflows/reminder-state';
import { SignInClock } from '../workflows/sign-in-wait';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 8, 0); // a Monday, 08:00 UTC
const settings: ReminderSettings = {
  lateAfterMs: 180_000,
  clickWindowMs: 86_400_000,
  authWaitMs: 86_400_000,
  authRecheckMs: 300_000,
  eventCheckMs: 30 * 60_000,
  fireRetryForMs: 24 * HOUR,
  urgentAfterMs: 600_000,
};

function input(over: Partial<ReminderInput> = {}): ReminderInput {
  return {
    reminderId: 'r1',
    openId: 'ou_me',
    chatId: 'ou_me',
    kind: 'reminder',
    text: 'call Lan',
    lang: 'en',
    timezone: 'UTC',
    schedule: { kind: 'once', atMs: T0 + HOUR },
    createdAtMs: T0,
    settings,
    ...over,
  };
}
const linkedInput = (over: Partial<ReminderInput> = {}) =>
  input({
    schedule: { kind: 'once', atMs: T0 + 2 * HOUR },
    event: { calendarId: 'cal', eventId: 'ev', minutesBefore: 15, startMs: T0 + 2 * HOUR, title: 'Standup' },
    ...over,
  });
const fired = (s: ReminderState, occurrenceMs: number, messageId = `om_${occurrenceMs}`) => s.recordFired(occurrenceMs, messageId, false, occurrenceMs + 1_000);
const never = () => assert.fail('the patch is asked only for a click on the card in flight');

describe('ReminderState: the carried state', () => {
  test('a fresh run starts empty; a carried one goes on with the same object (continue-as-new passes it on)', () => {
    const fresh = new ReminderState(input());
    assert.deepEqual(fresh.st, { fired: 0, firedOccurrences: [], lateOccurrences: [], answered: [], loginCards: 0 });
    const carried: ReminderCarried = { fired: 3, firedOccurrences: [1, 2, 3], lateOccurrences: [2], answered: [1], loginCards: 1, lastOccurrenceMs: 3 };
    const s = new ReminderState(input({ carried }));
    assert.equal(s.st, carried);
    assert.equal(s.recurring, false);
    assert.equal(new ReminderState(input({ schedule: { kind: 'daily', time: '09:00' } })).recurring, true);
  });

  test('recorded fires: counts, late ones, the live card (a reminder only), lists bounded to the newest 20', () => {
    const s = new ReminderState(input());
    for (let i = 1; i <= 25; i++) s.recordFired(i, `om_${i}`, i % 2 === 0, 100 + i);
    assert.equal(s.st.fired, 25);
    assert.deepEqual(
      s.st.firedOccurrences,
      Array.from({ length: 20 }, (_, i) => i + 6),
    );
    assert.deepEqual(s.st.lateOccurrences, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    assert.deepEqual(s.st.openCard, { occurrenceMs: 25, messageId: 'om_25', firedAtMs: 125 });
    const agenda = new ReminderState(input({ kind: 'agenda' }));
    fired(agenda, T0);
    assert.equal(agenda.st.openCard, undefined, 'the agenda is a message, not a card with buttons');
  });
});

describe('ReminderState: clicks, once per card', () => {
  test('the live card’s first click is accepted and queued; a second is already answered; another user’s is refused', () => {
    const s = new ReminderState(input());
    fired(s, T0);
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0, by: 'ou_other' }, never), { result: 'not_yours' });
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0, by: 'ou_me' }, never), { result: 'accepted' });
    assert.deepEqual(s.clicked({ action: 'snooze10', occurrenceMs: T0 }, never), { result: 'already_answered' }, 'queued, not applied yet');
    assert.deepEqual(s.takeClick(), { click: { action: 'done', occurrenceMs: T0, by: 'ou_me' }, apply: true });
    assert.equal(s.takeClick(), undefined, 'taken once');
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0 }, never), { result: 'already_answered' }, 'answered: recorded in the carried list');
  });

  test('a card answered by Reschedule says so on a later click', () => {
    const s = new ReminderState(input());
    fired(s, T0);
    s.clicked({ action: 'reschedule', occurrenceMs: T0 }, never);
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0 }, never), { result: 'already_answered', rescheduled: true });
    assert.deepEqual(s.st.rescheduled, [T0]);
  });

  test('a cancelled reminder’s card, or a card no longer live, is stale', () => {
    const s = new ReminderState(input());
    fired(s, T0);
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0 - HOUR }, never), { result: 'stale' }, 'an older card');
    s.cancel();
    assert.deepEqual(s.clicked({ action: 'done', occurrenceMs: T0 }, never), { result: 'stale' });
    assert.deepEqual(s.st.answered, []);
  });

  test('the card of the occurrence in flight: taken when the patch says so (asked only then), and not applied if that fire never recorded it', () => {
    const s = new ReminderState(input({ schedule: { kind: 'daily', time: '09:00' } }));
    s.firing = T0;
    let asked = 0;
    assert.deepEqual(
      s.clicked({ action: 'done', occurrenceMs: T0 }, () => (asked++, false)),
      { result: 'stale' },
      'a run from before the patch',
    );
    assert.deepEqual(
      s.clicked({ action: 'done', occurrenceMs: T0 }, () => (asked++, true)),
      { result: 'accepted' },
    );
    assert.equal(asked, 2);
    assert.equal(s.clickWhileFiring, true);
    // The fire gave up (no card recorded): the click has nothing to apply.
    assert.deepEqual(s.takeClick(), { click: { action: 'done', occurrenceMs: T0 }, apply: false });
    assert.equal(s.clickWhileFiring, false);
    s.firing = T0 + 24 * HOUR;
    s.clicked({ action: 'snooze10', occurrenceMs: T0 + 24 * HOUR }, () => true);
    fired(s, T0 + 24 * HOUR); // the fire returns and records the card the click was on
    assert.equal(s.takeClick()?.apply, true);
  });

  test('a snooze: the time, and the card that says "snoozed until" (a cancel before it fires updates that card)', () => {
    const s = new ReminderState(input());
    fired(s, T0, 'om_card');
    assert.equal(s.snooze('snooze10', T0 + 5_000), T0 + 5_000 + SNOOZE_MS.snooze10);
    assert.deepEqual(s.st.snoozedCard, { messageId: 'om_card', untilMs: T0 + 5_000 + 10 * 60_000 });
    assert.equal(s.snoozedCardToCancel(), undefined, 'still the live card: updated as such');
    s.st.openCard = undefined; // applyClick: the card is answered
    assert.equal(s.snoozedCardToCancel(), 'om_card');
    fired(s, T0 + 5_000 + SNOOZE_MS.snooze10, 'om_card');
    assert.equal(s.snoozedCardToCancel(), undefined, 'the live card itself is updated as the live card');
  });

  test('an urgent card gets its one buzz: only the live card of that occurrence, once', () => {
    const s = new ReminderState(input({ urgent: true }));
    fired(s, T0);
    assert.equal(s.mayEscalate(T0 - 1), false);
    assert.equal(s.mayEscalate(T0), true);
    s.escalated(T0);
    assert.equal(s.mayEscalate(T0), false);
    assert.equal(s.snapshot().escalated?.[0], T0);
  });
});

describe('ReminderState: the next fire', () => {
  test('a one-off: its time, then nothing once fired; a snooze comes first when earlier', () => {
    const s = new ReminderState(input());
    assert.equal(s.planNextFire(), T0 + HOUR);
    assert.equal(s.startFire(T0 + HOUR), false, 'an occurrence, not the snooze');
    assert.equal(s.st.lastOccurrenceMs, T0 + HOUR);
    assert.equal(s.planNextFire(), undefined);
    s.snooze('snooze60', T0 + HOUR);
    assert.equal(s.planNextFire(), T0 + 2 * HOUR);
    assert.equal(s.nextFire, T0 + 2 * HOUR);
    assert.equal(s.startFire(T0 + 2 * HOUR), true, 'the snooze');
    assert.equal(s.st.snoozeUntilMs, undefined);
    assert.equal(s.st.snoozedCard, undefined);
  });

  test('a repeating one: the next occurrence after the last, a snooze only when before it', () => {
    const s = new ReminderState(input({ schedule: { kind: 'interval', seconds: 600, startMs: T0 + HOUR } }));
    assert.equal(s.planNextFire(), T0 + HOUR);
    s.startFire(T0 + HOUR);
    assert.equal(s.planNextFire(), T0 + HOUR + 600_000);
    s.st.snoozeUntilMs = T0 + HOUR + 700_000;
    assert.equal(s.planNextFire(), T0 + HOUR + 600_000, 'the occurrence comes first');
    s.st.snoozeUntilMs = T0 + HOUR + 300_000;
    assert.equal(s.planNextFire(), T0 + HOUR + 300_000);
    assert.equal(s.followsEvent(), false);
  });

  test('a linked one: the meeting’s start minus the offset, followed in slices (not a snooze); indexed only when the time changes', () => {
    const s = new ReminderState(linkedInput());
    assert.equal(s.planNextFire(), T0 + 2 * HOUR - 15 * 60_000);
    assert.equal(s.followsEvent(), true);
    assert.equal(s.indexWanted(), true);
    s.indexedNext = s.nextFire;
    s.planNextFire();
    assert.equal(s.indexWanted(), false, 'a re-read that changed nothing');
    assert.equal(new ReminderState(input()).indexWanted(), true, 'an unlinked reminder always indexes');
  });

  test('the meeting moved: re-armed for its new start (a move into the past fires at once, not late); a title alone re-arms nothing', () => {
    const s = new ReminderState(linkedInput());
    assert.equal(s.applyEventRead({ title: 'Standup (new room)' }, T0), undefined);
    assert.equal(s.eventTitle(), 'Standup (new room)');
    assert.deepEqual(s.applyEventRead({ startMs: T0 + 3 * HOUR }, T0 + 60_000), { from: T0 + 2 * HOUR, to: T0 + 3 * HOUR });
    assert.equal(s.planNextFire(), T0 + 3 * HOUR - 15 * 60_000);
    s.applyEventRead({ startMs: T0 + 10 * 60_000 }, T0 + 5 * 60_000);
    assert.equal(s.planNextFire(), T0 + 5 * 60_000, 'the offset is past: at the time of the move');
    assert.equal(s.snapshot().eventMoves, 2);
    // A fire that found the meeting moved arms the occurrence again.
    s.startFire(T0 + 5 * 60_000);
    assert.equal(s.planNextFire(), undefined);
    s.unfire(false);
    assert.equal(s.planNextFire(), T0 + 5 * 60_000);
  });

  test('a meeting moved through the bot is kept for a linked reminder only, and taken once', () => {
    const s = new ReminderState(linkedInput());
    s.meetingMovedTo({ startMs: T0 + 4 * HOUR });
    assert.equal(s.wakesEarly(), true);
    assert.deepEqual(s.takeMeetingMoved(), { startMs: T0 + 4 * HOUR });
    assert.equal(s.takeMeetingMoved(), undefined);
    const plain = new ReminderState(input());
    plain.meetingMovedTo({ startMs: T0 });
    assert.equal(plain.meetingMoved, undefined);
    assert.equal(plain.wakesEarly(), false);
  });

  test('a new zone: only a repeating reminder at a wall-clock time, only another zone; it moves on from now', () => {
    const daily = new ReminderState(input({ schedule: { kind: 'daily', time: '09:00' } }));
    daily.zoneChanged('UTC');
    assert.equal(daily.newZone, undefined, 'the same zone');
    daily.zoneChanged('Asia/Ho_Chi_Minh');
    assert.equal(daily.newZone, 'Asia/Ho_Chi_Minh');
    daily.leaveForNewZone(T0 + HOUR);
    assert.equal(daily.st.lastOccurrenceMs, T0 + HOUR);
    daily.st.lastOccurrenceMs = T0 + 5 * HOUR;
    daily.leaveForNewZone(T0 + HOUR);
    assert.equal(daily.st.lastOccurrenceMs, T0 + 5 * HOUR, 'never back before an occurrence already fired');
    for (const schedule of [
      { kind: 'once', atMs: T0 },
      { kind: 'interval', seconds: 60, startMs: T0 },
    ] as const) {
      const s = new ReminderState(input({ schedule }));
      s.zoneChanged('Asia/Ho_Chi_Minh');
      assert.equal(s.newZone, undefined, schedule.kind);
    }
  });
});

describe('ReminderState: what it shows', () => {
  test('the query: counts and times, the linked meeting, the sign-in wait and missing scopes when there are', () => {
    const s = new ReminderState(input());
    assert.deepEqual(s.snapshot(), {
      reminderId: 'r1',
      fired: 0,
      firedOccurrences: [],
      lateOccurrences: [],
      loginCards: 0,
      cancelled: false,
      answered: [],
      rescheduled: [],
    });
    s.planNextFire();
    fired(s, T0);
    s.awaitingAuthSince = T0;
    s.missingScopes = ['calendar:calendar:readonly'];
    assert.deepEqual(s.snapshot(), {
      reminderId: 'r1',
      nextFireAtMs: T0 + HOUR,
      fired: 1,
      firedOccurrences: [T0],
      lateOccurrences: [],
      openCardOccurrenceMs: T0,
      awaitingAuthSince: T0,
      loginCards: 0,
      cancelled: false,
      answered: [],
      rescheduled: [],
      missingScopes: ['calendar:calendar:readonly'],
    });
    const linked = new ReminderState(linkedInput());
    linked.droppedForEvent = true;
    assert.deepEqual([linked.snapshot().eventStartMs, linked.snapshot().eventMoves, linked.snapshot().droppedForEvent], [T0 + 2 * HOUR, 0, true]);
    const copy = s.snapshot();
    copy.firedOccurrences.push(1);
    assert.deepEqual(s.st.firedOccurrences, [T0], 'the answer is a copy');
  });

  test('the Temporal UI’s details: ids, counts and times, never the reminder’s words', () => {
    const s = new ReminderState(input());
    assert.equal(s.details('waiting'), 'State: waiting. Next fire: none; fired 0, late 0.');
    s.planNextFire();
    s.awaitingAuthSince = T0;
    const shown = s.details('awaiting_auth');
    assert.equal(shown, `State: awaiting_auth. Next fire: 2026-01-05 09:00 +00:00; fired 0, late 0; waiting for sign-in since ${new Date(T0).toISOString()}.`);
    assert.ok(!shown.includes('call Lan'));
  });

  test('a notice about the reminder goes to the chat it was set in', () => {
    assert.deepEqual(new ReminderState(input()).chatTarget(), { receiveIdType: 'open_id', receiveId: 'ou_me' });
    assert.deepEqual(new ReminderState(input({ chatId: 'oc_group' })).chatTarget(), { receiveIdType: 'chat_id', receiveId: 'oc_group' });
  });
});

describe('SignInClock: the sign-in wait’s rules (both waiters)', () => {
  const R = 300_000;

  test('the per-user rule: a look every interval from the last one, other wake-ups do not move it; the deadline ends the wait without a look', () => {
    const c = new SignInClock(0, 1_000_000, R, 0);
    assert.equal(c.deadline, 1_000_000);
    assert.equal(c.sleepFor(0), R);
    assert.equal(c.sleepFor(0, 60_000), 60_000, 'a fresh login card due sooner');
    assert.equal(c.lookDue(60_000), false, 'woken for the card: no look yet');
    assert.equal(c.sleepFor(60_000), R - 60_000, 'the look stays where it was');
    assert.equal(c.lookDue(R), true);
    assert.equal(c.lookDue(R), false, 'the next one is an interval on');
    assert.equal(c.sleepFor(2 * R - 50_000), 50_000);
    assert.equal(c.lookDue(2 * R), true);
    assert.equal(c.lookDue(3 * R), true);
    assert.equal(c.sleepFor(3 * R), 100_000, 'the deadline comes first');
    assert.equal(c.lookDue(1_000_000), false, 'no look at the deadline');
    assert.equal(c.expired(999_999), false);
    assert.equal(c.expired(1_000_000), true);
  });

  test('a per-user wait resumed after continue-as-new looks at once', () => {
    const c = new SignInClock(0, 1_000_000, R, 500_000, false, 500_000);
    assert.equal(c.sleepFor(500_000), 1, 'at least 1 ms');
    assert.equal(c.lookDue(500_001), true);
    assert.equal(c.sleepFor(500_001), R);
  });

  test('the reminder rule: each sleep at most one interval, a look after every sleep its timer ends, the deadline’s included', () => {
    const c = new SignInClock(0, 400_000, R, 0, true);
    assert.equal(c.sleepFor(0), R);
    assert.equal(c.lookDue(R), true);
    assert.equal(c.sleepFor(R + 5_000), 95_000, 'to the deadline');
    assert.equal(c.lookDue(400_000), true, 'one last look at the deadline');
    assert.equal(c.expired(400_000), true);
    // A sleep after a slow look is a full interval from then.
    const slow = new SignInClock(0, 10 * R, R, 0, true);
    slow.lookDue(R);
    assert.equal(slow.sleepFor(R + 40_000), R);
  });
});
