/**
 * The reminder as a card in the chat where it was set: its words (escaped: they are the user's), a late note
 * when it fires late, and Snooze 10 min / Snooze 1 h / Done (+ Reschedule for a meeting-linked one). Each
 * button names the card's owner, occurrence and language, so the click handler can refuse others' clicks,
 * tell a second click from a first, and answer in the card's language. Pure: workflow code builds them.
 */
import { formatClock, formatWhen } from '../i18n/dates';
import type { Lang } from '../i18n/language';
import { escapeLarkMd, escapeLarkMdLine } from './lark-md';

/** The card's buttons (the click is an Update to the reminder's workflow: workflows/contract.ts). */
export type ReminderAction = 'snooze10' | 'snooze60' | 'done' | 'reschedule';

export interface ReminderValue {
  kind: 'reminder';
  reminderId: string;
  occurrenceMs: number;
  action: ReminderAction;
  owner: string;
  lang: Lang;
}

export interface ReminderCardInput {
  reminderId: string;
  owner: string;
  lang: Lang;
  timezone: string;
  text: string;
  occurrenceMs: number;
  /** Set when the fire is late: the time it was due, shown in the late note. */
  lateSinceMs?: number;
  /** A meeting-linked reminder: its event can be rescheduled from the card. */
  eventLinked?: boolean;
  /** The meeting as read at fire time: its title and (possibly moved) start, shown under the text. */
  meeting?: { title?: string; startMs: number };
}

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);

/** "(late: the assistant was unavailable at 17:00)". */
export function lateNote(lang: Lang, dueMs: number, timezone: string): string {
  const at = formatClock(dueMs, timezone);
  return L(lang, `(trễ: trợ lý không hoạt động lúc ${at})`, `(late: the assistant was unavailable at ${at})`);
}

export function reminderCard(c: ReminderCardInput): Record<string, unknown> {
  const button = (action: ReminderAction, label: string, type = 'default') => ({
    tag: 'button',
    type,
    text: { tag: 'plain_text', content: label },
    value: { kind: 'reminder', reminderId: c.reminderId, occurrenceMs: c.occurrenceMs, action, owner: c.owner, lang: c.lang } satisfies ReminderValue,
  });
  const actions = [
    button('snooze10', L(c.lang, 'Báo lại sau 10 phút', 'Snooze 10 min')),
    button('snooze60', L(c.lang, 'Báo lại sau 1 giờ', 'Snooze 1 h')),
    button('done', L(c.lang, 'Xong', 'Done'), 'primary'),
    ...(c.eventLinked ? [button('reschedule', L(c.lang, 'Dời lịch', 'Reschedule'))] : []),
  ];
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: c.lateSinceMs !== undefined ? 'orange' : 'blue', title: { tag: 'plain_text', content: L(c.lang, '⏰ Nhắc việc', '⏰ Reminder') } },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: escapeLarkMd(c.text) } },
      ...(c.meeting ? [{ tag: 'div', text: { tag: 'lark_md', content: meetingLine(c.lang, c.timezone, c.meeting, c.occurrenceMs) } }] : []),
      ...(c.lateSinceMs !== undefined ? [{ tag: 'div', text: { tag: 'lark_md', content: lateNote(c.lang, c.lateSinceMs, c.timezone) } }] : []),
      { tag: 'action', actions },
    ],
  };
}

/** "📅 “Sync” starts Thu 3 Dec, 15:00": the title is the organizer's words, escaped. */
function meetingLine(lang: Lang, timezone: string, m: { title?: string; startMs: number }, nowMs: number): string {
  const title = m.title ? `“${escapeLarkMdLine(m.title, 120)}”` : L(lang, 'Cuộc họp', 'The meeting');
  return L(
    lang,
    `📅 ${title} bắt đầu ${formatWhen(m.startMs, undefined, timezone, lang, nowMs)}`,
    `📅 ${title} starts ${formatWhen(m.startMs, undefined, timezone, lang, nowMs)}`,
  );
}

export type ReminderCardOutcome =
  { kind: 'snoozed'; untilMs: number } | { kind: 'done' } | { kind: 'rescheduling' } | { kind: 'cancelled' } | { kind: 'replaced' };

/** The card after its click: what happened, no buttons. */
export function resolvedReminderCard(c: Pick<ReminderCardInput, 'lang' | 'timezone' | 'text'>, outcome: ReminderCardOutcome): Record<string, unknown> {
  const label =
    outcome.kind === 'snoozed'
      ? L(c.lang, `⏰ Sẽ nhắc lại lúc ${formatClock(outcome.untilMs, c.timezone)}`, `⏰ Snoozed until ${formatClock(outcome.untilMs, c.timezone)}`)
      : outcome.kind === 'done'
        ? L(c.lang, '✅ Đã xong', '✅ Done')
        : outcome.kind === 'rescheduling'
          ? L(c.lang, '↪️ Đang dời lịch', '↪️ Rescheduling')
          : outcome.kind === 'replaced'
            ? L(c.lang, '⏰ Nhắc việc (đã có lần nhắc mới hơn)', '⏰ Reminder (a newer one was posted)')
            : L(c.lang, '🚫 Đã huỷ lời nhắc', '🚫 Reminder cancelled');
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: outcome.kind === 'done' ? 'green' : 'grey', title: { tag: 'plain_text', content: label } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: escapeLarkMdLine(c.text, 500) } }],
  };
}

/** The morning agenda: our own formatted lines (times) and the titles escaped by the caller. No buttons. */
export function agendaCard(lang: Lang, dayLabel: string, bodyMd: string, lateMd?: string): Record<string, unknown> {
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: lateMd ? 'orange' : 'blue', title: { tag: 'plain_text', content: L(lang, `📅 Lịch trình ${dayLabel}`, `📅 Agenda for ${dayLabel}`) } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: bodyMd } }, ...(lateMd ? [{ tag: 'div', text: { tag: 'lark_md', content: lateMd } }] : [])],
  };
}
