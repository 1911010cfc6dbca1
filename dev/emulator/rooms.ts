/**
 * Meeting rooms, as Lark's VC room API serves them: `GET /open-apis/vc/v1/rooms` (paged), `GET .../rooms/:room_id`
 * and `POST /open-apis/vc/v1/room_levels/mget {level_ids}` for the names of a room's levels (building, floor).
 * Booking a room is not here: it is adding a `{type: "resource", room_id}` attendee to an event (calendar.ts),
 * and a room's busy times are calendar free/busy with `room_id`. Scope vc:room:readonly (or vc:room).
 *
 * The seeded tenant: one building, two floors, six rooms; "Boardroom" needs an approval that is declined, "Sky
 * Lounge" an approval that never comes (its bookings stay needs_action).
 */
import { LarkError, bodyObject, decodeOffset, encodeOffset, ok, type Ctx, type Json, type Router } from './http';
import type { Auth, ScopeNeed } from './auth';
import { stableHex, type Clock, type EmulatorState, type Room, type RoomLevel } from './state';

const READ: ScopeNeed = { family: 'vc', write: false, subject: 'vc:room:readonly' };

const level = (key: string, name: string, parent = '0'): RoomLevel => ({ room_level_id: 'omb_' + stableHex('level:' + key), name, parent_id: parent });

/** The seeded levels and rooms (ids are stable, so a sandbox restart keeps them). */
export function seedRooms(state: EmulatorState): void {
  const building = level('hcm', 'HCMC Tower');
  const f3 = level('hcm-3', 'Floor 3', building.room_level_id);
  const f5 = level('hcm-5', 'Floor 5', building.room_level_id);
  for (const l of [building, f3, f5]) state.roomLevels.set(l.room_level_id, l);
  const room = (key: string, name: string, capacity: number, lvl: RoomLevel, approval?: Room['approval']): Room => ({
    room_id: 'omm_' + stableHex('room:' + key),
    name,
    capacity,
    room_level_id: lvl.room_level_id,
    ...(approval ? { approval } : {}),
  });
  for (const r of [
    room('orchid', 'Orchid', 4, f3),
    room('lotus', 'Lotus', 6, f3),
    room('lily', 'Lily', 10, f3),
    room('bamboo', 'Bamboo', 8, f5),
    room('boardroom', 'Boardroom', 16, f5, 'decline'),
    room('sky', 'Sky Lounge', 30, f5, 'pending'),
  ]) {
    state.rooms.set(r.room_id, r);
  }
}

/** A room's seeded key ('lotus') to its id, for tests and the sandbox. */
export function roomIdOf(key: string): string {
  return 'omm_' + stableHex('room:' + key);
}

export class Rooms {
  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly pageCap: number,
  ) {}

  register(router: Router): void {
    router.add('GET', '/open-apis/vc/v1/rooms', (ctx) => this.list(ctx));
    router.add('GET', '/open-apis/vc/v1/rooms/:room_id', (ctx) => this.get(ctx));
    router.add('POST', '/open-apis/vc/v1/room_levels/mget', (ctx) => this.levels(ctx));
  }

  private path(r: Room): string[] {
    const path: string[] = [];
    for (let id: string | undefined = r.room_level_id; id && id !== '0'; id = this.state.roomLevels.get(id)?.parent_id) path.unshift(id);
    return path;
  }

  private view(r: Room): Json {
    const path = this.path(r);
    return {
      room_id: r.room_id,
      name: r.name,
      capacity: r.capacity,
      description: '',
      display_id: `LM${r.room_id.slice(4, 12)}`,
      room_level_id: r.room_level_id,
      path,
      room_status: { status: true, schedule_status: true },
    };
  }

  private list(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any', READ);
    const raw = ctx.query.get('page_size');
    const pageSize = raw === null ? 20 : Number(raw);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new LarkError(121003, 'param error: page_size must be 1-100');
    const levelId = ctx.query.get('room_level_id');
    const all = [...this.state.rooms.values()].filter((r) => !levelId || this.path(r).includes(levelId));
    const offset = decodeOffset(ctx.query.get('page_token'));
    const size = Math.min(pageSize, this.pageCap);
    const hasMore = offset + size < all.length;
    return ok({
      rooms: all.slice(offset, offset + size).map((r) => this.view(r)),
      has_more: hasMore,
      ...(hasMore ? { page_token: encodeOffset(offset + size) } : {}),
    });
  }

  private get(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any', READ);
    const r = this.state.rooms.get(ctx.params.room_id ?? '');
    if (!r) throw new LarkError(121004, 'data not exist', 404);
    return ok({ room: this.view(r) });
  }

  private levels(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any', READ);
    const body = bodyObject(ctx);
    if (!Array.isArray(body.level_ids) || body.level_ids.some((x) => typeof x !== 'string')) throw new LarkError(121003, 'param error: level_ids is required');
    const items = (body.level_ids as string[]).flatMap((id) => {
      const l = this.state.roomLevels.get(id);
      return l ? [{ room_level_id: l.room_level_id, name: l.name, parent_id: l.parent_id, path: [], has_child: false }] : [];
    });
    return ok({ items });
  }
}

