/**
 * Every sentence the bot says on its own (not the model's prose), in Vietnamese and English, in one place.
 * Pure: workflow code imports this file. Callers pass the language of the user's message.
 */
import { formatClock, formatDay, formatWhen } from './dates';
import { t, type Lang } from './language';
import type { UndoPlan } from '../agent/undo-plan';
import { describeSchedule, type ReminderSchedule } from '../reminders/schedule';

/** A change the agent made (or tried to make), as the tool result reported it. Ids and small facts only. */
export interface ToolEffect {
  action: 'created' | 'updated' | 'deleted' | 'completed' | 'cancelled' | 'replied';
  kind: 'event' | 'task' | 'reminder' | 'agenda' | 'timezone';
  id: string;
  title?: string;
  startMs?: number;
  endMs?: number;
  dueMs?: number;
  /** Names of people invited or assigned, as the directory gave them. */
  people?: string[];
  /** How to reverse it (the answer's Undo button). */
  undo?: UndoPlan;
  /** For 'replied': the answer given to the invitation. */
  rsvp?: 'accept' | 'decline' | 'tentative';
  /** A recurring reminder or the daily agenda: how it repeats (a one-off reminder has startMs). */
  schedule?: ReminderSchedule;
  /** An updated event: what changed (its time, its title), so the footer says "Moved …" / "Renamed …". */
  changed?: { moved?: boolean; fromTitle?: string };
  /** A deleted or moved meeting: what became of its linked reminders in the same turn. */
  reminders?: LinkedReminderChange[];
  /** A created event's meeting room and what it answered, read back after the write. */
  room?: { name: string; status: 'accepted' | 'pending' | 'declined' };
}

/** A meeting-linked reminder that followed its meeting's deletion (cancelled) or move (moved, to atMs). */
export interface LinkedReminderChange {
  action: 'cancelled' | 'moved';
  id: string;
  text: string;
  atMs?: number;
}

/** What an Undo did with a meeting's linked reminders: set again (or moved back), or not, and why. */
export interface RestoredReminders {
  restored: { text: string }[];
  notRestored: { text: string; why: 'passed' | 'cap' }[];
}

/** How a linked reminder's meeting went away (activities/reminders.ts, readLinkedEvent). */
export type MeetingGone = 'cancelled' | 'deleted' | 'not_found';

