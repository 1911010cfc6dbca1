/**
 * Lark API activities. Inputs carry ids and small facts (never tokens: the client gets those itself);
 * outputs are small summaries so workflow histories stay small.
 * Idempotency: every write derives its Lark key (message uuid, idempotency_key, client_token) from
 * `sourceMessageId` + `step`, so a Temporal retry repeats the same request and Lark keeps one copy.
 * Errors: everything thrown goes through toLarkFailure (typed, retryable or not; see errors.ts).
 */
import { Context } from '@temporalio/activity';
import {
  asUser,
  type BaseFields,
  type CalendarEvent,
  type CallOptions,
  type EventTimeWire,
  type LarkClient,
  type MessageContent,
  messageUuid,
  type MsgType,
  type ReceiveIdType,
  stableUuid,
  TENANT,
} from '../src/lark/client';
import { LarkRequestInvalid, toLarkFailure } from '../src/lark/errors';
import {
  calendarSecondsToWall,
  DEFAULT_TIMEZONE,
  isValidTimeZone,
  taskMillisToWall,
  toCalendarSeconds,
  toTaskMillis,
  zonedToEpochMs,
} from '../src/lark/time';

export interface LarkActivityDeps {
  client: LarkClient;
  /** Zone for wall-clock times when an input names none (config DEFAULT_TIMEZONE). */
  defaultTimezone?: string;
}

/** Which side effect this is: the user message that caused it and the step of its handling. */
export interface EffectRef {
  sourceMessageId: string;
  /** Unique within the handling of sourceMessageId, e.g. "answer", "tool-3". */
  step: string;
}

/** Message body: plain text, or a Lark msg_type with its content (card JSON, post, ...). */
export type MessageBody = { text: string } | { msgType: MsgType; content: MessageContent };

export type ReplyToMessageInput = MessageBody & {
  /** The message replied to; it is also the source of this effect. */
  messageId: string;
  step: string;
  replyInThread?: boolean;
};

export type SendMessageInput = MessageBody &
  EffectRef & {
    receiveIdType: ReceiveIdType;
    receiveId: string;
  };

export interface UpdateCardInput {
  messageId: string;
  card: Record<string, unknown>;
}

/** Acting identity: a user's open_id to act with their authorization; absent = the app (bot). */
interface ActAs {
  openId?: string;
}

export interface CreateCalendarEventInput extends EffectRef, ActAs {
  /** Absent = the acting identity's primary calendar. */
  calendarId?: string;
  summary: string;
  description?: string;
  /** Wall-clock "2026-11-22 15:00" in `timezone`. */
  start: string;
  end: string;
  timezone?: string;
  location?: string;
  attendeeOpenIds?: string[];
  reminderMinutes?: number[];
}

export interface CalendarEventSummary {
  eventId: string;
  summary?: string;
  /** Wall-clock in the requested zone, or "YYYY-MM-DD" for all-day events. */
  start?: string;
  end?: string;
  allDay: boolean;
  location?: string;
  appLink?: string;
}

export interface ListCalendarEventsInput extends ActAs {
  calendarId?: string;
  /** Wall-clock range in `timezone`. */
  from: string;
  to: string;
  timezone?: string;
  /** At most this many events come back (default 50) so the workflow history stays small. */
  limit?: number;
}

export interface CreateTaskActivityInput extends EffectRef, ActAs {
  summary: string;
  description?: string;
  /** Wall-clock due time in `timezone`. */
  due?: string;
  timezone?: string;
  assigneeOpenIds?: string[];
}

export interface CompleteTaskInput extends ActAs {
  taskGuid: string;
  /** Fixed by the workflow (its deterministic clock) so a retry writes the same value. */
  completedAtMs: number;
}

export interface AppendBaseRecordsInput extends EffectRef, ActAs {
  /** The Base's app_token (an id from the Base URL, not an auth token). */
  appToken: string;
  tableId: string;
  records: BaseFields[];
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (tests, scripts)
  }
}

