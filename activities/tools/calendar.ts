/**
 * The calendar family's activities, run as the USER (their OAuth token, looked up by open_id): events,
 * invitations, free/busy, find a time, meeting rooms; and the reads the workflow makes before a confirmation
 * (inspectEvent, inspectRoom) or a slot's booking (checkSlot). What the model reads of these tools and when the
 * user confirms them is src/tools/calendar/spec.ts.
 */
import { OTHERS_CONTENT_NOTE } from '../../src/agent/others-content';
import { findFreeSlots, outsideWorkingTime, type Busy } from '../../src/agent/slots';
import type { CheckSlotInput, CheckSlotResult, EventFacts, FindTimeResult, RoomFacts, RunToolInput } from '../../src/agent/tool-io';
import type { SchedulingConfig } from '../../src/config';
import type { LinkedReminderChange } from '../../src/i18n/messages';
import type { CalendarAttendee, CalendarEvent } from '../../src/lark/api-types';
import { asUser, stableUuid, type LarkClient } from '../../src/lark/client';
import { classifyLarkError, toLarkFailure } from '../../src/lark/errors';
import { LarkFailureType } from '../../src/lark/failure-types';
import { DEFAULT_TIMEZONE, formatWall, toCalendarSeconds, toRfc3339 } from '../../src/lark/time';
import type { UserTokenStore } from '../../src/storage/token-store';
import { DEFAULT_EVENT_MINUTES, INVITATION_DAYS, MAX_SLOTS, type CalendarInputs } from '../../src/tools/calendar/spec';
import { organizedByOther, ownAttendee, pendingInvitations } from '../invitations';
import { primaryCalendarLookup } from '../primary-calendar';
import type { ReminderTools } from '../reminders';
import { ToolInputError, WithEffect } from '../tool-results';
import { changedOf, eventFacts, eventSummary, eventTimes, secondsOf } from './calendar-facts';
import { busyOfAll, createRoomLookups, pickRoom, roomMatches, roomStatusOf, type RoomInfo } from './calendar-rooms';
import type { ResolvePeople } from './people';
import { DAY, MINUTE, refusePast, SHOWN_ITEMS, wallMs, type Handlers } from './shared';

/** list_events names at most this many attendees per event (then how many more). */
const ATTENDEE_NAMES = 10;
/** list_events reads this many events' attendees at a time. */
const ATTENDEE_READS_AT_ONCE = 4;
/** How far ahead the "next free slot" after a conflict is looked for. */
const NEXT_FREE_DAYS = 14;
/** list_rooms shows at most this many rooms, and reads the busy times of at most ROOM_BUSY_READS of them. */
const SHOWN_ROOMS = 50;
const ROOM_BUSY_READS = 20;
/** find_time weighs at most this many fitting rooms (smallest first). */
const ROOM_CANDIDATES = 10;

export interface CalendarToolDeps {
  client: LarkClient;
  tokens: UserTokenStore;
  /** Working hours, days, lunch and people's zones (config.scheduling). */
  scheduling: SchedulingConfig;
  /** The reminder tools: a meeting deleted or moved takes its linked reminders along. */
  reminders?: ReminderTools;
  /** How long a room's answer is waited for after a write (ToolActivityDeps.roomSettleMs). */
  roomSettleMs: number;
  resolvePeople: ResolvePeople;
}

