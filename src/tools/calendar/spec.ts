/**
 * The calendar family: events, invitations, free/busy, find a time, meeting rooms (and the clock). What the
 * model reads of each tool, the checks beyond its schema, when the user confirms it first and what the card and
 * the footer then say. Pure: workflow code imports it. Executing them is activities/tools/calendar.ts.
 */
import type { StatusStage } from '../../cards/status-card';
import { escapeLarkMdLine } from '../../cards/lark-md';
import { formatWhen } from '../../i18n/dates';
import { t, type Lang } from '../../i18n/language';
import { zonedToEpochMs } from '../../lark/time';
import { minutesBetween } from '../../agent/time';
import { attendeesOnce, bothOrNeither, windowAtMost } from '../checks';
import { localTime, object, text, type FamilyTools, type Obj } from '../spec';
import { when } from '../when';
import { calendarNotDone } from './wording';

export interface CalendarInputs {
  get_current_time: Record<string, never>;
  list_events: { start: string; end: string };
  create_event: {
    summary: string;
    start: string;
    end?: string;
    duration_minutes?: number;
    attendees?: string[];
    description?: string;
    /** A meeting room's room_id (from list_rooms or find_time): booked as a resource attendee. */
    room?: string;
  };
  update_event: { event_id: string; summary?: string; start?: string; end?: string };
  delete_event: { event_id: string };
  list_invitations: { start?: string; end?: string };
  reply_invitation: { event_id: string; response: 'accept' | 'decline' | 'tentative' };
  free_busy: { person?: string; start: string; end: string };
  find_time: { attendees?: string[]; duration_minutes: number; start: string; end: string; room?: RoomNeed; summary?: string };
  list_rooms: { query?: string; min_capacity?: number; start?: string; end?: string };
}

/** What a meeting needs of a room: seats, and a place (a building, a floor, or a room's name). */
export interface RoomNeed {
  capacity?: number;
  place?: string;
}

/** Default length of an event created with neither end nor duration_minutes. */
export const DEFAULT_EVENT_MINUTES = 60;
/** The widest window list_events and free_busy accept, so one call cannot pull a year of calendar. */
export const MAX_RANGE_DAYS = 62;
/** The widest window find_time searches (everyone's free/busy is read for all of it). */
export const MAX_FIND_DAYS = 31;
/** At most this many slots come back from find_time (the slot card has one button each). */
export const MAX_SLOTS = 3;
/** list_invitations looks this far ahead when no window is given. */
export const INVITATION_DAYS = 14;
/** The answers reply_invitation can give (Lark's event reply API). */
export const INVITATION_RESPONSES = ['accept', 'decline', 'tentative'] as const;

const CALENDAR: StatusStage = { kind: 'calendar' };
const RANGE_TOO_LONG = `the window must be at most ${MAX_RANGE_DAYS} days; ask for a shorter range`;