/** What became of one write the model asked for. */
export type EffectRecord =
  | { outcome: 'done'; effect: ToolEffect }
  | { outcome: 'not_done'; tool: string; what: string; why: 'cancelled' | 'expired' | 'superseded' | 'failed' | 'refused' };

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);
const quote = (s: string | undefined, fallback: string) => (s ? `“${s.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : fallback);

/** "Reminder set: “call Lan” (Thu 3 Dec, 17:00)", "Daily agenda on: every day at 08:00". */
function describeReminderEffect(e: ToolEffect, timeZone: string, lang: Lang, nowMs?: number): string {
  const vi = lang === 'vi';
  const when = e.schedule
    ? describeSchedule(e.schedule, timeZone, lang, nowMs)
    : e.startMs !== undefined
      ? formatWhen(e.startMs, undefined, timeZone, lang, nowMs)
      : '';
  if (e.kind === 'agenda') {
    if (e.action === 'cancelled') return vi ? 'Đã tắt lịch trình hằng ngày' : 'Daily agenda off';
    return `${vi ? 'Đã bật lịch trình hằng ngày' : 'Daily agenda on'}${when ? `: ${when}` : ''}`;
  }
  const what = quote(e.title, vi ? 'lời nhắc' : 'the reminder');
  const head = e.action === 'cancelled' ? (vi ? 'Đã huỷ lời nhắc' : 'Reminder cancelled') : vi ? 'Đã đặt lời nhắc' : 'Reminder set';
  // A cancelled one-off names when it WAS due ("(Mon 7 Dec, 03:10)" alone reads like the cancel's time).
  const due = e.action === 'cancelled' && !e.schedule && when ? (vi ? `lẽ ra nhắc lúc ${when}` : `was due ${when}`) : when;
  return `${head}: ${what}${due ? ` (${due})` : ''}`;
}

export function describeEffect(e: ToolEffect, timeZone: string, lang: Lang, nowMs?: number): string {
  return describeOwnEffect(e, timeZone, lang, nowMs) + roomTail(e, lang) + linkedRemindersTail(e, timeZone, lang, nowMs);
}

/** "; room “Lotus” booked" / "; room “Sky Lounge”: the room has not accepted yet" / "; room “Boardroom” declined". */
function roomTail(e: ToolEffect, lang: Lang): string {
  if (!e.room) return '';
  const name = quote(e.room.name, L(lang, 'phòng họp', 'the room'));
  return t(lang, roomWords[e.room.status](name));
}

/** What a booked room answered, in the footer and on the slot card (honest: only "accepted" is booked). */
export const roomWords = {
  accepted: (name: string) => ({ vi: `; đã đặt phòng ${name}`, en: `; room ${name} booked` }),
  pending: (name: string) => ({ vi: `; phòng ${name}: phòng chưa chấp nhận`, en: `; room ${name}: the room has not accepted yet` }),
  declined: (name: string) => ({ vi: `; phòng ${name} đã từ chối: sự kiện chưa có phòng`, en: `; room ${name} declined: the event has no room` }),
};

/** "; its reminder “Prepare slides” was cancelled too" / "; its reminder “Prepare slides” moved to Tue 8 Dec, 09:45". */
function linkedRemindersTail(e: ToolEffect, timeZone: string, lang: Lang, nowMs?: number): string {
  return (e.reminders ?? [])
    .map((r) => {
      const what = quote(r.text, L(lang, 'lời nhắc', 'the reminder'));
      if (r.action === 'cancelled') return L(lang, `; lời nhắc ${what} của cuộc họp cũng đã được huỷ`, `; its reminder ${what} was cancelled too`);
      const at = r.atMs !== undefined ? formatWhen(r.atMs, undefined, timeZone, lang, nowMs) : '';
      return L(lang, `; lời nhắc ${what} của cuộc họp đã dời theo${at ? ` sang ${at}` : ''}`, `; its reminder ${what} moved with it${at ? ` to ${at}` : ''}`);
    })
    .join('');
}

function describeOwnEffect(e: ToolEffect, timeZone: string, lang: Lang, nowMs?: number): string {
  if (e.kind === 'timezone') return lang === 'vi' ? `Đã đặt múi giờ: ${e.title ?? ''}` : `Time zone set: ${e.title ?? ''}`;
  if (e.kind === 'reminder' || e.kind === 'agenda') return describeReminderEffect(e, timeZone, lang, nowMs);
  const vi = lang === 'vi';
  const when =
    e.startMs !== undefined
      ? formatWhen(e.startMs, e.endMs, timeZone, lang, nowMs)
      : e.dueMs !== undefined
        ? `${vi ? 'hạn' : 'due'} ${formatWhen(e.dueMs, undefined, timeZone, lang, nowMs)}`
        : '';
  const who = e.people?.length ? (vi ? ` với ${e.people.join(', ')}` : ` with ${e.people.join(', ')}`) : '';
  const what = e.kind === 'event' ? quote(e.title, vi ? 'sự kiện' : 'the event') : quote(e.title, vi ? 'công việc' : 'the task');
  const tail = [when, who.trim()].filter(Boolean).join(', ');
  if (e.action === 'replied')
    return `${t(lang, invitationWords.replied[e.rsvp ?? 'accept'])} ${quote(e.title, vi ? 'lời mời' : 'the invitation')}${tail ? ` (${tail})` : ''}`;
  if (e.action === 'updated' && e.kind === 'event' && (e.changed?.moved || e.changed?.fromTitle)) return describeEventChange(e, when, lang);
  const verbs = {
    created: vi ? (e.kind === 'event' ? 'Đã tạo sự kiện' : 'Đã tạo công việc') : e.kind === 'event' ? 'Created event' : 'Created task',
    updated: vi ? 'Đã cập nhật' : 'Updated',
    deleted: vi ? 'Đã xoá' : 'Deleted',
    completed: vi ? 'Đã hoàn thành' : 'Completed',
    cancelled: vi ? 'Đã huỷ' : 'Cancelled',
    replied: vi ? 'Đã trả lời' : 'Answered',
  };
  return `${verbs[e.action]} ${what}${tail ? ` (${tail})` : ''}`;
}

/** "Moved “Hiring” to Tue 8 Dec, 10:00–11:00", "Renamed “Hiring” to “Hiring sync” (…)", or both: what the update changed. */
function describeEventChange(e: ToolEffect, when: string, lang: Lang): string {
  const vi = lang === 'vi';
  const now = quote(e.title, vi ? 'sự kiện' : 'the event');
  const from = e.changed?.fromTitle !== undefined ? quote(e.changed.fromTitle, now) : undefined;
  if (e.changed?.moved) {
    const moved = vi ? `Đã dời ${from ?? now}${when ? ` sang ${when}` : ''}` : `Moved ${from ?? now}${when ? ` to ${when}` : ''}`;
    return from ? (vi ? `${moved} và đổi tên thành ${now}` : `${moved} and renamed it ${now}`) : moved;
  }
  const renamed = vi ? `Đã đổi tên ${from} thành ${now}` : `Renamed ${from} to ${now}`;
  return `${renamed}${when ? ` (${when})` : ''}`;
}

const WHY: Record<Extract<EffectRecord, { outcome: 'not_done' }>['why'], { vi: string; en: string }> = {
  cancelled: { vi: 'bạn đã bấm Huỷ', en: 'you pressed Cancel' },
  expired: { vi: 'chưa được xác nhận kịp thời', en: 'it was not confirmed in time' },
  superseded: { vi: 'bạn đã gửi tin nhắn mới trước khi xác nhận', en: 'you sent a new message before confirming' },
  failed: { vi: 'Lark không thực hiện được', en: 'Lark could not do it' },
  refused: { vi: 'Lark từ chối yêu cầu', en: 'Lark refused it' },
};

/** A slot card (find_time) asks for a pick, not a confirmation. */
const SLOT_WHY: Partial<typeof WHY> = {
  expired: { vi: 'chưa chọn giờ nào kịp thời', en: 'no time was picked in time' },
  superseded: { vi: 'bạn đã gửi tin nhắn mới trước khi chọn giờ', en: 'you sent a new message before picking a time' },
};

/** The deterministic "what I changed" footer, built only from tool results. Empty when nothing was attempted. */
export function effectsFooter(records: EffectRecord[], timeZone: string, lang: Lang, nowMs?: number): string {
  const lines = records.map((r) =>
    r.outcome === 'done'
      ? `✅ ${describeEffect(r.effect, timeZone, lang, nowMs)}`
      : `❌ ${lang === 'vi' ? 'Chưa làm' : 'Not done'}: ${r.what} (${(r.tool === 'find_time' ? SLOT_WHY[r.why] : undefined)?.[lang] ?? WHY[r.why][lang]})`,
  );
  return lines.join('\n');
}

/**
 * A model answer that claims a change: "I created…", "I've moved…", "…has been deleted", a sentence that
 * starts with "Created"/"Booked"/…, or Vietnamese "(mình/tôi/em) đã tạo…" / "Đã tạo…". Negations ("Nothing
 * was changed", "I did not create") do not count.
 */
const VERBS_EN =
  '(created|scheduled|booked|added|moved|rescheduled|renamed|updated|changed|deleted|removed|cancell?ed|completed|marked|set up|invited|assigned)';
const VERBS_VI = '(tạo|đặt|thêm|dời|chuyển|đổi|cập nhật|xoá|xóa|huỷ|hủy|hoàn thành|đánh dấu|mời|giao)';
const CLAIMS = [
  new RegExp(`\\b(I|I've|I have|we|we've)\\s+(just\\s+|now\\s+|also\\s+)?${VERBS_EN}\\b`, 'i'),
  new RegExp(`\\b(has|have) been\\s+${VERBS_EN}\\b`, 'i'),
  new RegExp(`(^|[.!\\n]\\s*)(✅\\s*)?${VERBS_EN}\\b`, 'i'),
  new RegExp(`\\b${VERBS_EN}\\s*[.!]?\\s*$`, 'i'),
  new RegExp(`(mình|tôi|em|bot)\\s+đã\\s+${VERBS_VI}`, 'i'),
  new RegExp(`(^|[.!\\n]\\s*)(✅\\s*)?đã\\s+${VERBS_VI}`, 'i'),
];
const NEGATED = /\b(not|never|didn't|did not|haven't|have not|wasn't|nothing)\b|\b(chưa|không)\b/i;

export function claimsAChange(text: string): boolean {
  return text.split(/(?<=[.!?])\s+|\n+/).some((sentence) => !NEGATED.test(sentence) && CLAIMS.some((re) => re.test(sentence)));
}

export const messages = {
  nonText: { vi: 'Mình mới chỉ đọc được tin nhắn chữ. Bạn gõ yêu cầu giúp mình nhé!', en: 'I can only read text messages for now. Please type your request.' },
  stale: {
    vi: 'Tin nhắn này đã cũ nên mình không thực hiện nữa. Nếu vẫn cần, bạn gửi lại nhé.',
    en: 'This message is too old to act on now. Send it again if you still need it.',
  },
  tooLong: (limit: number) => ({
    vi: `Tin nhắn dài quá (hơn ${limit} ký tự) nên mình không xử lý. Bạn gửi ngắn gọn hơn nhé.`,
    en: `That message is too long (over ${limit} characters), so I did not act on it. Please send a shorter one.`,
  }),
  stepCap: (cap: number) => ({
    vi: `Mình đã dừng sau ${cap} bước mà chưa xong. Bạn thử chia nhỏ yêu cầu nhé.`,
    en: `I stopped after ${cap} steps without finishing. Please try a smaller request.`,
  }),
  done: { vi: 'Xong.', en: 'Done.' },
  nothingChanged: { vi: 'Mình chưa thay đổi gì cả.', en: 'I did not change anything.' },
  /** Replaces a model answer that claims a change no tool made. */
  unbackedClaim: {
    vi: 'Mình chưa thay đổi gì trong Lịch hay Công việc của bạn cho yêu cầu này.',
    en: 'I have not changed anything in your Calendar or Tasks for this request.',
  },
  otherChatWaiting: {
    vi: '(Bạn còn một yêu cầu đang chờ xác nhận ở cuộc trò chuyện khác.)',
    en: '(You still have a request waiting for your confirmation in another chat.)',
  },
  superseded: { vi: 'Đã bỏ qua: bạn đã gửi tin nhắn mới.', en: 'Skipped: you sent a new message.' },
};

/** Why a request could not finish, in words a user can act on. */
export type FailureReason = 'model' | 'lark_permission' | 'lark_refused' | 'unavailable' | 'internal';

const REASON: Record<FailureReason, { vi: string; en: string }> = {
  model: { vi: 'dịch vụ AI không trả lời được', en: 'the AI service could not answer' },
  lark_permission: { vi: 'ứng dụng chưa có quyền cần thiết trong Lark', en: 'the app lacks a permission it needs in Lark' },
  lark_refused: { vi: 'Lark từ chối yêu cầu', en: 'Lark refused the request' },
  unavailable: { vi: 'Lark hoặc hệ thống đang gặp sự cố', en: 'Lark or our system is having trouble' },
  internal: { vi: 'có lỗi bên trong trợ lý', en: 'something went wrong inside the assistant' },
};

/** The one apology a failed request gets: what could not be done, and whether anything was changed. */
export function apology(lang: Lang, request: string, reason: FailureReason, footer: string): string {
  const what = quote(request, lang === 'vi' ? 'yêu cầu của bạn' : 'your request');
  const head =
    lang === 'vi' ? `Xin lỗi, mình chưa làm xong ${what} vì ${REASON[reason].vi}.` : `Sorry, I could not finish ${what} because ${REASON[reason].en}.`;
  const changed = footer
    ? `${lang === 'vi' ? 'Những gì đã làm trước khi lỗi:' : 'What happened before it failed:'}\n${footer}`
    : lang === 'vi'
      ? 'Không có gì bị thay đổi.'
      : 'Nothing was changed.';
  const retry = lang === 'vi' ? 'Bạn thử lại sau ít phút nhé.' : 'Please try again in a few minutes.';
  return `${head}\n${changed}\n${retry}`;
}

/** The notice for messages refused because too many requests were waiting (the first few named). */
export function tooManyWaiting(lang: Lang, refused: number, previews: string[]): string {
  const shown = previews
    .slice(0, 5)
    .map((p) => `• ${p}`)
    .join('\n');
  const more = previews.length > 5 ? (lang === 'vi' ? `\n… và ${previews.length - 5} tin nhắn khác` : `\n… and ${previews.length - 5} more`) : '';
  return lang === 'vi'
    ? `Bạn có quá nhiều yêu cầu đang chờ, nên mình chưa nhận ${refused} tin nhắn này:\n${shown}${more}\nHãy gửi lại sau khi mình trả lời xong các yêu cầu trước.`
    : `Too many of your requests were waiting, so I did not take ${refused === 1 ? 'this message' : `these ${refused} messages`}:\n${shown}${more}\nSend ${refused === 1 ? 'it' : 'them'} again once I have answered the others.`;
}

/** The notice for messages refused by the sender's intake limit (INTAKE_USER_*): one per burst, the first few named. */
export function tooManyAtOnce(lang: Lang, refused: number, previews: string[]): string {
  const shown = previews
    .slice(0, 5)
    .map((p) => `• ${p}`)
    .join('\n');
  const more = previews.length > 5 ? (lang === 'vi' ? `\n… và ${previews.length - 5} tin nhắn khác` : `\n… and ${previews.length - 5} more`) : '';
  return lang === 'vi'
    ? `Bạn gửi nhanh hơn mức mình nhận được, nên mình chưa nhận ${refused} tin nhắn này:\n${shown}${more}\nĐợi một phút rồi gửi lại những gì bạn vẫn cần nhé.`
    : `You sent messages faster than I can take them, so I did not take ${refused === 1 ? 'this message' : `these ${refused} messages`}:\n${shown}${more}\nWait a minute, then send again what you still need.`;
}

export function authExpired(lang: Lang, list: string): string {
  return lang === 'vi'
    ? `Các yêu cầu này đã hết hạn vì chưa được cấp quyền truy cập Lark:\n${list}\nHãy gửi lại yêu cầu và bấm "Đăng nhập" trên thẻ mới.`
    : `These requests expired because the app was not authorized:\n${list}\nSend them again and press "Sign in" on the new card.`;
}

export function authDenied(lang: Lang, list: string): string {
  return lang === 'vi'
    ? `Bạn đã từ chối cấp quyền nên các yêu cầu này đã bị huỷ:\n${list}`
    : `You declined authorization, so these requests were cancelled:\n${list}`;
}

/** These texts' every wording as one escaped regex alternation: cards are recognised by the words they were built from. */
export function anyWording(...texts: { vi: string; en: string }[]): string {
  return texts
    .flatMap((x) => [x.vi, x.en])
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
}

/** The Confirm / Cancel card. Titles, names and new titles arrive already escaped for lark_md. */
export const confirmCardText = {
  header: { vi: 'Cần bạn xác nhận', en: 'Please confirm' },
  confirm: { vi: 'Xác nhận', en: 'Confirm' },
  cancel: { vi: 'Huỷ', en: 'Cancel' },
  thisEvent: { vi: 'sự kiện này', en: 'this event' },
  deleteEvent: (title: string, when: string) => ({ vi: `Xoá sự kiện ${title}${when}?`, en: `Delete the event ${title}${when}?` }),
  attendeesNotified: { vi: 'Người tham dự sẽ được báo huỷ', en: 'Attendees will be notified' },
  changeEvent: (title: string, when: string) => ({ vi: `Thay đổi sự kiện ${title}${when}`, en: `Change the event ${title}${when}` }),
  rename: (newTitle: string) => ({ vi: `đổi tên thành **${newTitle}**`, en: `rename it to **${newTitle}**` }),
  moveTo: (newWhen: string) => ({ vi: `dời sang ${newWhen}`, en: `move it to ${newWhen}` }),
  and: { vi: ' và ', en: ' and ' },
  otherAttendees: { vi: 'Người tham dự khác', en: 'Other attendees' },
  createEvent: (title: string, when: string, people: string) => ({
    vi: `Tạo sự kiện ${title}${when} và mời ${people}?`,
    en: `Create the event ${title}${when} and invite ${people}?`,
  }),
  createEventRoom: (title: string, when: string, people: string, room: string) =>
    people
      ? {
          vi: `Tạo sự kiện ${title}${when}, mời ${people} và đặt phòng ${room}?`,
          en: `Create the event ${title}${when}, invite ${people} and book the room ${room}?`,
        }
      : { vi: `Tạo sự kiện ${title}${when} và đặt phòng ${room}?`, en: `Create the event ${title}${when} and book the room ${room}?` },
  assignTask: (title: string, when: string, people: string) => ({
    vi: `Giao công việc ${title}${when} cho ${people}?`,
    en: `Assign the task ${title}${when} to ${people}?`,
  }),
  createTask: (title: string, when: string) => ({ vi: `Tạo công việc ${title}${when}?`, en: `Create the task ${title}${when}?` }),
  other: (summary: string) => ({ vi: `Thực hiện: ${summary}?`, en: `Do this: ${summary}?` }),
  replyInvitation: {
    accept: (title: string, when: string) => ({ vi: `Chấp nhận lời mời ${title}${when}?`, en: `Accept the invitation ${title}${when}?` }),
    decline: (title: string, when: string) => ({ vi: `Từ chối lời mời ${title}${when}?`, en: `Decline the invitation ${title}${when}?` }),
    tentative: (title: string, when: string) => ({
      vi: `Trả lời "có thể tham dự" lời mời ${title}${when}?`,
      en: `Answer "maybe" (tentative) to the invitation ${title}${when}?`,
    }),
  },
  organizerSees: { vi: 'Người tổ chức sẽ thấy câu trả lời của bạn', en: 'The organizer will see your answer' },
  unasked: {
    vi: '⚠️ Bạn không yêu cầu việc này: nó được đề xuất sau khi đọc nội dung do người khác viết (tiêu đề, mô tả, tên).',
    en: '⚠️ You did not ask for this: it was proposed after reading content other people wrote (titles, descriptions, names).',
  },
  /** The header once the card is answered, by outcome. */
  resolved: {
    confirm: { vi: '✅ Đã xác nhận', en: '✅ Confirmed' },
    cancel: { vi: '❌ Đã huỷ: không thực hiện', en: '❌ Cancelled: not done' },
    expired: { vi: '⌛ Hết hạn: không thực hiện', en: '⌛ Expired: not done' },
    superseded: { vi: '↪️ Bỏ qua vì bạn đã gửi tin nhắn mới: không thực hiện', en: '↪️ Skipped because you sent a new message: not done' },
  },
};

/** The Undo card and what it says after the click. Titles arrive already escaped for lark_md. */
export const undoCardText = {
  changes: { vi: 'Các thay đổi của yêu cầu này:', en: 'Changes made for this request:' },
  button: { vi: '↩️ Hoàn tác', en: '↩️ Undo' },
  validFor: (hours: number) => ({ vi: `Có thể hoàn tác trong ${hours} giờ.`, en: `You can undo this for ${hours} hours.` }),
  thisItem: { vi: 'mục này', en: 'this item' },
  /** What was reversed, by `kind:action` of the original change; `t` is the quoted title. */
  reversed: {
    'event:created': (t: string) => ({ vi: `Đã xoá sự kiện ${t}`, en: `Deleted the event ${t}` }),
    'event:updated': (t: string) => ({ vi: `Đã đưa sự kiện ${t} về như cũ`, en: `Put the event ${t} back as it was` }),
    'event:deleted': (t: string) => ({ vi: `Đã tạo lại sự kiện ${t}`, en: `Recreated the event ${t}` }),
    'task:created': (t: string) => ({ vi: `Đã xoá công việc ${t}`, en: `Deleted the task ${t}` }),
    'task:completed': (t: string) => ({ vi: `Đã đánh dấu ${t} là chưa xong`, en: `Marked ${t} as not done` }),
  } as Partial<Record<string, (t: string) => { vi: string; en: string }>>,
  /** After an undone deletion or move: what became of the meeting's linked reminders (`w` is the quoted words). */
  reminderBack: {
    'event:deleted': (w: string) => ({ vi: `; đã đặt lại lời nhắc ${w}`, en: `; its reminder ${w} is set again` }),
    'event:updated': (w: string) => ({ vi: `; lời nhắc ${w} đã dời về theo`, en: `; its reminder ${w} moved back with it` }),
  } as Partial<Record<string, (w: string) => { vi: string; en: string }>>,
  reminderNotBack: {
    passed: (w: string) => ({ vi: `; lời nhắc ${w} không được đặt lại (giờ nhắc đã qua)`, en: `; its reminder ${w} was not set again (its time has passed)` }),
    cap: (w: string) => ({
      vi: `; lời nhắc ${w} không được đặt lại (đã đủ số lời nhắc tối đa)`,
      en: `; its reminder ${w} was not set again (you have the most reminders allowed)`,
    }),
    unknown: (w: string) => ({
      vi: `; lời nhắc ${w} không được đặt lại: hãy đặt lại nếu cần`,
      en: `; its reminder ${w} was not set again: set it again if you need it`,
    }),
  },
  couldNotRestore: { vi: 'Không khôi phục được', en: 'Could not restore' },
  why: {
    gone: { vi: 'nó không còn nữa', en: 'it no longer exists' },
    refused: { vi: 'Lark từ chối', en: 'Lark refused' },
    not_signed_in: { vi: 'cần đăng nhập lại', en: 'you need to sign in again' },
    unavailable: { vi: 'Lark đang gặp sự cố', en: 'Lark is having trouble' },
  },
  undone: { vi: 'Đã hoàn tác', en: 'Undone' },
  partlyUndone: { vi: 'Hoàn tác một phần', en: 'Partly undone' },
  nothingUndone: { vi: 'Chưa hoàn tác được gì', en: 'Nothing was undone' },
};

/** The status message of a slow request. Names arrive already escaped for lark_md. */
export const statusCardText = {
  thinking: { vi: 'Đang suy nghĩ…', en: 'Thinking…' },
  calendar: { vi: 'Đang xem lịch của bạn…', en: 'Checking your calendar…' },
  tasks: { vi: 'Đang xem công việc của bạn…', en: 'Checking your tasks…' },
  people: { vi: 'Đang tìm trong danh bạ…', en: 'Looking people up…' },
  confirm: { vi: 'Đang chờ bạn xác nhận…', en: 'Waiting for your confirmation…' },
  done: { vi: 'Xong: câu trả lời ở ngay dưới.', en: 'Done: the answer is right below.' },
  failed: { vi: 'Chưa xong: xem tin nhắn ngay dưới.', en: 'Not finished: see the message right below.' },
  auth: { vi: 'Đang chờ bạn đăng nhập (thẻ đăng nhập trong tin nhắn riêng).', en: 'Waiting for you to sign in (the card is in your direct messages).' },
  availability: (who: string) => ({ vi: `Đang hỏi lịch rảnh của ${who}…`, en: `Asking ${who}'s availability…` }),
  writing: {
    create_event: { vi: 'Đang tạo sự kiện…', en: 'Creating the event…' },
    update_event: { vi: 'Đang cập nhật sự kiện…', en: 'Updating the event…' },
    delete_event: { vi: 'Đang xoá sự kiện…', en: 'Deleting the event…' },
    create_task: { vi: 'Đang tạo công việc…', en: 'Creating the task…' },
    complete_task: { vi: 'Đang đánh dấu hoàn thành…', en: 'Marking the task as done…' },
    reply_invitation: { vi: 'Đang trả lời lời mời…', en: 'Answering the invitation…' },
  },
  working: { vi: 'Trợ lý đang làm việc', en: 'The assistant is working' },
};

