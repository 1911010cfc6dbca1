/**
 * Finding meeting slots: pure (no I/O), so the tool activity and the offline test world share one rule.
 * A slot fits a person when it lies inside their working hours and days IN THEIR OWN ZONE, does not touch
 * lunch, and overlaps none of their busy blocks. Slots start on quarter hours.
 */
import { wallFieldsAt } from '../lark/time';

export interface WorkRules {
  /** Minutes after local midnight. */
  workStartMin: number;
  workEndMin: number;
  /** 0 = Sunday ... 6 = Saturday. */
  workDays: number[];
  lunch?: { startMin: number; endMin: number };
}

export interface Busy {
  startMs: number;
  endMs: number;
}

export interface SlotPerson {
  timezone: string;
  busy: Busy[];
}

export interface SlotQuery {
  fromMs: number;
  toMs: number;
  durationMinutes: number;
  people: SlotPerson[];
  rules: WorkRules;
  /** At most this many slots (default 3). */
  max?: number;
  /** Days are told apart in this zone (the requesting user's). */
  dayZone: string;
}

const STEP_MS = 15 * 60_000;

/** Where a slot breaks a person's working time, or undefined when it fits (busy blocks aside). */
export function outsideWorkingTime(startMs: number, endMs: number, timezone: string, rules: WorkRules): 'day' | 'hours' | 'lunch' | undefined {
  const s = wallFieldsAt(startMs, timezone);
  const e = wallFieldsAt(endMs, timezone);
  const weekday = new Date(Date.UTC(s.year, s.month - 1, s.day)).getUTCDay();
  if (!rules.workDays.includes(weekday)) return 'day';
  const sMin = s.hour * 60 + s.minute;
  const sameDay = e.year === s.year && e.month === s.month && e.day === s.day;
  // An end at local midnight counts as 24:00 of the same day.
  const eMin = sameDay ? e.hour * 60 + e.minute : e.hour === 0 && e.minute === 0 && endMs - startMs < 86_400_000 ? 1440 : Infinity;
  if (sMin < rules.workStartMin || eMin > rules.workEndMin) return 'hours';
  if (rules.lunch && sMin < rules.lunch.endMin && eMin > rules.lunch.startMin) return 'lunch';
  return undefined;
}

/** The busy block a slot overlaps, if any (the one ending last, so a search can jump past it). */
export function overlapping(busy: Busy[], startMs: number, endMs: number): Busy | undefined {
  let hit: Busy | undefined;
  for (const b of busy) if (b.startMs < endMs && b.endMs > startMs && (!hit || b.endMs > hit.endMs)) hit = b;
  return hit;
}

function dayKey(ms: number, zone: string): string {
  const f = wallFieldsAt(ms, zone);
  return `${f.year}-${f.month}-${f.day}`;
}

/**
 * The best few slots of `durationMinutes` in [fromMs, toMs) when everyone is free, spread the way a person
 * would offer them: the earliest slot of each day first, then more on the same days at least one meeting
 * length apart (so the choices really differ). Returned earliest first.
 */
export function findFreeSlots(q: SlotQuery): Busy[] {
  const durationMs = q.durationMinutes * 60_000;
  const fits: Busy[] = [];
  let s = Math.ceil(q.fromMs / STEP_MS) * STEP_MS;
  while (s + durationMs <= q.toMs && fits.length < 2000) {
    const e = s + durationMs;
    let next = s + STEP_MS;
    let ok = true;
    for (const p of q.people) {
      if (outsideWorkingTime(s, e, p.timezone, q.rules)) {
        ok = false;
        break;
      }
      const b = overlapping(p.busy, s, e);
      if (b) {
        ok = false;
        next = Math.max(next, Math.ceil(b.endMs / STEP_MS) * STEP_MS); // skip past the meeting
        break;
      }
    }
    if (ok) fits.push({ startMs: s, endMs: e });
    s = next;
  }
  const max = q.max ?? 3;
  const picked: Busy[] = [];
  const clash = (c: Busy) => picked.some((p) => c.startMs < p.endMs + durationMs && c.endMs + durationMs > p.startMs);
  const days = new Set<string>();
  for (const f of fits) {
    if (picked.length >= max) break;
    const k = dayKey(f.startMs, q.dayZone);
    if (days.has(k)) continue;
    days.add(k);
    picked.push(f);
  }
  for (const f of fits) {
    if (picked.length >= max) break;
    if (!clash(f)) picked.push(f);
  }
  return picked.sort((a, b) => a.startMs - b.startMs);
}
