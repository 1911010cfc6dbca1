/**
 * Calendar v4. Times are Unix SECONDS as strings and are stored exactly as sent; a 13-digit value is
 * refused (190002) because it is almost always milliseconds sent by mistake. "primary" is not a
 * calendar id in paths (191001): clients must resolve it with POST /calendars/primary first.
 * A token reaches only its owner's calendars: the tenant token the bot's, a user token the user's. An event
 * shows in its organizer's calendar and, for reading, in each invited user's primary calendar (same event id).
 * As in Lark, attendees are returned only by the event GET with `need_attendee=true` (at most
 * `max_attendee_num`, default 10, then `has_more_attendee`), never by list, create or patch; the organizer
 * is in `event_organizer`, and attendee `user_id`s follow `user_id_type`.
 */
import {
  LarkError,
  bodyObject,
  decodeOffset,
  encodeOffset,
  invalidParam,
  isObject,
  ok,
  optString,
  reqString,
  type Caller,
  type Ctx,
  type Json,
  type Router,
} from './http';
import type { Auth, ScopeNeed } from './auth';
import { idOf, randomId, type CalendarEntity, type CalendarEvent, type Clock, type EmulatorState } from './state';
import { roomAnswer, roomBusyBlocks, settleRoomDecisions } from './rooms';

const READ: ScopeNeed = { family: 'calendar', write: false, subject: 'calendar:calendar:readonly' };
const WRITE: ScopeNeed = { family: 'calendar', write: true, subject: 'calendar:calendar' };

const SECONDS = /^\d{1,10}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EVENT_FIELDS = ['summary', 'description', 'start_time', 'end_time'];

function badParam(what: string): LarkError {
  return new LarkError(190002, `invalid parameters in request: ${what}`);
}

/** Validates {timestamp: seconds string, timezone?} or {date: YYYY-MM-DD}; returns its start in ms. */
function timeInfo(v: unknown, field: string): number {
  if (!isObject(v)) throw badParam(`${field} must be an object`);
  if (v.timestamp !== undefined) {
    if (typeof v.timestamp !== 'string' || !SECONDS.test(v.timestamp)) {
      throw badParam(`${field}.timestamp must be Unix seconds as a string`);
    }
    return Number(v.timestamp) * 1000;
  }
  if (typeof v.date === 'string' && DATE.test(v.date)) return Date.parse(v.date + 'T00:00:00Z');
  throw badParam(`${field} needs timestamp or date`);
}

/** End of an all-day event is exclusive of the whole day. */
function endInfo(v: unknown, field: string): number {
  const ms = timeInfo(v, field);
  return isObject(v) && v.timestamp === undefined ? ms + 86400_000 : ms;
}