/** The find-a-time card. Names arrive already escaped for lark_md. */
export const slotCardText = {
  header: { vi: 'Chọn một giờ để đặt lịch', en: 'Pick a time to book' },
  everyoneFree: (who: string) => ({ vi: `Giờ mọi người đều rảnh (bạn, ${who}):`, en: `Times when everyone is free (you, ${who}):` }),
  youFree: { vi: 'Giờ bạn rảnh:', en: 'Times when you are free:' },
  none: { vi: 'Không giờ nào', en: 'None of these' },
  note: { vi: 'Bấm một giờ là đặt lịch luôn (mình kiểm tra lại lịch rảnh trước).', en: 'Clicking a time books it (free/busy is checked again first).' },
  resolvedHeader: { vi: 'Tìm giờ họp', en: 'Find a time' },
};

/** The sign-in card. */
export const loginCardText = {
  header: { vi: 'Kết nối Lịch & Công việc', en: 'Connect Calendar & Tasks' },
  why: {
    vi: 'Để làm việc này, trợ lý cần quyền truy cập Lịch và Công việc Lark của bạn.',
    en: 'To do this, the assistant needs access to your Lark Calendar and Tasks.',
  },
  pending: (count: number) =>
    count > 1
      ? {
          vi: `Bạn có **${count} yêu cầu** đang chờ; chúng sẽ tự chạy tiếp sau khi bạn đăng nhập.`,
          en: `**${count} requests** are waiting and will continue once you sign in.`,
        }
      : { vi: 'Yêu cầu của bạn sẽ tự chạy tiếp sau khi bạn đăng nhập.', en: 'Your request will continue once you sign in.' },
  signIn: { vi: 'Đăng nhập với Lark', en: 'Sign in with Lark' },
  newLink: { vi: 'Gửi liên kết mới', en: 'Send me a new link' },
  note: { vi: 'Liên kết dùng một lần, hết hạn sau 15 phút.', en: 'Single-use link; it expires in 15 minutes.' },
  /** The card once its wait ended without a sign-in: nothing continues, and what brings a new card. */
  closedHeader: { vi: 'Chưa đăng nhập', en: 'Not signed in' },
  closed: {
    denied: {
      vi: 'Bạn đã từ chối cấp quyền nên các yêu cầu đang chờ đã bị huỷ. Gửi lại yêu cầu để nhận thẻ đăng nhập mới.',
      en: 'You declined authorization, so the waiting requests were cancelled. Send your request again to get a new sign-in card.',
    },
    timeout: {
      vi: 'Đã hết thời gian chờ đăng nhập nên các yêu cầu đang chờ đã bị huỷ. Gửi lại yêu cầu để nhận thẻ đăng nhập mới.',
      en: 'The wait for sign-in ended, so the waiting requests were cancelled. Send your request again to get a new sign-in card.',
    },
  },
};