/**
 * A room's answer to a booking made now over [startMs, endMs): declined when it is already busy then (another
 * booking, its own busy times); an approval room answers needs_action, and one whose approver declines turns to
 * decline `approvalDelayMs` later (0: at the next read).
 */
export function roomAnswer(
  state: EmulatorState,
  clock: Clock,
  room: Room,
  startMs: number,
  endMs: number,
  eventId: string,
  attendeeId: string,
  approvalDelayMs: number,
): string {
  const busy = roomBusyBlocks(state, clock, room.room_id, startMs, endMs, eventId);
  if (busy.length) return 'decline';
  if (room.approval === 'decline') {
    state.roomDecisions.set(attendeeId, { at: clock.now() + approvalDelayMs, to: 'decline' });
    return 'needs_action';
  }
  if (room.approval === 'pending') return 'needs_action';
  return 'accept';
}

/** Applies approval answers that are due (called before any read of attendees or free/busy). */
export function settleRoomDecisions(state: EmulatorState, clock: Clock): void {
  if (!state.roomDecisions.size) return;
  const now = clock.now();
  for (const ev of state.events.values()) {
    for (const a of ev.attendees) {
      const d = typeof a.attendee_id === 'string' ? state.roomDecisions.get(a.attendee_id) : undefined;
      if (d && d.at <= now) {
        a.rsvp_status = d.to;
        state.roomDecisions.delete(a.attendee_id as string);
      }
    }
  }
}

/** A room's busy blocks overlapping [fromMs, toMs): its bookings not declined (except `exceptEventId`) and its own busy times. */
export function roomBusyBlocks(
  state: EmulatorState,
  clock: Clock,
  roomId: string,
  fromMs: number,
  toMs: number,
  exceptEventId?: string,
): Array<{ s: number; e: number }> {
  settleRoomDecisions(state, clock);
  const booked = state
    .eventList()
    .filter((e) => e.status !== 'cancelled' && e.event_id !== exceptEventId)
    .filter((e) => e.attendees.some((a) => a.type === 'resource' && a.room_id === roomId && a.rsvp_status !== 'decline' && a.rsvp_status !== 'removed'))
    .map((e) => ({ s: Number((e.start_time as { timestamp?: string }).timestamp) * 1000, e: Number((e.end_time as { timestamp?: string }).timestamp) * 1000 }))
    .filter((b) => Number.isFinite(b.s) && Number.isFinite(b.e));
  const own = state.roomBusy.filter((b) => b.room_id === roomId).map((b) => ({ s: b.startMs, e: b.endMs }));
  return [...booked, ...own].filter((b) => b.s < toMs && b.e > fromMs).sort((a, b) => a.s - b.s);
}