export const CALENDAR_TOOLS: FamilyTools<CalendarInputs> = {
  get_current_time: {
    description: 'The current date, time and timezone of the user. Use it when you are unsure what "today" or "now" is.',
    input_schema: object({}),
    summary: 'time: now',
    writes: false,
    stage: () => CALENDAR,
  },
  list_events: {
    description: "List the user's calendar events that overlap [start, end). For one day use 00:00 of that day to 00:00 of the next.",
    input_schema: object({ start: localTime('Window start'), end: localTime('Window end (exclusive)') }, ['start', 'end']),
    summary: 'calendar: list events',
    writes: false,
    check: (_, times) => windowAtMost(MAX_RANGE_DAYS, times, RANGE_TOO_LONG),
    stage: () => CALENDAR,
    readsOthersContent: true,
  },
  create_event: {
    description:
      "Create an event in the user's calendar and invite attendees. Give end or duration_minutes (default " +
      `${DEFAULT_EVENT_MINUTES}). Attendees are names, emails or open_ids (from find_time); names are resolved in the company directory. Inviting people asks the user to confirm first. ` +
      'Never guess a start time: if the user gave none, ask. It refuses (nothing created) a start in the past and a person ' +
      'not found or matching several people (with the candidates): ask the user. When the new event overlaps events ' +
      "already in the user's calendar, the result lists them (conflicts) with next_free, the next slot of the same length " +
      'when everyone is free: tell the user about the overlap and offer to move it there.',
    input_schema: object(
      {
        summary: text("Event title, in the user's language"),
        start: localTime('Start'),
        end: localTime('End'),
        duration_minutes: { type: 'integer', description: 'Length in minutes when end is not given', minimum: 5, maximum: 1440 },
        attendees: { type: 'array', description: 'People to invite: names or emails', items: text('A name or an email', 100), maxItems: 50 },
        description: text('Notes or agenda', 2000),
        room: text(
          'A meeting room to book for it: its room_id from list_rooms or find_time (the room may need approval: the result says whether it accepted)',
          100,
        ),
      },
      ['summary', 'start'],
    ),
    summary: 'calendar: create event',
    writes: true,
    check: (input) => [
      // A meeting without a time is a question for the user, never a default time.
      ...(input.start === undefined || input.start === null || input.start === ''
        ? ['ask the user when it should start (day and time); do not pick a time yourself']
        : []),
      ...(input.end !== undefined && input.duration_minutes !== undefined ? ['give either end or duration_minutes, not both'] : []),
      ...attendeesOnce(input),
    ],
    /** Inviting people (they see it), or booking a room (a shared resource). */
    confirm: (input) => (input.attendees?.length ?? 0) > 0 || input.room !== undefined,
    stage: () => ({ kind: 'writing', what: 'create_event' }),
    // Verbs only: "what meetings do I have?" asks for nothing to be created.
    asks: /\b(?:book|schedule|create|set ?up|add|arrange|plan|organi[sz]e|invite|find)\b|tạo|đặt|lên lịch|xếp|thêm|mời|tìm/iu,
    // A room to book: its name and place for the card (a tool no older history called with a room).
    booksRoom: (input) => input.room,
    notDone: (input, tz, lang) => t(lang, calendarNotDone.createEvent(input.summary, eventWhen(input, tz, lang))),
    confirmDetails: (input, { tz, lang }) => ({
      lang,
      action: 'create_event',
      title: input.summary,
      when: eventWhen(input, tz, lang),
      people: input.attendees ?? [],
    }),
  },
  update_event: {
    description:
      'Change the title or time of an event (event_id from list_events). If others are invited the user confirms first. ' +
      'A new time in the past is refused; when the new time overlaps other events the result lists them (conflicts) with next_free, like create_event.',
    input_schema: object(
      {
        event_id: text('The event id', 200),
        summary: text('New title'),
        start: localTime('New start'),
        end: localTime('New end'),
      },
      ['event_id'],
    ),
    summary: 'calendar: update event',
    writes: true,
    check: (input) =>
      input.summary === undefined && input.start === undefined && input.end === undefined ? ['give at least one of summary, start, end to change'] : [],
    /** Others attend (shared until a lookup says otherwise). */
    confirm: (_, facts) => facts.eventHasOtherAttendees !== false,
    stage: () => ({ kind: 'writing', what: 'update_event' }),
    asks: /\b(?:move|reschedule|postpone|push|rename|change|update|shift|delay|bring|put off|edit)\b|dời|chuyển|lùi|hoãn|đổi|sửa|cập nhật|dịch|đẩy/iu,
    inspectsEvent: (input) => input.event_id,
    notDone: (_, __, lang) => t(lang, calendarNotDone.updateEvent),
    confirmDetails: (input, { tz, lang, known }) => ({
      lang,
      action: 'update_event',
      fallbackId: input.event_id,
      ...known,
      ...(input.summary ? { newTitle: input.summary } : {}),
      ...(input.start ? { newWhen: when(input.start, input.end, tz, lang) } : {}),
    }),
  },
  delete_event: {
    description: 'Delete an event (event_id from list_events). The user confirms first.',
    input_schema: object({ event_id: text('The event id', 200) }, ['event_id']),
    summary: 'calendar: delete event',
    writes: true,
    confirm: () => true,
    stage: () => ({ kind: 'writing', what: 'delete_event' }),
    asks: /\b(?:cancel|delete|remove|drop|scrap|clear)\b|huỷ|hủy|xoá|xóa|bỏ/iu,
    inspectsEvent: (input) => input.event_id,
    notDone: (_, __, lang) => t(lang, calendarNotDone.deleteEvent),
    confirmDetails: (input, { lang, known }) => ({ lang, action: 'delete_event', fallbackId: input.event_id, ...known }),
  },
  list_invitations: {
    description:
      "List the invitations the user has not answered yet: events organized by someone else where the user's RSVP is still pending " +
      `(needs action), overlapping [start, end). Without start and end it looks from now to ${INVITATION_DAYS} days ahead. ` +
      'Each has event_id, title, local times and the organizer; answer one with reply_invitation.',
    input_schema: object({
      start: localTime('Window start (default: now)'),
      end: localTime(`Window end, exclusive (default: ${INVITATION_DAYS} days from now)`),
    }),
    summary: 'calendar: list invitations',
    writes: false,
    check: (input, times) => [...bothOrNeither(input), ...windowAtMost(MAX_RANGE_DAYS, times, RANGE_TOO_LONG)],
    stage: () => CALENDAR,
    readsOthersContent: true,
  },
  reply_invitation: {
    description:
      'Answer an invitation for the user: accept, decline or tentative (event_id from list_invitations or list_events). ' +
      'The organizer sees the answer, so the user confirms first. Only events the user is invited to (not their own) can be answered.',
    input_schema: object(
      {
        event_id: text('The event id', 200),
        response: { type: 'string', enum: [...INVITATION_RESPONSES], description: 'accept, decline or tentative (maybe)' },
      },
      ['event_id', 'response'],
    ),
    summary: 'calendar: reply to invitation',
    writes: true,
    /** The organizer (and, in Lark, the other attendees) see the answer. */
    confirm: () => true,
    stage: () => ({ kind: 'writing', what: 'reply_invitation' }),
    asks: /\b(?:accept|decline|reject|refuse|tentative(?:ly)?|maybe|rsvp|answer|reply|respond|turn down)\b|chấp nhận|đồng ý|nhận lời|từ chối|trả lời|phản hồi|có thể tham dự|không tham dự/iu,
    // An invitation's answer reads the event too (a tool no older history holds, so replays are unchanged).
    inspectsEvent: (input) => input.event_id,
    notDone: (input, _, lang) => t(lang, calendarNotDone.replyInvitation(input.response)),
    confirmDetails: (input, { lang, facts, known }) => ({
      lang,
      action: 'reply_invitation',
      rsvp: input.response,
      fallbackId: input.event_id,
      ...(known.title ? { title: known.title } : {}),
      ...(known.when ? { when: known.when } : {}),
      ...(facts?.organizer ? { organizer: facts.organizer } : {}),
    }),
  },
  free_busy: {
    description: 'Busy periods of the user, or of another person (a name or an email), in [start, end).',
    input_schema: object({ person: text('A name or email; omit for the user', 100), start: localTime('Window start'), end: localTime('Window end') }, [
      'start',
      'end',
    ]),
    summary: 'calendar: free/busy',
    writes: false,
    check: (_, times) => windowAtMost(MAX_RANGE_DAYS, times, RANGE_TOO_LONG),
    stage: (input) => (input.person ? { kind: 'availability', people: [input.person] } : CALENDAR),
  },
  find_time: {
    description:
      'Find times when the user and the attendees are all free, for a meeting of duration_minutes, between start and end ' +
      '(turn "next week", "tomorrow afternoon", "before Friday" into that window yourself). Reads everyone\'s free/busy and ' +
      `keeps to working hours and days, without lunch, each person in their own time zone. Returns at most ${MAX_SLOTS} slots ` +
      "(times in the user's zone) and the attendees it resolved; it books nothing. Offer the slots to the user; book one " +
      'with create_event only when the user picks it. A person not found or matching several people is an error with the candidates. ' +
      'With room (seats and/or a place: a building, a floor, a room name), each slot also has a meeting room free then that fits, and booking the slot books that room.',
    input_schema: object(
      {
        attendees: {
          type: 'array',
          description: 'People to meet: names or emails (omit for the user alone)',
          items: text('A name or an email', 100),
          maxItems: 20,
        },
        duration_minutes: { type: 'integer', description: 'Meeting length in minutes', minimum: 5, maximum: 480 },
        start: localTime('Window start'),
        end: localTime('Window end (exclusive)'),
        room: {
          type: 'object',
          description: 'Only when the user wants a meeting room: what it needs',
          properties: {
            capacity: { type: 'integer', description: 'Seats needed (people in the meeting)', minimum: 1, maximum: 500 },
            place: text('Where: a building, a floor ("Floor 3", "tầng 3") or a room name', 100),
          },
          additionalProperties: false,
        },
        summary: text('The meeting\'s title when a slot is booked, in the user\'s language (default: "Meeting with ...")'),
      },
      ['duration_minutes', 'start', 'end'],
    ),
    summary: 'calendar: find a time',
    writes: false,
    check: (input, times) => [
      ...(input.room !== undefined ? checkRoomNeed(input.room) : []),
      ...windowAtMost(MAX_FIND_DAYS, times, `the window must be at most ${MAX_FIND_DAYS} days; search a shorter range`),
      ...(times.start && times.end && typeof input.duration_minutes === 'number' && minutesBetween(times.start, times.end) < input.duration_minutes
        ? [`the window (${input.start} to ${input.end}) is shorter than duration_minutes`]
        : []),
      ...attendeesOnce(input),
    ],
    stage: (input) => (input.attendees?.length ? { kind: 'availability', people: input.attendees } : CALENDAR),
  },
  list_rooms: {
    description:
      "List the company's meeting rooms: room_id, name, capacity (seats) and place (building / floor, where Lark has them), smallest first. " +
      'query matches a name, building or floor ("Floor 3", "tầng 3", "Lotus"); min_capacity keeps rooms with at least that many seats. ' +
      'With start and end, each room also says whether it is free then and its busy times. Book one with create_event room (or find_time room).',
    input_schema: object({
      query: text('A room name, building or floor', 100),
      min_capacity: { type: 'integer', description: 'At least this many seats', minimum: 1, maximum: 500 },
      start: localTime('Availability window start'),
      end: localTime('Availability window end (exclusive)'),
    }),
    summary: 'rooms: list',
    writes: false,
    check: (input, times) => [...bothOrNeither(input), ...windowAtMost(1, times, 'the availability window must be at most 1 day')],
    stage: () => CALENDAR,
    readsOthersContent: true,
  },
};

