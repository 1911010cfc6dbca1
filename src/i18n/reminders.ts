/** What the bot says about reminders on its own (not the model's prose), in Vietnamese and English. Pure. */
import { formatClock, formatDay } from './dates';
import type { Lang } from './language';

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);

/** After the authorization wait ran out: what was skipped, and what happens next. Never a vague "I can't". */
export function skippedForAuth(lang: Lang, kind: 'reminder' | 'agenda', dueMs: number, timezone: string, recurring: boolean): string {
  const when = `${formatDay(dueMs, timezone, lang)}, ${formatClock(dueMs, timezone)}`;
  const what = kind === 'agenda' ? L(lang, `lịch trình hằng ngày (${when})`, `your daily agenda (${when})`) : L(lang, `lời nhắc lúc ${when}`, `the reminder due ${when}`);
  const next = recurring
    ? L(lang, 'Hãy bấm "Đăng nhập" trên thẻ đăng nhập; lần sau sẽ được gửi như bình thường.', 'Press "Sign in" on the sign-in card and the next one will come as usual.')
    : L(lang, 'Hãy đăng nhập rồi đặt lại lời nhắc nếu vẫn cần.', 'Sign in and set it again if you still need it.');
  return L(
    lang,
    `Mình đã bỏ qua ${what} vì cần đọc Lịch và Công việc của bạn mà bạn chưa đăng nhập Lark lại. ${next}`,
    `I skipped ${what}: it needs to read your Calendar and Tasks, and you had not signed in to Lark again. ${next}`,
  );
}

/** The request the card's Reschedule button starts, as if the user had typed it (the agent answers it like any request). */
export function meetingRescheduleRequest(lang: Lang, title: string | undefined, eventId: string | undefined): string {
  const what = title ? `“${title.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : '';
  const id = eventId ? L(lang, ` (sự kiện ${eventId})`, ` (event ${eventId})`) : '';
  return L(lang, `Dời lịch cuộc họp ${what}${id}`, `Reschedule the meeting ${what}${id}`).replace(/\s+/g, ' ').trim();
}

/** A meeting-linked reminder whose meeting was cancelled: said once, instead of the reminder. */
export function meetingCancelledDrop(lang: Lang, title: string | undefined, text: string, minutesBefore: number): string {
  const meeting = title ? `“${title.replace(/[\r\n]+/g, ' ').slice(0, 120)}”` : L(lang, 'của lời nhắc này', 'this reminder was for');
  const reminder = `“${text.replace(/[\r\n]+/g, ' ').slice(0, 120)}”`;
  return L(
    lang,
    `Cuộc họp ${meeting} đã bị huỷ nên mình đã bỏ lời nhắc ${reminder} (${minutesBefore} phút trước cuộc họp). Không có gì khác thay đổi.`,
    `The meeting ${meeting} was cancelled, so I dropped the reminder ${reminder} (${minutesBefore} minutes before it). Nothing else changed.`,
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
  const what = kind === 'agenda' ? L(lang, 'gửi lịch trình hằng ngày', 'send your daily agenda') : L(lang, 'kiểm tra cuộc họp của lời nhắc', "check this reminder's meeting");
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
  rescheduleAlready: { vi: 'Yêu cầu dời lịch cuộc họp này đã được mở rồi: không thay đổi gì', en: 'A reschedule request for this meeting was already started: nothing changed' },
  already: { vi: 'Lời nhắc này đã được trả lời rồi: không thay đổi gì', en: 'This reminder was already answered: nothing changed' },
  stale: { vi: 'Lời nhắc này không còn hiệu lực (đã xong, đã huỷ hoặc đã có lời nhắc mới hơn): không thay đổi gì', en: 'This reminder is no longer live (done, cancelled or replaced by a newer one): nothing changed' },
  notYours: { vi: 'Chỉ người đặt lời nhắc mới bấm được: không thay đổi gì', en: 'Only the person who set this reminder can use it: nothing changed' },
} as const;
