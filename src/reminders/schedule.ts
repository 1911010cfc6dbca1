/**
 * When a reminder fires: a one-off instant, or a recurrence read in the user's zone each time (so "every day
 * at 08:00" stays 08:00 across DST changes). Pure and deterministic: the reminder workflow imports this.
 */
import { addDays, formatLocalDate, weekdayOf } from '../agent/time';
import { formatClock, formatDay } from '../i18n/dates';
import type { Lang } from '../i18n/language';
import { offsetMinutes, wallFieldsAt, zonedToEpochMs } from '../lark/time';

export type ReminderSchedule =
  | { kind: 'once'; atMs: number }
  /** Every day at "HH:mm" local time. */
  | { kind: 'daily'; time: string }
  /** Monday to Friday at "HH:mm". */
  | { kind: 'weekdays'; time: string }
  /** On the given weekdays (0 = Sunday) at "HH:mm". */
  | { kind: 'weekly'; time: string; weekdays: number[] }
  /** Every N seconds from startMs: for operators and tests (the agent's tool never offers it). */
  | { kind: 'interval'; seconds: number; startMs: number };

export const isRecurring = (s: ReminderSchedule): boolean => s.kind !== 'once';

const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const isClock = (s: string): boolean => CLOCK_RE.test(s);

/**
 * The first occurrence strictly after `afterMs`, or undefined when there is none (a one-off already past).
 * A local time skipped by a DST jump fires at the instant after the jump (zonedToEpochMs "compatible").
 */
export function nextOccurrence(s: ReminderSchedule, afterMs: number, timeZone: string): number | undefined {
  switch (s.kind) {
    case 'once':
      return s.atMs > afterMs ? s.atMs : undefined;
    case 'interval': {
      const every = s.seconds * 1000;
      if (afterMs < s.startMs) return s.startMs;
      return s.startMs + (Math.floor((afterMs - s.startMs) / every) + 1) * every;
    }
    default: {
      const today = wallFieldsAt(afterMs, timeZone);
      // Eight days always contain the next matching weekday.
      for (let i = 0; i <= 8; i++) {
        const day = addDays(today, i);
        const wd = weekdayOf(day);
        if (s.kind === 'weekdays' && (wd === 0 || wd === 6)) continue;
        if (s.kind === 'weekly' && !s.weekdays.includes(wd)) continue;
        const at = zonedToEpochMs(`${formatLocalDate(day)}T${s.time}`, timeZone);
        if (at > afterMs) return at;
      }
      return undefined;
    }
  }
}

/** "2026-12-02 17:00 +07:00": for the Temporal UI (ids and times only). */
export function formatForUi(ms: number, timeZone: string): string {
  const f = wallFieldsAt(ms, timeZone);
  const off = offsetMinutes(ms, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  const sign = off < 0 ? '-' : '+';
  return `${f.year}-${p(f.month)}-${p(f.day)} ${p(f.hour)}:${p(f.minute)} ${sign}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

const VI_DAYS = ['Chủ Nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];
const EN_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The schedule in the user's words: "Thu 3 Dec, 17:00", "every day at 08:00", "mỗi Thứ Hai lúc 09:00". */
export function describeSchedule(s: ReminderSchedule, timeZone: string, lang: Lang, nowMs?: number): string {
  const vi = lang === 'vi';
  switch (s.kind) {
    case 'once':
      return `${formatDay(s.atMs, timeZone, lang, nowMs)}, ${formatClock(s.atMs, timeZone)}`;
    case 'daily':
      return vi ? `mỗi ngày lúc ${s.time}` : `every day at ${s.time}`;
    case 'weekdays':
      return vi ? `mỗi ngày làm việc (Thứ Hai–Thứ Sáu) lúc ${s.time}` : `every weekday (Mon–Fri) at ${s.time}`;
    case 'weekly': {
      const days = [...s.weekdays].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map((d) => (vi ? VI_DAYS[d] : EN_DAYS[d]));
      return vi ? `mỗi ${days.join(', ')} lúc ${s.time}` : `every ${days.join(', ')} at ${s.time}`;
    }
    case 'interval':
      return vi ? `mỗi ${s.seconds} giây` : `every ${s.seconds} seconds`;
  }
}

export type ReminderKind = 'reminder' | 'agenda';

/** What every reminder carries, in the index row, the workflow's input and each fire: who, where, what, how. */
export interface ReminderFacts {
  openId: string;
  /** Where it was set: the card goes there (an open_id means the user's DM). */
  chatId: string;
  kind: ReminderKind;
  /** The user's words. Payload only (encrypted with PAYLOAD_ENCRYPTION_KEYS); never in ids, summaries or details. */
  text: string;
  lang: Lang;
  timezone: string;
}

/**
 * A meeting-linked reminder ("15 minutes before my next meeting"): the event it follows, read as the user.
 * Ids and the offset are the identity; startMs and title are what was last read (the title is payload only,
 * like the reminder's text: never in summaries or details).
 */
export interface LinkedEvent {
  calendarId: string;
  eventId: string;
  minutesBefore: number;
  startMs: number;
  title?: string;
}