/** Invitations: the footer's ✅ verb per answer, the ❌ line's words, and the agenda's section. */
export const invitationWords = {
  replied: {
    accept: { vi: 'Đã chấp nhận lời mời', en: 'Accepted the invitation' },
    decline: { vi: 'Đã từ chối lời mời', en: 'Declined the invitation' },
    tentative: { vi: 'Đã trả lời "có thể tham dự" lời mời', en: 'Answered "maybe" to the invitation' },
  },
  notDone: {
    accept: { vi: 'chấp nhận lời mời', en: 'accept the invitation' },
    decline: { vi: 'từ chối lời mời', en: 'decline the invitation' },
    tentative: { vi: 'trả lời "có thể tham dự" lời mời', en: 'answer "maybe" to the invitation' },
  },
  agendaHeading: { vi: 'Lời mời chưa trả lời', en: 'Invitations not answered' },
  from: (name: string) => ({ vi: `từ ${name}`, en: `from ${name}` }),
};

export { formatDay, formatWhen };

/** The toast of each card click outcome, in the language the card was written in (the button value carries it). */
export const clickToasts = {
  confirmed: { vi: 'Đã xác nhận', en: 'Confirmed' },
  cancelled: { vi: 'Đã huỷ: không thực hiện', en: 'Cancelled: not done' },
  already: { vi: 'Yêu cầu này đã được trả lời rồi', en: 'This was already answered' },
  gone: { vi: 'Yêu cầu này không còn chờ xác nhận (đã hết hạn hoặc đã xong)', en: 'This request is no longer waiting (it expired or was answered)' },
  notYours: { vi: 'Chỉ người đã gửi yêu cầu mới xác nhận được', en: 'Only the person who made this request can confirm it' },
  /** The same refusal on the other cards, with their own verb. */
  notYoursUndo: { vi: 'Chỉ người đã gửi yêu cầu mới hoàn tác được', en: 'Only the person who made this request can undo it' },
  notYoursSlot: { vi: 'Chỉ người đã gửi yêu cầu mới chọn giờ được', en: 'Only the person who made this request can pick a time' },
  notYoursLogin: { vi: 'Thẻ đăng nhập này dành cho người khác', en: 'Only the person this sign-in card is for can use it' },
  linkSending: { vi: 'Đang gửi thẻ đăng nhập mới', en: 'A new sign-in card is on its way' },
  linkTooSoon: { vi: 'Vừa gửi thẻ mới, bạn xem tin nhắn nhé', en: 'A new card was just sent: check your messages' },
  linkNotNeeded: { vi: 'Bạn đã đăng nhập rồi', en: 'You are already signed in' },
  linkNothingWaiting: {
    vi: 'Không có yêu cầu nào đang chờ đăng nhập: hãy gửi lại yêu cầu, thẻ đăng nhập mới sẽ đến cùng câu trả lời',
    en: 'No request is waiting for sign-in: send your request again and a new sign-in card comes with it',
  },
  undoing: { vi: 'Đang hoàn tác…', en: 'Undoing…' },
  slotBooking: { vi: 'Đang kiểm tra lại và đặt lịch…', en: 'Checking again and booking…' },
  slotNone: { vi: 'Đã ghi nhận: không giờ nào', en: 'Noted: none of these' },
  undoneAlready: { vi: 'Đã hoàn tác rồi', en: 'Already undone' },
  undoExpired: { vi: 'Đã quá hạn hoàn tác', en: 'This can no longer be undone: the undo window has passed' },
  undoUnknown: { vi: 'Không có gì để hoàn tác', en: 'There is nothing to undo here' },
  tooManyClicks: { vi: 'Bạn bấm nhanh quá: đợi vài giây rồi bấm lại nhé', en: 'Too many clicks: wait a few seconds and try again' },
} as const;

