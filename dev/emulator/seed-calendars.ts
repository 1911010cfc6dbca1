/**
 * Realistic calendars for the sandbox and the find-a-time tests: a few recurring busy blocks per seeded user,
 * in THEIR OWN zone (Lan in Ho Chi Minh City, Minh in Singapore, Alice in Berlin), for the weekdays of the
 * next `days` days. Plain events in each user's primary calendar, so list, free/busy and conflicts all see them.
 */
import { addDays, formatLocalDate, weekdayOf } from '../../src/agent/time';
import { wallFieldsAt, zonedToEpochMs } from '../../src/lark/time';
import { randomId, type CalendarEvent, type EmulatorState } from './state';

interface Block {
  /** 1 = Monday ... 5 = Friday. */
  days: number[];
  start: string;
  end: string;
  summary: string;
}

const EVERY_WEEKDAY = [1, 2, 3, 4, 5];

/** Busy blocks per seeded user key, in local wall-clock time. */
export const SEED_BLOCKS: Record<string, Block[]> = {
  lan: [
    { days: EVERY_WEEKDAY, start: '09:00', end: '09:30', summary: 'Daily standup' },
    { days: [2], start: '14:00', end: '15:30', summary: 'Design review' },
    { days: [4], start: '10:00', end: '11:00', summary: 'Customer call' },
  ],
  minh: [
    { days: [1, 3], start: '10:00', end: '11:30', summary: 'Sprint planning' },
    { days: EVERY_WEEKDAY, start: '16:30', end: '17:00', summary: 'Code review' },
    { days: [5], start: '14:00', end: '15:00', summary: '1:1 with manager' },
  ],
  alice: [
    { days: EVERY_WEEKDAY, start: '09:30', end: '10:00', summary: 'Team sync' },
    { days: [2], start: '13:00', end: '14:00', summary: 'Vendor call' },
    { days: [4], start: '11:00', end: '12:00', summary: 'Planning' },
  ],
};

/** Adds the blocks from today (in each user's zone) for `days` days; returns the events created. */
export function seedBusyCalendars(state: EmulatorState, nowMs: number, days = 14): CalendarEvent[] {
  const created: CalendarEvent[] = [];
  for (const user of state.users) {
    const blocks = SEED_BLOCKS[user.key];
    if (!blocks) continue;
    const today = wallFieldsAt(nowMs, user.timezone);
    for (let i = 0; i < days; i++) {
      const date = addDays(today, i);
      const weekday = weekdayOf(date);
      const day = formatLocalDate(date);
      for (const b of blocks.filter((x) => x.days.includes(weekday))) {
        const ev: CalendarEvent = {
          event_id: `${randomId('', 16)}_0`,
          organizer_calendar_id: user.primaryCalendarId,
          summary: b.summary,
          start_time: { timestamp: String(zonedToEpochMs(`${day} ${b.start}`, user.timezone) / 1000), timezone: user.timezone },
          end_time: { timestamp: String(zonedToEpochMs(`${day} ${b.end}`, user.timezone) / 1000), timezone: user.timezone },
          status: 'confirmed',
          attendees: [],
          create_time: String(Math.floor(nowMs / 1000)),
          extra: {},
        };
        state.events.set(ev.event_id, ev);
        created.push(ev);
      }
    }
  }
  return created;
}

/** Each seeded room's own bookings (made outside the app), in Ho Chi Minh City time, on weekdays. */
export const SEED_ROOM_BLOCKS: Record<string, Block[]> = {
  lotus: [{ days: EVERY_WEEKDAY, start: '10:00', end: '11:00', summary: 'Lotus booked' }],
  bamboo: [{ days: [2, 4], start: '14:00', end: '16:00', summary: 'Bamboo booked' }],
  lily: [{ days: [1, 3, 5], start: '09:00', end: '10:00', summary: 'Lily booked' }],
};

/** Adds the rooms' own busy times from today for `days` days (Asia/Ho_Chi_Minh, where the seeded building is). */
export function seedRoomBusy(state: EmulatorState, nowMs: number, days = 14): void {
  const tz = 'Asia/Ho_Chi_Minh';
  const today = wallFieldsAt(nowMs, tz);
  for (const [key, blocks] of Object.entries(SEED_ROOM_BLOCKS)) {
    const room = [...state.rooms.values()].find((r) => r.name.toLowerCase() === key);
    if (!room) continue;
    for (let i = 0; i < days; i++) {
      const date = addDays(today, i);
      const day = formatLocalDate(date);
      for (const b of blocks.filter((x) => x.days.includes(weekdayOf(date)))) {
        state.roomBusy.push({ room_id: room.room_id, startMs: zonedToEpochMs(`${day} ${b.start}`, tz), endMs: zonedToEpochMs(`${day} ${b.end}`, tz) });
      }
    }
  }
}
