/**
 * Invitations the user has not answered: events someone else organizes where the user's own attendee entry
 * is still `needs_action`. Lark's event list carries no attendees, so each listed event organized by someone
 * else is read with its attendees (need_attendee=true), a few at a time; the user's own events are never read.
 * Used by the list_invitations tool and the daily agenda. I/O: activities only.
 */
import { asUser, type CalendarAttendee, type CalendarEvent, type LarkClient } from '../src/lark/client';
import { classifyLarkError } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';

/** Events read with their attendees at a time. */
const READS_AT_ONCE = 4;

/** The user's own attendee entry in an event read with its attendees (user_id in open_id, as the client asks). */
export function ownAttendee(event: CalendarEvent, openId: string): CalendarAttendee | undefined {
  return (event.attendees ?? []).find((a) => a.type === 'user' && a.user_id === openId && a.rsvp_status !== 'removed');
}

/** Whether someone else organizes the event (no organizer id: it lives in another calendar). */
export function organizedByOther(event: CalendarEvent, openId: string, calendarId: string): boolean {
  const organizer = event.event_organizer?.user_id;
  return organizer ? organizer !== openId : Boolean(event.organizer_calendar_id && event.organizer_calendar_id !== calendarId);
}

/**
 * Of `events` (as listed), the ones the user has not answered, read again with attendees; in the input's
 * order. At most `maxReads` events are read. A read that fails (other than a sign-in problem, which goes up)
 * leaves that event out: the listing says what it knows rather than failing.
 */
export async function pendingInvitations(
  client: LarkClient,
  calendarId: string,
  openId: string,
  events: CalendarEvent[],
  maxReads = 100,
): Promise<{ pending: CalendarEvent[]; truncated: boolean }> {
  const candidates = events.filter((e) => e.status !== 'cancelled' && organizedByOther(e, openId, calendarId));
  const toRead = candidates.slice(0, maxReads);
  const read: Array<CalendarEvent | undefined> = toRead.map(() => undefined);
  let next = 0;
  const worker = async () => {
    while (next < toRead.length) {
      const i = next++;
      read[i] = await client.getEvent(calendarId, toRead[i]!.event_id, { as: asUser(openId), needAttendee: true, maxAttendeeNum: 100 }).catch((err) => {
        if (classifyLarkError(err)?.type === LarkFailureType.UserAuthRequired) throw err;
        return undefined;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, toRead.length) }, worker));
  const pending = read.filter((e): e is CalendarEvent => e !== undefined && e.status !== 'cancelled' && ownAttendee(e, openId)?.rsvp_status === 'needs_action');
  return { pending, truncated: candidates.length > toRead.length };
}
