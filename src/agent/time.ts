/**
 * Wall-clock time in the user's timezone, without I/O (workflow code imports this).
 * Tools speak local wall-clock ISO ("2026-11-22T15:00"), never UTC, because that is what the user says and sees.
 */

import { offsetMinutes, wallFieldsAt, type WallFields } from '../lark/time';

/** month is 1-12. */
export type LocalDateTime = WallFields;

export const WEEKDAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The wall-clock reading of `now` in `timeZone`, and that zone's UTC offset at that instant. */
export function toLocal(now: Date, timeZone: string): { local: LocalDateTime; offsetMinutes: number } {
  // One Intl reading for the whole project lives in src/lark/time.ts.
  return { local: wallFieldsAt(Math.floor(now.getTime() / 1000) * 1000, timeZone), offsetMinutes: offsetMinutes(now, timeZone) };
}

export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-11-22T15:00" (seconds only when non-zero). */
export function formatLocal(t: LocalDateTime): string {
  const base = `${formatLocalDate(t)}T${pad(t.hour)}:${pad(t.minute)}`;
  return t.second ? `${base}:${pad(t.second)}` : base;
}

export function formatLocalDate(t: Pick<LocalDateTime, 'year' | 'month' | 'day'>): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

/** Calendar arithmetic on the local date; the clock fields are kept. */
export function addDays(t: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day + days));
  return { ...t, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Sunday ... 6 = Saturday, of the local date. */
export function weekdayOf(t: Pick<LocalDateTime, 'year' | 'month' | 'day'>): number {
  return new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
}

/** Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:mm[:ss]" (no offset); undefined when malformed or not a real date. */
export function parseLocal(text: string): LocalDateTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) return undefined;
  return { year, month, day, hour, minute, second };
}

/** Minutes between two wall-clock readings, ignoring DST shifts (fine for ordering and durations in a day). */
export function minutesBetween(a: LocalDateTime, b: LocalDateTime): number {
  const ms = (t: LocalDateTime) => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return (ms(b) - ms(a)) / 60000;
}

// --- The "Current time:" line: the real system prompt and the offline model share this one format. ---

export const CURRENT_TIME_LABEL = 'Current time:';

/** `Current time: 2026-11-21T17:00:00+07:00 (Asia/Ho_Chi_Minh)` */
export function currentTimeLine(now: Date, timeZone: string): string {
  const { local, offsetMinutes } = toLocal(now, timeZone);
  const iso = `${formatLocalDate(local)}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}${formatOffset(offsetMinutes)}`;
  return `${CURRENT_TIME_LABEL} ${iso} (${timeZone})`;
}

export interface CurrentTime {
  /** The local wall-clock reading the line states. */
  local: LocalDateTime;
  offsetMinutes: number;
  timeZone: string;
}

/** Finds and parses the current-time line anywhere in a text (e.g. a system prompt). */
export function parseCurrentTimeLine(text: string): CurrentTime | undefined {
  const m = /^Current time: (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}:\d{2}) \(([^)\s]+)\)/m.exec(text);
  if (!m) return undefined;
  const local = parseLocal(m[1]!);
  if (!local) return undefined;
  const off = m[2]!;
  const offsetMinutes = off === 'Z' ? 0 : (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
  return { local, offsetMinutes, timeZone: m[3]! };
}