// ---- Reminders: what the bot says about them on its own.

/**
 * An occurrence that could not be posted at all: Lark refused it for good (the bot left the chat, the app lacks a
 * permission) or was down for the whole retry window. Said once, in the DM, instead of silence.
 */
export function reminderNotDelivered(
  lang: Lang,
  kind: 'reminder' | 'agenda',
  dueMs: number,
  timezone: string,
  recurring: boolean,
  why: 'app_permission' | 'refused' | 'unavailable',
): string {
  const when = `${formatDay(dueMs, timezone, lang)}, ${formatClock(dueMs, timezone)}`;
  const what =
    kind === 'agenda' ? L(lang, `lịch trình hằng ngày (${when})`, `your daily agenda (${when})`) : L(lang, `lời nhắc lúc ${when}`, `the reminder due ${when}`);
  const reason = {
    app_permission: {
      vi: 'ứng dụng chưa được cấp một quyền Lark cần thiết; hãy nhờ quản trị viên Lark cấp quyền',
      en: 'the app lacks a Lark permission it needs; ask your Lark admin to grant it',
    },
    refused: {
      vi: 'Lark từ chối gửi vào cuộc trò chuyện đó (có thể nhóm đã giải tán hoặc bot đã bị xoá khỏi nhóm)',
      en: 'Lark refused to post in that chat (it may be closed, or the bot removed from it)',
    },
    unavailable: { vi: 'Lark gặp sự cố suốt thời gian mình thử lại', en: 'Lark was unavailable for as long as I kept trying' },
  }[why];
  const next = recurring ? L(lang, ' Lần sau mình vẫn sẽ thử như bình thường.', ' I will try the next one as usual.') : '';
  return L(lang, `Mình không gửi được ${what}: ${reason.vi}.${next}`, `I could not post ${what}: ${reason.en}.${next}`);
}

