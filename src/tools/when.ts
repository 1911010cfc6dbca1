/** A time the model gave, in the user's words (the confirmation card, the footer's ❌ lines). Pure. */
import { escapeLarkMdLine } from '../cards/lark-md';
import { formatWhen } from '../i18n/dates';
import type { Lang } from '../i18n/language';
import { zonedToEpochMs } from '../lark/time';

/** A wall time from the model ("2026-12-03T15:00") in the user's words; the raw text if it does not parse. */
export function when(wall: string | undefined, endWall: string | undefined, tz: string, lang: Lang): string | undefined {
  if (!wall) return undefined;
  try {
    return formatWhen(zonedToEpochMs(wall, tz), endWall ? zonedToEpochMs(endWall, tz) : undefined, tz, lang);
  } catch {
    return escapeLarkMdLine(wall, 40); // the model's text, not ours: it goes into a card
  }
}
