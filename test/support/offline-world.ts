/**
 * A scripted tool-results driver for the offline model: a small calendar, task list and directory that answer
 * tool calls with the SAME shapes activities/tools/ returns from the Lark emulator (times as local
 * "YYYY-MM-DD HH:mm", {created}, {updated}, {deleted}, {events}, {tasks}, {people}), and the confirmation step
 * with the agent loop's own words (workflows/tool-confirmation.ts). The real confirmation rule (needsConfirmation)
 * decides which calls are confirmed first.
 */
import { findFreeSlots } from '../../src/agent/slots';
import { MAX_SLOTS, needsConfirmation, validateToolInput, type ToolCall } from '../../src/tools';
import { loadSchedulingConfig } from '../../src/config';

export interface WorldEvent {
  event_id: string;
  summary: string;
  start: string;
  end: string;
  attendees: string[];
  /** An invitation from someone else: its organizer and the user's answer so far. */
  invitation?: { organizer: string; rsvp: 'needs_action' | 'accept' | 'decline' | 'tentative' };
}
export interface WorldTask {
  task_id: string;
  summary: string;
  due?: string;
  completed: boolean;
}
export interface WorldReminder {
  reminder_id: string;
  kind: 'reminder' | 'agenda';
  text?: string;
  next: string;
  repeats?: string;
  schedule?: { kind: 'daily' | 'weekdays'; time: string } | { kind: 'weekly'; time: string; weekdays: number[] };
}
export interface World {
  events: WorldEvent[];
  /** Active reminders (and the daily agenda), as list_reminders shows them. */
  reminders?: WorldReminder[];
  tasks: WorldTask[];
  people: Array<{ name: string; open_id: string }>;
  /** "Now" for get_current_time, local wall-clock. */
  now: string;
  /** What set_timezone stored (the real tool keeps it per user in PostgreSQL). */
  timezone?: string;
  /** create_event refuses a past start and an overlap with the user's events, as the activity does. */
  strict?: boolean;
  /** Other people's busy blocks (by display name), which create_event reports for its attendees, as the activity does. */
  othersBusy?: Record<string, Array<{ start: string; end: string }>>;
}

export type Decision = 'confirm' | 'cancel' | 'expired';

/** What the agent loop sends back when the user does not confirm (workflows/request-handler.ts). */
export const CANCELLED = 'The user pressed Cancel: do not do this.';
export const EXPIRED = 'The user did not confirm in time: nothing was done.';
export const FAILED = 'The tool failed: Lark is unavailable (HTTP 503). Tell the user, and suggest trying again later.';