/** A new event's time with its end (given, or start + duration, 60 minutes by default as the tool does). */
function eventWhen(input: { start: string; end?: string; duration_minutes?: number }, tz: string, lang: Lang): string {
  try {
    const start = zonedToEpochMs(input.start, tz);
    const end = input.end ? zonedToEpochMs(input.end, tz) : start + (input.duration_minutes ?? DEFAULT_EVENT_MINUTES) * 60_000;
    return formatWhen(start, end, tz, lang);
  } catch {
    return escapeLarkMdLine(input.start, 40);
  }
}

/** find_time's room need: an object with capacity and / or place, nothing else. */
function checkRoomNeed(room: unknown): string[] {
  if (typeof room !== 'object' || room === null || Array.isArray(room)) return ['room must be an object like {"capacity": 6, "place": "Floor 3"}'];
  const r = room as Obj;
  const problems: string[] = [];
  for (const key of Object.keys(r)) if (key !== 'capacity' && key !== 'place') problems.push(`room has an unknown field "${key}" (allowed: capacity, place)`);
  if (r.capacity !== undefined && (typeof r.capacity !== 'number' || !Number.isInteger(r.capacity) || r.capacity < 1 || r.capacity > 500))
    problems.push('room.capacity must be a whole number from 1 to 500');
  if (r.place !== undefined && (typeof r.place !== 'string' || !r.place.trim() || r.place.length > 100))
    problems.push('room.place must be a short text (a building, a floor or a room name)');
  return problems;
}