/** After the authorization wait ran out: what was skipped, and what happens next. Never a vague "I can't". */
export function skippedForAuth(lang: Lang, kind: 'reminder' | 'agenda', dueMs: number, timezone: string, recurring: boolean): string {
  const when = `${formatDay(dueMs, timezone, lang)}, ${formatClock(dueMs, timezone)}`;
  const what =
    kind === 'agenda' ? L(lang, `lịch trình hằng ngày (${when})`, `your daily agenda (${when})`) : L(lang, `lời nhắc lúc ${when}`, `the reminder due ${when}`);
  const next = recurring
    ? L(
        lang,
        'Hãy bấm "Đăng nhập" trên thẻ đăng nhập; lần sau sẽ được gửi như bình thường.',
        'Press "Sign in" on the sign-in card and the next one will come as usual.',
      )
    : L(lang, 'Hãy đăng nhập rồi đặt lại lời nhắc nếu vẫn cần.', 'Sign in and set it again if you still need it.');
  return L(
    lang,
    `Mình đã bỏ qua ${what} vì cần đọc Lịch và Công việc của bạn mà bạn chưa đăng nhập Lark lại. ${next}`,
    `I skipped ${what}: it needs to read your Calendar and Tasks, and you had not signed in to Lark again. ${next}`,
  );
}

