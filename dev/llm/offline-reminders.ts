/**
 * Reminders for the offline stand-in model: reading "remind me in 20 minutes to call Lan", "nhắc tôi 5h chiều
 * mai gửi báo cáo", "every Monday at 9:00 remind me to send the weekly report", "mỗi ngày 8h sáng nhắc tôi
 * uống thuốc", "what reminders do I have?", "cancel the Monday reminder", "send me my agenda every morning at
 * 8", "stop the daily agenda", "remind me 15 minutes before my next meeting", "my timezone is Asia/Tokyo";
 * then planning the tool calls and answering from their results. The phrasings
 * are rows of test/offline-model.test.ts. Pure.
 */
import { addDays, formatLocal, type LocalDateTime } from '../../src/agent/time';
import { describeSchedule, type ReminderSchedule } from '../../src/reminders/schedule';
import { keywords, bestMatches, type Keywords } from './offline-match';
import { capitalize, midnight, parseClock, parseDay, parseDurationMinutes, word } from './offline-parse';
import { notDone, type Item, type Next, type Speaker, type Step } from './offline-say';
// Types only: offline-rules imports this module's planner.

export type ReminderIntent =
  | { kind: 'set_reminder'; input: Record<string, unknown> }
  | { kind: 'list_reminders' }
  | { kind: 'cancel_reminder'; words: Keywords; weekday?: number }
  | { kind: 'daily_agenda'; input: { enabled: boolean; time?: string; in_this_chat?: boolean } }
  /** "15 minutes before my next meeting": list the coming events, pick the meeting, link the reminder to it. */
  | { kind: 'reminder_before_event'; minutes: number; words: Keywords; from: string; to: string }
  | { kind: 'set_timezone'; timezone: string }
  | { kind: 'ask'; text: { en: string; vi: string } };

const WEEKDAYS: [string, number][] = [
  ['sunday|chủ nhật', 0],
  ['monday|thứ hai|thứ 2', 1],
  ['tuesday|thứ ba|thứ 3', 2],
  ['wednesday|thứ tư|thứ 4', 3],
  ['thursday|thứ năm|thứ 5', 4],
  ['friday|thứ sáu|thứ 6', 5],
  ['saturday|thứ bảy|thứ 7', 6],
];
const WEEKDAY_WORDS = WEEKDAYS.map(([w]) => w).join('|');

const RE = {
  remindMe: /(?<![\p{L}])(?:remind me|nhắc (?:tôi|mình|em|anh|chị)|nhắc nhở (?:tôi|mình))(?![\p{L}])/iu,
  reminderNoun: word('reminders?|lời nhắc|nhắc nhở|nhắc việc'),
  agenda: word('agenda|lịch trình|lịch làm việc trong ngày'),
  stop: word('stop|turn off|disable|cancel|end|no more|tắt|dừng|ngừng|thôi|huỷ|hủy|bỏ'),
  cancel: word('cancel|delete|remove|stop|drop|huỷ|hủy|xoá|xóa|bỏ|tắt|dừng'),
  repeatDaily: word('every day|each day|daily|every morning|each morning|mỗi ngày|hằng ngày|hàng ngày|mỗi sáng|mỗi buổi sáng'),
  repeatWeekdays: word('every weekday|on weekdays|mỗi ngày làm việc|các ngày trong tuần'),
  repeatWeekly: new RegExp(`(?<![\\p{L}])(?:every|each|mỗi|hằng|hàng)\\s+(${WEEKDAY_WORDS})(?![\\p{L}])`, 'iu'),
};

const BEFORE_EVENT =
  /(\d+)\s*(minutes?|mins?|hours?|hrs?|phút|tiếng|giờ)\s+(?:before|trước(?:\s+khi)?)\s+(?:(?:my|the|our)\s+)?(?:next\s+)?(?:meeting|call|event|sync|standup|appointment|cuộc họp|buổi họp|họp|sự kiện|lịch họp)(.*)$/iu;

/** A local time as the tools take it ("2026-12-02T10:00"). */
const localWall = (t: LocalDateTime) => formatLocal({ ...t, second: 0 }).slice(0, 16);

/** How far ahead "my next meeting" is looked for. */
const NEXT_MEETING_DAYS = 7;

