/**
 * The agent's tools: Anthropic `tools` definitions, typed inputs and hand-written validation.
 * No I/O here: workflow code imports this to validate a tool_use and to decide whether to ask for confirmation.
 * A validation error is a sentence the model can read in a tool_result and correct.
 */
import type { StatusStage } from '../cards/status-card';
import { minutesBetween, parseLocal } from './time';

export interface ToolInputs {
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
  list_tasks: { completed?: boolean };
  create_task: { summary: string; due?: string; assignee?: string };
  complete_task: { task_id: string };
  find_person: { query: string };
  set_reminder: { text: string; at?: string; in_minutes?: number; repeat?: 'daily' | 'weekdays' | 'weekly'; time?: string; weekdays?: number[]; event_id?: string; minutes_before?: number; urgent?: boolean };
  list_reminders: Record<string, never>;
  cancel_reminder: { reminder_id: string };
  daily_agenda: { enabled: boolean; time?: string; in_this_chat?: boolean };
  set_timezone: { timezone: string };
}

/** What a meeting needs of a room: seats, and a place (a building, a floor, or a room's name). */
export interface RoomNeed {
  capacity?: number;
  place?: string;
}

export type ToolName = keyof ToolInputs;
export type ToolCall = { [N in ToolName]: { name: N; input: ToolInputs[N] } }[ToolName];

/** JSON schema subset the tools use; structurally an Anthropic `Tool['input_schema']`. */
export type JsonSchema = {
  type: 'object' | 'string' | 'integer' | 'boolean' | 'array';
  enum?: string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  additionalProperties?: boolean;
};

export type ToolDefinition = {
  name: ToolName;
  description: string;
  input_schema: JsonSchema & { type: 'object' };
};

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

const LOCAL_TIME_HINT = 'local wall-clock time in the user\'s timezone, "YYYY-MM-DDTHH:mm" without offset, e.g. "2026-11-22T15:00"';
const localTime = (description: string): JsonSchema => ({ type: 'string', description: `${description}: ${LOCAL_TIME_HINT}` });
const text = (description: string, maxLength = 200): JsonSchema => ({ type: 'string', description, minLength: 1, maxLength });
const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema & { type: 'object' } => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/**
 * Everything the agent knows about one tool, in one entry: what the model reads (description, input schema),
 * the activity's summary in the Temporal UI, whether it changes something (the answer's footer reports each
 * change; a failed one is "not done"), when the user must confirm it first, and what the status card says while
 * it runs. Executing it is I/O, so that lives in activities/agent-tools.ts, in a table keyed by the same names
 * (the compiler checks both cover every tool).
 */
export interface ToolSpec<N extends ToolName> {
  description: string;
  input_schema: JsonSchema & { type: 'object' };
  summary: string;
  writes: boolean;
  /** Whether a validated call must be confirmed first (absent: never). */
  confirm?: (input: ToolInputs[N], facts: ConfirmationFacts) => boolean;
  stage: (input: ToolInputs[N]) => StatusStage;
}

const CALENDAR: StatusStage = { kind: 'calendar' };
const THINKING: StatusStage = { kind: 'thinking' };