/** Auth + cancellation for one activity: a cancelled activity aborts its HTTP request. */
function callOptions(input: ActAs): CallOptions {
  return { as: input.openId ? asUser(input.openId) : TENANT, signal: inActivity()?.cancellationSignal };
}

async function larkActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Bad wall-clock times or zones (RangeError from time.ts) are the caller's input problem.
    if (err instanceof RangeError) throw toLarkFailure(new LarkRequestInvalid(err.message));
    throw toLarkFailure(err);
  }
}

function body(b: MessageBody): { msgType: MsgType; content: MessageContent } {
  return 'text' in b ? { msgType: 'text', content: { text: b.text } } : { msgType: b.msgType, content: b.content };
}

function wallOf(t: EventTimeWire | undefined, timeZone: string): { wall?: string; allDay: boolean } {
  if (!t) return { allDay: false };
  if ('date' in t) return { wall: t.date, allDay: true };
  return { wall: calendarSecondsToWall(t.timestamp, timeZone), allDay: false };
}

function summarizeEvent(e: CalendarEvent, timeZone: string): CalendarEventSummary {
  const start = wallOf(e.start_time, timeZone);
  const end = wallOf(e.end_time, timeZone);
  return {
    eventId: e.event_id,
    allDay: start.allDay,
    ...(e.summary !== undefined ? { summary: e.summary } : {}),
    ...(start.wall ? { start: start.wall } : {}),
    ...(end.wall ? { end: end.wall } : {}),
    ...(e.location?.name ? { location: e.location.name } : {}),
    ...(e.app_link ? { appLink: e.app_link } : {}),
  };
}