/** Zone names people say, to the IANA names set_timezone takes (the real model knows them all). */
const ZONE_WORDS: Array<[RegExp, string]> = [
  [/\b(?:tokyo|japan|nhật(?: bản)?)\b/iu, 'Asia/Tokyo'],
  [/(?:hà nội|ha noi|hanoi|hồ chí minh|ho chi minh|sài gòn|saigon|việt nam|vietnam)/iu, 'Asia/Ho_Chi_Minh'],
  [/\b(?:singapore)\b/iu, 'Asia/Singapore'],
  [/\b(?:bangkok|thái lan|thailand)\b/iu, 'Asia/Bangkok'],
  [/\b(?:seoul|hàn quốc|korea)\b/iu, 'Asia/Seoul'],
  [/\b(?:london)\b/iu, 'Europe/London'],
  [/\b(?:paris)\b/iu, 'Europe/Paris'],
  [/\b(?:new york)\b/iu, 'America/New_York'],
  [/\b(?:sydney)\b/iu, 'Australia/Sydney'],
];
const TIMEZONE_TALK = /(?<![\p{L}])(?:time ?zone|múi giờ)(?![\p{L}])/iu;

function understandTimezone(t: string): ReminderIntent | undefined {
  if (!TIMEZONE_TALK.test(t)) return undefined;
  const iana = /(?<![\p{L}/])((?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)\/[A-Za-z_]+(?:\/[A-Za-z_]+)?|UTC)(?![\p{L}/])/u.exec(
    t,
  )?.[1];
  const zone = iana ?? ZONE_WORDS.find(([re]) => re.test(t))?.[1];
  if (zone) return { kind: 'set_timezone', timezone: zone };
  // A question about the zone, or a place this stand-in does not know: ask for the IANA name.
  return {
    kind: 'ask',
    text: {
      en: 'Which time zone should I use for you? Give a city or an IANA name such as "Asia/Tokyo" or "America/New_York".',
      vi: 'Bạn muốn dùng múi giờ nào? Cho mình tên thành phố hoặc tên IANA như "Asia/Tokyo" hay "Asia/Ho_Chi_Minh".',
    },
  };
}

/** Words that say when, not what: taken out of the reminder's text. */
const WHEN_PARTS = [
  new RegExp(`(?<![\\p{L}])(?:every|each|mỗi|hằng|hàng)\\s+(?:day|morning|weekday|ngày làm việc|ngày|buổi sáng|sáng|tuần|${WEEKDAY_WORDS})(?![\\p{L}])`, 'giu'),
  /(?<![\p{L}])(?:daily|on weekdays)(?![\p{L}])/giu,
  /(?<![\p{L}])(?:in|after|sau|trong(?: vòng)?)\s+\d+\s*(?:seconds?|secs?|giây|minutes?|mins?|hours?|hrs?|phút|tiếng|giờ)(?:\s+nữa)?(?![\p{L}])/giu,
  /(?<![\p{L}])(?:at|lúc|vào lúc|vào)?\s*\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?|h\s*\d{0,2}|giờ(?:\s*\d{1,2})?)?(?:\s*(?:sáng|trưa|chiều|tối|đêm)(?:\s*(?:nay|mai))?)?(?![\p{L}\p{N}])/giu,
  new RegExp(
    `(?<![\\p{L}])(?:tomorrow|today|tonight|this (?:morning|afternoon|evening)|(?:on\\s+)?(?:${WEEKDAY_WORDS})|(?:chiều|sáng|tối|trưa) nay|hôm nay|ngày mai|mai)(?![\\p{L}])`,
    'giu',
  ),
];

/** Wall-clock arithmetic on a local time (seconds ahead: no zone change can fall inside). */
function addSeconds(t: LocalDateTime, seconds: number): LocalDateTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second + seconds));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The reminder's own words: the request without its trigger, its time words and its glue. */
function reminderText(rest: string): string {
  let t = ` ${rest} `;
  for (const re of WHEN_PARTS) t = t.replace(re, ' ');
  t = t.replace(/\s+/g, ' ').trim();
  t = t
    .replace(/^(?:to|that|about|of|:|-|rằng|là|để|về việc|việc)\s+/iu, '')
    .replace(/\s+(?:nhé|nha|please|pls)$/iu, '')
    .replace(/[.!?]+$/u, '')
    .trim();
  return capitalize(t);
}

