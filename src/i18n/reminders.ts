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
  rescheduling: { vi: 'Đang dời lịch: mình sẽ hỏi bạn trong cuộc trò chuyện', en: 'Rescheduling: I will ask you in the chat' },
  already: { vi: 'Lời nhắc này đã được trả lời rồi: không thay đổi gì', en: 'This reminder was already answered: nothing changed' },
  stale: { vi: 'Lời nhắc này không còn hiệu lực (đã xong, đã huỷ hoặc đã có lời nhắc mới hơn): không thay đổi gì', en: 'This reminder is no longer live (done, cancelled or replaced by a newer one): nothing changed' },
  notYours: { vi: 'Chỉ người đặt lời nhắc mới bấm được: không thay đổi gì', en: 'Only the person who set this reminder can use it: nothing changed' },
} as const;