export class Calendar {
  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly clock: Clock,
    /** Most items one list page holds, whatever page_size asked for. */
    private readonly pageCap = DEFAULT_PAGE_CAP,
    /** How long an approval room takes to decline a booking (0: by the next read). */
    private readonly roomApprovalDelayMs = 0,
  ) {}

  register(router: Router): void {
    const base = '/open-apis/calendar/v4';
    router.add('POST', `${base}/calendars/primary`, (ctx) => this.primary(ctx));
    router.add('GET', `${base}/calendars`, (ctx) => this.list(ctx));
    router.add('GET', `${base}/calendars/:calendar_id`, (ctx) => this.getCalendar(ctx));
    router.add('GET', `${base}/calendars/:calendar_id/events`, (ctx) => this.listEvents(ctx));
    router.add('POST', `${base}/calendars/:calendar_id/events`, (ctx) => this.createEvent(ctx));
    router.add('GET', `${base}/calendars/:calendar_id/events/:event_id`, (ctx) => this.getEvent(ctx));
    router.add('PATCH', `${base}/calendars/:calendar_id/events/:event_id`, (ctx) => this.patchEvent(ctx));
    router.add('DELETE', `${base}/calendars/:calendar_id/events/:event_id`, (ctx) => this.deleteEvent(ctx));
    router.add('POST', `${base}/calendars/:calendar_id/events/:event_id/attendees`, (ctx) => this.addAttendees(ctx));
    router.add('POST', `${base}/calendars/:calendar_id/events/:event_id/reply`, (ctx) => this.reply(ctx));
    router.add('POST', `${base}/freebusy/list`, (ctx) => this.freebusy(ctx));
  }

  private ownerOf(caller: Caller): string {
    return caller.kind === 'tenant' ? 'app' : (caller.openId as string);
  }

  private calendarView(c: CalendarEntity): Json {
    return {
      calendar_id: c.calendar_id,
      summary: c.summary,
      description: '',
      permissions: 'private',
      color: -1,
      type: c.type,
      summary_alias: '',
      is_deleted: false,
      is_third_party: false,
      role: 'owner',
    };
  }

  private primary(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    const owner = this.ownerOf(caller);
    const cal = [...this.state.calendars.values()].find((c) => c.owner === owner && c.type === 'primary');
    if (!cal) throw new LarkError(191001, 'invalid calendar_id');
    const userId = caller.kind === 'user' ? idOf(this.state.user(owner), ctx.query.get('user_id_type') ?? 'open_id') : '';
    return ok({ calendars: [{ calendar: this.calendarView(cal), user_id: userId }] });
  }

  private list(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    const owner = this.ownerOf(caller);
    const mine = [...this.state.calendars.values()].filter((c) => c.owner === owner);
    return ok({ has_more: false, page_token: '', sync_token: randomId('', 8), calendar_list: mine.map((c) => this.calendarView(c)) });
  }

  /** The calendar in the path, which the caller must own. */
  private calendar(ctx: Ctx, caller: Caller): CalendarEntity {
    const id = ctx.params.calendar_id ?? '';
    const cal = this.state.calendars.get(id);
    if (!cal) throw new LarkError(191001, 'invalid calendar_id');
    if (cal.owner !== this.ownerOf(caller)) throw new LarkError(191002, 'no calendar access_role');
    return cal;
  }

  private getCalendar(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    return ok(this.calendarView(this.calendar(ctx, caller)));
  }

  private event(ctx: Ctx, cal: CalendarEntity): CalendarEvent {
    const ev = this.state.events.get(ctx.params.event_id ?? '');
    if (!ev || ev.organizer_calendar_id !== cal.calendar_id || ev.status === 'cancelled') {
      throw new LarkError(193001, 'event not found');
    }
    return ev;
  }

  /** An invited user sees the organizer's event in their own primary calendar. */
  private invites(cal: CalendarEntity, e: CalendarEvent): boolean {
    return cal.type === 'primary' && cal.owner !== 'app' && e.attendees.some((a) => a.open_id === cal.owner && a.rsvp_status !== 'removed');
  }

  /** For reading: the calendar's own events and the ones its owner is invited to. */
  private visibleEvent(ctx: Ctx, cal: CalendarEntity): CalendarEvent {
    const ev = this.state.events.get(ctx.params.event_id ?? '');
    if (!ev || ev.status === 'cancelled' || (ev.organizer_calendar_id !== cal.calendar_id && !this.invites(cal, ev))) {
      throw new LarkError(193001, 'event not found');
    }
    return ev;
  }

  /** The event as Lark answers it: organizer info always, attendees only when asked for. */
  private view(ctx: Ctx, e: CalendarEvent, withAttendees = false): Json {
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    const organizerCal = this.state.calendars.get(e.organizer_calendar_id);
    const organizer = organizerCal && organizerCal.owner !== 'app' ? this.state.findUser(organizerCal.owner) : undefined;
    const out: Json = {
      ...eventView(e),
      event_organizer: organizer ? { user_id: idOf(organizer, idType), display_name: organizer.name } : { user_id: '', display_name: 'Bot' },
    };
    if (!withAttendees) return out;
    settleRoomDecisions(this.state, this.clock);
    const raw = ctx.query.get('max_attendee_num');
    const max = raw === null ? 10 : Number(raw);
    if (!Number.isInteger(max) || max < 1 || max > 100) throw badParam('max_attendee_num must be 1-100');
    const attendees = e.attendees.filter((a) => a.rsvp_status !== 'removed').map((a) => this.attendeeView(a, idType));
    out.attendees = attendees.slice(0, max);
    out.has_more_attendee = attendees.length > max;
    return out;
  }

  private attendeeView(a: Json, idType: string): Json {
    const { open_id: openId, ...rest } = a;
    if (a.type !== 'user' || typeof openId !== 'string') return rest;
    const user = this.state.findUser(openId);
    return { ...rest, user_id: user ? idOf(user, idType) : openId };
  }

  private listEvents(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    const cal = this.calendar(ctx, caller);
    const start = ctx.query.get('start_time');
    const end = ctx.query.get('end_time');
    for (const [k, v] of [
      ['start_time', start],
      ['end_time', end],
    ] as const) {
      if (v !== null && !SECONDS.test(v)) throw badParam(`${k} must be Unix seconds`);
    }
    const fromMs = start !== null ? Number(start) * 1000 : -Infinity;
    const toMs = end !== null ? Number(end) * 1000 : Infinity;
    // Lark: page_size default 500, 50-1000. Like Lark, a page may hold fewer than page_size (this emulator
    // serves at most `pageCap`, so clients must follow has_more / page_token and tests see paging).
    const rawSize = ctx.query.get('page_size');
    const pageSize = rawSize === null ? 500 : Number(rawSize);
    if (!Number.isInteger(pageSize) || pageSize < 50 || pageSize > 1000) throw badParam('page_size must be 50-1000');
    const offset = decodeOffset(ctx.query.get('page_token'));
    const all = this.state
      .eventList()
      .filter((e) => (e.organizer_calendar_id === cal.calendar_id || this.invites(cal, e)) && e.status !== 'cancelled')
      .filter((e) => timeInfo(e.start_time, 'start_time') < toMs && endInfo(e.end_time, 'end_time') > fromMs)
      .sort((a, b) => timeInfo(a.start_time, 'start_time') - timeInfo(b.start_time, 'start_time') || a.event_id.localeCompare(b.event_id));
    const size = Math.min(pageSize, this.pageCap);
    const items = all.slice(offset, offset + size).map((e) => this.view(ctx, e));
    const hasMore = offset + size < all.length;
    return ok({ has_more: hasMore, page_token: hasMore ? encodeOffset(offset + size) : '', sync_token: hasMore ? '' : randomId('', 8), items });
  }

  private createEvent(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const cal = this.calendar(ctx, caller);
    const body = bodyObject(ctx);
    const key = ctx.query.get('idempotency_key') ?? undefined;
    if (key) {
      const prior = this.state.eventKeys.get(`${cal.calendar_id}\n${key}`);
      const ev = prior ? this.state.events.get(prior) : undefined;
      if (ev) {
        ctx.note.duplicateKey = true;
        return ok({ event: this.view(ctx, ev) });
      }
    }
    const startMs = timeInfo(body.start_time, 'start_time');
    const endMs = endInfo(body.end_time, 'end_time');
    if (endMs <= startMs) throw badParam('end_time must be after start_time');
    const extra: Json = {};
    for (const [k, v] of Object.entries(body)) if (!EVENT_FIELDS.includes(k)) extra[k] = v;
    const ev: CalendarEvent = {
      event_id: `${randomId('', 16)}_0`,
      organizer_calendar_id: cal.calendar_id,
      summary: optString(body, 'summary'),
      description: optString(body, 'description'),
      start_time: body.start_time as Json,
      end_time: body.end_time as Json,
      status: 'confirmed',
      attendees: [],
      create_time: String(Math.floor(this.clock.now() / 1000)),
      idempotency_key: key,
      extra,
    };
    this.state.events.set(ev.event_id, ev);
    if (key) this.state.eventKeys.set(`${cal.calendar_id}\n${key}`, ev.event_id);
    return ok({ event: this.view(ctx, ev) });
  }

  private getEvent(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    const ev = this.visibleEvent(ctx, this.calendar(ctx, caller));
    return ok({ event: this.view(ctx, ev, ctx.query.get('need_attendee') === 'true') });
  }

  private patchEvent(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const ev = this.event(ctx, this.calendar(ctx, caller));
    const body = bodyObject(ctx);
    const start = body.start_time ?? ev.start_time;
    const end = body.end_time ?? ev.end_time;
    if (endInfo(end, 'end_time') <= timeInfo(start, 'start_time')) throw badParam('end_time must be after start_time');
    const moved = JSON.stringify(start) !== JSON.stringify(ev.start_time) || JSON.stringify(end) !== JSON.stringify(ev.end_time);
    ev.start_time = start as Json;
    ev.end_time = end as Json;
    // A moved event's rooms are booked again for the new time: each answers anew (busy then: decline).
    if (moved) {
      for (const a of ev.attendees.filter((x) => x.type === 'resource' && x.rsvp_status !== 'removed')) {
        const room = this.state.rooms.get(String(a.room_id));
        if (!room) continue;
        this.state.roomDecisions.delete(String(a.attendee_id));
        a.rsvp_status =
          room.approval && !a.approval_reason
            ? 'decline'
            : roomAnswer(
                this.state,
                this.clock,
                room,
                timeInfo(start, 'start_time'),
                endInfo(end, 'end_time'),
                ev.event_id,
                String(a.attendee_id),
                this.roomApprovalDelayMs,
              );
      }
    }
    if (body.summary !== undefined) ev.summary = optString(body, 'summary');
    if (body.description !== undefined) ev.description = optString(body, 'description');
    for (const [k, v] of Object.entries(body)) if (!EVENT_FIELDS.includes(k)) ev.extra[k] = v;
    return ok({ event: this.view(ctx, ev) });
  }

  private deleteEvent(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const ev = this.event(ctx, this.calendar(ctx, caller));
    ev.status = 'cancelled';
    return ok({});
  }

  private addAttendees(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const ev = this.event(ctx, this.calendar(ctx, caller));
    const body = bodyObject(ctx);
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    if (!Array.isArray(body.attendees) || body.attendees.length === 0) throw invalidParam('attendees is required');
    const added: Json[] = [];
    for (const a of body.attendees) {
      if (!isObject(a)) throw invalidParam('attendees[] must be objects');
      const type = reqString(a, 'type');
      if (type === 'resource') {
        // A room: it must exist; it answers at once (accept, or decline when busy then), or later when it needs approval.
        const roomId = reqString(a, 'room_id');
        const room = this.state.rooms.get(roomId);
        if (!room) throw badParam(`room_id "${roomId}" is not a meeting room of this tenant`);
        const had = ev.attendees.find((x) => x.type === 'resource' && x.room_id === roomId && x.rsvp_status !== 'removed');
        if (had) {
          added.push(had);
          continue;
        }
        const attendeeId = randomId('room_', 8);
        const s = timeInfo(ev.start_time, 'start_time');
        const e = endInfo(ev.end_time, 'end_time');
        const att: Json = {
          type: 'resource',
          attendee_id: attendeeId,
          room_id: roomId,
          display_name: room.name,
          is_optional: false,
          is_organizer: false,
          is_external: false,
        };
        // As in Lark, an approval room booked without approval_reason fails at once.
        att.rsvp_status =
          room.approval && !(typeof a.approval_reason === 'string' && a.approval_reason.trim())
            ? 'decline'
            : roomAnswer(this.state, this.clock, room, s, e, ev.event_id, attendeeId, this.roomApprovalDelayMs);
        if (typeof a.approval_reason === 'string') att.approval_reason = a.approval_reason;
        ev.attendees.push(att);
        added.push(att);
        continue;
      }
      if (type !== 'user') {
        // Chats are stored as given; the emulator has no chats' members to check against.
        added.push({ ...a, attendee_id: randomId('att_', 8), rsvp_status: 'needs_action' });
        continue;
      }
      const userId = reqString(a, 'user_id');
      const user = this.state.findUser(userId, idType);
      if (!user) throw badParam(`attendee user_id "${userId}" is not a ${idType} in this tenant`);
      if (ev.attendees.some((x) => x.open_id === user.open_id)) continue;
      const att: Json = {
        type: 'user',
        attendee_id: `user_${user.user_id}`,
        rsvp_status: 'needs_action',
        is_optional: a.is_optional === true,
        is_organizer: false,
        is_external: false,
        display_name: user.name,
        user_id: userId,
        open_id: user.open_id,
      };
      ev.attendees.push(att);
      added.push(att);
    }
    if (body.need_notification !== undefined) ctx.note.needNotification = body.need_notification;
    return ok({ attendees: added });
  }

  /**
   * The event reply API: the caller answers for themself on a calendar where they see the event (an invitee's
   * primary calendar). Body {"rsvp_status": "accept" | "decline" | "tentative"}; the answer's data is empty.
   * Only an attendee can answer (193002 otherwise). Sending the status the attendee already has changes
   * nothing; a change is recorded in `state.rsvpChanges` (the organizer would see it).
   */
  private reply(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const ev = this.visibleEvent(ctx, this.calendar(ctx, caller));
    const body = bodyObject(ctx);
    const status = body.rsvp_status;
    if (status !== 'accept' && status !== 'decline' && status !== 'tentative') throw badParam('rsvp_status must be accept, decline or tentative');
    const me = caller.kind === 'user' ? ev.attendees.find((a) => a.type === 'user' && a.open_id === caller.openId && a.rsvp_status !== 'removed') : undefined;
    if (!me) throw new LarkError(193002, 'no permission to operate event', 403);
    const from = String(me.rsvp_status ?? 'needs_action');
    if (from !== status) {
      me.rsvp_status = status;
      this.state.log(this.state.rsvpChanges, { event_id: ev.event_id, open_id: caller.openId as string, from, to: status, at: this.clock.now() });
    }
    return ok({});
  }

  private freebusy(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any', READ);
    const body = bodyObject(ctx);
    const timeMin = reqString(body, 'time_min');
    const timeMax = reqString(body, 'time_max');
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    if (!rfc3339.test(timeMin) || !rfc3339.test(timeMax)) throw badParam('time_min and time_max must be RFC 3339');
    const fromMs = Date.parse(timeMin);
    const toMs = Date.parse(timeMax);
    if (toMs <= fromMs) throw badParam('time_max must be after time_min');
    if (toMs - fromMs > 90 * 86400_000) throw badParam('the range must not exceed 90 days');
    // Lark takes user_id or room_id (user_id wins when both are given).
    if (body.user_id === undefined && typeof body.room_id === 'string') {
      if (!this.state.rooms.has(body.room_id)) throw badParam(`room_id "${body.room_id}" not found`);
      const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
      return ok({
        freebusy_list: roomBusyBlocks(this.state, this.clock, body.room_id, fromMs, toMs).map((b) => ({ start_time: iso(b.s), end_time: iso(b.e) })),
      });
    }
    const userId = reqString(body, 'user_id');
    const user = this.state.findUser(userId, ctx.query.get('user_id_type') ?? 'open_id');
    if (!user) throw badParam(`user_id "${userId}" not found`);
    const busy = this.state
      .eventList()
      .filter((e) => e.status !== 'cancelled' && e.extra.free_busy_status !== 'free')
      .filter(
        (e) =>
          e.organizer_calendar_id === user.primaryCalendarId ||
          e.attendees.some((a) => a.open_id === user.open_id && a.rsvp_status !== 'removed' && a.rsvp_status !== 'decline'),
      )
      .map((e) => ({ s: timeInfo(e.start_time, 'start_time'), e: endInfo(e.end_time, 'end_time') }))
      .filter((b) => b.s < toMs && b.e > fromMs)
      .sort((a, b) => a.s - b.s)
      .map((b) => ({ start_time: new Date(b.s).toISOString().replace('.000Z', 'Z'), end_time: new Date(b.e).toISOString().replace('.000Z', 'Z') }));
    return ok({ freebusy_list: busy });
  }
}

/** Most items per list page (events, tasks): small, so tests that list a busy week see Lark's paging. */
export const DEFAULT_PAGE_CAP = 20;

/** The stored fields; attendees and the organizer are added by Calendar.view (they depend on the request). */
function eventView(e: CalendarEvent): Json {
  return {
    ...e.extra,
    event_id: e.event_id,
    organizer_calendar_id: e.organizer_calendar_id,
    summary: e.summary,
    description: e.description,
    start_time: e.start_time,
    end_time: e.end_time,
    status: e.status,
    create_time: e.create_time,
  };
}