export function seedWorld(): World {
  return {
    now: '2026-12-02 10:00',
    events: [
      { event_id: 'evt_standup', summary: 'Standup', start: '2026-12-03 09:00', end: '2026-12-03 09:15', attendees: [] },
      { event_id: 'evt_lan', summary: 'Meeting with Lan', start: '2026-12-03 15:00', end: '2026-12-03 16:00', attendees: ['Nguyễn Thị Lan'] },
      { event_id: 'evt_minh', summary: 'Họp với Minh', start: '2026-12-04 10:00', end: '2026-12-04 11:00', attendees: ['Trần Văn Minh'] },
      { event_id: 'evt_budget', summary: 'Budget review', start: '2026-12-04 14:00', end: '2026-12-04 15:00', attendees: ['Alice Smith'] },
    ],
    tasks: [
      { task_id: 'task_report', summary: 'Send the report', due: '2026-12-07 17:00', completed: false },
      { task_id: 'task_flights', summary: 'Book flights', completed: false },
      { task_id: 'task_baocao', summary: 'Gửi báo cáo tuần', due: '2026-12-04 17:00', completed: false },
      { task_id: 'task_phong', summary: 'Đặt phòng họp', completed: false },
    ],
    people: [
      { name: 'Nguyễn Thị Lan', open_id: 'ou_lan' },
      { name: 'Trần Văn Minh', open_id: 'ou_minh' },
      { name: 'Alice Smith', open_id: 'ou_alice' },
    ],
  };
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .trim();
const wallMs = (w: string) => Date.parse(`${w.replace(' ', 'T')}:00Z`);
const wall = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

let seq = 0;

/** Answers one tool call as the tool activity would: content and is_error. */
export function runTool(world: World, call: ToolCall): { content: string; isError: boolean } {
  const ok = (v: unknown) => ({ content: JSON.stringify(v), isError: false });
  const fail = (m: string) => ({ content: m, isError: true });
  const resolve = (q: string): { name: string } | string => {
    const found = world.people.filter((p) => fold(p.name).includes(fold(q)));
    const exact = found.filter((p) => fold(p.name) === fold(q) || fold(p.name).split(' ').includes(fold(q)));
    if (!found.length) return `Nobody named "${q}" was found in the directory. Ask the user for the e-mail address.`;
    const pick = exact.length === 1 ? exact[0] : found.length === 1 ? found[0] : undefined;
    return pick ?? `"${q}" matches several people: ${found.map((p) => p.name).join(', ')}. Ask the user which one.`;
  };
  const summary = (e: WorldEvent) => ({ event_id: e.event_id, summary: e.summary, start: e.start, end: e.end });
  switch (call.name) {
    case 'get_current_time':
      return ok({ now: world.now, timezone: 'Asia/Ho_Chi_Minh' });
    case 'list_events': {
      const from = wallMs(call.input.start);
      const to = wallMs(call.input.end);
      const events = world.events.filter((e) => wallMs(e.start) < to && wallMs(e.end) > from).sort((a, b) => wallMs(a.start) - wallMs(b.start));
      // As the activity: the attendees' names (others than the user) when there are any.
      return ok({ events: events.map((e) => ({ ...summary(e), ...(e.attendees.length ? { attendees: e.attendees } : {}) })), truncated: false });
    }
    case 'list_invitations': {
      const from = call.input.start ? wallMs(call.input.start) : wallMs(world.now);
      const to = call.input.end ? wallMs(call.input.end) : wallMs(world.now) + 14 * 86_400_000;
      const pending = world.events.filter((e) => e.invitation?.rsvp === 'needs_action' && wallMs(e.start) < to && wallMs(e.end) > from);
      return ok({ invitations: pending.map((e) => ({ ...summary(e), organizer: e.invitation!.organizer })), total: pending.length, truncated: false });
    }
    case 'reply_invitation': {
      const e = world.events.find((x) => x.event_id === call.input.event_id);
      if (!e) return fail('Lark refused this: event not found (193001)');
      if (!e.invitation) return fail('Not done: the user organizes this event; only invitations from others can be answered.');
      e.invitation.rsvp = call.input.response;
      return ok({ replied: { ...summary(e), response: call.input.response, organizer: e.invitation.organizer } });
    }
    case 'create_event': {
      const people = (call.input.attendees ?? []).map(resolve);
      const problem = people.find((p): p is string => typeof p === 'string');
      if (problem) return fail(problem);
      const start = wallMs(call.input.start);
      const end = call.input.end ? wallMs(call.input.end) : start + (call.input.duration_minutes ?? 60) * 60_000;
      if (world.strict && start < wallMs(world.now))
        return fail(`Not done: "${call.input.summary}" would start ${wall(start)} is in the past. Ask the user which day or time they meant.`);
      // Overlaps are reported with the next free slot, as the activity does (strict worlds only).
      const clashes = world.strict ? world.events.filter((e) => wallMs(e.start) < end && wallMs(e.end) > start) : [];
      let overlaps = {};
      const attendeesBusy = people.flatMap((p) =>
        (world.othersBusy?.[(p as { name: string }).name] ?? [])
          .filter((b) => wallMs(b.start) < end && wallMs(b.end) > start)
          .map((b) => ({ who: (p as { name: string }).name, ...b })),
      );
      if (attendeesBusy.length) overlaps = { attendees_busy: attendeesBusy };
      if (clashes.length) {
        const busy = [...world.events.map((e) => ({ startMs: wallMs(e.start), endMs: wallMs(e.end) })), { startMs: start, endMs: end }];
        const [next] = findFreeSlots({
          fromMs: start,
          toMs: start + 14 * 86_400_000,
          durationMinutes: (end - start) / 60_000,
          people: [{ timezone: 'UTC', busy }],
          rules: loadSchedulingConfig({}),
          dayZone: 'UTC',
          max: 1,
        });
        overlaps = { ...overlaps, conflicts: clashes.map(summary), ...(next ? { next_free: { start: wall(next.startMs), end: wall(next.endMs) } } : {}) };
      }
      const e: WorldEvent = {
        event_id: `evt_new_${++seq}`,
        summary: call.input.summary,
        start: wall(start),
        end: wall(end),
        attendees: people.map((p) => (p as { name: string }).name),
      };
      world.events.push(e);
      return ok({ created: summary(e), attendees: e.attendees, ...overlaps });
    }
    case 'update_event': {
      const e = world.events.find((x) => x.event_id === call.input.event_id);
      if (!e) return fail('Lark refused this: event not found (193001)');
      if (call.input.start) {
        const length = wallMs(e.end) - wallMs(e.start);
        e.start = wall(wallMs(call.input.start));
        e.end = call.input.end ? wall(wallMs(call.input.end)) : wall(wallMs(e.start) + length);
      }
      if (call.input.summary) e.summary = call.input.summary;
      return ok({ updated: summary(e) });
    }
    case 'delete_event': {
      const i = world.events.findIndex((x) => x.event_id === call.input.event_id);
      if (i < 0) return fail('Lark refused this: event not found (193001)');
      world.events.splice(i, 1);
      return ok({ deleted: call.input.event_id });
    }
    case 'list_tasks': {
      const tasks = world.tasks.filter((t) => t.completed === (call.input.completed ?? false));
      return ok({ tasks: tasks.map((t) => ({ task_id: t.task_id, summary: t.summary, ...(t.due ? { due: t.due } : {}), completed: t.completed })) });
    }
    case 'create_task': {
      const t: WorldTask = {
        task_id: `task_new_${++seq}`,
        summary: call.input.summary,
        ...(call.input.due ? { due: call.input.due.replace('T', ' ') } : {}),
        completed: false,
      };
      world.tasks.push(t);
      return ok({ created: { task_id: t.task_id, summary: t.summary, ...(t.due ? { due: t.due } : {}) }, assignee: call.input.assignee ?? 'the user' });
    }
    case 'complete_task': {
      const t = world.tasks.find((x) => x.task_id === call.input.task_id);
      if (!t) return fail('Lark refused this: task not found (1470404)');
      t.completed = true;
      return ok({ completed: t.task_id });
    }
    case 'find_person':
      return ok({ people: world.people.filter((p) => fold(p.name).includes(fold(call.input.query))) });
    case 'free_busy':
      return ok({ person: call.input.person ?? 'the user', busy: [] });
    case 'list_rooms':
      // Two rooms on one floor, as the activity lists them (smallest first).
      return ok({
        rooms: [
          { room_id: 'omm_lotus', name: 'Lotus', capacity: 6, place: 'HCMC Tower · Floor 3' },
          { room_id: 'omm_lily', name: 'Lily', capacity: 10, place: 'HCMC Tower · Floor 3' },
        ],
        total: 2,
      });
    case 'find_time': {
      // The real slot rule (default working hours, Mon-Fri, lunch); everyone's busy time is the world's events
      // they are in. The world's wall-clock strings are read as UTC, so the zone here is UTC.
      const people = (call.input.attendees ?? []).map(resolve);
      const problem = people.find((p): p is string => typeof p === 'string');
      if (problem) return fail(problem);
      const names = people.map((p) => (p as { name: string }).name);
      const busyOf = (name?: string) =>
        world.events.filter((e) => !name || e.attendees.includes(name)).map((e) => ({ startMs: wallMs(e.start), endMs: wallMs(e.end) }));
      const fromMs = Math.max(wallMs(call.input.start.replace('T', ' ')), wallMs(world.now));
      const slots = findFreeSlots({
        fromMs,
        toMs: wallMs(call.input.end.replace('T', ' ')),
        durationMinutes: call.input.duration_minutes,
        people: [{ timezone: 'UTC', busy: busyOf() }, ...names.map((n) => ({ timezone: 'UTC', busy: busyOf(n) }))],
        rules: loadSchedulingConfig({}),
        dayZone: 'UTC',
        max: MAX_SLOTS,
      });
      return ok({
        durationMinutes: call.input.duration_minutes,
        timezone: 'Asia/Ho_Chi_Minh',
        slots: slots.map((sl) => ({ start: wall(sl.startMs), end: wall(sl.endMs), startMs: sl.startMs, endMs: sl.endMs })),
        attendees: names.map((name) => ({ name, open_id: world.people.find((p) => p.name === name)!.open_id })),
      });
    }
    case 'set_reminder': {
      const i = call.input;
      if (i.event_id !== undefined) {
        const e = world.events.find((x) => x.event_id === i.event_id);
        if (!e) return fail(`The user's calendar has no event "${i.event_id}" (cancelled, or a wrong id: list_events shows the ids). Nothing was set.`);
        const r: WorldReminder = {
          reminder_id: `rem-new-${++seq}`,
          kind: 'reminder',
          text: i.text,
          next: wall(wallMs(e.start) - (i.minutes_before ?? 0) * 60_000),
        };
        (world.reminders ??= []).push(r);
        return ok({
          set: { ...r, before_event: { event_id: e.event_id, title: e.summary, starts: e.start, minutes_before: i.minutes_before, follows_moves: true } },
        });
      }
      const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
      const next = i.at ? i.at.replace('T', ' ') : i.in_minutes ? wall(wallMs(world.now) + i.in_minutes * 60_000) : `${world.now.slice(0, 10)} ${i.time}`;
      const repeats =
        i.repeat === 'daily'
          ? `every day at ${i.time}`
          : i.repeat === 'weekdays'
            ? `every weekday (Mon–Fri) at ${i.time}`
            : i.repeat === 'weekly'
              ? `every ${(i.weekdays ?? []).map((d) => days[d]).join(', ')} at ${i.time}`
              : undefined;
      const schedule =
        i.repeat === 'weekly' ? { kind: 'weekly' as const, time: i.time!, weekdays: i.weekdays! } : i.repeat ? { kind: i.repeat, time: i.time! } : undefined;
      const r: WorldReminder = { reminder_id: `rem-new-${++seq}`, kind: 'reminder', text: i.text, next, ...(repeats ? { repeats, schedule } : {}) };
      (world.reminders ??= []).push(r);
      return ok({ set: r });
    }
    case 'list_reminders':
      return ok({ reminders: world.reminders ?? [], total: (world.reminders ?? []).length, max_active: 100 });
    case 'cancel_reminder': {
      const i = (world.reminders ?? []).findIndex((r) => r.reminder_id === call.input.reminder_id);
      if (i < 0) return fail(`No active reminder of this user has the id "${call.input.reminder_id}" (list_reminders shows the ids). Nothing was cancelled.`);
      const [r] = world.reminders!.splice(i, 1);
      return ok({ cancelled: r });
    }
    case 'set_timezone': {
      const previous = world.timezone ?? 'Asia/Ho_Chi_Minh';
      world.timezone = call.input.timezone;
      return ok({
        timezone: call.input.timezone,
        previous,
        note: "From the user's next message on, dates, times and new reminders use this zone; reminders already set keep theirs.",
      });
    }
    case 'daily_agenda': {
      const list = (world.reminders ??= []);
      const had = list.filter((r) => r.kind === 'agenda');
      for (const r of had) list.splice(list.indexOf(r), 1);
      if (!call.input.enabled) return had.length ? ok({ stopped: had.length }) : ok({ stopped: 0, note: 'The user had no daily agenda; nothing changed.' });
      const time = call.input.time ?? '08:00';
      const r: WorldReminder = {
        reminder_id: `rem-agenda-${++seq}`,
        kind: 'agenda',
        next: `${world.now.slice(0, 10)} ${time}`,
        repeats: `every day at ${time}`,
        schedule: { kind: 'daily', time },
      };
      list.push(r);
      return ok({ agenda: r });
    }
  }
}

export interface DriverOptions {
  /** The answer to a Confirm / Cancel card; default confirm. */
  decision?: Decision;
  /** Tools that fail as if Lark were down (the loop's own failure sentence). */
  failing?: string[];
}

export interface Outcome {
  calls: ToolCall[];
  /** How each confirmation ended, in order. */
  confirmations: Decision[];
  results: Array<{ content: string; isError: boolean }>;
}

/**
 * One tool_use as the agent loop handles it: validated (invalid input is an error the model reads), confirmed
 * first when the real rule says so, then run in the world.
 */
export function handleToolUse(world: World, name: string, input: unknown, opts: DriverOptions, out: Outcome): { content: string; isError: boolean } {
  const valid = validateToolInput(name, input);
  if (!valid.ok) return { content: valid.error, isError: true };
  const call = valid.call;
  out.calls.push(call);
  const shared = call.name === 'update_event' ? (world.events.find((e) => e.event_id === call.input.event_id)?.attendees.length ?? 0) > 0 : undefined;
  if (needsConfirmation(call, { eventHasOtherAttendees: shared })) {
    const decision = opts.decision ?? 'confirm';
    out.confirmations.push(decision);
    if (decision === 'cancel') return { content: CANCELLED, isError: false };
    if (decision === 'expired') return { content: EXPIRED, isError: false };
  }
  if (opts.failing?.includes(call.name)) return { content: FAILED, isError: true };
  return runTool(world, call);
}