export function createCalendarTools({ client, tokens, scheduling, reminders, roomSettleMs, resolvePeople }: CalendarToolDeps) {
  const sched = scheduling;
  const primaryCalendar = primaryCalendarLookup(client, tokens);
  const { tenantRooms, roomById, roomAfterWrite, roomBusy } = createRoomLookups(client, roomSettleMs);

  /** A person's zone from the configuration (by open_id or e-mail), else undefined: they work in the user's zone. */
  async function configuredZone(openId: string, email?: string): Promise<string | undefined> {
    const byId = sched.timezones[openId.toLowerCase()];
    if (byId) return byId;
    if (Object.keys(sched.timezones).length === 0) return undefined;
    const mail = email ?? (await client.getUser(openId).catch(() => undefined))?.email;
    return mail ? sched.timezones[mail.toLowerCase()] : undefined;
  }

  /** Busy blocks of one person over [fromMs, toMs) from Lark's free/busy (RFC 3339 with the zone's offset). */
  async function busyOf(asOpenId: string, openId: string, fromMs: number, toMs: number, tz: string): Promise<Busy[]> {
    const list = await client.freeBusy(openId, toRfc3339(fromMs, tz), toRfc3339(toMs, tz), { as: asUser(asOpenId) });
    return list.map((b) => ({ startMs: Date.parse(b.start_time), endMs: Date.parse(b.end_time) })).filter((b) => b.endMs > b.startMs);
  }

  /** Timed events of the user's calendar overlapping [startMs, endMs), except `exceptId` (the event being moved). */
  async function conflictsWith(calendarId: string, openId: string, startMs: number, endMs: number, tz: string, exceptId?: string) {
    const { items } = await client.listAllEvents(calendarId, toCalendarSeconds(startMs), toCalendarSeconds(endMs), { as: asUser(openId) });
    return items
      .filter((e) => e.status !== 'cancelled' && e.free_busy_status !== 'free' && e.event_id !== exceptId)
      .filter((e) => {
        // All-day events (holidays, birthdays) do not block a meeting here; timed ones do.
        const s = secondsOf(e.start_time);
        const en = secondsOf(e.end_time);
        return s !== undefined && en !== undefined && s * 1000 < endMs && en * 1000 > startMs;
      })
      .slice(0, 10)
      .map((e) => eventSummary(e, tz));
  }

  /** The first slot of the same length when the user and the attendees are free, within working time. */
  async function nextFree(openId: string, people: string[], fromMs: number, durationMs: number, tz: string) {
    const toMs = fromMs + NEXT_FREE_DAYS * DAY;
    const everyone = [openId, ...people.filter((p) => p !== openId)];
    const persons = [];
    for (const id of everyone)
      persons.push({ timezone: (id === openId ? tz : await configuredZone(id)) ?? tz, busy: await busyOf(openId, id, fromMs, toMs, tz) });
    const [slot] = findFreeSlots({ fromMs, toMs, durationMinutes: Math.round(durationMs / MINUTE), people: persons, rules: sched, dayZone: tz, max: 1 });
    return slot ? { start: formatWall(slot.startMs, tz), end: formatWall(slot.endMs, tz) } : undefined;
  }

  /**
   * A meeting deleted or moved through the bot: its linked reminders follow in the same turn (cancelled, or
   * re-armed for the new start), and the tool result and the footer say so. The meeting's own change is done by
   * then: trouble here does not undo it, it is said (the reminders still follow the meeting at their next re-read).
   */
  async function followMeeting(ctx: RunToolInput, eventId: string, change: { kind: 'deleted' } | { kind: 'moved'; startMs: number; title?: string }) {
    if (!reminders) return { changes: [] as LinkedReminderChange[], result: {} };
    try {
      const changes = await reminders.followMeeting(ctx, eventId, change);
      if (!changes.length) return { changes, result: {} };
      const listed = changes.map((c) => ({ reminder_id: c.id, text: c.text, ...(c.atMs !== undefined ? { now_at: formatWall(c.atMs, ctx.timezone) } : {}) }));
      return {
        changes,
        result:
          change.kind === 'deleted'
            ? { linked_reminders_cancelled: listed, note_reminders: 'The reminders set for this meeting were cancelled too: tell the user.' }
            : {
                linked_reminders_moved: listed,
                note_reminders: 'The reminders set for this meeting moved with it (same minutes before): tell the user the new time.',
              },
      };
    } catch {
      return {
        changes: [] as LinkedReminderChange[],
        result: { note_reminders: 'Its linked reminders could not be updated just now; each follows the meeting on its own at its next check.' },
      };
    }
  }

  /**
   * After a write: the user's other events overlapping [startMs, endMs) (the written one excluded, so a retried
   * activity reports the same) and the next slot of the same length when everyone is free, for the answer to
   * warn and propose. Written, not refused: the user may have confirmed a card already, and Undo reverses it.
   */
  async function overlapsAfterWrite(calendarId: string, ctx: RunToolInput, startMs: number, endMs: number, people: string[], writtenId: string) {
    const conflicts = await conflictsWith(calendarId, ctx.openId, startMs, endMs, ctx.timezone, writtenId);
    if (!conflicts.length) return {};
    const next = await nextFree(ctx.openId, people, startMs, endMs - startMs, ctx.timezone);
    return { conflicts, ...(next ? { next_free: next } : {}) };
  }

  /**
   * Who else attends each event, as display names (the organizer when it is someone else, then the attendees, as
   * eventFacts reads them): the first ATTENDEE_NAMES names and how many more. Read with need_attendee, a few
   * at a time; an event Lark will not show with attendees just has none listed.
   */
  async function attendeesOf(calendarId: string, openId: string, events: CalendarEvent[]): Promise<Array<{ attendees?: string[]; more_attendees?: number }>> {
    const out: Array<{ attendees?: string[]; more_attendees?: number }> = events.map(() => ({}));
    let next = 0;
    const worker = async () => {
      while (next < events.length) {
        const i = next++;
        const e = events[i]!;
        // Names enrich the listing; a read that fails leaves that event without them rather than failing the
        // listing (only a sign-in problem goes up: the user must sign in either way).
        const full = await client.getEvent(calendarId, e.event_id, { as: asUser(openId), needAttendee: true, maxAttendeeNum: 100 }).catch((err) => {
          if (classifyLarkError(err)?.type === LarkFailureType.UserAuthRequired) throw err;
          return undefined;
        });
        if (!full) continue;
        const names = eventFacts(full, openId, calendarId, 'UTC', Number.MAX_SAFE_INTEGER).attendeeNames;
        if (!names.length) continue;
        const more = names.length - ATTENDEE_NAMES;
        out[i] = { attendees: names.slice(0, ATTENDEE_NAMES), ...(more > 0 ? { more_attendees: more } : {}) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(ATTENDEE_READS_AT_ONCE, events.length) }, worker));
    return out;
  }

  /**
   * The attendees' busy blocks overlapping [startMs, endMs) (Lark free/busy, as find_time reads them), named:
   * the user's own calendar is checked by conflictsWith. The written event itself counts as busy for attendees
   * who were invited to it, so blocks exactly equal to it are left out.
   */
  async function attendeesBusy(ctx: RunToolInput, attendees: Array<{ openId: string; name?: string; query: string }>, startMs: number, endMs: number) {
    const out: Array<{ who: string; start: string; end: string }> = [];
    for (const a of attendees) {
      if (a.openId === ctx.openId) continue;
      const busy = (await busyOf(ctx.openId, a.openId, startMs, endMs, ctx.timezone)).filter(
        (b) => b.startMs < endMs && b.endMs > startMs && !(b.startMs === startMs && b.endMs === endMs),
      );
      for (const b of busy) out.push({ who: a.name ?? a.query, start: formatWall(b.startMs, ctx.timezone), end: formatWall(b.endMs, ctx.timezone) });
    }
    return out.slice(0, 10);
  }

  const handlers: Handlers<CalendarInputs> = {
    async get_current_time(_input, ctx) {
      return { now: formatWall(ctx.nowMs, ctx.timezone), timezone: ctx.timezone };
    },

    async list_events(input, ctx) {
      const from = wallMs(input.start, ctx.timezone, 'start');
      const to = wallMs(input.end, ctx.timezone, 'end');
      if (to <= from) throw new ToolInputError('end must be after start');
      const calendarId = await primaryCalendar(ctx.openId);
      // Every page (page_token / has_more), bounded; the model gets one small object per event.
      const all = await client.listAllEvents(calendarId, toCalendarSeconds(from), toCalendarSeconds(to), { as: asUser(ctx.openId) });
      const events = all.items.filter((e) => e.status !== 'cancelled');
      const shown = events.slice(0, SHOWN_ITEMS);
      // Lark's list has no attendees: each shown event is read with them, so "the meeting with Lan" is found
      // by who attends even when its title does not say so.
      const people = await attendeesOf(calendarId, ctx.openId, shown);
      return {
        events: shown.map((e, i) => ({ ...eventSummary(e, ctx.timezone), ...people[i] })),
        total: events.length,
        truncated: all.truncated || events.length > SHOWN_ITEMS,
      };
    },

    async create_event(input, ctx) {
      const start = wallMs(input.start, ctx.timezone, 'start');
      const end = input.end ? wallMs(input.end, ctx.timezone, 'end') : start + (input.duration_minutes ?? DEFAULT_EVENT_MINUTES) * MINUTE;
      if (end <= start) throw new ToolInputError('the event must end after it starts');
      refusePast(start, ctx, `"${input.summary}" would start`);
      const attendees = await resolvePeople(ctx.openId, input.attendees ?? []);
      // The room is checked before anything is written: an unknown id is the model's to correct.
      const room = input.room ? await roomById(input.room) : undefined;
      const as = { as: asUser(ctx.openId) };
      const calendarId = await primaryCalendar(ctx.openId);
      const event = await client.createEvent(
        calendarId,
        {
          summary: input.summary,
          ...(input.description ? { description: input.description } : {}),
          start: { timestampSec: toCalendarSeconds(start), timezone: ctx.timezone },
          end: { timestampSec: toCalendarSeconds(end), timezone: ctx.timezone },
          attendeeAbility: 'can_see_others',
        },
        stableUuid('calendar-event', ctx.sourceMessageId, ctx.toolUseId),
        as,
      );
      if (attendees.length) {
        await client.addAttendees(
          calendarId,
          event.event_id,
          attendees.map((a) => ({ type: 'user' as const, id: a.openId })),
          { needNotification: true },
          as,
        );
      }
      // A room is booked by adding it as a resource attendee; it answers in its rsvp_status (approval rooms later,
      // a busy room declines), read back after the write so the answer says what the room really said.
      let roomFacts: RoomFacts | undefined;
      if (room) {
        // An approval room fails a booking without a reason (Lark): the meeting's title is the user's own reason.
        const added = await client.addAttendees(
          calendarId,
          event.event_id,
          [{ type: 'resource', id: room.room_id, approvalReason: input.summary }],
          { needNotification: true },
          as,
        );
        const answered = await roomAfterWrite(calendarId, ctx.openId, event.event_id, room.room_id);
        const status = answered?.status ?? roomStatusOf(added.find((a) => a.type === 'resource' && a.room_id === room.room_id)?.rsvp_status);
        roomFacts = { room_id: room.room_id, name: room.name, status };
      }
      const people = attendees.map((a) => a.name ?? a.query);
      const outside = outsideWorkingTime(start, end, ctx.timezone, sched);
      const busy = await attendeesBusy(ctx, attendees, start, end);
      let overlaps: { conflicts?: unknown[]; next_free?: { start: string; end: string } } = await overlapsAfterWrite(
        calendarId,
        ctx,
        start,
        end,
        attendees.map((a) => a.openId),
        event.event_id,
      );
      if (busy.length && !overlaps.next_free) {
        const next = await nextFree(
          ctx.openId,
          attendees.map((a) => a.openId),
          start,
          end - start,
          ctx.timezone,
        );
        if (next) overlaps = { ...overlaps, next_free: next };
      }
      return new WithEffect(
        {
          created: eventSummary(event, ctx.timezone),
          attendees: people,
          ...overlaps,
          // Attendees busy then (their own calendars): the answer says who and when.
          ...(busy.length ? { attendees_busy: busy } : {}),
          ...(roomFacts && room
            ? {
                room: { name: room.name, ...(room.place ? { place: room.place } : {}), status: roomFacts.status },
                note_room:
                  roomFacts.status === 'accepted'
                    ? 'The room accepted: it is booked.'
                    : roomFacts.status === 'declined'
                      ? 'The room DECLINED the booking (taken then, or its approver refused): the event exists without the room. Tell the user plainly and offer another room.'
                      : 'The room has NOT accepted yet (Lark books rooms asynchronously; an approval room waits for its approver): the event is created, the room is not confirmed. Tell the user so; never say the room is booked.',
                note_room_name: OTHERS_CONTENT_NOTE,
              }
            : {}),
          ...(outside ? { note: `outside the user's working ${outside === 'day' ? 'days' : outside === 'lunch' ? 'hours (lunch)' : 'hours'}` } : {}),
        },
        {
          action: 'created',
          kind: 'event',
          id: event.event_id,
          title: event.summary ?? input.summary,
          ...eventTimes(event),
          ...(people.length ? { people } : {}),
          ...(roomFacts ? { room: { name: roomFacts.name, status: roomFacts.status } } : {}),
          undo: { op: 'delete_event', eventId: event.event_id },
        },
      );
    },

    async update_event(input, ctx) {
      const as = { as: asUser(ctx.openId) };
      const calendarId = await primaryCalendar(ctx.openId);
      const current = await client.getEvent(calendarId, input.event_id, as);
      const oldStart = secondsOf(current.start_time);
      const oldEnd = secondsOf(current.end_time);
      const start = input.start ? wallMs(input.start, ctx.timezone, 'start') : undefined;
      // Moving the start keeps the duration unless a new end is given.
      const end = input.end
        ? wallMs(input.end, ctx.timezone, 'end')
        : start !== undefined && oldStart !== undefined && oldEnd !== undefined
          ? start + (oldEnd - oldStart) * 1000
          : undefined;
      if (start !== undefined && end !== undefined && end <= start) throw new ToolInputError('the event must end after it starts');
      if (start !== undefined) refusePast(start, ctx, `the new time of "${current.summary ?? input.event_id}"`);
      const finalStart = start ?? (oldStart !== undefined ? oldStart * 1000 : undefined);
      const finalEnd = end ?? (oldEnd !== undefined ? oldEnd * 1000 : undefined);
      const updated = await client.patchEvent(
        calendarId,
        input.event_id,
        {
          ...(input.summary ? { summary: input.summary } : {}),
          ...(start !== undefined ? { start: { timestampSec: toCalendarSeconds(start), timezone: ctx.timezone } } : {}),
          ...(end !== undefined ? { end: { timestampSec: toCalendarSeconds(end), timezone: ctx.timezone } } : {}),
        },
        as,
      );
      const overlaps =
        (start !== undefined || end !== undefined) && finalStart !== undefined && finalEnd !== undefined && finalEnd > finalStart
          ? await overlapsAfterWrite(calendarId, ctx, finalStart, finalEnd, [], input.event_id)
          : {};
      // A moved event's room is booked again for the new time: what it answered then (Lark re-checks it).
      const movedRoom = start !== undefined || end !== undefined ? await roomAfterWrite(calendarId, ctx.openId, input.event_id) : undefined;
      const was = (t: unknown) => (t as { timestamp?: string; timezone?: string } | undefined) ?? {};
      const newStartSec = secondsOf(updated.start_time);
      const linked =
        newStartSec !== undefined && newStartSec !== oldStart
          ? await followMeeting(ctx, input.event_id, { kind: 'moved', startMs: newStartSec * 1000, ...(updated.summary ? { title: updated.summary } : {}) })
          : { changes: [], result: {} };
      return new WithEffect(
        {
          updated: eventSummary(updated, ctx.timezone),
          ...overlaps,
          ...linked.result,
          ...(movedRoom
            ? {
                room: { name: movedRoom.name, status: movedRoom.status },
                note_room:
                  movedRoom.status === 'accepted'
                    ? 'Its room accepted the new time.'
                    : movedRoom.status === 'declined'
                      ? 'Its room DECLINED the new time (taken then): the event has no room now. Tell the user plainly and offer another room.'
                      : 'Its room has NOT accepted the new time yet: tell the user it is not confirmed.',
                note_room_name: OTHERS_CONTENT_NOTE,
              }
            : {}),
        },
        {
          action: 'updated',
          kind: 'event',
          id: input.event_id,
          title: updated.summary ?? current.summary,
          ...eventTimes(updated),
          // What the footer says changed: the time (compared with what it was) and the title.
          ...(changedOf(current, updated) ?? {}),
          ...(linked.changes.length ? { reminders: linked.changes } : {}),
          ...(movedRoom ? { room: { name: movedRoom.name, status: movedRoom.status } } : {}),
          undo: {
            op: 'restore_event',
            eventId: input.event_id,
            ...(input.summary && current.summary ? { summary: current.summary } : {}),
            ...(start !== undefined || end !== undefined
              ? {
                  startSec: was(current.start_time).timestamp,
                  endSec: was(current.end_time).timestamp,
                  timezone: was(current.start_time).timezone ?? ctx.timezone,
                }
              : {}),
          },
        },
      );
    },

    async delete_event(input, ctx) {
      const calendarId = await primaryCalendar(ctx.openId);
      // Read first (best effort, with attendees) so the answer can name it and an Undo can recreate it.
      const before = await client
        .getEvent(calendarId, input.event_id, { as: asUser(ctx.openId), needAttendee: true, maxAttendeeNum: 100 })
        .catch(() => undefined);
      await client.deleteEvent(calendarId, input.event_id, { needNotification: true }, { as: asUser(ctx.openId) });
      const linked = await followMeeting(ctx, input.event_id, { kind: 'deleted' });
      const at = (t: unknown) => (t as { timestamp?: string; timezone?: string } | undefined) ?? {};
      const startSec = at(before?.start_time).timestamp;
      const endSec = at(before?.end_time).timestamp;
      return new WithEffect(
        { deleted: input.event_id, ...(before?.summary ? { summary: before.summary } : {}), ...linked.result },
        {
          action: 'deleted',
          kind: 'event',
          id: input.event_id,
          ...(before?.summary ? { title: before.summary } : {}),
          ...(before ? eventTimes(before) : {}),
          ...(linked.changes.length ? { reminders: linked.changes } : {}),
          ...(before && startSec && endSec
            ? {
                undo: {
                  op: 'recreate_event' as const,
                  ...(before.summary ? { summary: before.summary } : {}),
                  ...(before.description ? { description: before.description } : {}),
                  startSec,
                  endSec,
                  timezone: at(before.start_time).timezone ?? ctx.timezone,
                  attendeeOpenIds: (before.attendees ?? [])
                    .filter((a) => a.type === 'user' && (a.user_id ?? a.attendee_id) && (a.user_id ?? a.attendee_id) !== ctx.openId)
                    .map((a) => (a.user_id ?? a.attendee_id)!),
                  ...roomsAndReminders(before.attendees ?? [], linked.changes),
                },
              }
            : {}),
        },
      );
    },

    async list_invitations(input, ctx) {
      const from = input.start ? wallMs(input.start, ctx.timezone, 'start') : ctx.nowMs;
      const to = input.end ? wallMs(input.end, ctx.timezone, 'end') : ctx.nowMs + INVITATION_DAYS * DAY;
      if (to <= from) throw new ToolInputError('end must be after start');
      const calendarId = await primaryCalendar(ctx.openId);
      const all = await client.listAllEvents(calendarId, toCalendarSeconds(from), toCalendarSeconds(to), { as: asUser(ctx.openId) });
      const { pending, truncated } = await pendingInvitations(client, calendarId, ctx.openId, all.items, SHOWN_ITEMS);
      return {
        invitations: pending.map((e) => ({
          ...eventSummary(e, ctx.timezone),
          ...(e.event_organizer?.display_name ? { organizer: e.event_organizer.display_name } : {}),
        })),
        total: pending.length,
        window: { start: formatWall(from, ctx.timezone), end: formatWall(to, ctx.timezone) },
        truncated: all.truncated || truncated,
      };
    },

    async reply_invitation(input, ctx) {
      const calendarId = await primaryCalendar(ctx.openId);
      const event = await client.getEvent(calendarId, input.event_id, { as: asUser(ctx.openId), needAttendee: true, maxAttendeeNum: 100 });
      if (event.status === 'cancelled') throw new ToolInputError('Not done: this event was cancelled, there is nothing to answer.');
      if (!organizedByOther(event, ctx.openId, calendarId))
        throw new ToolInputError('Not done: the user organizes this event; only invitations from others can be answered.');
      // Lark returns at most 100 attendees: beyond that the user's entry may be unlisted, so only a full list can say "not invited".
      if (!ownAttendee(event, ctx.openId) && !event.has_more_attendee) throw new ToolInputError('Not done: the user is not invited to this event.');
      // The reply sets a state: a retried activity sends the same answer and Lark changes nothing twice.
      await client.replyEvent(calendarId, input.event_id, input.response, { as: asUser(ctx.openId) });
      const organizer = event.event_organizer?.display_name;
      return new WithEffect(
        { replied: { ...eventSummary(event, ctx.timezone), response: input.response, ...(organizer ? { organizer } : {}) } },
        {
          action: 'replied',
          kind: 'event',
          id: input.event_id,
          rsvp: input.response,
          ...(event.summary ? { title: event.summary } : {}),
          ...eventTimes(event),
        },
      );
    },

    async free_busy(input, ctx) {
      const from = wallMs(input.start, ctx.timezone, 'start');
      const to = wallMs(input.end, ctx.timezone, 'end');
      const [person] = input.person ? await resolvePeople(ctx.openId, [input.person]) : [{ query: 'me', openId: ctx.openId, name: undefined }];
      const busy = await client.freeBusy(person!.openId, toRfc3339(from, ctx.timezone), toRfc3339(to, ctx.timezone), { as: asUser(ctx.openId) });
      return {
        person: person!.name ?? input.person ?? 'the user',
        busy: busy.map((b) => ({ start: formatWall(Date.parse(b.start_time), ctx.timezone), end: formatWall(Date.parse(b.end_time), ctx.timezone) })),
      };
    },

    async find_time(input, ctx): Promise<FindTimeResult> {
      const tz = ctx.timezone;
      const durationMs = input.duration_minutes * MINUTE;
      const toMs = wallMs(input.end, tz, 'end');
      const fromMs = Math.max(wallMs(input.start, tz, 'start'), ctx.nowMs); // never propose the past
      if (toMs - fromMs < durationMs) {
        throw new ToolInputError(
          `The window ${input.start} to ${input.end} is over or too short (it is now ${formatWall(ctx.nowMs, tz)}). Search a later window.`,
        );
      }
      const resolved = await resolvePeople(ctx.openId, input.attendees ?? []);
      const others = resolved.filter((p, i) => p.openId !== ctx.openId && resolved.findIndex((q) => q.openId === p.openId) === i);
      const attendees: FindTimeResult['attendees'] = [];
      const persons = [{ timezone: tz, busy: await busyOf(ctx.openId, ctx.openId, fromMs, toMs, tz) }];
      for (const p of others) {
        const email = p.query.includes('@') ? p.query : undefined;
        const zone = await configuredZone(p.openId, email);
        const name = p.name ?? (await client.getUser(p.openId).catch(() => undefined))?.name ?? p.query;
        attendees.push({ name, open_id: p.openId, ...(zone ? { timezone: zone } : {}) });
        persons.push({ timezone: zone ?? tz, busy: await busyOf(ctx.openId, p.openId, fromMs, toMs, tz) });
      }
      // A room need: the fitting rooms (seats: as asked, else everyone), smallest first; the room counts as one
      // more "person" who is busy only when every candidate is, and each slot gets the first candidate free then.
      let candidates: Array<RoomInfo & { busy: Busy[] }> = [];
      if (input.room) {
        const seats = input.room.capacity ?? others.length + 1;
        const rooms = await tenantRooms();
        const fitting = rooms.filter((r) => (r.capacity ?? 0) >= seats && (!input.room!.place || roomMatches(r, input.room!.place)));
        if (!fitting.length) {
          const some = rooms.slice(0, 10).map((r) => ({ name: r.name, capacity: r.capacity, place: r.place }));
          return {
            durationMinutes: input.duration_minutes,
            timezone: tz,
            window: { start: formatWall(fromMs, tz), end: formatWall(toMs, tz) },
            slots: [],
            attendees,
            none: `No meeting room has ${seats} seats${input.room.place ? ` in "${input.room.place}"` : ''}. Tell the user; these rooms exist: ${JSON.stringify(some)}. ${OTHERS_CONTENT_NOTE}`,
          };
        }
        for (const r of fitting.slice(0, ROOM_CANDIDATES)) candidates.push({ ...r, busy: await roomBusy(ctx.openId, r.room_id, fromMs, toMs, tz) });
        persons.push({ timezone: tz, busy: busyOfAll(candidates.map((c) => c.busy)) });
      }
      const slots = findFreeSlots({ fromMs, toMs, durationMinutes: input.duration_minutes, people: persons, rules: sched, dayZone: tz, max: MAX_SLOTS });
      const roomFor = (sl: { startMs: number; endMs: number }) => candidates.find((c) => !c.busy.some((b) => b.startMs < sl.endMs && b.endMs > sl.startMs));
      const abroad = attendees.filter((a) => a.timezone && a.timezone !== tz);
      return {
        durationMinutes: input.duration_minutes,
        timezone: tz,
        window: { start: formatWall(fromMs, tz), end: formatWall(toMs, tz) },
        slots: slots.map((sl) => ({
          start: formatWall(sl.startMs, tz),
          end: formatWall(sl.endMs, tz),
          startMs: sl.startMs,
          endMs: sl.endMs,
          // The same slot on the clocks of people in other zones, so the answer can say "16:00 for Alice".
          ...(abroad.length
            ? {
                attendee_local: Object.fromEntries(
                  abroad.map((a) => [a.name, `${formatWall(sl.startMs, a.timezone!)}–${formatWall(sl.endMs, a.timezone!).slice(11)}`]),
                ),
              }
            : {}),
          ...(candidates.length ? { room: pickRoom(roomFor(sl)!) } : {}),
        })),
        attendees,
        ...(input.summary ? { summary: input.summary } : {}),
        ...(candidates.length ? { room_note: OTHERS_CONTENT_NOTE } : {}),
        ...(slots.length
          ? {}
          : {
              none: candidates.length
                ? 'No slot in this window when everyone and a fitting meeting room are free within working hours. Suggest a wider window, a shorter meeting or another place.'
                : 'No slot in this window when everyone is free within working hours. Suggest a wider window or a shorter meeting.',
            }),
      };
    },

    async list_rooms(input, ctx) {
      const all = await tenantRooms();
      const rooms = all.filter(
        (r) => (input.min_capacity === undefined || (r.capacity ?? 0) >= input.min_capacity) && (!input.query || roomMatches(r, input.query)),
      );
      const shown = rooms.slice(0, SHOWN_ROOMS);
      if (!input.start || !input.end)
        return { rooms: shown, total: rooms.length, ...(all.length ? {} : { note_rooms: 'Lark lists no meeting rooms for this company.' }) };
      const from = wallMs(input.start, ctx.timezone, 'start');
      const to = wallMs(input.end, ctx.timezone, 'end');
      const out = [];
      for (const [i, r] of shown.entries()) {
        if (i >= ROOM_BUSY_READS) {
          out.push(r);
          continue;
        }
        const busy = await roomBusy(ctx.openId, r.room_id, from, to, ctx.timezone);
        out.push({
          ...r,
          free: busy.length === 0,
          busy: busy.map((b) => ({ start: formatWall(b.startMs, ctx.timezone), end: formatWall(b.endMs, ctx.timezone) })),
        });
      }
      return { rooms: out, total: rooms.length, window: { start: formatWall(from, ctx.timezone), end: formatWall(to, ctx.timezone) } };
    },
  };

  /**
   * Small facts about an event for the confirmation card and rule: its title and times, and who else is in
   * it. Asks Lark for attendees explicitly (need_attendee=true; Lark's default is none). "Others attend"
   * counts every attendee (user, group, e-mail; not rooms, not removed ones) and the organizer
   * (event_organizer) who is not this user, compared by open_id; more attendees than Lark returned count
   * too. An event Lark will not show (gone, no access) is `found: false` and counts as shared, so the
   * caller asks; the tool call itself then reports the problem.
   */
  async function inspectEvent(input: { openId: string; eventId: string; timezone: string }): Promise<EventFacts> {
    let calendarId: string;
    let event: CalendarEvent;
    try {
      calendarId = await primaryCalendar(input.openId);
      event = await client.getEvent(calendarId, input.eventId, { as: asUser(input.openId), needAttendee: true, maxAttendeeNum: 100 });
    } catch (err) {
      const c = classifyLarkError(err);
      if (c && !c.retryable && c.type !== LarkFailureType.UserAuthRequired) return { found: false, attendeeNames: [], othersAttend: true };
      throw toLarkFailure(err);
    }
    if (event.status === 'cancelled') return { found: false, attendeeNames: [], othersAttend: true };
    return eventFacts(event, input.openId, calendarId, input.timezone);
  }

  /** The activities the workflow calls besides runTool: the reads before a confirmation, and a slot's re-check. */
  const activities = {
    inspectEvent,

    /** A room's name and place for the confirmation card (create_event with a room); unknown: found false. */
    async inspectRoom(input: { roomId: string }): Promise<{ found: boolean; name?: string; place?: string; capacity?: number }> {
      try {
        const r = await roomById(input.roomId);
        return { found: true, name: r.name, ...(r.place ? { place: r.place } : {}), ...(r.capacity !== undefined ? { capacity: r.capacity } : {}) };
      } catch (err) {
        if (err instanceof ToolInputError) return { found: false };
        throw toLarkFailure(err);
      }
    },

    /**
     * Re-reads free/busy for exactly one slot (a slot button was clicked): free when neither the user nor any
     * attendee has a busy block overlapping it. Read-only; Lark trouble is thrown like runTool's.
     */
    async checkSlot(input: CheckSlotInput): Promise<CheckSlotResult> {
      const tz = input.timezone ?? DEFAULT_TIMEZONE;
      const conflicts: CheckSlotResult['conflicts'] = [];
      try {
        for (const id of [input.openId, ...input.attendeeOpenIds.filter((a) => a !== input.openId)]) {
          const busy = (await busyOf(input.openId, id, input.startMs, input.endMs, tz)).filter((b) => b.startMs < input.endMs && b.endMs > input.startMs);
          if (!busy.length) continue;
          const who = (await client.getUser(id).catch(() => undefined))?.name ?? id;
          for (const b of busy) conflicts.push({ who, open_id: id, start: formatWall(b.startMs, tz), end: formatWall(b.endMs, tz) });
        }
        // The slot's room, booked by someone else since the proposal: the slot is taken too.
        if (input.roomId) {
          const busy = (await roomBusy(input.openId, input.roomId, input.startMs, input.endMs, tz)).filter(
            (b) => b.startMs < input.endMs && b.endMs > input.startMs,
          );
          for (const b of busy)
            conflicts.push({
              who: input.roomName ?? input.roomId,
              open_id: input.roomId,
              room: true,
              start: formatWall(b.startMs, tz),
              end: formatWall(b.endMs, tz),
            });
        }
      } catch (err) {
        throw toLarkFailure(err);
      }
      return { free: conflicts.length === 0, conflicts };
    },

    /** The confirmation rule's old question, kept while the workflow still asks it: a thin wrapper over inspectEvent. */
    async eventHasOtherAttendees(input: { openId: string; eventId: string; timezone?: string }): Promise<boolean> {
      const facts = await inspectEvent({ ...input, timezone: input.timezone ?? 'UTC' });
      return facts.othersAttend;
    },
  };

  return { handlers, activities };
}

/**
 * What an Undo of a deletion asks back besides the people: the rooms the event held (not the ones that had
 * declined or were removed) and the linked reminders the deletion cancelled (their ids; the index keeps the words).
 */
function roomsAndReminders(attendees: CalendarAttendee[], linked: LinkedReminderChange[]): { roomIds?: string[]; reminderIds?: string[] } {
  const roomIds = attendees
    .filter((a) => a.type === 'resource' && a.room_id && a.rsvp_status !== 'removed' && a.rsvp_status !== 'decline')
    .map((a) => a.room_id!);
  const reminderIds = linked.filter((c) => c.action === 'cancelled').map((c) => c.id);
  return { ...(roomIds.length ? { roomIds } : {}), ...(reminderIds.length ? { reminderIds } : {}) };
}
