/**
 * The find-a-time answer: one button per proposed slot (at most 3) and "none of these". The click is the
 * confirmation: the workflow re-checks everyone's free/busy for that slot, then books it or offers the rest.
 * Pure: workflow code builds it. Names come from the directory: escaped.
 */
import type { Lang } from '../i18n/language';
import { escapeLarkMdLine } from './lark-md';

export interface SlotValue {
  kind: 'slot';
  key: string;
  /** "0".."2": the slot's index in the proposal; "none": none of these. */
  choice: string;
  owner: string;
  lang: Lang;
}

export interface SlotOption {
  /** "Thu 3 Dec, 15:00–15:30" (already formatted in the user's words). */
  label: string;
  /** Its index in the tool's result (kept across re-offers, so a click always names the same slot). */
  index: number;
}

const L = (lang: Lang, vi: string, en: string) => (lang === 'vi' ? vi : en);

export function slotCard(key: string, owner: string, lang: Lang, people: string[], options: SlotOption[], notice?: string): Record<string, unknown> {
  const who = people.length ? people.map((p) => escapeLarkMdLine(p, 60)).join(', ') : '';
  const head = who ? L(lang, `Giờ mọi người đều rảnh (bạn, ${who}):`, `Times when everyone is free (you, ${who}):`) : L(lang, 'Giờ bạn rảnh:', 'Times when you are free:');
  const button = (text: string, choice: string, type: string) => ({ tag: 'button', type, text: { tag: 'plain_text', content: text }, value: { kind: 'slot', key, choice, owner, lang } satisfies SlotValue });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'blue', title: { tag: 'plain_text', content: L(lang, 'Chọn một giờ để đặt lịch', 'Pick a time to book') } },
    elements: [
      ...(notice ? [{ tag: 'div', text: { tag: 'lark_md', content: notice } }] : []),
      { tag: 'div', text: { tag: 'lark_md', content: head } },
      {
        tag: 'action',
        actions: [...options.map((o, i) => button(o.label, String(o.index), i === 0 ? 'primary' : 'default')), button(L(lang, 'Không giờ nào', 'None of these'), 'none', 'default')],
      },
      { tag: 'note', elements: [{ tag: 'plain_text', content: L(lang, 'Bấm một giờ là đặt lịch luôn (mình kiểm tra lại lịch rảnh trước).', 'Clicking a time books it (free/busy is checked again first).') }] },
    ],
  };
}

export function slotResolvedCard(lang: Lang, text: string): Record<string, unknown> {
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'grey', title: { tag: 'plain_text', content: L(lang, 'Tìm giờ họp', 'Find a time') } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: text } }],
  };
}
