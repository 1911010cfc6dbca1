/**
 * The calendar family's meeting rooms: the tenant's rooms with their places, one room by id, what a booked room
 * answered, a room's busy times; and the pure rules list_rooms and find_time match and combine rooms with.
 */
import type { Busy } from '../../src/agent/slots';
import type { RoomFacts, RoomStatus } from '../../src/agent/tool-io';
import type { MeetingRoom } from '../../src/lark/api-types';
import { asUser, type LarkClient } from '../../src/lark/client';
import { classifyLarkError } from '../../src/lark/errors';
import { LarkFailureType } from '../../src/lark/failure-types';
import { toRfc3339 } from '../../src/lark/time';
import { ToolInputError } from '../tool-results';
import { fold } from './shared';

/** A meeting room as the tools show it: its place is its level names from the top ("HCMC Tower · Floor 3"). */
export interface RoomInfo {
  room_id: string;
  name: string;
  capacity?: number;
  place?: string;
}

/** "tầng 3", "lầu 3", "3rd floor", "floor 3" all name Floor 3; words are folded (case, diacritics). */
function placeWords(q: string): string[] {
  return fold(q)
    .replace(/\b(?:tang|lau)\s*(\d+)/g, 'floor $1')
    .replace(/\b(\d+)(?:st|nd|rd|th)?\s+floor\b/g, 'floor $1')
    .replace(/\b(?:phong hop|phong|room|meeting room|o|at|on|in|the)\b/g, ' ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Whether a room's name or place has every word of the query (whole words: "floor 3" is not "floor 30"). */
export function roomMatches(room: RoomInfo, query: string): boolean {
  const words = placeWords(query);
  if (!words.length) return true;
  const have = new Set(fold(`${room.name} ${room.place ?? ''}`).split(/[^\p{L}\p{N}]+/u));
  return words.every((w) => have.has(w));
}

/** Room status from the resource attendee's rsvp_status: accept, decline, or anything else (needs_action) pending. */
export function roomStatusOf(rsvp: string | undefined): RoomStatus {
  return rsvp === 'accept' ? 'accepted' : rsvp === 'decline' ? 'declined' : 'pending';
}

export const pickRoom = (r: RoomInfo) => ({
  room_id: r.room_id,
  name: r.name,
  ...(r.capacity !== undefined ? { capacity: r.capacity } : {}),
  ...(r.place ? { place: r.place } : {}),
});

/** Busy when every list is busy: the times no room of the list is free (the lists each sorted or not). */
export function busyOfAll(lists: Busy[][]): Busy[] {
  if (!lists.length) return [];
  const points = [...new Set(lists.flat().flatMap((b) => [b.startMs, b.endMs]))].sort((a, b) => a - b);
  const out: Busy[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i]!;
    const e = points[i + 1]!;
    if (!lists.every((l) => l.some((b) => b.startMs <= s && b.endMs >= e))) continue;
    const last = out.at(-1);
    if (last && last.endMs === s) last.endMs = e;
    else out.push({ startMs: s, endMs: e });
  }
  return out;
}

export function createRoomLookups(client: LarkClient, roomSettleMs: number) {
  /**
   * The tenant's meeting rooms with their places, smallest first (the VC room API as the app: rooms are the
   * tenant's, scope vc:room:readonly; level names from room_levels/mget). A tenant without the scope or rooms: none.
   */
  async function tenantRooms(): Promise<RoomInfo[]> {
    const { items } = await client.listAllRooms();
    const levelIds = [...new Set(items.flatMap((r) => r.path ?? (r.room_level_id ? [r.room_level_id] : [])))];
    const names = new Map((await client.roomLevels(levelIds.slice(0, 100))).map((l) => [l.room_level_id, l.name ?? '']));
    const placeOf = (r: MeetingRoom) =>
      (r.path ?? (r.room_level_id ? [r.room_level_id] : []))
        .map((id) => names.get(id))
        .filter(Boolean)
        .join(' · ');
    return items
      .filter((r) => r.room_id && r.room_status?.status !== false)
      .map((r) => ({
        room_id: r.room_id,
        name: r.name ?? r.room_id,
        ...(r.capacity !== undefined ? { capacity: r.capacity } : {}),
        ...(placeOf(r) ? { place: placeOf(r) } : {}),
      }))
      .sort((a, b) => (a.capacity ?? 0) - (b.capacity ?? 0) || a.name.localeCompare(b.name));
  }

  /** One room by id, with its place; a room Lark does not know is a ToolInputError the model can correct. */
  async function roomById(roomId: string): Promise<RoomInfo> {
    const room = await client.getRoom(roomId).catch((err) => {
      const c = classifyLarkError(err);
      if (c?.type === LarkFailureType.InvalidInput)
        throw new ToolInputError(`No meeting room has the id ${roomId} (or the app may not book it): use a room_id from list_rooms.`);
      throw err;
    });
    const levels = await client.roomLevels(room.path ?? (room.room_level_id ? [room.room_level_id] : [])).catch(() => []);
    const place = levels
      .map((l) => l.name)
      .filter(Boolean)
      .join(' · ');
    return {
      room_id: room.room_id,
      name: room.name ?? room.room_id,
      ...(room.capacity !== undefined ? { capacity: room.capacity } : {}),
      ...(place ? { place } : {}),
    };
  }

  /**
   * What the event's room (the given one, else its first) answered after a write, read back with the attendees;
   * Lark books rooms asynchronously, so a needs_action is read again once a second for up to roomSettleMs.
   * Undefined when the event has no room (or cannot be read).
   */
  async function roomAfterWrite(calendarId: string, openId: string, eventId: string, roomId?: string): Promise<RoomFacts | undefined> {
    const read = async () => {
      const back = await client.getEvent(calendarId, eventId, { as: asUser(openId), needAttendee: true, maxAttendeeNum: 100 }).catch(() => undefined);
      const entry = (back?.attendees ?? []).find((a) => a.type === 'resource' && a.rsvp_status !== 'removed' && (roomId === undefined || a.room_id === roomId));
      return entry?.room_id ? { room_id: entry.room_id, name: entry.display_name || entry.room_id, status: roomStatusOf(entry.rsvp_status) } : undefined;
    };
    let facts = await read();
    for (let waited = 0; facts?.status === 'pending' && waited < roomSettleMs; waited += 1_000) {
      await new Promise((r) => setTimeout(r, 1_000));
      facts = (await read()) ?? facts;
    }
    return facts;
  }

  /** A room's busy blocks over [fromMs, toMs), read as the user (calendar free/busy with room_id). */
  async function roomBusy(asOpenId: string, roomId: string, fromMs: number, toMs: number, tz: string): Promise<Busy[]> {
    const list = await client.roomFreeBusy(roomId, toRfc3339(fromMs, tz), toRfc3339(toMs, tz), { as: asUser(asOpenId) });
    return list.map((b) => ({ startMs: Date.parse(b.start_time), endMs: Date.parse(b.end_time) })).filter((b) => b.endMs > b.startMs);
  }

  return { tenantRooms, roomById, roomAfterWrite, roomBusy };
}
