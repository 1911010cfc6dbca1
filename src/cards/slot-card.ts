/**
 * The find-a-time answer: one button per proposed slot (at most 3) and "none of these". The click is the
 * confirmation: the workflow re-checks everyone's free/busy for that slot, then books it or offers the rest.
 * Pure: workflow code builds it. Names come from the directory: escaped.
 */
import { t, type Lang } from '../i18n/language';
import { slotCardText as T } from '../i18n/messages';
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

export function slotCard(key: string, owner: string, lang: Lang, people: string[], options: SlotOption[], notice?: string): Record<string, unknown> {
  const who = people.length ? people.map((p) => escapeLarkMdLine(p, 60)).join(', ') : '';
  const head = t(lang, who ? T.everyoneFree(who) : T.youFree);
  const button = (text: string, choice: string, type: string) => ({
    tag: 'button',
    type,
    text: { tag: 'plain_text', content: text },
    value: { kind: 'slot', key, choice, owner, lang } satisfies SlotValue,
  });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'blue', title: { tag: 'plain_text', content: t(lang, T.header) } },
    elements: [
      ...(notice ? [{ tag: 'div', text: { tag: 'lark_md', content: notice } }] : []),
      { tag: 'div', text: { tag: 'lark_md', content: head } },
      {
        tag: 'action',
        actions: [...options.map((o, i) => button(o.label, String(o.index), i === 0 ? 'primary' : 'default')), button(t(lang, T.none), 'none', 'default')],
      },
      { tag: 'note', elements: [{ tag: 'plain_text', content: t(lang, T.note) }] },
    ],
  };
}

export function slotResolvedCard(lang: Lang, text: string): Record<string, unknown> {
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'grey', title: { tag: 'plain_text', content: t(lang, T.resolvedHeader) } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: text } }],
  };
}