const URGENT = /(?<![\p{L}])(?:urgently|urgent|khẩn cấp|khẩn|gấp)(?![\p{L}])/iu;

/** A reminder request, or undefined when the message is about something else. "Urgently" marks it urgent. */
export function understandReminder(t: string, now: LocalDateTime): ReminderIntent | undefined {
  if (!URGENT.test(t)) return understandPlainReminder(t, now);
  const intent = understandPlainReminder(t.replace(URGENT, ' ').replace(/\s+/g, ' '), now);
  return intent?.kind === 'set_reminder' ? { ...intent, input: { ...intent.input, urgent: true } } : intent;
}

function understandPlainReminder(t: string, now: LocalDateTime): ReminderIntent | undefined {
  const zone = understandTimezone(t);
  if (zone) return zone;
  // The daily agenda: on with a repetition word, off with a stop word ("what's on my agenda" is a calendar read).
  if (RE.agenda.test(t) && (RE.stop.test(t) || RE.repeatDaily.test(t))) {
    if (RE.stop.test(t) && !RE.remindMe.test(t)) return { kind: 'daily_agenda', input: { enabled: false } };
    const clock = parseClock(t);
    const time = clock ? `${String(clock.hour).padStart(2, '0')}:${String(clock.minute).padStart(2, '0')}` : undefined;
    // Only an explicit "in this group/chat" posts it here; otherwise it is private (the DM).
    const here = /(?<![\p{L}])(?:in this (?:group|chat)|to this (?:group|chat)|here|(?:ở|vào|trong|cho) (?:nhóm|group|cuộc trò chuyện) này)(?![\p{L}])/iu.test(
      t,
    );
    return { kind: 'daily_agenda', input: { enabled: true, ...(time ? { time } : {}), ...(here ? { in_this_chat: true } : {}) } };
  }
  const trigger = RE.remindMe.exec(t);
  if (!trigger && RE.reminderNoun.test(t)) {
    if (RE.cancel.test(t)) {
      const day = WEEKDAYS.find(([w]) => word(w).test(t))?.[1];
      return { kind: 'cancel_reminder', words: keywords(t.replace(RE.reminderNoun, ' ')), ...(day !== undefined ? { weekday: day } : {}) };
    }
    return { kind: 'list_reminders' };
  }
  if (!trigger) return undefined;
  const rest = `${t.slice(0, trigger.index)} ${t.slice(trigger.index + trigger[0].length)}`;
  const before = BEFORE_EVENT.exec(rest);
  if (before) {
    const n = Number(before[1]);
    const minutes = /^(?:min|phút)/i.test(before[2]!) ? n : n * 60;
    // "next" / "tiếp theo" / "sắp tới" only say which one: the soonest.
    const which = before[3]!.replace(/(?<![\p{L}])(?:next|tiếp theo|sắp tới|kế tiếp|của (?:tôi|mình)|nhé|nha)(?![\p{L}])/giu, ' ');
    return { kind: 'reminder_before_event', minutes, words: keywords(which), from: localWall(now), to: localWall(addDays(now, NEXT_MEETING_DAYS)) };
  }
  const text = reminderText(rest);
  const clock = parseClock(rest);
  const hhmm = clock ? `${String(clock.hour).padStart(2, '0')}:${String(clock.minute).padStart(2, '0')}` : undefined;
  const ask = (): ReminderIntent => ({
    kind: 'ask',
    text: {
      en: `When should I remind you${text ? ` to "${text}"` : ''}? For example "in 20 minutes" or "tomorrow at 9am".`,
      vi: `Bạn muốn mình nhắc${text ? ` "${text}"` : ''} lúc nào? Ví dụ "sau 20 phút" hoặc "9h sáng mai".`,
    },
  });
  if (!text) return { kind: 'ask', text: { en: 'What should I remind you of, and when?', vi: 'Bạn muốn mình nhắc việc gì, lúc nào?' } };
  const weekly = RE.repeatWeekly.exec(rest);
  if (weekly || RE.repeatWeekdays.test(rest) || RE.repeatDaily.test(rest)) {
    if (!hhmm) return ask();
    if (RE.repeatWeekdays.test(rest)) return { kind: 'set_reminder', input: { text, repeat: 'weekdays', time: hhmm } };
    if (weekly) {
      const day = WEEKDAYS.find(([w]) => word(w).test(weekly[1]!))![1];
      return { kind: 'set_reminder', input: { text, repeat: 'weekly', time: hhmm, weekdays: [day] } };
    }
    return { kind: 'set_reminder', input: { text, repeat: 'daily', time: hhmm } };
  }
  // "in 30 seconds" (a quick try in the sandbox): a local time with its seconds, as in_minutes counts whole minutes.
  const seconds = /(?<![\p{L}])(?:in|after|sau|trong(?: vòng)?)\s+(\d+)\s*(?:seconds?|secs?|giây)(?![\p{L}])/iu.exec(rest);
  if (seconds) return { kind: 'set_reminder', input: { text, at: formatLocal(addSeconds(now, Number(seconds[1]))) } };
  const inMinutes = /(?<![\p{L}])(?:in|after|sau|trong(?: vòng)?)\s+\d/iu.test(rest) ? parseDurationMinutes(rest) : undefined;
  if (inMinutes) return { kind: 'set_reminder', input: { text, in_minutes: inMinutes } };
  const day = parseDay(rest, now);
  if (!clock) return ask();
  let date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
  // A time already past today, with no day named, means tomorrow.
  if (!day && (clock.hour < now.hour || (clock.hour === now.hour && clock.minute <= now.minute))) date = addDays(date, 1);
  return { kind: 'set_reminder', input: { text, at: formatLocal({ ...date, ...clock, second: 0 }) } };
}

