/** The calendar family's pure readings of a Lark event: facts for the confirmation, times, what an update changed. */
import type { EventFacts } from '../../src/agent/tool-io';
import type { CalendarEvent } from '../../src/lark/api-types';
import { formatWall, fromCalendarSeconds, zonedToEpochMs } from '../../src/lark/time';

const MAX_NAMES = 20;

export function eventFacts(event: CalendarEvent, openId: string, calendarId: string, timezone: string, maxNames = MAX_NAMES): EventFacts {
  const names: string[] = [];
  const organizer = event.event_organizer;
  // An organizer without a user id (a bot, another tenant) is someone else when the event lives in another calendar.
  const organizerIsOther = organizer?.user_id
    ? organizer.user_id !== openId
    : Boolean(event.organizer_calendar_id && event.organizer_calendar_id !== calendarId);
  if (organizerIsOther && organizer?.display_name) names.push(organizer.display_name);
  const others = (event.attendees ?? []).filter((a) => a.rsvp_status !== 'removed' && a.type !== 'resource' && !(a.type === 'user' && a.user_id === openId));
  for (const a of others) {
    const name = a.display_name || a.third_party_email || a.chat_id || a.user_id;
    if (name && !names.includes(name)) names.push(name);
  }
  return {
    found: true,
    ...(organizerIsOther && organizer?.display_name ? { organizer: organizer.display_name } : {}),
    ...(event.summary ? { summary: event.summary } : {}),
    ...timeFacts(event.start_time, timezone, 'startMs'),
    ...timeFacts(event.end_time, timezone, 'endMs'),
    attendeeNames: names.slice(0, maxNames),
    othersAttend: organizerIsOther || others.length > 0 || event.has_more_attendee === true,
  };
}

function timeFacts(t: { timestamp?: string; date?: string } | undefined, timezone: string, key: 'startMs' | 'endMs'): Partial<EventFacts> {
  if (t?.timestamp && /^\d{1,10}$/.test(t.timestamp)) return { [key]: Number(t.timestamp) * 1000 };
  if (t?.date && /^\d{4}-\d{2}-\d{2}$/.test(t.date)) {
    try {
      return { [key]: zonedToEpochMs(`${t.date}T00:00`, timezone) };
    } catch {
      return {};
    }
  }
  return {};
}

/** What an update changed, for the footer: moved (start or end differ) and / or renamed (the old title). */
export function changedOf(before: CalendarEvent, after: CalendarEvent): { changed: { moved?: true; fromTitle?: string } } | undefined {
  const moved = secondsOf(before.start_time) !== secondsOf(after.start_time) || secondsOf(before.end_time) !== secondsOf(after.end_time);
  const renamed = after.summary !== undefined && before.summary !== undefined && after.summary !== before.summary;
  if (!moved && !renamed) return undefined;
  return { changed: { ...(moved ? { moved: true as const } : {}), ...(renamed ? { fromTitle: before.summary! } : {}) } };
}

export function secondsOf(t: unknown): number | undefined {
  const ts = (t as { timestamp?: string } | undefined)?.timestamp;
  return ts ? Number(ts) : undefined;
}

/** Start and end as epoch ms (all-day events have none). */
export function eventTimes(e: { start_time?: unknown; end_time?: unknown }): { startMs?: number; endMs?: number } {
  const s = secondsOf(e.start_time);
  const en = secondsOf(e.end_time);
  return { ...(s !== undefined ? { startMs: s * 1000 } : {}), ...(en !== undefined ? { endMs: en * 1000 } : {}) };
}

export function eventSummary(e: { event_id: string; summary?: string; start_time?: unknown; end_time?: unknown }, tz: string) {
  const when = (t: unknown) => {
    const s = secondsOf(t);
    if (s !== undefined) return formatWall(fromCalendarSeconds(s), tz);
    return (t as { date?: string } | undefined)?.date;
  };
  return { event_id: e.event_id, summary: e.summary, start: when(e.start_time), end: when(e.end_time) };
}