export function createLarkActivities({ client, defaultTimezone = DEFAULT_TIMEZONE }: LarkActivityDeps) {
  const zoneOf = (tz: string | undefined): string => {
    const zone = tz ?? defaultTimezone;
    if (!isValidTimeZone(zone)) throw new RangeError(`Unknown time zone "${zone}"`);
    return zone;
  };
  const calendarFor = async (calendarId: string | undefined, opts: CallOptions) =>
    calendarId ?? (await client.primaryCalendar(opts)).calendar_id;

  return {
    /** Reply to a user's message; the uuid makes a retried reply a no-op at Lark (1-hour window). */
    async replyToMessage(input: ReplyToMessageInput): Promise<{ messageId: string }> {
      return larkActivity(async () => {
        const sent = await client.replyMessage(
          input.messageId,
          { ...body(input), replyInThread: input.replyInThread ?? false, uuid: messageUuid('reply', input.messageId, input.step) },
          callOptions({}),
        );
        return { messageId: sent.message_id };
      });
    },

    async sendMessage(input: SendMessageInput): Promise<{ messageId: string }> {
      return larkActivity(async () => {
        const uuid = messageUuid('send', input.sourceMessageId, input.step, input.receiveIdType, input.receiveId);
        const sent = await client.sendMessage(input.receiveIdType, input.receiveId, { ...body(input), uuid }, callOptions({}));
        return { messageId: sent.message_id };
      });
    },

    /** Replace a card's content (idempotent by nature: the same content twice is the same card). */
    async updateCard(input: UpdateCardInput): Promise<void> {
      return larkActivity(() => client.updateCard(input.messageId, input.card, callOptions({})));
    },

    async createCalendarEvent(
      input: CreateCalendarEventInput,
    ): Promise<CalendarEventSummary & { calendarId: string; timezone: string }> {
      return larkActivity(async () => {
        const timezone = zoneOf(input.timezone);
        const startMs = zonedToEpochMs(input.start, timezone);
        const endMs = zonedToEpochMs(input.end, timezone);
        if (endMs <= startMs) throw new LarkRequestInvalid(`The event must end after it starts (${input.start} -> ${input.end})`);
        const opts = callOptions(input);
        const calendarId = await calendarFor(input.calendarId, opts);
        const event = await client.createEvent(
          calendarId,
          {
            summary: input.summary,
            ...(input.description !== undefined ? { description: input.description } : {}),
            start: { timestampSec: toCalendarSeconds(startMs), timezone },
            end: { timestampSec: toCalendarSeconds(endMs), timezone },
            ...(input.location ? { location: { name: input.location } } : {}),
            ...(input.reminderMinutes ? { reminderMinutes: input.reminderMinutes } : {}),
            attendeeAbility: 'can_see_others',
          },
          stableUuid('calendar-event', input.sourceMessageId, input.step),
          opts,
        );
        if (input.attendeeOpenIds?.length) {
          await client.addAttendees(
            calendarId,
            event.event_id,
            input.attendeeOpenIds.map((id) => ({ type: 'user' as const, id })),
            { needNotification: true },
            opts,
          );
        }
        return { ...summarizeEvent(event, timezone), calendarId, timezone };
      });
    },

    async listCalendarEvents(
      input: ListCalendarEventsInput,
    ): Promise<{ calendarId: string; timezone: string; events: CalendarEventSummary[]; truncated: boolean }> {
      return larkActivity(async () => {
        const timezone = zoneOf(input.timezone);
        const fromMs = zonedToEpochMs(input.from, timezone);
        const toMs = zonedToEpochMs(input.to, timezone);
        if (toMs <= fromMs) throw new LarkRequestInvalid(`"to" must be after "from" (${input.from} -> ${input.to})`);
        const limit = Math.max(1, Math.min(input.limit ?? 50, 500));
        const opts = callOptions(input);
        const calendarId = await calendarFor(input.calendarId, opts);
        const page = await client.listEvents(calendarId, toCalendarSeconds(fromMs), toCalendarSeconds(toMs), opts);
        const live = page.items.filter((e) => e.status !== 'cancelled');
        return {
          calendarId,
          timezone,
          events: live.slice(0, limit).map((e) => summarizeEvent(e, timezone)),
          truncated: page.hasMore || live.length > limit,
        };
      });
    },

    async createTask(
      input: CreateTaskActivityInput,
    ): Promise<{ guid: string; summary: string; due?: string; url?: string }> {
      return larkActivity(async () => {
        const timezone = zoneOf(input.timezone);
        const dueMs = input.due !== undefined ? toTaskMillis(zonedToEpochMs(input.due, timezone)) : undefined;
        const task = await client.createTask(
          {
            summary: input.summary,
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(dueMs !== undefined ? { dueMs } : {}),
            ...(input.assigneeOpenIds ? { assigneeOpenIds: input.assigneeOpenIds } : {}),
            clientToken: stableUuid('task', input.sourceMessageId, input.step),
          },
          callOptions(input),
        );
        return {
          guid: task.guid,
          summary: task.summary ?? input.summary,
          ...(task.due?.timestamp ? { due: taskMillisToWall(task.due.timestamp, timezone) } : {}),
          ...(task.url ? { url: task.url } : {}),
        };
      });
    },

    async completeTask(input: CompleteTaskInput): Promise<{ guid: string; completedAtMs: string }> {
      return larkActivity(async () => {
        const completedAtMs = toTaskMillis(input.completedAtMs);
        const task = await client.completeTask(input.taskGuid, completedAtMs, callOptions(input));
        return { guid: task?.guid ?? input.taskGuid, completedAtMs };
      });
    },

    /** Append rows to a Base table (e.g. an activity log). Heartbeats per 500-row chunk. */
    async appendBaseRecords(input: AppendBaseRecordsInput): Promise<{ created: number; recordIds: string[] }> {
      return larkActivity(async () => {
        const ctx = inActivity();
        const created = await client.batchCreateRecords(
          input.appToken,
          input.tableId,
          input.records,
          stableUuid('base', input.sourceMessageId, input.step),
          { ...callOptions(input), onChunk: (written, total) => ctx?.heartbeat({ written, total }) },
        );
        return { created: created.length, recordIds: created.map((r) => r.record_id) };
      });
    },
  };
}

export type LarkActivities = ReturnType<typeof createLarkActivities>;
