/**
 * Reading dates, times, people and task titles out of short Vietnamese or English chat messages,
 * for the offline stand-in model. Deliberately small: it covers the handful of phrasings the offline
 * model promises, not natural language in general.
 *
 * Conventions (documented for users of the offline model):
 * - A weekday name ("Friday", "thứ sáu") is its next occurrence strictly after today.
 * - "3h chiều", "3pm" = 15:00; an hour 1-6 with no am/pm or period word is taken as afternoon (office hours).
 * - A period word alone: sáng/morning 09:00, trưa/noon 12:00, chiều/afternoon 14:00, tối/evening 19:00.
 * - A task due day with no time ("by Monday", "trước thứ hai") is due at 17:00 that day (end of the working day).
 * - An event with no day is today; with no time, 09:00.
 */
import { addDays, type LocalDateTime, weekdayOf } from '../../src/agent/time';

/** A whole word or phrase (Unicode-aware: JS \b only knows ASCII letters). */
export function word(source: string, flags = 'iu'): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`, flags);
}

const EN_WEEKDAYS: [string, number][] = [
  ['sunday|sun', 0],
  ['monday|mon', 1],
  ['tuesday|tue|tues', 2],
  ['wednesday|wed', 3],
  ['thursday|thu|thurs', 4],
  ['friday|fri', 5],
  ['saturday|sat', 6],
];
const VI_WEEKDAYS: [string, number][] = [
  ['chủ nhật|cn', 0],
  ['thứ hai|thứ 2|t2', 1],
  ['thứ ba|thứ 3|t3', 2],
  ['thứ tư|thứ 4|t4', 3],
  ['thứ năm|thứ 5|t5', 4],
  ['thứ sáu|thứ 6|t6', 5],
  ['thứ bảy|thứ 7|t7', 6],
];

export type DayRange = { kind: 'day'; date: LocalDateTime } | { kind: 'week'; start: LocalDateTime };

/** The day (or week) a message talks about, relative to `today` (a local wall-clock reading). */
export function parseDay(text: string, today: LocalDateTime): DayRange | undefined {
  const day = (n: number): DayRange => ({ kind: 'day', date: addDays(midnight(today), n) });
  const iso = /(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso) return { kind: 'day', date: { ...midnight(today), year: +iso[1]!, month: +iso[2]!, day: +iso[3]! } };
  const dm = /(?<!\d)(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?(?!\d)/.exec(text); // dd/mm: the Vietnamese order
  if (dm) return { kind: 'day', date: { ...midnight(today), year: dm[3] ? +dm[3] : today.year, month: +dm[2]!, day: +dm[1]! } };
  if (word('day after tomorrow|ngày kia|ngày mốt|mốt').test(text)) return day(2);
  // Lowercase "mai" only: "Mai" is also a common given name.
  if (word('tomorrow', 'iu').test(text) || word('mai', 'u').test(text)) return day(1);
  if (word('today|tonight|this (?:morning|afternoon|evening)|hôm nay|tối nay|chiều nay|sáng nay|trưa nay').test(text)) return day(0);
  for (const [names, wd] of [...VI_WEEKDAYS, ...EN_WEEKDAYS]) {
    if (word(names).test(text)) {
      const ahead = (wd - weekdayOf(today) + 7) % 7 || 7;
      return day(ahead);
    }
  }
  if (word('next week|tuần sau|tuần tới').test(text)) {
    const toMonday = (1 - weekdayOf(today) + 7) % 7 || 7;
    return { kind: 'week', start: addDays(midnight(today), toMonday) };
  }
  if (word('this week|tuần này').test(text)) return { kind: 'week', start: midnight(today) };
  return undefined;
}

export interface Clock {
  hour: number;
  minute: number;
}

type Period = 'am' | 'pm' | 'sáng' | 'trưa' | 'chiều' | 'tối' | 'đêm';
const PERIOD_DEFAULT: [RegExp, Clock][] = [
  [word('sáng|buổi sáng|morning'), { hour: 9, minute: 0 }],
  [word('trưa|noon|midday'), { hour: 12, minute: 0 }],
  [word('chiều|afternoon'), { hour: 14, minute: 0 }],
  [word('tối|evening|tonight'), { hour: 19, minute: 0 }],
];

/** The clock time a message names, if any. */
export function parseClock(text: string): Clock | undefined {
  const t = stripDurations(text);
  let m = /(?<![\p{L}\p{N}])(\d{1,2})\s*(?:h|g|giờ)(?:\s*(\d{1,2})(?:\s*(?:phút|p))?|\s*(rưỡi))?(?:\s*(sáng|trưa|chiều|tối|đêm))?(?![\p{L}\p{N}])/iu.exec(t);
  if (m) return adjust(+m[1]!, m[3] ? 30 : +(m[2] ?? 0), m[4]?.toLowerCase() as Period | undefined);
  m = /(?<![\p{L}\p{N}])(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![\p{L}])/iu.exec(t);
  if (m) return adjust(+m[1]!, +(m[2] ?? 0), m[3]!.toLowerCase().startsWith('p') ? 'pm' : 'am');
  m = /(?<![\p{N}])(\d{1,2}):(\d{2})(?![\p{N}])/u.exec(t);
  // A zero-padded hour ("01:23", "06:00") is a 24-hour clock: nobody pads "1" meaning 13:00.
  if (m) return m[1]!.length === 2 && m[1]!.startsWith('0') ? adjust(+m[1]!, +m[2]!, 'am') : adjust(+m[1]!, +m[2]!, undefined);
  m = /(?<![\p{L}])(?:at|lúc|vào lúc)\s+(\d{1,2})(?![\p{N}:])/iu.exec(t);
  if (m) return adjust(+m[1]!, 0, undefined);
  if (word('midnight|nửa đêm').test(t)) return { hour: 0, minute: 0 };
  for (const [re, clock] of PERIOD_DEFAULT) if (re.test(t)) return clock;
  return undefined;
}

function adjust(hour: number, minute: number, period: Period | undefined): Clock | undefined {
  if (hour > 23 || minute > 59) return undefined;
  let h = hour;
  switch (period) {
    case 'am':
    case 'sáng':
      if (h === 12) h = 0;
      break;
    case 'pm':
    case 'chiều':
    case 'tối':
      if (h < 12) h += 12;
      break;
    case 'trưa':
      if (h >= 1 && h <= 4) h += 12;
      break;
    case 'đêm':
      if (h >= 8 && h < 12) h += 12;
      else if (h === 12) h = 0;
      break;
    default:
      if (h >= 1 && h <= 6) h += 12; // "at 3" in a work chat means 15:00
  }
  return { hour: h, minute };
}

const DURATION = /(?:(?:for|trong(?: vòng)?)\s+)?(\d+(?:[.,]\d+)?)\s*(minutes?|mins?|hours?|hrs?|phút|tiếng)(?![\p{L}])/iu;
const DURATION_WITH_PREFIX = /(?:for|trong(?: vòng)?)\s+(\d+(?:[.,]\d+)?)\s*(h|giờ)(?![\p{L}])/iu;

/** "for 30 minutes", "trong 1 tiếng", "2 hours" -> minutes. */
export function parseDurationMinutes(text: string): number | undefined {
  const m = DURATION.exec(text) ?? DURATION_WITH_PREFIX.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(',', '.'));
  const minutes = /^(?:min|phút)/i.test(m[2]!) ? n : n * 60;
  return Math.round(minutes);
}

function stripDurations(text: string): string {
  return text.replace(new RegExp(DURATION.source, 'giu'), ' ').replace(new RegExp(DURATION_WITH_PREFIX.source, 'giu'), ' ');
}

const WEEKDAY_WORDS = 'sunday|monday|tuesday|wednesday|thursday|friday|saturday';
/** Words that end a task title: the due-date part starts there. */
export const TASK_STOP = `(?:by|before|until|due|tomorrow|today|tonight|next|this|on (?:${WEEKDAY_WORDS})|trước|hạn|vào|lúc|ngày|mai|hôm nay|tối nay|thứ|chủ nhật|tuần)`;
/** Words that end a list of names or an event title: time and day words, prepositions that start another part. */
export const STOP =
  '(?:tomorrow|today|tonight|on|at|from|by|before|until|due|about|regarding|to|next|this|for|in|' +
  'lúc|vào|ngày|hôm|mai|sáng|trưa|chiều|tối|đêm|thứ|chủ nhật|về|để|tuần|trước|hạn|trong|cn|' +
  `${WEEKDAY_WORDS})`;

/** Cuts a phrase at the first stop word (case-sensitive for Vietnamese so that a name like "Mai" survives). */
export function cutAtStop(s: string, stop = STOP): string {
  // Sentence punctuation ends a phrase, but a dot inside an email does not.
  const re = new RegExp(`(?:\\s(?:${stop})(?![\\p{L}\\p{N}])|\\s\\d|[.?!;:](?=\\s|$)|[()"“”])`, 'u');
  const lower = /\s(?:On|At|By|For|In|From|Next|This)(?![\p{L}])/u; // sentence-case English stops
  const i = Math.min(...[re.exec(s)?.index, lower.exec(s)?.index].map((x) => x ?? s.length));
  return s.slice(0, i).trim();
}

/** People after "with"/"với": names or emails, split on commas and and/và. */
export function parseAttendees(text: string): string[] {
  const m = /(?<![\p{L}])(?:with|với|cùng với)\s+(.+)$/iu.exec(text);
  if (!m) return [];
  const list = cutAtStop(' ' + m[1]!.replace(/[.?!]+$/, ''));
  const names = list
    .split(/,|(?<![\p{L}])(?:and|và|&)(?![\p{L}])/iu)
    .map((s) => s.trim())
    .filter((s) => /^[\p{L}\d._%+-]/u.test(s) && s.length <= 100);
  return [...new Set(names)];
}

export function midnight(t: LocalDateTime): LocalDateTime {
  return { ...t, hour: 0, minute: 0, second: 0 };
}

export function capitalize(s: string): string {
  return s ? s[0]!.toLocaleUpperCase() + s.slice(1) : s;
}