interface Listed {
  reminder_id: string;
  kind: 'reminder' | 'agenda';
  text?: string;
  next?: string;
  /** A one-off that went off (its card still waits for a click): when. */
  went_off?: string;
  schedule?: ReminderSchedule;
  /** Present when the reminder keeps a zone other than the user's: its repeats are that zone's wall times. */
  timezone?: string;
}

const ok = (s: Step) => !s.isError && s.data !== undefined && typeof s.data === 'object';

/** "every Monday at 09:00" / "mỗi Thứ Hai lúc 09:00" for a recurring one; its next time otherwise. */
function when(s: Speaker, r: Listed): string {
  if (r.schedule && r.schedule.kind !== 'once') return `${describeSchedule(r.schedule, 'UTC', s.lang)}${r.timezone ? ` (${r.timezone})` : ''}`;
  if (r.next) return s.when(r.next);
  return r.went_off ? s.pick({ en: `went off ${s.when(r.went_off)}`, vi: `đã nhắc lúc ${s.when(r.went_off)}` }) : '';
}
const title = (r: Listed, s: Speaker) => (r.kind === 'agenda' ? s.pick({ en: 'Daily agenda', vi: 'Lịch trình hằng ngày' }) : `"${r.text ?? '?'}"`);

export function planReminder(intent: Exclude<ReminderIntent, { kind: 'ask' }>, steps: Step[], s: Speaker): Next {
  const [first, second] = steps;
  switch (intent.kind) {
    case 'reminder_before_event': {
      if (!first) return { call: 'list_events', input: { start: intent.from, end: intent.to } };
      if (!ok(first)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'read your calendar', vi: 'xem lịch của bạn' }) }, first) };
      const from = intent.from.replace('T', ' ');
      const coming = ((first.data.events ?? []) as Item[]).filter((e) => (e.start ?? '') > from).sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
      const matched = intent.words.specific.length ? bestMatches(coming, (e) => e.summary ?? '', intent.words) : coming;
      const meeting = matched[0];
      if (!meeting?.event_id) {
        return {
          say: s.pick({
            en: `I found no meeting in the next ${NEXT_MEETING_DAYS} days to remind you before. Nothing was set.`,
            vi: `Mình không thấy cuộc họp nào trong ${NEXT_MEETING_DAYS} ngày tới để nhắc trước. Mình chưa đặt lời nhắc nào.`,
          }),
        };
      }
      if (!second)
        return {
          call: 'set_reminder',
          input: { text: meeting.summary ?? s.pick({ en: 'Meeting', vi: 'Cuộc họp' }), event_id: meeting.event_id, minutes_before: intent.minutes },
        };
      if (!ok(second))
        return {
          say: notDone(
            s,
            { tool: 'read', what: s.pick({ en: `set a reminder before ${s.title(meeting)}`, vi: `đặt lời nhắc trước ${s.title(meeting)}` }) },
            second,
          ),
        };
      const r = second.data.set as Listed;
      return {
        say: s.pick({
          en: `I'll remind you ${intent.minutes} minutes before ${s.title(meeting)} (${s.when(meeting.start)}), at ${s.when(r.next)}. If the meeting moves, the reminder moves with it; if it is cancelled, I'll tell you and drop the reminder.`,
          vi: `Mình sẽ nhắc bạn ${intent.minutes} phút trước ${s.title(meeting)} (${s.when(meeting.start)}), lúc ${s.when(r.next)}. Nếu cuộc họp dời giờ, lời nhắc dời theo; nếu cuộc họp bị huỷ, mình sẽ báo và bỏ lời nhắc.`,
        }),
      };
    }
    case 'set_timezone': {
      if (!first) return { call: 'set_timezone', input: { timezone: intent.timezone } };
      if (!ok(first))
        return {
          say: notDone(s, { tool: 'read', what: s.pick({ en: `set your time zone to ${intent.timezone}`, vi: `đặt múi giờ ${intent.timezone}` }) }, first),
        };
      const zone = String(first.data.timezone ?? intent.timezone);
      // Repeating reminders follow the user (moved_to_new_zone); an older tool result said they kept their zone.
      const moved = (first.data.moved_to_new_zone ?? []) as Listed[];
      const kept = (first.data.keep_their_zone ?? []) as Listed[];
      const keptNote = moved.length
        ? `\n${s.pick({ en: `Repeating reminders now follow ${zone} at the same time of day:`, vi: `Các lời nhắc lặp lại giờ theo ${zone}, vẫn vào giờ đó trong ngày:` })}\n${s.bullets(moved.map((r) => `${title(r, s)}: ${when(s, r)}`))}`
        : kept.length
          ? `\n${s.pick({ en: 'Repeating reminders you already set keep their own time zone:', vi: 'Các lời nhắc lặp lại đã đặt vẫn giữ múi giờ cũ của chúng:' })}\n${s.bullets(kept.map((r) => `${title(r, s)}: ${when(s, r)}`))}\n${s.pick({ en: `Set them again to follow ${zone}.`, vi: `Hãy đặt lại nếu muốn chúng theo ${zone}.` })}`
          : '';
      return {
        say:
          s.pick({
            en: `Your time zone is now ${zone}. From your next message on, I'll read times in it and new reminders will use it.`,
            vi: `Múi giờ của bạn giờ là ${zone}. Từ tin nhắn tiếp theo, mình sẽ hiểu giờ giấc theo múi giờ này và các lời nhắc mới sẽ dùng nó.`,
          }) + keptNote,
      };
    }
    case 'set_reminder': {
      if (!first) return { call: 'set_reminder', input: intent.input };
      if (!ok(first))
        return {
          say: notDone(
            s,
            { tool: 'read', what: s.pick({ en: `set the reminder "${String(intent.input.text)}"`, vi: `đặt lời nhắc "${String(intent.input.text)}"` }) },
            first,
          ),
        };
      const r = first.data.set as Listed & { urgent?: { buzz_if_unanswered_after_seconds?: number } };
      const said = s.pick({ en: `I'll remind you: ${title(r, s)}, ${when(s, r)}.`, vi: `Mình sẽ nhắc bạn: ${title(r, s)}, ${when(s, r)}.` });
      if (!r.urgent) return { say: said };
      // The wait as set (seconds under a minute stay seconds: "1 minute" for 3 s would be untrue).
      const secs = Math.max(1, Math.round(r.urgent.buzz_if_unanswered_after_seconds ?? 600));
      const mins = Math.round(secs / 60);
      const within =
        secs < 60 || (secs % 60 !== 0 && secs < 600)
          ? { en: `${secs} ${secs === 1 ? 'second' : 'seconds'}`, vi: `${secs} giây` }
          : { en: `${mins} ${mins === 1 ? 'minute' : 'minutes'}`, vi: `${mins} phút` };
      return {
        say: `${said} ${s.pick({
          en: `It is urgent: if the card is not clicked within ${within.en}, I'll buzz you once in Lark (an in-app urgent notification).`,
          vi: `Đây là lời nhắc khẩn: nếu thẻ chưa được bấm trong ${within.vi}, mình sẽ gửi bạn một thông báo khẩn trong Lark (một lần).`,
        })}`,
      };
    }
    case 'list_reminders': {
      if (!first) return { call: 'list_reminders', input: {} };
      if (!ok(first)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'read your reminders', vi: 'xem các lời nhắc' }) }, first) };
      const list = (first.data.reminders ?? []) as Listed[];
      if (!list.length) return { say: s.pick({ en: 'You have no reminders.', vi: 'Bạn không có lời nhắc nào.' }) };
      const lines = list.map((r) => `${title(r, s)}: ${when(s, r)}`);
      return {
        say: `${s.pick({ en: `You have ${list.length} ${list.length === 1 ? 'reminder' : 'reminders'}:`, vi: `Bạn có ${list.length} lời nhắc:` })}\n${s.bullets(lines)}`,
      };
    }
    case 'cancel_reminder': {
      if (!first) return { call: 'list_reminders', input: {} };
      if (!ok(first)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'read your reminders', vi: 'xem các lời nhắc' }) }, first) };
      const list = ((first.data.reminders ?? []) as Listed[]).filter((r) => r.kind === 'reminder');
      if (second) {
        const r = list.find((x) => x.reminder_id === second.input.reminder_id) ?? { reminder_id: String(second.input.reminder_id), kind: 'reminder' as const };
        if (!ok(second)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: `cancel ${title(r, s)}`, vi: `huỷ ${title(r, s)}` }) }, second) };
        // A one-off's time is when it WAS due: a bare "(Mon 7 Dec, 03:10)" after "cancelled" reads like the cancel's time.
        const due =
          r.next && !(r.schedule && r.schedule.kind !== 'once')
            ? { en: `it was due ${when(s, r)}`, vi: `lẽ ra nhắc lúc ${when(s, r)}` }
            : { en: when(s, r), vi: when(s, r) };
        return { say: s.pick({ en: `Cancelled the reminder ${title(r, s)} (${due.en}).`, vi: `Đã huỷ lời nhắc ${title(r, s)} (${due.vi}).` }) };
      }
      if (!list.length)
        return { say: s.pick({ en: 'You have no reminders, so nothing was cancelled.', vi: 'Bạn không có lời nhắc nào nên không có gì để huỷ.' }) };
      let found = intent.weekday !== undefined ? list.filter((r) => r.schedule?.kind === 'weekly' && r.schedule.weekdays.includes(intent.weekday!)) : [];
      if (!found.length) found = bestMatches(list, (r) => r.text ?? '', intent.words);
      if (found.length !== 1) {
        const options = s.choices(list.slice(0, 5).map((r) => `${title(r, s)} (${when(s, r)})`));
        return {
          say: s.pick({
            en: `Which reminder do you mean: ${options}? Nothing was cancelled yet.`,
            vi: `Bạn muốn huỷ lời nhắc nào: ${options}? Mình chưa huỷ gì.`,
          }),
        };
      }
      return { call: 'cancel_reminder', input: { reminder_id: found[0]!.reminder_id } };
    }
    case 'daily_agenda': {
      if (!first) return { call: 'daily_agenda', input: intent.input };
      if (!ok(first)) return { say: notDone(s, { tool: 'read', what: s.pick({ en: 'change the daily agenda', vi: 'thay đổi lịch trình hằng ngày' }) }, first) };
      if (!intent.input.enabled) {
        return {
          say: first.data.stopped
            ? s.pick({ en: 'The daily agenda is off.', vi: 'Đã tắt lịch trình hằng ngày.' })
            : s.pick({ en: 'You had no daily agenda; nothing changed.', vi: 'Bạn chưa bật lịch trình hằng ngày nên không có gì thay đổi.' }),
        };
      }
      const r = first.data.agenda as Listed;
      return {
        say: s.pick({
          en: `Daily agenda on: ${when(s, r)}, with the day's events and due tasks.`,
          vi: `Đã bật lịch trình hằng ngày: ${when(s, r)}, gồm sự kiện và công việc đến hạn trong ngày.`,
        }),
      };
    }
  }
}

export type { Item };
