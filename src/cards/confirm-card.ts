/**
 * Confirm / Cancel cards for outward-facing or destructive actions, in the user's language, saying what
 * will happen in words the user recognises. Pure: workflow code builds them. All model- or user-supplied
 * text is escaped before it goes into lark_md.
 */
import type { Lang } from '../i18n/language';
import { escapeLarkMdLine } from './lark-md';

export interface ConfirmValue {
  kind: 'confirm';
  key: string;
  decision: 'confirm' | 'cancel';
  /** open_id of the user whose request this is: only they can answer it. */
  owner: string;
  /** The card's language, so the click's toast speaks it too. */
  lang: Lang;
}

/** What the card asks about, already in the user's words (dates formatted, names resolved where known). */
export interface ConfirmDetails {
  lang: Lang;
  action: 'delete_event' | 'update_event' | 'create_event' | 'create_task';
  /** The event or task title. */
  title?: string;
  /** When it is (or will be), e.g. "Thu 3 Dec, 15:00–16:00". */
  when?: string;
  /** For a change: the new time and/or title. */
  newWhen?: string;
  newTitle?: string;
  /** People who attend, are invited, or are assigned. */
  people?: string[];
  /** Shown when nothing better is known (e.g. the event could not be read). */
  fallbackId?: string;
}

export type ConfirmOutcome = 'confirm' | 'cancel' | 'expired' | 'superseded';

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);

/** The question, as escaped lark_md. */
export function confirmQuestion(d: ConfirmDetails): string {
  const title = d.title ? `**${escapeLarkMdLine(d.title)}**` : d.fallbackId ? escapeLarkMdLine(d.fallbackId) : L(d.lang, 'sự kiện này', 'this event');
  // `when` is our own formatting of a time (formatWhen), not outside text.
  const when = d.when ? ` (${d.when})` : '';
  const people = d.people?.length ? d.people.map((p) => escapeLarkMdLine(p, 80)).join(', ') : '';
  switch (d.action) {
    case 'delete_event':
      return (
        L(d.lang, `Xoá sự kiện ${title}${when}?`, `Delete the event ${title}${when}?`) +
        (people ? `\n${L(d.lang, 'Người tham dự sẽ được báo huỷ', 'Attendees will be notified')}: ${people}` : '')
      );
    case 'update_event': {
      const changes = [
        d.newTitle ? L(d.lang, `đổi tên thành **${escapeLarkMdLine(d.newTitle)}**`, `rename it to **${escapeLarkMdLine(d.newTitle)}**`) : '',
        d.newWhen ? L(d.lang, `dời sang ${d.newWhen}`, `move it to ${d.newWhen}`) : '',
      ].filter(Boolean);
      return (
        L(d.lang, `Thay đổi sự kiện ${title}${when}`, `Change the event ${title}${when}`) +
        (changes.length ? `: ${changes.join(L(d.lang, ' và ', ' and '))}?` : '?') +
        (people ? `\n${L(d.lang, 'Người tham dự khác', 'Other attendees')}: ${people}` : '')
      );
    }
    case 'create_event':
      return L(d.lang, `Tạo sự kiện ${title}${when} và mời ${people}?`, `Create the event ${title}${when} and invite ${people}?`);
    case 'create_task':
      return L(d.lang, `Giao công việc ${title}${when} cho ${people}?`, `Assign the task ${title}${when} to ${people}?`);
  }
}

export function confirmCard(key: string, owner: string, d: ConfirmDetails): Record<string, unknown> {
  const button = (decision: ConfirmValue['decision'], label: string, type: string) => ({
    tag: 'button',
    type,
    text: { tag: 'plain_text', content: label },
    value: { kind: 'confirm', key, decision, owner, lang: d.lang } satisfies ConfirmValue,
  });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'orange', title: { tag: 'plain_text', content: L(d.lang, 'Cần bạn xác nhận', 'Please confirm') } },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: confirmQuestion(d) } },
      { tag: 'action', actions: [button('confirm', L(d.lang, 'Xác nhận', 'Confirm'), 'primary'), button('cancel', L(d.lang, 'Huỷ', 'Cancel'), 'default')] },
    ],
  };
}

export function resolvedCard(d: ConfirmDetails, outcome: ConfirmOutcome): Record<string, unknown> {
  const label = {
    confirm: L(d.lang, '✅ Đã xác nhận', '✅ Confirmed'),
    cancel: L(d.lang, '❌ Đã huỷ: không thực hiện', '❌ Cancelled: not done'),
    expired: L(d.lang, '⌛ Hết hạn: không thực hiện', '⌛ Expired: not done'),
    superseded: L(d.lang, '↪️ Bỏ qua vì bạn đã gửi tin nhắn mới: không thực hiện', '↪️ Skipped because you sent a new message: not done'),
  }[outcome];
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: outcome === 'confirm' ? 'green' : 'grey', title: { tag: 'plain_text', content: label } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: confirmQuestion(d) } }],
  };
}
