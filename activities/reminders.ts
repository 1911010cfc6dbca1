/**
 * Reminders: the agent's tools (set_reminder, list_reminders, cancel_reminder, daily_agenda) and the
 * activities the reminder workflow calls (fire, keep the index in step). The tools write the PostgreSQL index
 * (listing, cancelling, the per-user cap) and start `lark-reminder-<id>` with the Temporal client, as
 * activities/intake.ts starts per-user workflows; Temporal owns the firing.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ToolInputs } from '../src/tools';
import { agendaCard, reminderCard, lateNote } from '../src/cards/reminder-card';
import { escapeLarkMdLine } from '../src/cards/lark-md';
import { formatClock, formatDay } from '../src/i18n/dates';
import type { Lang } from '../src/i18n/language';
import {
  agendaWords,
  invitationWords,
  meetingRescheduleRequest,
  meetingRescheduleShown,
  type LinkedReminderChange,
  type MeetingGone,
  type RestoredReminders,
  type ToolEffect,
} from '../src/i18n/messages';
import { asUser, stableUuid, type LarkClient } from '../src/lark/client';
import { classifyLarkError, LarkApiError, toLarkFailure } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import { formatWall, fromCalendarSeconds, fromTaskMillis, isValidTimeZone, toCalendarSeconds, wallFieldsAt, zonedToEpochMs } from '../src/lark/time';
import {
  describeSchedule,
  formatForUi,
  isRecurring,
  nextOccurrence,
  type LinkedEvent,
  type ReminderFacts,
  type ReminderSchedule,
} from '../src/reminders/schedule';
import { CapReached, type ReminderKind, type ReminderRow, type ReminderStore } from '../src/reminders/store';
import type { UserTokenStore } from '../src/storage/token-store';
import {
  LarkChatId,
  LarkOpenId,
  reminderCancelSignal,
  reminderEventMovedSignal,
  reminderTimezoneSignal,
  reminderWorkflowId,
  type LarkReminderWorkflow,
  type ReminderSettings,
  type ReminderWorkflowInput,
  type UserSettings,
} from '../workflows/contract';
import type { RunToolInput } from '../src/agent/tool-io';
import { ToolInputError, WithEffect } from './tool-results';
import { createIntakeActivities } from './intake';
import { primaryCalendarLookup } from './primary-calendar';
import { pendingInvitations } from './invitations';

export interface ReminderDeps {
  temporal: Client;
  taskQueue: string;
  store: ReminderStore;
  lark: LarkClient;
  tokens: UserTokenStore;
  settings: ReminderSettings;
  /** REMINDER_MAX_ACTIVE: active reminders per user (the daily agenda counts as one). */
  maxActive: number;
  /** Settings a per-user workflow starts with, when a Reschedule click has to start one (as intake does). */
  userSettings?: UserSettings;
}

/** Lark's "event not found" (193001): deleted, or the user was removed from it. */
const EVENT_GONE_CODES = new Set([193001]);

/**
 * What a meeting-linked reminder learns from re-reading its event as the user. Gone, and how, so the notice says
 * only what is known: `cancelled` (Lark shows it cancelled and someone else organizes it), `deleted` (cancelled,
 * and the user organizes it: deleted from their calendar), `not_found` (Lark no longer shows it: deleted, or the
 * user was removed from it). Results recorded before `why` existed have none.
 */
export type LinkedEventRead = { kind: 'found'; startMs?: number; title?: string } | { kind: 'gone'; why?: MeetingGone };

/** Reads the event with the user's token (the token store refreshes it); Lark trouble is thrown as is. */
async function readLinkedEvent(lark: LarkClient, openId: string, calendarId: string, eventId: string): Promise<LinkedEventRead> {
  try {
    const e = await lark.getEvent(calendarId, eventId, { as: asUser(openId) });
    if (e.status === 'cancelled') {
      const mine = e.event_organizer?.user_id ? e.event_organizer.user_id === openId : !e.organizer_calendar_id || e.organizer_calendar_id === calendarId;
      return { kind: 'gone', why: mine ? 'deleted' : 'cancelled' };
    }
    const seconds = (e.start_time as { timestamp?: string } | undefined)?.timestamp;
    return { kind: 'found', ...(seconds ? { startMs: fromCalendarSeconds(seconds).getTime() } : {}), ...(e.summary ? { title: e.summary } : {}) };
  } catch (err) {
    if (err instanceof LarkApiError && EVENT_GONE_CODES.has(err.code)) return { kind: 'gone', why: 'not_found' };
    throw err;
  }
}

