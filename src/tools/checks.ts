/** Meaning checks more than one family's tools share (src/tools/validate.ts runs each tool's own list). */
import { minutesBetween } from '../agent/time';
import type { LocalTimes, Obj } from './spec';

/** A window given by both ends or by neither. */
export function bothOrNeither(input: Obj): string[] {
  return (input.start === undefined) !== (input.end === undefined) ? ['give both start and end, or neither'] : [];
}

/** A window at most `days` long, so one call cannot pull a year of calendar. */
export function windowAtMost(days: number, { start, end }: LocalTimes, tooLong: string): string[] {
  return start && end && minutesBetween(start, end) > days * 1440 ? [tooLong] : [];
}

/** Each attendee named once. */
export function attendeesOnce(input: Obj): string[] {
  if (!Array.isArray(input.attendees)) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const a of input.attendees.filter((x): x is string => typeof x === 'string')) {
    const k = a.trim().toLowerCase();
    if (seen.has(k)) problems.push(`attendee "${a}" is listed twice`);
    seen.add(k);
  }
  return problems;
}