export const TOOLS: { readonly [N in ToolName]: ToolSpec<N> } = {
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
    stage: () => CALENDAR,
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
        summary: text('Event title, in the user\'s language'),
        start: localTime('Start'),
        end: localTime('End'),
        duration_minutes: { type: 'integer', description: 'Length in minutes when end is not given', minimum: 5, maximum: 1440 },
        attendees: { type: 'array', description: 'People to invite: names or emails', items: text('A name or an email', 100), maxItems: 50 },
        description: text('Notes or agenda', 2000),
        room: text('A meeting room to book for it: its room_id from list_rooms or find_time (the room may need approval: the result says whether it accepted)', 100),
      },
      ['summary', 'start'],
    ),
    summary: 'calendar: create event',
    writes: true,
    /** Inviting people (they see it), or booking a room (a shared resource). */
    confirm: (input) => (input.attendees?.length ?? 0) > 0 || input.room !== undefined,
    stage: () => ({ kind: 'writing', what: 'create_event' }),
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
    /** Others attend (shared until a lookup says otherwise). */
    confirm: (_, facts) => facts.eventHasOtherAttendees !== false,
    stage: () => ({ kind: 'writing', what: 'update_event' }),
  },
  delete_event: {
    description: 'Delete an event (event_id from list_events). The user confirms first.',
    input_schema: object({ event_id: text('The event id', 200) }, ['event_id']),
    summary: 'calendar: delete event',
    writes: true,
    confirm: () => true,
    stage: () => ({ kind: 'writing', what: 'delete_event' }),
  },
  list_invitations: {
    description:
      "List the invitations the user has not answered yet: events organized by someone else where the user's RSVP is still pending " +
      `(needs action), overlapping [start, end). Without start and end it looks from now to ${INVITATION_DAYS} days ahead. ` +
      'Each has event_id, title, local times and the organizer; answer one with reply_invitation.',
    input_schema: object({ start: localTime('Window start (default: now)'), end: localTime(`Window end, exclusive (default: ${INVITATION_DAYS} days from now)`) }),
    summary: 'calendar: list invitations',
    writes: false,
    stage: () => CALENDAR,
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
  },
  free_busy: {
    description: 'Busy periods of the user, or of another person (a name or an email), in [start, end).',
    input_schema: object(
      { person: text('A name or email; omit for the user', 100), start: localTime('Window start'), end: localTime('Window end') },
      ['start', 'end'],
    ),
    summary: 'calendar: free/busy',
    writes: false,
    stage: (input) => (input.person ? { kind: 'availability', people: [input.person] } : CALENDAR),
  },
  find_time: {
    description:
      'Find times when the user and the attendees are all free, for a meeting of duration_minutes, between start and end ' +
      '(turn "next week", "tomorrow afternoon", "before Friday" into that window yourself). Reads everyone\'s free/busy and ' +
      `keeps to working hours and days, without lunch, each person in their own time zone. Returns at most ${MAX_SLOTS} slots ` +
      '(times in the user\'s zone) and the attendees it resolved; it books nothing. Offer the slots to the user; book one ' +
      'with create_event only when the user picks it. A person not found or matching several people is an error with the candidates. ' +
      'With room (seats and/or a place: a building, a floor, a room name), each slot also has a meeting room free then that fits, and booking the slot books that room.',
    input_schema: object(
      {
        attendees: { type: 'array', description: 'People to meet: names or emails (omit for the user alone)', items: text('A name or an email', 100), maxItems: 20 },
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
    stage: () => CALENDAR,
  },
  list_tasks: {
    description: "List the user's tasks: open ones by default, completed ones when completed is true.",
    input_schema: object({ completed: { type: 'boolean', description: 'true: completed tasks; false or omitted: open tasks' } }),
    summary: 'tasks: list',
    writes: false,
    stage: () => ({ kind: 'tasks' }),
  },
  create_task: {
    description: 'Create a task for the user, or assigned to another person (asks the user to confirm first).',
    input_schema: object(
      {
        summary: text('What to do, in the user\'s language'),
        due: { type: 'string', description: `Due date "YYYY-MM-DD" or due time as ${LOCAL_TIME_HINT}` },
        assignee: text('A name or email; omit for the user', 100),
      },
      ['summary'],
    ),
    summary: 'tasks: create task',
    writes: true,
    /** Assigned to someone else: they see it. */
    confirm: (input) => input.assignee !== undefined,
    stage: () => ({ kind: 'writing', what: 'create_task' }),
  },
  complete_task: {
    description: 'Mark a task done (task_id from list_tasks).',
    input_schema: object({ task_id: text('The task id', 200) }, ['task_id']),
    summary: 'tasks: complete task',
    writes: true,
    stage: () => ({ kind: 'writing', what: 'complete_task' }),
  },
  find_person: {
    description: 'Find people in the company directory by name or email; returns their names, emails and ids.',
    input_schema: object({ query: text('A name, part of a name, or an email', 100) }, ['query']),
    summary: 'contacts: find person',
    writes: false,
    stage: () => ({ kind: 'people' }),
  },
  // Reminders: Temporal fires them (a durable timer per reminder) as a card in this chat.
  set_reminder: {
    description:
      'Remind the user of something: a card with the text is posted in this chat at the time. Give exactly one of: at (a local time), ' +
      'in_minutes (from now), repeat with time (and weekdays for weekly), or event_id with minutes_before. For "15 minutes before my ' +
      'next meeting" list the events first and give that event_id: the reminder then follows the meeting (moved: it moves too; ' +
      'cancelled: it is dropped and the user told).',
    input_schema: object(
      {
        text: text('What to remind of, in the user\'s words and language (e.g. "call Lan")', 300),
        at: localTime('When, once'),
        in_minutes: { type: 'integer', description: 'Minutes from now, once', minimum: 1, maximum: 525600 },
        repeat: { type: 'string', enum: ['daily', 'weekdays', 'weekly'], description: 'Recurring: every day, Monday to Friday, or on the given weekdays' },
        time: { type: 'string', description: 'For repeat: local time of day "HH:mm", e.g. "09:00"' },
        weekdays: { type: 'array', description: 'For weekly: days, 0 = Sunday, 1 = Monday ... 6 = Saturday', items: { type: 'integer', minimum: 0, maximum: 6 }, maxItems: 7 },
        event_id: text('A calendar event (event_id from list_events): remind minutes_before its start, following it if it moves', 200),
        minutes_before: { type: 'integer', description: 'With event_id: how many minutes before the event starts (0 = at the start)', minimum: 0, maximum: 1440 },
        urgent: {
          type: 'boolean',
          description:
            'Only when the user asked for it ("remind me urgently", "nhắc khẩn", "gấp"): if nobody clicks the card within a few minutes, the user gets ONE in-app urgent notification in Lark (never SMS or a phone call).',
        },
      },
      ['text'],
    ),
    summary: 'reminders: set',
    writes: true,
    stage: () => THINKING,
  },
  list_reminders: {
    description: "List the user's active reminders (and the daily agenda): ids, text, next time, how they repeat.",
    input_schema: object({}),
    summary: 'reminders: list',
    writes: false,
    stage: () => THINKING,
  },
  cancel_reminder: {
    description: 'Cancel one of the user\'s reminders (reminder_id from list_reminders). Future occurrences stop.',
    input_schema: object({ reminder_id: text('The reminder id', 64) }, ['reminder_id']),
    summary: 'reminders: cancel',
    writes: true,
    stage: () => THINKING,
  },
  daily_agenda: {
    description:
      "Turn the daily agenda on (every day at time, default 08:00: the day's events and due tasks, read as the user then) or off. " +
      "It goes to the user's private chat with the bot; only when the user explicitly asks for it in this chat (\"post my agenda in this group\") set in_this_chat, and private events then show as busy.",
    input_schema: object(
      {
        enabled: { type: 'boolean', description: 'true: on (or change its time); false: off' },
        time: { type: 'string', description: 'Local time of day "HH:mm"' },
        in_this_chat: { type: 'boolean', description: 'true only when the user explicitly asked to receive it in this chat rather than privately' },
      },
      ['enabled'],
    ),
    summary: 'reminders: daily agenda',
    writes: true,
    stage: () => THINKING,
  },
  set_timezone: {
    description:
      "Set the user's own time zone (\"my timezone is Asia/Tokyo\", \"I'm in New York now\"): from their next message, dates, times and new reminders " +
      'use it. Give an IANA name (Area/City, e.g. "Asia/Tokyo", "America/New_York") or "UTC"; turn a city or country into one yourself, and ask when unsure.',
    input_schema: object({ timezone: text('IANA time zone name, e.g. "Asia/Tokyo"', 64) }, ['timezone']),
    summary: 'settings: time zone',
    writes: true,
    stage: () => THINKING,
  },
};

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** The tools as the Messages API takes them, in the table's order (the prompt cache depends on it). */
export const TOOL_DEFINITIONS: readonly ToolDefinition[] = TOOL_NAMES.map((name) => ({ name, description: TOOLS[name].description, input_schema: TOOLS[name].input_schema }));

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as string[]).includes(name);
}

