/**
 * Dates and times in the words people use, in their own zone: "Thứ Năm 3/12, 15:00–16:00" /
 * "Thu 3 Dec, 15:00–16:00", never raw ISO strings. Pure: workflow code imports this file.
 */
import { wallFieldsAt, type Instant } from '../lark/time';
import type { Lang } from './language';

const VI_WEEKDAYS = ['Chủ Nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];
const EN_WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number) => String(n).padStart(2, '0');
const msOf = (i: Instant) => (typeof i === 'number' ? i : i.getTime());

function weekday(t: number, timeZone: string): number {
  const f = wallFieldsAt(t, timeZone);
  return new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay();
}

/** "Thứ Năm 3/12" / "Thu 3 Dec" (the year only when it is not the year of `now`). */
export function formatDay(instant: Instant, timeZone: string, lang: Lang, nowMs?: number): string {
  const t = msOf(instant);
  const f = wallFieldsAt(t, timeZone);
  const showYear = nowMs !== undefined && wallFieldsAt(nowMs, timeZone).year !== f.year;
  const wd = weekday(t, timeZone);
  return lang === 'vi'
    ? `${VI_WEEKDAYS[wd]} ${f.day}/${f.month}${showYear ? `/${f.year}` : ''}`
    : `${EN_WEEKDAYS[wd]} ${f.day} ${EN_MONTHS[f.month - 1]}${showYear ? ` ${f.year}` : ''}`;
}

/** "15:00" in the zone. */
export function formatClock(instant: Instant, timeZone: string): string {
  const f = wallFieldsAt(msOf(instant), timeZone);
  return `${pad(f.hour)}:${pad(f.minute)}`;
}

/** "Thu 3 Dec, 15:00" or, with an end, "Thu 3 Dec, 15:00–16:00" (the end's day too when it differs). */
export function formatWhen(start: Instant, end: Instant | undefined, timeZone: string, lang: Lang, nowMs?: number): string {
  const head = `${formatDay(start, timeZone, lang, nowMs)}, ${formatClock(start, timeZone)}`;
  if (end === undefined) return head;
  const sameDay = formatDay(start, timeZone, lang) === formatDay(end, timeZone, lang);
  return sameDay ? `${head}–${formatClock(end, timeZone)}` : `${head} – ${formatDay(end, timeZone, lang, nowMs)}, ${formatClock(end, timeZone)}`;
}

/**
 * Tool results and tool inputs carry the user's local wall-clock ("2026-12-03T15:00" or "2026-12-03 15:00"),
 * already in their zone: read them as UTC fields so no zone conversion can shift them.
 */
function wallMs(wall: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(wall.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0'].map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(ms);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 ? ms : undefined;
}

/** Whether a local wall-clock string has a time of day (not a date alone). */
export function wallHasClock(wall: string): boolean {
  return /[T ]\d{2}:\d{2}/.test(wall);
}

/**
 * formatWhen for local wall-clock strings: "Thu 3 Dec, 15:00–16:00" / "Thứ Năm 3/12, 15:00–16:00"; a date
 * alone is its day. `today` (a wall string) hides the year when it is the same. Unreadable input comes back as is.
 */
export function formatWallWhen(start: string, end: string | undefined, lang: Lang, today?: string): string {
  const s = wallMs(start);
  if (s === undefined) return start;
  const now = today !== undefined ? wallMs(today) : undefined;
  if (!wallHasClock(start)) return formatDay(s, 'UTC', lang, now);
  const e = end !== undefined && wallHasClock(end) ? wallMs(end) : undefined;
  return formatWhen(s, e, 'UTC', lang, now);
}

/** "Thu 3 Dec" / "Thứ Năm 3/12" for a local wall-clock string. */
export function formatWallDay(wall: string, lang: Lang, today?: string): string {
  const s = wallMs(wall);
  if (s === undefined) return wall;
  return formatDay(s, 'UTC', lang, today !== undefined ? wallMs(today) : undefined);
}