const MINUTE = 60_000;
const MAX_AHEAD_MS = 366 * 24 * 3600_000;
/** The agenda's default time when the user names none. */
const AGENDA_TIME = '08:00';

/** A Lark receive id for a chat id or, when the reminder was set without one, the user's DM. */
const receiver = (chatId: string): { type: 'chat_id' | 'open_id'; id: string } =>
  chatId.startsWith('ou_') ? { type: 'open_id', id: chatId } : { type: 'chat_id', id: chatId };

/** The reminder id: derived from the request and the tool call, so a retried tool call finds its own reminder. */
export const reminderIdFor = (sourceMessageId: string, toolUseId: string) =>
  `rem-${stableUuid('reminder', sourceMessageId, toolUseId).replace(/-/g, '').slice(0, 20)}`;

export function createReminderService(deps: ReminderDeps) {
  const { temporal, taskQueue, store, settings, maxActive } = deps;

  /** Writes the index row (under the cap), then starts the reminder's workflow; both idempotent. */
  async function create(r: {
    id: string;
    openId: string;
    chatId: string;
    kind: ReminderKind;
    text: string;
    lang: Lang;
    timezone: string;
    schedule: ReminderSchedule;
    nowMs: number;
    event?: LinkedEvent;
    urgent?: boolean;
  }): Promise<{ row: ReminderRow; nextMs: number }> {
    const nextMs = nextOccurrence(r.schedule, r.nowMs, r.timezone);
    if (nextMs === undefined) throw new ToolInputError('That time has already passed: ask the user for a time in the future.');
    const { row } = await store.insert(
      {
        id: r.id,
        openId: r.openId,
        chatId: r.chatId,
        kind: r.kind,
        text: r.text,
        lang: r.lang,
        timezone: r.timezone,
        schedule: r.schedule,
        nextFireAtMs: nextMs,
        ...(r.event ? { eventId: r.event.eventId, minutesBefore: r.event.minutesBefore } : {}),
      },
      maxActive,
    );
    const input: ReminderWorkflowInput = {
      reminderId: r.id,
      openId: r.openId,
      chatId: r.chatId,
      kind: r.kind,
      text: r.text,
      lang: r.lang,
      timezone: r.timezone,
      schedule: r.schedule,
      createdAtMs: r.nowMs,
      settings,
      ...(r.event ? { event: r.event } : {}),
      ...(r.urgent ? { urgent: true } : {}),
    };
    const when = isRecurring(r.schedule)
      ? `${describeSchedule(r.schedule, r.timezone, 'en')} (${r.timezone}), first ${formatForUi(nextMs, r.timezone)}`
      : r.event
        ? `at ${formatForUi(nextMs, r.timezone)}, ${r.event.minutesBefore} min before event ${r.event.eventId} (follows it)`
        : `at ${formatForUi(nextMs, r.timezone)}`;
    try {
      await temporal.workflow.start<LarkReminderWorkflow>('larkReminderWorkflow', {
        workflowId: reminderWorkflowId(r.id),
        taskQueue,
        args: [input],
        typedSearchAttributes: [
          { key: LarkOpenId, value: r.openId },
          { key: LarkChatId, value: r.chatId },
        ],
        workflowTaskTimeout: '4 seconds',
        // Ids and times only: the reminder's words are in the (encryptable) input, never here.
        staticSummary: `${r.kind === 'agenda' ? 'Daily agenda' : 'Reminder'} for ${r.openId} ${when}`,
        staticDetails: r.event
          ? 'Follows its meeting: re-reads the event as the user while waiting and before firing (moved: re-armed; cancelled: dropped, the user told), posts the card in the chat where it was set, and handles its clicks (snooze, done, reschedule).'
          : 'Fires once per occurrence on a durable timer, posts the card in the chat where it was set, and handles its clicks (snooze, done).',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a retried tool call: already running
    }
    return { row, nextMs };
  }

  /** Marks the row cancelled, then tells the workflow (already finished is fine: nothing left to stop). */
  async function cancel(openId: string, id: string): Promise<ReminderRow | undefined> {
    const row = await store.cancel(openId, id);
    const target = row ?? (await store.get(id));
    if (target && target.openId === openId) {
      try {
        await temporal.workflow.getHandle(reminderWorkflowId(id)).signal(reminderCancelSignal);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return row;
  }

  /**
   * The user deleted or moved a meeting through the bot: its linked reminders follow in the same turn, so the
   * answer can say so. Deleted: each is cancelled as cancel_reminder does (the index row, then the workflow's
   * cancel signal; an open or snoozed card then says cancelled). Moved: each reminder still waiting for its
   * first fire is told the new start (the workflow re-arms, as when its own re-read finds a move) and the index
   * shows the new time at once. A reminder that already went off is left as it is (its card is the user's).
   */
  async function followMeeting(
    openId: string,
    eventId: string,
    change: { kind: 'deleted' } | { kind: 'moved'; startMs: number; title?: string },
    nowMs: number,
  ): Promise<LinkedReminderChange[]> {
    const out: LinkedReminderChange[] = [];
    for (const r of await store.linkedTo(openId, eventId)) {
      if (change.kind === 'deleted') {
        if (await cancel(openId, r.id)) out.push({ action: 'cancelled', id: r.id, text: r.text });
        continue;
      }
      if (r.firedCount > 0 || r.nextFireAtMs === undefined) continue;
      const atMs = Math.max(change.startMs - (r.minutesBefore ?? 0) * MINUTE, nowMs);
      try {
        await temporal.workflow
          .getHandle(reminderWorkflowId(r.id))
          .signal(reminderEventMovedSignal, { startMs: change.startMs, ...(change.title ? { title: change.title } : {}) });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) continue; // it just finished: nothing left to move
        throw err;
      }
      await store.update(r.id, { nextFireAtMs: atMs });
      out.push({ action: 'moved', id: r.id, text: r.text, atMs });
    }
    return out;
  }

  /**
   * The user changed their zone: each repeating reminder with a time of day (and the daily agenda) keeps that time
   * in the new zone. The index row first (zone and next time, so the answer and the list are right at once), then
   * the workflow's signal (it continues in the new zone). A run that already ended is left alone.
   */
  async function followZone(openId: string, timezone: string, nowMs: number): Promise<ReminderRow[]> {
    const out: ReminderRow[] = [];
    for (const r of await store.listActive(openId)) {
      if (!isRecurring(r.schedule) || r.schedule.kind === 'interval' || r.timezone === timezone) continue;
      const nextMs = nextOccurrence(r.schedule, nowMs, timezone);
      try {
        await temporal.workflow.getHandle(reminderWorkflowId(r.id)).signal(reminderTimezoneSignal, { timezone });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) continue;
        throw err;
      }
      await store.setReminderZone(r.id, timezone, nextMs);
      out.push({ ...r, timezone, ...(nextMs !== undefined ? { nextFireAtMs: nextMs } : {}) });
    }
    return out;
  }

  /**
   * Undo of a meeting's deletion: the reminders that deletion cancelled are set again on the recreated event,
   * with their words and minutes before (the index row keeps both). Each gets an id derived from the undo, so a
   * retried undo finds its own. One whose time has passed, or over the cap, is not set again, and is said so.
   */
  async function restoreForEvent(
    openId: string,
    reminderIds: string[],
    event: { calendarId: string; eventId: string; startMs: number; title?: string },
    undoKey: string,
    nowMs: number,
  ): Promise<RestoredReminders> {
    const out: RestoredReminders = { restored: [], notRestored: [] };
    for (const oldId of reminderIds) {
      const old = await store.get(oldId);
      if (!old || old.openId !== openId) continue; // not this user's: nothing to say about it
      const minutesBefore = old.minutesBefore ?? 0;
      const atMs = event.startMs - minutesBefore * MINUTE;
      if (atMs <= nowMs) {
        out.notRestored.push({ text: old.text, why: 'passed' });
        continue;
      }
      try {
        await create({
          id: `rem-${stableUuid('undo-reminder', undoKey, oldId).replace(/-/g, '').slice(0, 20)}`,
          openId,
          chatId: old.chatId,
          kind: old.kind,
          text: old.text,
          lang: old.lang,
          timezone: old.timezone,
          schedule: { kind: 'once', atMs },
          nowMs,
          event: {
            calendarId: event.calendarId,
            eventId: event.eventId,
            minutesBefore,
            startMs: event.startMs,
            ...(event.title ? { title: event.title } : {}),
          },
        });
        out.restored.push({ text: old.text });
      } catch (err) {
        if (!(err instanceof CapReached)) throw err;
        out.notRestored.push({ text: old.text, why: 'cap' });
      }
    }
    return out;
  }

  return { create, cancel, followMeeting, followZone, restoreForEvent };
}

export type ReminderService = ReturnType<typeof createReminderService>;

/** The tool handlers, run inside runTool (activities/tools/reminders.ts) with the user's identity. */
export function createReminderTools(deps: ReminderDeps, service: ReminderService = createReminderService(deps)) {
  const primaryCalendar = primaryCalendarLookup(deps.lark, deps.tokens);
  const langOf = (ctx: RunToolInput): Lang => ctx.lang ?? 'en';
  const where = (ctx: RunToolInput) => ctx.chatId ?? ctx.openId;
  const capError = () =>
    new ToolInputError(
      `The user already has ${deps.maxActive} active reminders, the most allowed. Nothing was set. Tell the user, and suggest cancelling one they no longer need (list_reminders shows them).`,
    );
  const effectOf = (row: ReminderRow, nextMs: number | undefined, action: ToolEffect['action']): ToolEffect => ({
    action,
    kind: row.kind,
    id: row.id,
    ...(row.kind === 'reminder' ? { title: row.text } : {}),
    ...(isRecurring(row.schedule) ? { schedule: row.schedule } : nextMs !== undefined ? { startMs: nextMs } : {}),
  });
  /**
   * A reminder as the model sees it. `next` is in the user's zone (the one every answer uses); a reminder that
   * keeps another zone (set before the user changed theirs) names it, since its repeats are that zone's wall times.
   */
  const listed = (r: ReminderRow, userZone: string = r.timezone) => ({
    reminder_id: r.id,
    kind: r.kind,
    ...(r.kind === 'reminder' ? { text: r.text } : {}),
    ...(r.nextFireAtMs !== undefined ? { next: formatWall(r.nextFireAtMs, userZone) } : r.firedCount > 0 ? wentOff(r, userZone) : {}),
    ...(isRecurring(r.schedule) ? { repeats: describeSchedule(r.schedule, r.timezone, 'en'), schedule: r.schedule } : {}),
    ...(r.timezone !== userZone ? { timezone: r.timezone } : {}),
  });

  /** A one-off that went off and whose card still takes Snooze / Done: when it went off, never no time at all. */
  const wentOff = (r: ReminderRow, userZone: string = r.timezone) => {
    const at = r.lastFiredAtMs ?? (r.schedule.kind === 'once' ? r.schedule.atMs : undefined);
    return {
      ...(at !== undefined ? { went_off: formatWall(at, userZone) } : {}),
      state: 'went off; its card in the chat still offers Snooze and Done (nothing more is scheduled)',
    };
  };

  return {
    /** Not a tool: delete_event / update_event call it so a meeting's reminders follow it (see the service). */
    followMeeting: (ctx: RunToolInput, eventId: string, change: Parameters<typeof service.followMeeting>[2]) =>
      service.followMeeting(ctx.openId, eventId, change, ctx.nowMs),

    async set_reminder(input: ToolInputs['set_reminder'], ctx: RunToolInput) {
      let schedule: ReminderSchedule;
      let event: LinkedEvent | undefined;
      if (input.event_id !== undefined) {
        // Follows the meeting: its identity (calendar, event, offset) goes to the workflow, which re-reads it.
        const calendarId = await primaryCalendar(ctx.openId);
        let read: LinkedEventRead;
        try {
          read = await readLinkedEvent(deps.lark, ctx.openId, calendarId, input.event_id);
        } catch (err) {
          if (classifyLarkError(err)?.type === LarkFailureType.InvalidInput) read = { kind: 'gone' };
          else throw err;
        }
        if (read.kind === 'gone')
          throw new ToolInputError(
            `The user's calendar has no event "${input.event_id}" (cancelled, or a wrong id: list_events shows the ids). Nothing was set.`,
          );
        if (read.startMs === undefined)
          throw new ToolInputError('That event is all-day (it has no start time): ask the user for a time instead. Nothing was set.');
        const minutes = input.minutes_before ?? 0;
        const atMs = read.startMs - minutes * MINUTE;
        if (atMs <= ctx.nowMs) {
          throw new ToolInputError(
            `The event starts ${formatWall(read.startMs, ctx.timezone)}, so ${minutes} minutes before it (${formatWall(atMs, ctx.timezone)}) has already passed (now is ${formatWall(ctx.nowMs, ctx.timezone)}). Nothing was set: tell the user.`,
          );
        }
        if (atMs - ctx.nowMs > MAX_AHEAD_MS) throw new ToolInputError('Reminders can be set at most one year ahead. Nothing was set.');
        schedule = { kind: 'once', atMs };
        event = { calendarId, eventId: input.event_id, minutesBefore: minutes, startMs: read.startMs, ...(read.title ? { title: read.title } : {}) };
      } else if (input.at !== undefined) {
        const atMs = zonedToEpochMs(input.at, ctx.timezone);
        if (atMs <= ctx.nowMs)
          throw new ToolInputError(
            `${input.at} has already passed (now is ${formatWall(ctx.nowMs, ctx.timezone)}): ask the user for a time in the future. Nothing was set.`,
          );
        if (atMs - ctx.nowMs > MAX_AHEAD_MS) throw new ToolInputError('Reminders can be set at most one year ahead. Nothing was set.');
        schedule = { kind: 'once', atMs };
      } else if (input.in_minutes !== undefined) {
        schedule = { kind: 'once', atMs: ctx.nowMs + input.in_minutes * MINUTE };
      } else if (input.repeat === 'weekly') {
        schedule = { kind: 'weekly', time: input.time!, weekdays: [...new Set(input.weekdays!)].sort() };
      } else {
        schedule = { kind: input.repeat!, time: input.time! };
      }
      try {
        const { row, nextMs } = await service.create({
          id: reminderIdFor(ctx.sourceMessageId, ctx.toolUseId),
          openId: ctx.openId,
          chatId: where(ctx),
          kind: 'reminder',
          text: input.text.trim(),
          lang: langOf(ctx),
          timezone: ctx.timezone,
          schedule,
          nowMs: ctx.nowMs,
          ...(event ? { event } : {}),
          ...(input.urgent ? { urgent: true } : {}),
        });
        const linked = event
          ? {
              before_event: {
                event_id: event.eventId,
                title: event.title,
                starts: formatWall(event.startMs, ctx.timezone),
                minutes_before: event.minutesBefore,
                follows_moves: true,
              },
            }
          : {};
        // Urgent: what will happen, so the answer can say it (one in-app buzz, never SMS or a call).
        const urgent = input.urgent
          ? {
              urgent: {
                buzz_if_unanswered_after_seconds: Math.round((deps.settings.urgentAfterMs ?? 600_000) / 1000),
                how: 'one in-app urgent notification in Lark',
              },
            }
          : {};
        return new WithEffect({ set: { ...listed({ ...row, nextFireAtMs: nextMs }), ...linked, ...urgent } }, effectOf(row, nextMs, 'created'));
      } catch (err) {
        if (err instanceof CapReached) throw capError();
        throw err;
      }
    },

    async list_reminders(_input: ToolInputs['list_reminders'], ctx: RunToolInput) {
      const rows = await deps.store.listActive(ctx.openId);
      return { reminders: rows.slice(0, 50).map((r) => listed(r, ctx.timezone)), total: rows.length, max_active: deps.maxActive };
    },

    async cancel_reminder(input: ToolInputs['cancel_reminder'], ctx: RunToolInput) {
      const row = await service.cancel(ctx.openId, input.reminder_id);
      if (!row)
        throw new ToolInputError(`No active reminder of this user has the id "${input.reminder_id}" (list_reminders shows the ids). Nothing was cancelled.`);
      return new WithEffect({ cancelled: listed(row, ctx.timezone) }, effectOf(row, undefined, 'cancelled'));
    },

    async daily_agenda(input: ToolInputs['daily_agenda'], ctx: RunToolInput) {
      const current = await deps.store.listActive(ctx.openId, 'agenda');
      if (!input.enabled) {
        if (!current.length) return { stopped: 0, note: 'The user had no daily agenda; nothing changed.' };
        for (const r of current) await service.cancel(ctx.openId, r.id);
        return new WithEffect({ stopped: current.length }, effectOf(current[0]!, undefined, 'cancelled'));
      }
      const time = input.time ?? AGENDA_TIME;
      // One agenda per user: a new time replaces the old one.
      for (const r of current) await service.cancel(ctx.openId, r.id);
      try {
        // Private by default: the user's whole day goes to their DM unless they asked for this chat.
        const { row, nextMs } = await service.create({
          id: reminderIdFor(ctx.sourceMessageId, ctx.toolUseId),
          openId: ctx.openId,
          chatId: input.in_this_chat ? where(ctx) : ctx.openId,
          kind: 'agenda',
          text: 'agenda',
          lang: langOf(ctx),
          timezone: ctx.timezone,
          schedule: { kind: 'daily', time },
          nowMs: ctx.nowMs,
        });
        return new WithEffect({ agenda: listed({ ...row, nextFireAtMs: nextMs }) }, effectOf(row, nextMs, 'created'));
      } catch (err) {
        if (err instanceof CapReached) throw capError();
        throw err;
      }
    },

    /** The user's own zone, checked against the runtime's zone database and stored in its canonical spelling. */
    async set_timezone(input: ToolInputs['set_timezone'], ctx: RunToolInput) {
      const asked = input.timezone.trim();
      if (!isValidTimeZone(asked))
        throw new ToolInputError(`"${asked}" is not a known time zone: use an IANA name such as "Asia/Tokyo" or "America/New_York". Nothing was changed.`);
      const zone = new Intl.DateTimeFormat('en-US', { timeZone: asked }).resolvedOptions().timeZone;
      await deps.store.setTimezone(ctx.openId, zone);
      // Repeating reminders and the daily agenda follow the user: "08:00 every day" stays 08:00 where the user now
      // is. The answer says which moved (moved_to_new_zone).
      const moved = await service.followZone(ctx.openId, zone, ctx.nowMs);
      return new WithEffect(
        {
          timezone: zone,
          previous: ctx.timezone,
          now_there: formatWall(ctx.nowMs, zone),
          ...(moved.length ? { moved_to_new_zone: moved.slice(0, 20).map((r) => listed(r, zone)) } : {}),
          note: "From the user's next message on, dates, times and new reminders use this zone. Repeating reminders and the daily agenda already set now follow it at the same time of day (moved_to_new_zone lists them, with their next time in the new zone): tell the user which.",
        },
        { action: 'updated', kind: 'timezone', id: ctx.openId, title: zone },
      );
    },
  };
}

export type ReminderTools = ReturnType<typeof createReminderTools>;

export interface FireReminderInput extends ReminderFacts {
  reminderId: string;
  occurrenceMs: number;
  /** Set when the fire is late: its due time, for the late note. */
  lateSinceMs?: number;
  eventLinked?: boolean;
  /** A meeting-linked occurrence: the event is re-read as the user first; moved or gone, nothing is posted. */
  event?: LinkedEvent;
  /** The meeting to show on the card without re-reading it (a snoozed occurrence). */
  meeting?: { title?: string; startMs: number };
}

/** posted: the card is in the chat. moved / gone: a linked reminder's event changed; nothing was posted. */
export type FireReminderResult =
  { kind?: 'posted'; messageId: string } | { kind: 'moved'; startMs: number; title?: string } | { kind: 'gone'; why?: MeetingGone };

export interface RescheduleRequestInput {
  reminderId: string;
  occurrenceMs: number;
  openId: string;
  chatId: string;
  lang: Lang;
  /** The reminder card that was clicked: the request is posted as a reply to it. */
  cardMessageId?: string;
  eventId?: string;
  title?: string;
}

/** The activities the reminder workflow calls. */
export function createReminderActivities(
  deps: Pick<ReminderDeps, 'store' | 'lark' | 'tokens'> & Partial<Pick<ReminderDeps, 'temporal' | 'taskQueue' | 'userSettings'>>,
) {
  const { store, lark, tokens } = deps;
  const primaryCalendar = primaryCalendarLookup(lark, tokens);

  /** The day's events and the open tasks due by its end, read with the user's own token now. */
  /** `inDm`: the agenda goes to the user's own DM; elsewhere private events show only as busy. */
  async function agendaBody(openId: string, lang: Lang, timezone: string, occurrenceMs: number, inDm: boolean): Promise<{ day: string; md: string }> {
    const f = wallFieldsAt(occurrenceMs, timezone);
    const p = (n: number) => String(n).padStart(2, '0');
    const date = `${f.year}-${p(f.month)}-${p(f.day)}`;
    const dayStart = zonedToEpochMs(`${date}T00:00`, timezone);
    const dayEnd = zonedToEpochMs(`${date}T23:59`, timezone) + MINUTE;
    const as = { as: asUser(openId) };
    const calendarId = await primaryCalendar(openId);
    const events = (await lark.listEvents(calendarId, toCalendarSeconds(dayStart), toCalendarSeconds(dayEnd), as)).items.filter(
      (e) => e.status !== 'cancelled',
    );
    const tasks = (await lark.listTasks(openId, { completed: false, pageSize: 50 })).items.filter(
      (t) => t.due?.timestamp && fromTaskMillis(t.due.timestamp).getTime() < dayEnd,
    );
    const t = (w: { vi: string; en: string }) => w[lang];
    const stamp = (t: unknown) => (t as { timestamp?: string } | undefined)?.timestamp;
    const startOf = (e: (typeof events)[number]) => Number(stamp(e.start_time) ?? 0);
    const eventLines = events
      .sort((a, b) => startOf(a) - startOf(b))
      .slice(0, 30)
      .map((e) => {
        const s = stamp(e.start_time);
        const en = stamp(e.end_time);
        const when = s
          ? `${formatClock(fromCalendarSeconds(s), timezone)}${en ? `–${formatClock(fromCalendarSeconds(en), timezone)}` : ''}`
          : t(agendaWords.allDay);
        const hidden = !inDm && e.visibility === 'private';
        return `• ${when} ${hidden ? t(agendaWords.busy) : escapeLarkMdLine(e.summary ?? '?', 120)}`;
      });
    const taskLines = tasks.slice(0, 30).map((task) => {
      const due = fromTaskMillis(task.due!.timestamp!).getTime();
      const late = due < dayStart ? ` (${t(agendaWords.overdue)})` : '';
      return `• ${escapeLarkMdLine(task.summary ?? '?', 120)}: ${formatClock(due, timezone)}${late}`;
    });
    // The day's invitations still unanswered (private to the user: only in their DM). The list has no attendees,
    // so each of the day's events someone else organizes is read once more with them (at most 30).
    const invitations = inDm ? (await pendingInvitations(lark, calendarId, openId, events.slice(0, 30), 30)).pending : [];
    const invitationLines = invitations
      .sort((a, b) => startOf(a) - startOf(b))
      .map((e) => {
        const s = stamp(e.start_time);
        const en = stamp(e.end_time);
        const when = s
          ? `${formatClock(fromCalendarSeconds(s), timezone)}${en ? `–${formatClock(fromCalendarSeconds(en), timezone)}` : ''}`
          : t(agendaWords.allDay);
        const from = e.event_organizer?.display_name ? ` (${t(invitationWords.from(escapeLarkMdLine(e.event_organizer.display_name, 80)))})` : '';
        return `• ${when} ${escapeLarkMdLine(e.summary ?? '?', 120)}${from}`;
      });
    const md = [
      eventLines.length ? `**${t(agendaWords.events)}**\n${eventLines.join('\n')}` : t(agendaWords.nothing),
      ...(invitationLines.length ? [`**${t(invitationWords.agendaHeading)}**\n${invitationLines.join('\n')}`] : []),
      taskLines.length ? `**${t(agendaWords.tasks)}**\n${taskLines.join('\n')}` : t(agendaWords.noTasks),
    ].join('\n\n');
    return { day: formatDay(occurrenceMs, timezone, lang), md };
  }

  return {
    /**
     * One occurrence, posted once: the message uuid is the reminder id and the occurrence time, so a retried
     * activity (or a replayed workflow) cannot post twice. The agenda reads the user's data as the user: the
     * token store refreshes an expired access token first; a dead refresh token fails typed (sign-in needed).
     */
    async fireReminder(input: FireReminderInput): Promise<FireReminderResult> {
      try {
        let meeting = input.meeting;
        if (input.event) {
          // Before firing, the meeting as it is now: moved or cancelled means the workflow decides again.
          const read = await readLinkedEvent(lark, input.openId, input.event.calendarId, input.event.eventId);
          if (read.kind === 'gone') return read;
          if (read.startMs !== undefined && read.startMs !== input.event.startMs)
            return { kind: 'moved', startMs: read.startMs, ...(read.title ? { title: read.title } : {}) };
          const title = read.title ?? input.event.title;
          meeting = { startMs: input.event.startMs, ...(title ? { title } : {}) };
        }
        const card =
          input.kind === 'agenda'
            ? await agendaBody(input.openId, input.lang, input.timezone, input.occurrenceMs, input.chatId.startsWith('ou_')).then(({ day, md }) =>
                agendaCard(input.lang, day, md, input.lateSinceMs !== undefined ? lateNote(input.lang, input.lateSinceMs, input.timezone) : undefined),
              )
            : reminderCard({
                reminderId: input.reminderId,
                owner: input.openId,
                lang: input.lang,
                timezone: input.timezone,
                text: input.text,
                occurrenceMs: input.occurrenceMs,
                ...(input.lateSinceMs !== undefined ? { lateSinceMs: input.lateSinceMs } : {}),
                ...(input.eventLinked || meeting ? { eventLinked: true } : {}),
                ...(meeting ? { meeting } : {}),
              });
        const to = receiver(input.chatId);
        const sent = await lark.sendMessage(to.type, to.id, {
          msgType: 'interactive',
          content: card,
          uuid: stableUuid('reminder-fire', input.reminderId, input.occurrenceMs),
        });
        return { kind: 'posted', messageId: sent.message_id };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },

    /** A linked reminder's periodic look at its meeting while it waits (read-only; the workflow keeps the last known time on any failure). */
    async checkLinkedEvent(input: { openId: string; calendarId: string; eventId: string }): Promise<LinkedEventRead> {
      try {
        return await readLinkedEvent(lark, input.openId, input.calendarId, input.eventId);
      } catch (err) {
        throw toLarkFailure(err);
      }
    },

    /**
     * An urgent reminder's buzz: Lark's in-app urgent on the card the bot posted, to its owner only (never SMS or
     * phone: those cost the tenant money). No idempotency key exists for it; the workflow calls it once per card.
     */
    async escalateReminder(input: { reminderId: string; openId: string; messageId: string }): Promise<{ buzzed: boolean }> {
      try {
        const { invalidOpenIds } = await lark.urgentApp(input.messageId, [input.openId]);
        return { buzzed: !invalidOpenIds.includes(input.openId) };
      } catch (err) {
        throw toLarkFailure(err);
      }
    },

    /**
     * The card's Reschedule: a normal agent request in the chat where the reminder was set. The request is
     * posted (a reply to the card, so the user sees what was asked; its uuid is the reminder and occurrence)
     * and that message goes to the owner's per-user workflow as intake routes a user's message: the same
     * message id on a retry, so the per-user workflow's dedup makes it ONE request.
     */
    async requestReschedule(input: RescheduleRequestInput): Promise<{ messageId: string }> {
      if (!deps.temporal || !deps.taskQueue || !deps.userSettings)
        throw new Error('requestReschedule needs the Temporal client, the task queue and the user settings');
      // Two texts: the chat shows the meeting's title; the agent gets only the event id (a title is the
      // organizer's words, never the user's request).
      const text = meetingRescheduleRequest(input.lang, input.eventId);
      let sent: Awaited<ReturnType<LarkClient['sendMessage']>> | undefined;
      try {
        const content = { text: meetingRescheduleShown(input.lang, input.title) };
        if (input.cardMessageId) {
          try {
            sent = await lark.replyMessage(input.cardMessageId, {
              msgType: 'text',
              content,
              uuid: stableUuid('reminder-reschedule', input.reminderId, input.occurrenceMs),
            });
          } catch (err) {
            // The card was recalled or cannot be replied to: post in the chat instead.
            if (classifyLarkError(err)?.type !== LarkFailureType.InvalidInput) throw err;
          }
        }
        if (!sent) {
          const to = receiver(input.chatId);
          sent = await lark.sendMessage(to.type, to.id, {
            msgType: 'text',
            content,
            uuid: stableUuid('reminder-reschedule-chat', input.reminderId, input.occurrenceMs),
          });
        }
      } catch (err) {
        throw toLarkFailure(err);
      }
      const chatId = sent.chat_id ?? input.chatId;
      const route = createIntakeActivities({ client: deps.temporal, taskQueue: deps.taskQueue, userSettings: deps.userSettings }).routeMessageToUser;
      // chatType p2p: the owner asked by pressing their own card's button, so no @mention gate applies (prepareRequest).
      await route({
        eventId: `reminder-reschedule:${input.reminderId}:${input.occurrenceMs}`,
        messageId: sent.message_id,
        openId: input.openId,
        chatId,
        chatType: 'p2p',
        messageType: 'text',
        text,
        mentions: [],
      });
      return { messageId: sent.message_id };
    },

    /** Keeps the index in step with the workflow (next fire, fired count, done, waiting for sign-in). */
    async updateReminderIndex(input: {
      reminderId: string;
      nextFireAtMs?: number | null;
      firedCount?: number;
      status?: 'done';
      awaitingAuth?: boolean;
    }): Promise<void> {
      const { reminderId, ...patch } = input;
      await store.update(reminderId, patch);
    },
  };
}

export type ReminderActivities = ReturnType<typeof createReminderActivities>;
