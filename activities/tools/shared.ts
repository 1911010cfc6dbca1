/**
 * What every tool family's activities share: the shape of a family's handler table, the local times the model
 * gives, a start in the past refused, names folded for matching. (activities/tools/index.ts runs a call; each
 * family's file holds its tools.)
 */
import type { RunToolInput } from '../../src/agent/tool-io';
import { formatForUser, zonedToEpochMs } from '../../src/lark/time';
import { ToolInputError } from '../tool-results';

/** One family's handlers, keyed by tool name: each runs one validated call as the user. */
export type Handlers<Inputs> = { [N in keyof Inputs]: (input: Inputs[N], ctx: RunToolInput) => Promise<unknown> };

export const MINUTE = 60_000;
export const DAY = 86_400_000;
/** A start this far in the past still counts as "now" (a call that starts right away). */
const PAST_GRACE_MS = 10 * MINUTE;
/** list_events / list_tasks show at most this many items to the model (the total is still given). */
export const SHOWN_ITEMS = 100;

/** A local time the model gave, as epoch ms in the user's zone; one that does not parse is the model's to correct. */
export const wallMs = (wall: string, tz: string, field: string) => {
  try {
    return zonedToEpochMs(wall, tz);
  } catch {
    throw new ToolInputError(`${field} "${wall}" is not a local time like 2026-11-22T15:00`);
  }
};

/** Refuses a start in the past: the model asks which day was meant rather than booking history. */
export function refusePast(startMs: number, ctx: RunToolInput, what: string): void {
  if (startMs >= ctx.nowMs - PAST_GRACE_MS) return;
  throw new ToolInputError(
    `Not done: ${what} ${formatForUser(startMs, ctx.timezone)} is in the past (it is now ${formatForUser(ctx.nowMs, ctx.timezone)}). ` +
      'Ask the user which day or time they meant.',
  );
}

/** Case- and diacritic-insensitive, so "lan" finds "Nguyễn Thị Lan". */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .trim();
}
