/**
 * What the user's latest message asks for, read by the offline stand-in model. Small and explicit: the
 * phrasings it understands are listed in offline-model.test.ts. When the time, the new time or the title is
 * missing it returns a question rather than a guess.
 */
import { addDays, formatLocal, formatLocalDate, type LocalDateTime } from '../../src/agent/time';
import { formatWallDay } from '../../src/i18n/dates';
import { detectLanguage, type Lang } from '../../src/i18n/language';
import { keywords, type Keywords } from './offline-match';
import { understandReminder, type ReminderIntent } from './offline-reminders';
import {
  capitalize,
  cutAtStop,
  midnight,
  parseAttendees,
  parseClock,
  parseDay,
  parseDurationMinutes,
  TASK_STOP,
  word,
  type Clock,
  type DayRange,
} from './offline-parse';

/** A list_events window in local wall-clock, and how to name it. */
export interface Window {
  start: string;
  end: string;
  /** One day: its date; several: undefined (the answer names the range). */
  day?: string;
}

export interface EventTarget {
  words: Keywords;
  /** The event named by id ("(event <id>)"): it wins over words. */
  eventId?: string;
  window: Window;
  /** "my 3pm meeting": the start time that tells events apart. */
  clock?: Clock;
  /** The words that name the event, as written: an event whose whole title is in them wins over fuzzy matches. */
  phrase?: string;
}

export type InvitationResponse = 'accept' | 'decline' | 'tentative';

/** Which invitation "accept the 3 pm invite" means: words of its title or organizer, its start time, its day. */
export interface InvitationTarget {
  words: Keywords;
  clock?: Clock;
  /** A named day; without one, list_invitations' own window (now to two weeks ahead). */
  window?: Window;
}

export interface EventChange {
  day?: LocalDateTime;
  clock?: Clock;
  shiftMinutes?: number;
  title?: string;
}

export type Intent =
  | { kind: 'create_event'; input: Record<string, unknown> }
  | { kind: 'list_events'; window: Window }
  | { kind: 'change_event'; action: 'move' | 'rename' | 'delete'; target: EventTarget; change: EventChange }
  | { kind: 'create_task'; input: Record<string, unknown> }
  | { kind: 'list_tasks'; completed: boolean }
  | { kind: 'complete_task'; words: Keywords }
  | { kind: 'find_person'; query: string }
  | { kind: 'find_time'; input: Record<string, unknown>; window: Window }
  | { kind: 'list_invitations'; window?: Window }
  | { kind: 'reply_invitation'; response: InvitationResponse; target: InvitationTarget }
  | { kind: 'undo' }
  | { kind: 'ask'; text: Record<Lang, string> }
  | Exclude<ReminderIntent, { kind: 'ask' }>
  | { kind: 'help' };

export interface Context {
  now: LocalDateTime;
  /** The title the bot named last ("cancel that meeting"), from the previous answer in this chat. */
  lastTitle?: string;
}

const DEFAULT_DUE = { hour: 17, minute: 0 };
/** How far ahead "the meeting with Lan" is looked for when no day is named. */
const LOOKAHEAD_DAYS = 14;