// --- Validation ---

export type ToolValidation = { ok: true; call: ToolCall } | { ok: false; error: string };

type Obj = Record<string, unknown>;

/**
 * Checks a tool_use's input against its tool: shape (required, types, no unknown fields), then meaning
 * (real calendar dates, end after start, bounded windows). Returns every problem in one sentence.
 */
export function validateToolInput(name: string, input: unknown): ToolValidation {
  if (!isToolName(name)) return { ok: false, error: `Unknown tool "${name}". Available tools: ${TOOL_NAMES.join(', ')}.` };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `${name}: input must be a JSON object.` };
  }
  const def = TOOL_DEFINITIONS.find((t) => t.name === name)!;
  const problems = checkShape(def.input_schema, input as Obj);
  problems.push(...checkMeaning(name, input as Obj)); // guarded by type checks, so every problem is named at once
  if (problems.length) return { ok: false, error: `${name}: ${problems.join('; ')}.` };
  return { ok: true, call: { name, input } as ToolCall };
}

function checkShape(schema: JsonSchema, input: Obj): string[] {
  const problems: string[] = [];
  const props = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (input[key] === undefined || input[key] === null) problems.push(`${key} is required`);
  }
  for (const [key, value] of Object.entries(input)) {
    const prop = props[key];
    if (!prop) {
      const allowed = Object.keys(props);
      problems.push(`unknown field "${key}" (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`);
      continue;
    }
    if (value === undefined || value === null) continue;
    problems.push(...checkValue(key, prop, value));
  }
  return problems;
}

