/**
 * The Undo card that follows an answer which changed something: the changes (from tool results) and one
 * button, valid for a limited time; after the click, what was undone and what could not be restored.
 * Pure: workflow code builds it. Titles and names come from outside: escaped.
 */
import { describeEffect, type ToolEffect } from '../i18n/messages';
import type { Lang } from '../i18n/language';
import { escapeLarkMdLine } from './lark-md';

export interface UndoValue {
  kind: 'undo';
  key: string;
  owner: string;
  lang: Lang;
}

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);
const safe = (e: ToolEffect): ToolEffect => ({ ...e, ...(e.title ? { title: escapeLarkMdLine(e.title) } : {}), ...(e.people ? { people: e.people.map((p) => escapeLarkMdLine(p, 80)) } : {}) });

export function undoCard(key: string, owner: string, lang: Lang, changes: ToolEffect[], timezone: string, validHours: number, nowMs: number): Record<string, unknown> {
  const lines = changes.map((c) => `• ${describeEffect(safe(c), timezone, lang, nowMs)}`).join('\n');
  return {
    config: { wide_screen_mode: true, update_multi: true },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: `${L(lang, 'Các thay đổi của yêu cầu này:', 'Changes made for this request:')}\n${lines}` } },
      {
        tag: 'action',
        actions: [{ tag: 'button', type: 'default', text: { tag: 'plain_text', content: L(lang, '↩️ Hoàn tác', '↩️ Undo') }, value: { kind: 'undo', key, owner, lang } satisfies UndoValue }],
      },
      { tag: 'note', elements: [{ tag: 'plain_text', content: L(lang, `Có thể hoàn tác trong ${validHours} giờ.`, `You can undo this for ${validHours} hours.`) }] },
    ],
  };
}

export type UndoResult = { change: ToolEffect; ok: boolean; why?: 'gone' | 'refused' | 'not_signed_in' | 'unavailable' };

function reversal(c: ToolEffect, lang: Lang): string {
  const t = c.title ? `“${escapeLarkMdLine(c.title)}”` : L(lang, 'mục này', 'this item');
  const key = `${c.kind}:${c.action}`;
  switch (key) {
    case 'event:created':
      return L(lang, `Đã xoá sự kiện ${t}`, `Deleted the event ${t}`);
    case 'event:updated':
      return L(lang, `Đã đưa sự kiện ${t} về như cũ`, `Put the event ${t} back as it was`);
    case 'event:deleted':
      return L(lang, `Đã tạo lại sự kiện ${t}`, `Recreated the event ${t}`);
    case 'task:created':
      return L(lang, `Đã xoá công việc ${t}`, `Deleted the task ${t}`);
    case 'task:completed':
      return L(lang, `Đã đánh dấu ${t} là chưa xong`, `Marked ${t} as not done`);
    default:
      return t;
  }
}

const WHY: Record<NonNullable<UndoResult['why']>, { vi: string; en: string }> = {
  gone: { vi: 'nó không còn nữa', en: 'it no longer exists' },
  refused: { vi: 'Lark từ chối', en: 'Lark refused' },
  not_signed_in: { vi: 'cần đăng nhập lại', en: 'you need to sign in again' },
  unavailable: { vi: 'Lark đang gặp sự cố', en: 'Lark is having trouble' },
};

export function undoneCard(lang: Lang, results: UndoResult[]): Record<string, unknown> {
  const lines = results
    .map((r) =>
      r.ok
        ? `↩️ ${reversal(r.change, lang)}`
        : `⚠️ ${L(lang, 'Không khôi phục được', 'Could not restore')}: ${describeEffect(safe(r.change), 'UTC', lang).replace(/ \(.*\)$/, '')} (${WHY[r.why ?? 'refused'][lang]})`,
    )
    .join('\n');
  const all = results.every((r) => r.ok);
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: all ? 'grey' : 'orange', title: { tag: 'plain_text', content: all ? L(lang, 'Đã hoàn tác', 'Undone') : L(lang, 'Hoàn tác một phần', 'Partly undone') } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: lines } }],
  };
}

/** Tells an Undo card from an answer (for tests and counts). */
export function isUndoCard(content: string): boolean {
  return content.includes('"kind":"undo"') || /"content":"(Undone|Partly undone|Đã hoàn tác|Hoàn tác một phần)"/.test(content);
}
