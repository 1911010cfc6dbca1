/**
 * The reminders family: reminders (Temporal fires each one, a durable timer per reminder, as a card in the chat),
 * the daily agenda, and the user's own time zone (kept with them). What the model reads of each tool, the checks
 * beyond its schema and what the footer says of a write not done. Pure: workflow code imports it. Executing them
 * is activities/tools/reminders.ts (over the reminder store in activities/reminders.ts).
 */
import type { StatusStage } from '../../cards/status-card';
import { parseLocal } from '../../agent/time';
import { t } from '../../i18n/language';
import { LOCAL_TIME_HINT, localTime, object, text, type FamilyTools, type Obj } from '../spec';
import { remindersNotDone } from './wording';

export interface ReminderInputs {
  set_reminder: {
    text: string;
    at?: string;
    in_minutes?: number;
    repeat?: 'daily' | 'weekdays' | 'weekly';
    time?: string;
    weekdays?: number[];
    event_id?: string;
    minutes_before?: number;
    urgent?: boolean;
  };
  list_reminders: Record<string, never>;
  cancel_reminder: { reminder_id: string };
  daily_agenda: { enabled: boolean; time?: string; in_this_chat?: boolean };
  set_timezone: { timezone: string };
}

const THINKING: StatusStage = { kind: 'thinking' };

export const REMINDER_TOOLS: FamilyTools<ReminderInputs> = {
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
        weekdays: {
          type: 'array',
          description: 'For weekly: days, 0 = Sunday, 1 = Monday ... 6 = Saturday',
          items: { type: 'integer', minimum: 0, maximum: 6 },
          maxItems: 7,
        },
        event_id: text('A calendar event (event_id from list_events): remind minutes_before its start, following it if it moves', 200),
        minutes_before: {
          type: 'integer',
          description: 'With event_id: how many minutes before the event starts (0 = at the start)',
          minimum: 0,
          maximum: 1440,
        },
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
    check: (input) => checkReminder('set_reminder', input),
    stage: () => THINKING,
    asks: /\bremind me\b|\bset (?:a |up a )?reminders?\b|nhắc (?:tôi|mình|em|anh|chị)|đặt lời nhắc/iu,
    notDone: (input, _, lang) => t(lang, remindersNotDone.setReminder(input.text)),
  },
  list_reminders: {
    description: "List the user's active reminders (and the daily agenda): ids, text, next time, how they repeat.",
    input_schema: object({}),
    summary: 'reminders: list',
    writes: false,
    stage: () => THINKING,
  },
  cancel_reminder: {
    description: "Cancel one of the user's reminders (reminder_id from list_reminders). Future occurrences stop.",
    input_schema: object({ reminder_id: text('The reminder id', 64) }, ['reminder_id']),
    summary: 'reminders: cancel',
    writes: true,
    stage: () => THINKING,
    asks: /\b(?:cancel|stop|delete|remove|turn off)\b|huỷ|hủy|xoá|xóa|dừng|tắt|bỏ/iu,
    notDone: (_, __, lang) => t(lang, remindersNotDone.cancelReminder),
  },
  daily_agenda: {
    description:
      "Turn the daily agenda on (every day at time, default 08:00: the day's events and due tasks, read as the user then) or off. " +
      'It goes to the user\'s private chat with the bot; only when the user explicitly asks for it in this chat ("post my agenda in this group") set in_this_chat, and private events then show as busy.',
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
    check: (input) => checkReminder('daily_agenda', input),
    stage: () => THINKING,
    asks: /\b(?:every|daily|each|stop|turn (?:on|off)|send me)\b.*\bagenda\b|\bagenda\b.*\b(?:every|daily|each|off)\b|lịch trình (?:hằng|hàng|mỗi)|(?:tắt|dừng|bật|gửi).*lịch trình/iu,
    notDone: (input, _, lang) => t(lang, input.enabled ? remindersNotDone.agendaOn : remindersNotDone.agendaOff),
  },
  set_timezone: {
    description:
      'Set the user\'s own time zone ("my timezone is Asia/Tokyo", "I\'m in New York now"): from their next message, dates, times and new reminders ' +
      'use it. Give an IANA name (Area/City, e.g. "Asia/Tokyo", "America/New_York") or "UTC"; turn a city or country into one yourself, and ask when unsure.',
    input_schema: object({ timezone: text('IANA time zone name, e.g. "Asia/Tokyo"', 64) }, ['timezone']),
    summary: 'settings: time zone',
    writes: true,
    check: (input) =>
      typeof input.timezone === 'string' && !TIMEZONE_NAME.test(input.timezone.trim())
        ? [`timezone must be an IANA name like "Asia/Tokyo" or "UTC" (got "${input.timezone}")`]
        : [],
    stage: () => THINKING,
    asks: /time ?zone|\bi'?m (?:in|now in)\b|múi giờ|tôi đang ở/iu,
    notDone: (input, _, lang) => t(lang, remindersNotDone.setTimezone(input.timezone)),
  },
};

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
  if (input.repeat === 'weekly' && (!Array.isArray(input.weekdays) || input.weekdays.length === 0))
    problems.push('repeat "weekly" needs weekdays (0 = Sunday ... 6 = Saturday)');
  if (input.repeat !== undefined && input.repeat !== 'weekly' && input.weekdays !== undefined) problems.push('weekdays go with repeat "weekly" only');
  return problems;
}