/**
 * The card's Reschedule, as the agent reads it: the event's id and nothing its organizer wrote. A title is
 * someone else's text, so it never becomes the user's own words (the agent reads the event with a tool).
 */
export function meetingRescheduleRequest(lang: Lang, eventId: string | undefined): string {
  return L(
    lang,
    `Dời lịch cuộc họp (sự kiện ${eventId ?? '?'}). Hỏi tôi giờ mới.`,
    `Reschedule the meeting (event ${eventId ?? '?'}). Ask me for the new time.`,
  );
}

/** What the chat shows for that request (the title quoted as the meeting's name, for the user's eyes only). */
export function meetingRescheduleShown(lang: Lang, title: string | undefined): string {
  const what = title ? ` “${title.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : '';
  return `↪️ ${L(lang, `Dời lịch cuộc họp${what}`, `Reschedule the meeting${what}`)}`.replace(/\s+/g, ' ').trim();
}

/** Reschedule was clicked (the toast said it is opening) but the request could not be posted: say so, and how to ask. */
export function rescheduleNotStarted(lang: Lang, title: string | undefined): string {
  const what = title ? `“${title.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : L(lang, 'cuộc họp này', 'this meeting');
  return L(
    lang,
    `Mình chưa mở được yêu cầu dời lịch ${what}: Lark không cho gửi tin nhắn vào cuộc trò chuyện đó. Chưa có gì thay đổi; bạn nhắn "dời lịch ${what}" cho mình để làm lại nhé.`,
    `I could not open the request to reschedule ${what}: Lark would not let me post in that chat. Nothing was changed; send me "reschedule ${what}" to try again.`,
  );
}

/**
 * A meeting-linked reminder whose meeting went away: said once, instead of the reminder, and only what is known.
 * "Was cancelled" only when Lark shows it cancelled by someone else; the user's own meeting "was deleted from your
 * calendar"; one Lark no longer shows "is no longer on your calendar (deleted, or you were removed from it)".
 * (A meeting deleted through the bot never gets this: its reminder is cancelled in the same turn and the answer says so.)
 */
export function meetingCancelledDrop(lang: Lang, title: string | undefined, text: string, minutesBefore: number, why?: MeetingGone): string {
  const meeting = title ? `“${title.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : L(lang, 'của lời nhắc này', 'this reminder was for');
  const reminder = `“${text.replace(/[\r\n]+/g, ' ').slice(0, 120)}”`;
  const gone =
    why === 'cancelled'
      ? { vi: 'đã bị huỷ', en: 'was cancelled' }
      : why === 'deleted'
        ? { vi: 'đã bị xoá khỏi lịch của bạn', en: 'was deleted from your calendar' }
        : {
            vi: 'không còn trong lịch của bạn (đã bị xoá, hoặc bạn không còn trong danh sách mời)',
            en: 'is no longer on your calendar (deleted, or you were removed from it)',
          };
  return L(
    lang,
    `Cuộc họp ${meeting} ${gone.vi} nên mình đã bỏ lời nhắc ${reminder} (${minutesBefore} phút trước cuộc họp). Không có gì khác thay đổi.`,
    `The meeting ${meeting} ${gone.en}, so I dropped the reminder ${reminder} (${minutesBefore} minutes before it). Nothing else changed.`,
  );
}

/** Scope families in words a user knows; the scope itself is named too, for whoever manages the app. */
const SCOPE_WORDS: Array<[RegExp, { vi: string; en: string }]> = [
  [/^calendar:/, { vi: 'đọc Lịch của bạn', en: 'read your Calendar' }],
  [/^task:/, { vi: 'đọc Công việc của bạn', en: 'read your Tasks' }],
  [/^contact:/, { vi: 'đọc danh bạ công ty', en: 'read the company directory' }],
];

/**
 * A fire that acts as the user hit a permission their sign-in did not grant: which one, why it is needed,
 * and what happens next (a sign-in card follows). Plain words, never a vague "I can't".
 */
export function missingPermission(lang: Lang, kind: 'reminder' | 'agenda', scopes: string[]): string {
  const words = (sc: string) => {
    const w = SCOPE_WORDS.find(([re]) => re.test(sc))?.[1];
    return w ? ` (${L(lang, w.vi, w.en)})` : '';
  };
  const named = scopes.length ? scopes.map((sc) => `“${sc}”${words(sc)}`).join(', ') : L(lang, 'một quyền Lark', 'a Lark permission');
  const what =
    kind === 'agenda'
      ? L(lang, 'gửi lịch trình hằng ngày', 'send your daily agenda')
      : L(lang, 'kiểm tra cuộc họp của lời nhắc', "check this reminder's meeting");
  return L(
    lang,
    `Để ${what}, mình cần quyền ${named}, nhưng lần đăng nhập Lark của bạn chưa cấp quyền này. Hãy bấm "Đăng nhập" trên thẻ mình vừa gửi và đồng ý cấp quyền; mình sẽ gửi ngay sau khi bạn đăng nhập.`,
    `To ${what} I need the Lark permission ${named}, which your sign-in did not grant. Press "Sign in" on the card I just sent and allow it; I will send it as soon as you have signed in.`,
  );
}

/** The reminder could not be posted for a long time (Lark down): said once it can be. */
export function firedAfterTrouble(lang: Lang): string {
  return L(lang, 'Lời nhắc này đến muộn vì Lark gặp sự cố.', 'This reminder is late because Lark was having trouble.');
}

export const agendaWords = {
  busy: { vi: 'Bận (sự kiện riêng tư)', en: 'Busy (private event)' },
  nothing: { vi: 'Hôm nay bạn không có sự kiện nào.', en: 'Nothing on your calendar today.' },
  events: { vi: 'Sự kiện', en: 'Events' },
  tasks: { vi: 'Công việc đến hạn', en: 'Tasks due' },
  noTasks: { vi: 'Không có công việc nào đến hạn.', en: 'No tasks due.' },
  allDay: { vi: 'cả ngày', en: 'all day' },
  overdue: { vi: 'quá hạn', en: 'overdue' },
};

/** The toast of each reminder click outcome (src/services.ts picks it in the card's language). */
export const REMINDER_TOASTS = {
  snoozed10: { vi: 'Sẽ nhắc lại sau 10 phút', en: 'Snoozed for 10 minutes' },
  snoozed60: { vi: 'Sẽ nhắc lại sau 1 giờ', en: 'Snoozed for 1 hour' },
  done: { vi: 'Đã đánh dấu xong', en: 'Marked as done' },
  rescheduling: { vi: 'Đang mở yêu cầu dời lịch…', en: 'Opening a reschedule request…' },
  rescheduleAlready: {
    vi: 'Yêu cầu dời lịch cuộc họp này đã được mở rồi: không thay đổi gì',
    en: 'A reschedule request for this meeting was already started: nothing changed',
  },
  already: { vi: 'Lời nhắc này đã được trả lời rồi: không thay đổi gì', en: 'This reminder was already answered: nothing changed' },
  stale: {
    vi: 'Lời nhắc này không còn hiệu lực (đã xong, đã huỷ hoặc đã có lời nhắc mới hơn): không thay đổi gì',
    en: 'This reminder is no longer live (done, cancelled or replaced by a newer one): nothing changed',
  },
  notYours: { vi: 'Chỉ người đặt lời nhắc mới bấm được: không thay đổi gì', en: 'Only the person who set this reminder can use it: nothing changed' },
} as const;
