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