const EVENT_NOUN = 'meeting|meetings|call|event|appointment|sync|lunch|standup|stand-up|review|interview|1:1|one-on-one|catch-up';
const RE = {
  createTask:
    /(?<![\p{L}])(?:(?:add|create|make|new)\s+(?:a\s+)?(?:new\s+)?(?:task|todo|to-do|reminder)(?:\s*(?:to|:|-|for))?|remind me to|(?:thêm|tạo)\s+(?:một\s+)?(?:công việc|việc|task|nhiệm vụ|lời nhắc)(?:\s*(?::|-|là))?|nhắc (?:tôi|mình|em|anh|chị))\s+/iu,
  taskNoun: word('tasks?|to-?dos?|việc|công việc|nhiệm vụ'),
  complete: word('complete|completed|finish|finished|mark|tick off|done|hoàn thành|đánh dấu|đã xong|xong'),
  asking: word('show|list|what|which|see|view|xem|danh sách|liệt kê|những|nào|gì|có'),
  eventNoun: new RegExp(`(?<![\\p{L}])(?:${EVENT_NOUN}|cuộc họp|buổi họp|lịch họp|lịch hẹn|họp|sự kiện|cuộc hẹn|hẹn|lịch)(?![\\p{L}])`, 'iu'),
  rename: word('rename|retitle|change the (?:title|name)|đổi tên|sửa tên|đặt lại tên'),
  move: word(
    'move|reschedule|postpone|push|bring forward|shift|delay|put off|change the time of|dời|dời lịch|chuyển|lùi|hoãn|đổi giờ|đổi lịch|đổi thời gian|đổi|đẩy|dịch',
  ),
  remove: word('cancel|delete|remove|call off|drop|scrap|hủy|huỷ|hủy bỏ|xóa|xoá|bỏ|dẹp'),
  createEvent: [
    new RegExp(
      `(?<![\\p{L}])(?:schedule|book|set up|arrange|create|add|plan|organi[sz]e)\\s+(?:a\\s+|an\\s+)?(?:new\\s+)?(?:\\p{L}+\\s+)?(?:${EVENT_NOUN})`,
      'iu',
    ),
    new RegExp(`(?<![\\p{L}])(?:${EVENT_NOUN}) with(?![\\p{L}])`, 'iu'),
    /(?<![\p{L}])(?:tạo|đặt|lên|xếp|thêm|sắp xếp)\s+(?:một\s+)?(?:cuộc họp|buổi họp|lịch họp|lịch hẹn|lịch|họp|sự kiện|hẹn|cuộc hẹn)/iu,
    /(?<![\p{L}])(?:họp|hẹn|gặp) với(?![\p{L}])/iu,
  ],
  listEvents: word("what do i have|what have i got|what's on|calendar|schedule|agenda|events?|meetings?|busy|free|lịch|cuộc họp|sự kiện|bận|rảnh"),
  person: /(?<![\p{L}])(?:find|look up|lookup|search for|search|who is|who's|tìm(?: người)?(?: tên)?|tra cứu|tra)\s+(.+)$/iu,
  personVi: /^(.+?)\s+là ai\b/iu,
  personEmail: /(?<![\p{L}])(?:e-?mail (?:of|for)|email của|liên hệ của|contact (?:of|for))\s+(.+)$/iu,
  about: /(?<![\p{L}])(?:about|regarding|về|bàn về)\s+(.+)$/iu,
  // Double or curly quotes, or single quotes that are not apostrophes ("Lan's").
  quoted: /["“]([^"“”]{1,100})["”]|(?<![\p{L}])['‘]([^'‘’]{1,100})['’](?![\p{L}])/u,
  personPossessive: /(?<![\p{L}])(?:what(?:'s| is)|tell me)\s+(\p{L}+(?:\s\p{L}+)?)['’]s\s+(?:e-?mail|contact|id|open_id)/iu,
  deictic: word('that|it|this|đó|đấy|ấy|này|kia'),
  undo: word('undo|revert|take (?:that|it) back|hoàn tác'),
  findTime: [
    /(?<![\p{L}])(?:find|look for|search for|suggest|propose|get)\s+(?:me\s+|us\s+)?(?:a\s+|an\s+|some\s+)?(?:free\s+|good\s+|common\s+)?(?:time|slot|\d+(?:[.,]\d+)?\s*(?:minutes?|mins?|hours?|h)|an hour|half an hour|meeting time)(?![\p{L}])/iu,
    /(?<![\p{L}])when (?:can|could|are|is)\s.*(?:meet|free|available)/iu,
    /(?<![\p{L}])tìm\s+(?:giúp\s+)?(?:cho tôi\s+)?(?:một\s+)?(?:thời gian|giờ rảnh|lúc rảnh|khung giờ|lịch rảnh|slot|\d+(?:[.,]\d+)?\s*(?:phút|tiếng|giờ))/iu,
    /(?:khi nào|lúc nào).*rảnh/iu,
  ],
  before: /(?<![\p{L}])(?:before|by|until|trước)\s+(.+)$/iu,
  invite: word('invites?|invitations?|invited|lời mời|thư mời|rsvps?'),
};

/** The answer a message gives to an invitation, checked in this order ("không tham dự" before "tham dự"). */
const RSVP_WORDS: Array<[InvitationResponse, RegExp]> = [
  ['decline', word('decline|reject|refuse|turn down|say no to|từ chối|không tham dự|không đi được')],
  ['tentative', word('tentative|tentatively(?: accept)?|maybe|tạm chấp nhận|có thể tham dự|chưa chắc')],
  ['accept', word('accept|say yes to|chấp nhận|đồng ý|nhận lời|sẽ tham dự')],
];
const PLAIN_RSVP = word('accept|decline|tentatively accept|chấp nhận|từ chối');
const LISTING = word(
  "which|what|any|show|list|pending|unanswered|waiting|outstanding|not answered|haven'?t|have not|nào|những|các|xem|chưa|đang chờ|danh sách|liệt kê",
);

/** The request in the latest message; undefined only for an empty message. */
export function understand(text: string, ctx: Context): Intent {
  // A long message that sums up ("... Tóm lại: tạo cuộc họp 3h chiều mai với Lan"): the summing-up is the request.
  const summed = /(?:^|[\s.!?;])(?:tóm lại|tóm tắt|nói chung|in short|to sum up|in summary|tl;?dr)\s*[:,-]\s*([^\n]+?)\s*$/iu.exec(text.trim());
  if (summed?.[1]) return understandOne(summed[1], ctx);
  const intent = understandOne(text, ctx);
  // Else, when the whole says nothing clear, the last sentence of a long message.
  const sentences = text
    .trim()
    .split(/(?<=[.!?])\s+|\n+/u)
    .filter((x) => x.trim());
  if (intent.kind === 'help' && sentences.length > 1) return understandOne(sentences.at(-1)!, ctx);
  return intent;
}

function understandOne(text: string, ctx: Context): Intent {
  const t = text.trim();
  if (!t) return { kind: 'help' };
  // Undo is a button on the answer that made the change (the lead's card), not something the model does.
  if (RE.undo.test(t)) return { kind: 'undo' };
  if (RE.findTime.some((re) => re.test(t))) return findTime(t, ctx.now);
  const reminder = understandReminder(t, ctx.now);
  if (reminder) return reminder;
  const invitation = understandInvitation(t, ctx);
  if (invitation) return invitation;
  const taskTrigger = RE.createTask.exec(t);
  if (taskTrigger) return createTask(t.slice(taskTrigger.index + taskTrigger[0].length), t, ctx.now);
  if (wantsCompletion(t)) return { kind: 'complete_task', words: withDeictic(keywords(t), t, ctx) };
  const room = bookRoom(t, ctx.now);
  if (room) return room;
  const change = changeEvent(t, ctx);
  if (change) return change;
  const person = findPerson(t);
  if (person) return person;
  if (RE.createEvent.some((re) => re.test(t))) return createEvent(t, ctx.now);
  if (RE.taskNoun.test(t)) return { kind: 'list_tasks', completed: word('completed|done|finished|đã xong|đã hoàn thành').test(t) };
  if (RE.listEvents.test(t)) return { kind: 'list_events', window: windowFor(parseDay(t, ctx.now), ctx.now) };
  return { kind: 'help' };
}

/**
 * "which invites haven't I answered?", "những lời mời nào mình chưa trả lời?": the list; "accept the 3 pm
 * invite", "chấp nhận lời mời họp 3h chiều", "decline the design review invitation": an answer, found among the
 * pending invitations by its time, day and words. An answer word needs "invite"/"lời mời" or an event noun.
 */
function understandInvitation(t: string, ctx: Context): Intent | undefined {
  const invite = RE.invite.test(t);
  const answer = RSVP_WORDS.find(([, re]) => re.test(t));
  // Without "invite"/"lời mời", only the plain verbs with an event noun ("decline the 3pm meeting", "từ chối cuộc họp 3h").
  if (answer && (invite || (RE.eventNoun.test(t) && PLAIN_RSVP.test(t)))) {
    // The words that name the invitation: without the answer and the invitation words.
    const rest = RSVP_WORDS.reduce((x, [, re]) => x.replace(new RegExp(re.source, 'giu'), ' '), t).replace(new RegExp(RE.invite.source, 'giu'), ' ');
    const day = parseDay(rest, ctx.now);
    const clock = parseClock(rest);
    return {
      kind: 'reply_invitation',
      response: answer[0],
      target: { words: keywords(rest), ...(clock ? { clock } : {}), ...(day ? { window: windowFor(day, ctx.now) } : {}) },
    };
  }
  // "invite Lan to a meeting" asks for a new event: a listing needs a question or "pending" word.
  if (!invite || !LISTING.test(t)) return undefined;
  const day = parseDay(t, ctx.now);
  return { kind: 'list_invitations', ...(day ? { window: windowFor(day, ctx.now) } : {}) };
}

/** "mark the report task done", "hoàn thành việc gửi báo cáo": but not "show my completed tasks". */
function wantsCompletion(t: string): boolean {
  return RE.complete.test(t) && RE.taskNoun.test(t) && !(RE.asking.test(t) && !word('mark|đánh dấu').test(t));
}

function windowFor(day: DayRange | undefined, now: LocalDateTime): Window {
  const start = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
  const days = day?.kind === 'week' ? 7 : 1;
  return { start: formatLocal(start), end: formatLocal(addDays(start, days)), ...(days === 1 ? { day: formatLocalDate(start) } : {}) };
}

function createTask(rest: string, text: string, now: LocalDateTime): Intent {
  const quoted = quotedIn(rest);
  const summary = capitalize((quoted ?? cutAtStop(' ' + rest, TASK_STOP)).trim()) || rest.trim();
  const input: Record<string, unknown> = { summary };
  const day = parseDay(text, now);
  const clock = parseClock(text);
  if (day || clock) {
    const date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? addDays(day.start, 4) : midnight(now); // a week: its Friday
    input.due = formatLocal({ ...date, ...(clock ?? DEFAULT_DUE), second: 0 });
  }
  return { kind: 'create_task', input };
}

function createEvent(text: string, now: LocalDateTime): Intent {
  const vi = detectLanguage(text) === 'vi';
  const attendees = parseAttendees(text);
  const quoted = quotedIn(text);
  const topic = RE.about.exec(text)?.[1];
  const summary =
    quoted ||
    (topic ? capitalize(cutAtStop(' ' + topic).replace(/^(?:the|a|an)\s+/i, '')) : '') ||
    (attendees.length ? `${vi ? 'Họp với' : `${kindOf(text)} with`} ${attendees.join(', ')}` : vi ? 'Cuộc họp' : kindOf(text));
  const day = parseDay(text, now);
  const clock = parseClock(text);
  // Without a time there is nothing honest to put in the calendar: ask.
  if (!clock) {
    const on = day?.kind === 'day' ? formatLocalDate(day.date) : undefined;
    return {
      kind: 'ask',
      text: on
        ? { en: `What time on ${formatWallDay(on, 'en')} should "${summary}" start?`, vi: `"${summary}" bắt đầu lúc mấy giờ, ${formatWallDay(on, 'vi')}?` }
        : {
            en: `When should "${summary}" be? Tell me a day and a time, e.g. "tomorrow at 3pm".`,
            vi: `"${summary}" vào lúc nào? Bạn cho tôi ngày và giờ, ví dụ "3h chiều mai".`,
          },
    };
  }
  let date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
  // A time already past today, with no day named, means tomorrow.
  if (!day && (clock.hour < now.hour || (clock.hour === now.hour && clock.minute <= now.minute))) date = addDays(date, 1);
  const input: Record<string, unknown> = { summary, start: formatLocal({ ...date, ...clock, second: 0 }) };
  const minutes = parseDurationMinutes(text);
  if (minutes && minutes >= 5 && minutes <= 1440) input.duration_minutes = minutes;
  if (attendees.length) input.attendees = attendees;
  return { kind: 'create_event', input };
}

/** Default length of "find a time" with no duration said. */
const FIND_TIME_MINUTES = 30;

/**
 * "find 30 minutes with Lan and Minh next week", "tìm 1 tiếng với Lan trước thứ sáu": who, how long, and the
 * window (a day, its morning or afternoon, a week, "before <day>", or the coming week).
 */
function findTime(text: string, now: LocalDateTime): Intent {
  const minutes =
    parseDurationMinutes(text) ?? (word('half an hour|nửa tiếng').test(text) ? 30 : word('an hour|one hour|một tiếng').test(text) ? 60 : FIND_TIME_MINUTES);
  const attendees = parseAttendees(text);
  const before = RE.before.exec(text);
  const byDay = before ? parseDay(before[1]!, now) : undefined;
  let window: Window;
  if (byDay) {
    const until = byDay.kind === 'day' ? byDay.date : byDay.start;
    window = { start: formatLocal(midnight(now)), end: formatLocal(until) };
  } else {
    const day = parseDay(text, now);
    window = windowFor(day ?? { kind: 'week', start: midnight(now) }, now);
    if (window.day) {
      const d = parseLocalDay(window.day);
      if (word('morning|sáng|buổi sáng').test(text)) window = { ...window, start: formatLocal({ ...d, hour: 8 }), end: formatLocal({ ...d, hour: 12 }) };
      else if (word('afternoon|chiều|buổi chiều').test(text))
        window = { ...window, start: formatLocal({ ...d, hour: 13 }), end: formatLocal({ ...d, hour: 18 }) };
    }
  }
  const input: Record<string, unknown> = { duration_minutes: Math.min(Math.max(minutes, 5), 480), start: window.start, end: window.end };
  if (attendees.length) input.attendees = attendees;
  const room = roomNeed(text);
  if (room) input.room = room;
  return { kind: 'find_time', input, window };
}

// --- Meeting rooms ---

const ROOM_WORDS = /(?<![\p{L}])(?:(?:meeting\s+)?rooms?|phòng họp|phòng)(?![\p{L}])/iu;
const ROOM_REQUEST = [
  /(?<![\p{L}])(?:book|reserve|find|get|need|grab)\s+(?:me\s+|us\s+)?(?:a\s+|an\s+|the\s+)?(?:free\s+)?(?:meeting\s+)?room(?![\p{L}])/iu,
  /(?<![\p{L}])(?:đặt|tìm|giữ|cần|book)\s+(?:giúp\s+)?(?:cho tôi\s+|cho mình\s+)?(?:một\s+|1\s+)?phòng(?:\s+họp)?(?![\p{L}])/iu,
];
/** "for 6", "for 6 people", "cho 6 người": seats (never "for 30 minutes"). */
const SEATS =
  /(?<![\p{L}])(?:for|cho)\s+(\d{1,3})(?!\s*(?:minutes?|mins?|hours?|hrs?|h|phút|tiếng|giờ|pm|am|:)(?![\p{L}]))(?:\s*(?:people|persons?|pax|ppl|người))?(?![\p{L}\p{N}])/iu;
/** "on floor 3", "3rd floor", "tầng 3", "lầu 5". */
const FLOOR = /(?<![\p{L}])(?:floor\s+(\d{1,3})|(\d{1,3})(?:st|nd|rd|th)?\s+floor|(?:tầng|lầu)\s+(\d{1,3}))(?![\p{L}\p{N}])/iu;

/** The room a message asks for: seats and place; undefined when it names no room. */
function roomNeed(text: string): { capacity?: number; place?: string } | undefined {
  if (!ROOM_WORDS.test(text)) return undefined;
  const seats = SEATS.exec(text);
  const floor = FLOOR.exec(text);
  const n = floor ? (floor[1] ?? floor[2] ?? floor[3]) : undefined;
  return { ...(seats ? { capacity: Math.min(Math.max(Number(seats[1]), 1), 500) } : {}), ...(n ? { place: `Floor ${n}` } : {}) };
}

/**
 * "book a room for 6 on floor 3 for the design review", "đặt phòng họp cho 6 người ở tầng 3": find_time with the
 * room need, so the slot card offers times when the user (and anyone "with") and a fitting room are free. A time
 * ("tomorrow at 10") makes the window exactly that meeting; a day or "afternoon" searches that; else the coming week.
 */
function bookRoom(text: string, now: LocalDateTime): Intent | undefined {
  if (!ROOM_REQUEST.some((re) => re.test(text))) return undefined;
  const room = roomNeed(text) ?? {};
  // Seats and floors are not times: "for 6 on floor 3" must not read as 6 pm or 3 pm.
  const rest = text.replace(new RegExp(SEATS.source, 'iu'), ' ').replace(new RegExp(FLOOR.source, 'iu'), ' ');
  const minutes = Math.min(Math.max(parseDurationMinutes(rest) ?? (word('half an hour|nửa tiếng').test(rest) ? 30 : ROOM_MINUTES), 5), 480);
  const attendees = parseAttendees(rest);
  const day = parseDay(rest, now);
  const explicit = parseClock(rest.replace(new RegExp(PERIODS.source, 'giu'), ' '));
  const clock = explicit ? parseClock(rest) : undefined;
  let window: Window;
  if (clock) {
    let date = day?.kind === 'day' ? day.date : day?.kind === 'week' ? day.start : midnight(now);
    if (!day && (clock.hour < now.hour || (clock.hour === now.hour && clock.minute <= now.minute))) date = addDays(date, 1);
    const start = { ...date, ...clock, second: 0 };
    const end = new Date(Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute + minutes));
    window = {
      start: formatLocal(start),
      end: formatLocal({
        year: end.getUTCFullYear(),
        month: end.getUTCMonth() + 1,
        day: end.getUTCDate(),
        hour: end.getUTCHours(),
        minute: end.getUTCMinutes(),
        second: 0,
      }),
      day: formatLocalDate(start),
    };
  } else {
    window = windowFor(day ?? { kind: 'week', start: midnight(now) }, now);
    if (window.day) {
      const d = parseLocalDay(window.day);
      if (word('morning|sáng|buổi sáng').test(rest)) window = { ...window, start: formatLocal({ ...d, hour: 8 }), end: formatLocal({ ...d, hour: 12 }) };
      else if (word('afternoon|chiều|buổi chiều').test(rest))
        window = { ...window, start: formatLocal({ ...d, hour: 13 }), end: formatLocal({ ...d, hour: 18 }) };
    }
  }
  const input: Record<string, unknown> = { duration_minutes: minutes, start: window.start, end: window.end, room };
  if (attendees.length) input.attendees = attendees;
  const summary = meetingTitle(rest);
  if (summary) input.summary = summary;
  return { kind: 'find_time', input, window };
}

/** A room is booked for an hour unless the message says how long. */
const ROOM_MINUTES = 60;
const PERIODS = word('morning|afternoon|evening|tonight|noon|sáng|buổi sáng|trưa|chiều|buổi chiều|tối|đêm');

/** "for the design review" / "cho buổi họp thiết kế" / a quoted title: the meeting's title, if the message gives one. */
function meetingTitle(text: string): string | undefined {
  const quoted = quotedIn(text);
  if (quoted) return quoted;
  const en = /(?<![\p{L}])for\s+(?:the\s+|a\s+|an\s+|our\s+)?(?![\d])(\p{L}[^,.;!?]*)/iu.exec(text);
  const vi = /(?<![\p{L}])(?:cho|để)\s+((?:buổi|cuộc)\s+[^,.;!?]+)/iu.exec(text);
  const raw = en?.[1] ?? vi?.[1];
  if (!raw) return undefined;
  const cut = cutAtStop(' ' + raw)
    .replace(/^(?:buổi|cuộc)\s+(?=họp|\p{L})/iu, '')
    .trim();
  if (!cut || ROOM_WORDS.test(cut) || /^(?:people|persons?|người|me|us)$/iu.test(cut)) return undefined;
  return capitalize(cut);
}

function parseLocalDay(day: string): LocalDateTime {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return { year: y, month: m, day: d, hour: 0, minute: 0, second: 0 };
}

/** "a call with Alice" is a Call, "lunch with Lan" a Lunch; anything else a Meeting. */
function kindOf(text: string): string {
  const noun = /(?<![\p{L}])(call|lunch|sync|interview|catch-up|standup|review)(?![\p{L}])/iu.exec(text)?.[1];
  return noun ? capitalize(noun.toLowerCase()) : 'Meeting';
}

function findPerson(t: string): Intent | undefined {
  if (RE.eventNoun.test(t) || RE.taskNoun.test(t) || word('time|slot|free|busy|available|giờ rảnh|thời gian|rảnh|bận').test(t)) return undefined;
  const m = RE.personEmail.exec(t) ?? RE.personPossessive.exec(t) ?? RE.person.exec(t) ?? RE.personVi.exec(t);
  if (!m) return undefined;
  const query = m[1]!
    .replace(/['’]s\b.*$/u, '')
    .replace(/[?.!]+$/u, '')
    .replace(/^(?:the\s+)?(?:person|people|user|colleague)\s+(?:named|called)\s+/iu, '')
    .trim();
  if (!query) return { kind: 'ask', text: { en: 'Who should I look for?', vi: 'Bạn muốn tìm ai?' } };
  return { kind: 'find_person', query };
}

// --- Changing an existing event ---

/** Words before which the new time (move) or the new title (rename) starts, tried from the right. */
const MOVE_MARKERS = /\s(?:to|until|till|sang|thành|qua|đến|tới|xuống|lên|vào)\s/giu;
const RENAME_MARKERS = /\s(?:to|as|thành|là)\s/iu;

function changeEvent(t: string, ctx: Context): Intent | undefined {
  const isTaskOnly = RE.taskNoun.test(t) && !RE.eventNoun.test(t);
  if (RE.rename.test(t)) {
    const m = RENAME_MARKERS.exec(t);
    const title = m ? unquote(t.slice(m.index + m[0].length)) : '';
    const source = m ? t.slice(0, m.index) : t;
    if (!title) return { kind: 'ask', text: { en: 'What should the new title be?', vi: 'Bạn muốn đặt tên mới là gì?' } };
    return { kind: 'change_event', action: 'rename', target: targetOf(source, ctx), change: { title } };
  }
  if (RE.remove.test(t)) {
    if (isTaskOnly) {
      return {
        kind: 'ask',
        text: {
          en: "I can't delete tasks, only mark them as done. Should I mark it as done?",
          vi: 'Tôi không xóa được việc, chỉ đánh dấu là xong. Bạn có muốn đánh dấu xong không?',
        },
      };
    }
    return { kind: 'change_event', action: 'delete', target: targetOf(t, ctx), change: {} };
  }
  if (RE.move.test(t) && !isTaskOnly) {
    const split = moveSplit(t, ctx.now);
    if (!split) {
      return { kind: 'ask', text: { en: 'To when should I move it? For example "tomorrow at 11am".', vi: 'Bạn muốn dời sang lúc nào? Ví dụ "11h sáng mai".' } };
    }
    return { kind: 'change_event', action: 'move', target: targetOf(split.source, ctx), change: split.change };
  }
  return undefined;
}

/** Splits "move <which> to <when>" at the rightmost marker whose right side names a time, a day or a shift. */
function moveSplit(t: string, now: LocalDateTime): { source: string; change: EventChange } | undefined {
  const markers = [...t.matchAll(MOVE_MARKERS)].reverse();
  for (const m of markers) {
    const right = t.slice(m.index! + m[0].length);
    const day = parseDay(right, now);
    const clock = parseClock(right);
    if (day || clock) {
      return { source: t.slice(0, m.index), change: { ...(day ? { day: day.kind === 'day' ? day.date : day.start } : {}), ...(clock ? { clock } : {}) } };
    }
  }
  const shift = shiftOf(t);
  return shift ? { source: t, change: { shiftMinutes: shift } } : undefined;
}

/** "back by 30 minutes", "an hour later", "lùi 1 tiếng", "sớm hơn 30 phút": minutes, negative for earlier. */
function shiftOf(t: string): number | undefined {
  const minutes = parseDurationMinutes(t) ?? (word('an hour|one hour|một tiếng|1 tiếng').test(t) ? 60 : undefined);
  if (!minutes) return undefined;
  return word('earlier|forward|sooner|sớm|lên sớm|sớm hơn').test(t) ? -minutes : minutes;
}

function targetOf(source: string, ctx: Context): EventTarget {
  const day = parseDay(source, ctx.now);
  const window =
    day !== undefined ? windowFor(day, ctx.now) : { start: formatLocal(midnight(ctx.now)), end: formatLocal(addDays(midnight(ctx.now), LOOKAHEAD_DAYS)) };
  const clock = parseClock(source);
  // "(event <id>)": a request that names the event itself (the reminder card's Reschedule).
  const eventId = /\((?:event|sự kiện) ([A-Za-z0-9_.:-]+)\)/iu.exec(source)?.[1];
  return { words: withDeictic(keywords(source), source, ctx), window, phrase: source, ...(clock ? { clock } : {}), ...(eventId ? { eventId } : {}) };
}

/** "that meeting" / "cuộc họp đó": the title the bot named last stands in for the words the user left out. */
function withDeictic(k: Keywords, text: string, ctx: Context): Keywords {
  if (k.specific.length || !ctx.lastTitle || !RE.deictic.test(text)) return k;
  const fromTitle = keywords(ctx.lastTitle);
  return { ...fromTitle, generic: k.generic };
}

function quotedIn(s: string): string | undefined {
  const m = RE.quoted.exec(s);
  return (m?.[1] ?? m?.[2])?.trim() || undefined;
}

function unquote(s: string): string {
  const q = quotedIn(s);
  return (q ?? s.replace(/[.!?]+$/u, '')).trim();
}