function checkValue(key: string, prop: JsonSchema, value: unknown): string[] {
  switch (prop.type) {
    case 'string':
      if (typeof value !== 'string') return [`${key} must be a string`];
      if (prop.enum && !prop.enum.includes(value)) return [`${key} must be one of ${prop.enum.join(', ')}`];
      if (prop.minLength && value.trim().length < prop.minLength) return [`${key} must not be empty`];
      if (prop.maxLength && value.length > prop.maxLength) return [`${key} must be at most ${prop.maxLength} characters`];
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${key} must be a whole number`];
      if ((prop.minimum !== undefined && value < prop.minimum) || (prop.maximum !== undefined && value > prop.maximum)) {
        return [`${key} must be from ${prop.minimum} to ${prop.maximum}`];
      }
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${key} must be true or false`];
    case 'array': {
      if (!Array.isArray(value)) return [`${key} must be a list`];
      if (prop.maxItems !== undefined && value.length > prop.maxItems) return [`${key} must have at most ${prop.maxItems} items`];
      return value.flatMap((v, i) => (prop.items ? checkValue(`${key}[${i}]`, prop.items, v) : []));
    }
    default:
      return [];
  }
}

const LOCAL_FIELDS = ['start', 'end'] as const;

function checkMeaning(name: ToolName, input: Obj): string[] {
  const problems: string[] = [];
  const times: Record<string, ReturnType<typeof parseLocal>> = {};
  for (const key of LOCAL_FIELDS) {
    const v = input[key];
    if (typeof v !== 'string') continue;
    const t = /T/.test(v) ? parseLocal(v) : undefined;
    if (!t) problems.push(`${key} must be ${LOCAL_TIME_HINT} (got "${v}")`);
    times[key] = t;
  }
  const { start, end } = times;
  if (start && end && minutesBetween(start, end) <= 0) problems.push(`end (${input.end}) must be after start (${input.start})`);
  if ((name === 'list_invitations' || name === 'list_rooms') && (input.start === undefined) !== (input.end === undefined)) problems.push('give both start and end, or neither');
  if (name === 'list_rooms' && start && end && minutesBetween(start, end) > 1440) problems.push('the availability window must be at most 1 day');
  if (name === 'find_time' && input.room !== undefined) problems.push(...checkRoomNeed(input.room));
  if ((name === 'list_events' || name === 'free_busy' || name === 'list_invitations') && start && end && minutesBetween(start, end) > MAX_RANGE_DAYS * 1440) {
    problems.push(`the window must be at most ${MAX_RANGE_DAYS} days; ask for a shorter range`);
  }
  if (name === 'find_time' && start && end && minutesBetween(start, end) > MAX_FIND_DAYS * 1440) {
    problems.push(`the window must be at most ${MAX_FIND_DAYS} days; search a shorter range`);
  }
  if (name === 'find_time' && start && end && typeof input.duration_minutes === 'number' && minutesBetween(start, end) < input.duration_minutes) {
    problems.push(`the window (${input.start} to ${input.end}) is shorter than duration_minutes`);
  }
  // A meeting without a time is a question for the user, never a default time.
  if (name === 'create_event' && (input.start === undefined || input.start === null || input.start === '')) {
    problems.push('ask the user when it should start (day and time); do not pick a time yourself');
  }
  if (name === 'create_event' && input.end !== undefined && input.duration_minutes !== undefined) {
    problems.push('give either end or duration_minutes, not both');
  }
  if (name === 'update_event' && input.summary === undefined && input.start === undefined && input.end === undefined) {
    problems.push('give at least one of summary, start, end to change');
  }
  if (name === 'create_task' && typeof input.due === 'string' && !parseLocal(input.due)) {
    problems.push(`due must be a date "YYYY-MM-DD" or ${LOCAL_TIME_HINT} (got "${input.due}")`);
  }
  if (name === 'set_reminder' || name === 'daily_agenda') problems.push(...checkReminder(name, input));
  if (name === 'set_timezone' && typeof input.timezone === 'string' && !TIMEZONE_NAME.test(input.timezone.trim())) {
    problems.push(`timezone must be an IANA name like "Asia/Tokyo" or "UTC" (got "${input.timezone}")`);
  }
  if ((name === 'create_event' || name === 'find_time') && Array.isArray(input.attendees)) {
    const seen = new Set<string>();
    for (const a of input.attendees.filter((x): x is string => typeof x === 'string')) {
      const k = a.trim().toLowerCase();
      if (seen.has(k)) problems.push(`attendee "${a}" is listed twice`);
      seen.add(k);
    }
  }
  return problems;
}

