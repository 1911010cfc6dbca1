/**
 * The one module for time units and time zones.
 * Calendar v4 speaks Unix SECONDS, Task v2 and Base speak MILLISECONDS, both as strings on the wire;
 * users speak wall-clock time in their own IANA zone. Mixing these up is the classic Lark bug (hours or
 * decades off), so every conversion goes through here.
 * Uses Intl only (no I/O, no dependencies): workflow code may import it too.
 */

export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

export type Instant = Date | number;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // h23 so midnight is "00", not "24" (some ICU versions give "24" with hour12:false).
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw new RangeError(`Unknown IANA time zone "${timeZone}"`);
}

function ms(instant: Instant): number {
  const t = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError('Invalid instant');
  return t;
}

export interface WallFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant in a zone (the one Intl reading every helper here builds on). */
export function wallFieldsAt(t: number, timeZone: string): WallFields {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
    second: parts.second!,
  };
}

const fieldsAsUtc = (f: WallFields) => Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);

/** The zone's offset from UTC at an instant, in minutes (e.g. +420 for Asia/Ho_Chi_Minh). */
export function offsetMinutes(instant: Instant, timeZone: string = DEFAULT_TIMEZONE): number {
  assertTimeZone(timeZone);
  const t = ms(instant);
  const whole = Math.floor(t / 1000) * 1000; // Intl drops milliseconds
  return Math.round((fieldsAsUtc(wallFieldsAt(whole, timeZone)) - whole) / MINUTE_MS);
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** Parses "YYYY-MM-DD", "YYYY-MM-DD HH:mm" or "YYYY-MM-DDTHH:mm:ss" (no offset: it is wall-clock time). */
function parseWall(wall: string): WallFields {
  const m = WALL_RE.exec(wall.trim());
  if (!m) throw new RangeError(`Expected a wall-clock time like "2026-11-22 15:00" (got "${wall}")`);
  const f: WallFields = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  const check = new Date(fieldsAsUtc(f));
  if (
    f.hour > 23 ||
    f.minute > 59 ||
    f.second > 59 ||
    check.getUTCFullYear() !== f.year ||
    check.getUTCMonth() + 1 !== f.month ||
    check.getUTCDate() !== f.day
  ) {
    throw new RangeError(`Not a real date-time: "${wall}"`);
  }
  return f;
}

/**
 * A wall-clock date-time in a zone -> the instant (ms since epoch).
 * DST like java.time / Temporal "compatible": a time repeated in autumn takes the earlier instant;
 * a time skipped in spring is read with the offset before the jump (02:30 -> 03:30 in New York).
 */
export function zonedToEpochMs(wall: string, timeZone: string = DEFAULT_TIMEZONE): number {
  assertTimeZone(timeZone);
  const f = parseWall(wall);
  const asUtc = fieldsAsUtc(f);
  // Offsets on either side of any transition near this date (zones change at most once a day).
  const before = offsetMinutes(asUtc - DAY_MS, timeZone);
  const after = offsetMinutes(asUtc + DAY_MS, timeZone);
  const candidates = [...new Set([before, after])]
    .map((off) => asUtc - off * MINUTE_MS)
    .filter((t) => fieldsAsUtc(wallFieldsAt(t, timeZone)) === asUtc)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  return asUtc - before * MINUTE_MS; // in a gap
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An instant -> "YYYY-MM-DD HH:mm" in the zone (seconds shown only when not zero). */
export function formatWall(instant: Instant, timeZone: string = DEFAULT_TIMEZONE): string {
  assertTimeZone(timeZone);
  const f = wallFieldsAt(ms(instant), timeZone);
  const base = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}`;
  return f.second ? `${base}:${pad(f.second)}` : base;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** RFC 3339 with the zone's offset, e.g. "2026-11-22T15:00:00+07:00" (Calendar free/busy wants this). */
export function toRfc3339(instant: Instant, timeZone: string = DEFAULT_TIMEZONE): string {
  assertTimeZone(timeZone);
  const t = Math.floor(ms(instant) / 1000) * 1000;
  const f = wallFieldsAt(t, timeZone);
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}` + formatOffset(offsetMinutes(t, timeZone));
}

// Made once per zone, like `formatters`: each new Intl.DateTimeFormat costs tens of kB of native memory (ICU).
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** For people: "Sun, 22 Nov 2026, 15:00 (GMT+07:00)". */
export function formatForUser(instant: Instant, timeZone: string = DEFAULT_TIMEZONE): string {
  assertTimeZone(timeZone);
  const t = ms(instant);
  let day = dayFormatters.get(timeZone);
  if (!day) {
    day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
    dayFormatters.set(timeZone, day);
  }
  const date = day.format(new Date(t));
  return `${date}, ${formatWall(t, timeZone).slice(11, 16)} (GMT${formatOffset(offsetMinutes(t, timeZone))})`;
}

// ---- Wire units -------------------------------------------------------------------------------------

/** Calendar v4: Unix seconds as a string. Sub-second parts are dropped (Calendar has no finer unit). */
export function toCalendarSeconds(instant: Instant): string {
  return String(Math.floor(ms(instant) / 1000));
}

/** Task v2 and Base: Unix milliseconds as a string. */
export function toTaskMillis(instant: Instant): string {
  return String(Math.trunc(ms(instant)));
}

function parseIntString(value: string | number, what: string): number {
  const n = typeof value === 'number' ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be an integer (got "${value}")`);
  return n;
}

export function fromCalendarSeconds(seconds: string | number): Date {
  const n = parseIntString(seconds, 'Calendar timestamp (seconds)');
  // A millisecond value here is the classic mix-up: it would land ~50,000 years ahead. Refuse it.
  if (Math.abs(n) > 1e11) throw new RangeError(`Calendar timestamp looks like milliseconds: ${seconds}`);
  return new Date(n * 1000);
}

export function fromTaskMillis(millis: string | number): Date {
  const n = parseIntString(millis, 'Task timestamp (milliseconds)');
  return new Date(n);
}