/** find_time's room need: an object with capacity and / or place, nothing else. */
function checkRoomNeed(room: unknown): string[] {
  if (typeof room !== 'object' || room === null || Array.isArray(room)) return ['room must be an object like {"capacity": 6, "place": "Floor 3"}'];
  const r = room as Obj;
  const problems: string[] = [];
  for (const key of Object.keys(r)) if (key !== 'capacity' && key !== 'place') problems.push(`room has an unknown field "${key}" (allowed: capacity, place)`);
  if (r.capacity !== undefined && (typeof r.capacity !== 'number' || !Number.isInteger(r.capacity) || r.capacity < 1 || r.capacity > 500)) problems.push('room.capacity must be a whole number from 1 to 500');
  if (r.place !== undefined && (typeof r.place !== 'string' || !r.place.trim() || r.place.length > 100)) problems.push('room.place must be a short text (a building, a floor or a room name)');
  return problems;
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
/** The shape of an IANA zone name; whether the zone exists is checked where it is stored (Intl, in the activity). */
const TIMEZONE_NAME = /^(?:UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})$/;

/** A reminder names exactly one "when"; a recurring one its time of day (and weekdays for weekly). */
function checkReminder(name: 'set_reminder' | 'daily_agenda', input: Obj): string[] {
  const problems: string[] = [];
  if (typeof input.time === 'string' && !CLOCK.test(input.time)) problems.push(`time must be "HH:mm" (24-hour), e.g. "09:00" (got "${input.time}")`);
  if (name === 'daily_agenda') return problems;
  if (typeof input.at === 'string' && !(/T/.test(input.at) && parseLocal(input.at))) problems.push(`at must be ${LOCAL_TIME_HINT} (got "${input.at}")`);
  const whens = ['at', 'in_minutes', 'repeat', 'event_id'].filter((k) => input[k] !== undefined);
  if (whens.length !== 1) problems.push(`give exactly one of at, in_minutes, repeat, event_id (got ${whens.length ? whens.join(', ') : 'none'})`);
  if (input.event_id !== undefined && input.minutes_before === undefined) problems.push('event_id needs minutes_before (0 = at the start)');
  if (input.event_id === undefined && input.minutes_before !== undefined) problems.push('minutes_before goes with event_id');
  if (input.repeat !== undefined && input.time === undefined) problems.push('repeat needs time ("HH:mm")');
  if (input.repeat === undefined && (input.time !== undefined || input.weekdays !== undefined)) problems.push('time and weekdays go with repeat');
  if (input.repeat === 'weekly' && (!Array.isArray(input.weekdays) || input.weekdays.length === 0)) problems.push('repeat "weekly" needs weekdays (0 = Sunday ... 6 = Saturday)');
  if (input.repeat !== undefined && input.repeat !== 'weekly' && input.weekdays !== undefined) problems.push('weekdays go with repeat "weekly" only');
  return problems;
}

// --- Effects: what changes something, and what needs the user's confirmation before it runs ---

/** The tools that change something (in Lark or the user's reminders); the others only read, safe to run and retry freely. */
export const WRITE_TOOLS: ReadonlySet<ToolName> = new Set(TOOL_NAMES.filter((name) => TOOLS[name].writes));

/** Facts only a lookup can tell, e.g. whether the event being changed has other attendees. */
export interface ConfirmationFacts {
  eventHasOtherAttendees?: boolean;
}

/**
 * Whether a (validated) call must be confirmed by the user first: it deletes, or other people see it
 * (invitations, changes to a shared event, a task assigned to someone else). update_event counts as shared
 * until a lookup says otherwise.
 */
export function needsConfirmation(call: ToolCall, facts: ConfirmationFacts = {}): boolean {
  const confirm = TOOLS[call.name].confirm as ((input: ToolCall['input'], facts: ConfirmationFacts) => boolean) | undefined;
  return confirm?.(call.input, facts) ?? false;
}

/** What the status card says while the call runs. */
export function toolStage(call: ToolCall): StatusStage {
  return (TOOLS[call.name].stage as (input: ToolCall['input']) => StatusStage)(call.input);
}

/** The activity's summary in the Temporal UI ("calendar: create event"). */
export const toolSummary = (call: ToolCall): string => TOOLS[call.name].summary;
