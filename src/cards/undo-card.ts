/**
 * The Undo card that follows an answer which changed something: the changes (from tool results) and one
 * button, valid for a limited time; after the click, what was undone and what could not be restored.
 * Pure: workflow code builds it. Titles and names come from outside: escaped.
 */
import { anyWording, describeEffect, undoCardText as T, type RestoredReminders, type ToolEffect } from '../i18n/messages';
import { t, type Lang } from '../i18n/language';
import { escapeLarkMdLine } from './lark-md';

export interface UndoValue {
  kind: 'undo';
  key: string;
  owner: string;
  lang: Lang;
}

const safe = (e: ToolEffect): ToolEffect => ({
  ...e,
  ...(e.title ? { title: escapeLarkMdLine(e.title) } : {}),
  ...(e.people ? { people: e.people.map((p) => escapeLarkMdLine(p, 80)) } : {}),
  ...(e.changed?.fromTitle ? { changed: { ...e.changed, fromTitle: escapeLarkMdLine(e.changed.fromTitle) } } : {}),
  ...(e.reminders ? { reminders: e.reminders.map((r) => ({ ...r, text: escapeLarkMdLine(r.text) })) } : {}),
});

export function undoCard(
  key: string,
  owner: string,
  lang: Lang,
  changes: ToolEffect[],
  timezone: string,
  validHours: number,
  nowMs: number,
): Record<string, unknown> {
  const lines = changes.map((c) => `• ${describeEffect(safe(c), timezone, lang, nowMs)}`).join('\n');
  return {
    config: { wide_screen_mode: true, update_multi: true },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: `${t(lang, T.changes)}\n${lines}` } },
      {
        tag: 'action',
        actions: [
          {
            tag: 'button',
            type: 'default',
            text: { tag: 'plain_text', content: t(lang, T.button) },
            value: { kind: 'undo', key, owner, lang } satisfies UndoValue,
          },
        ],
      },
      { tag: 'note', elements: [{ tag: 'plain_text', content: t(lang, T.validFor(validHours)) }] },
    ],
  };
}

/** reminders: what the undo did with the meeting's linked reminders (absent: it did nothing with them). */
export type UndoResult = { change: ToolEffect; ok: boolean; why?: 'gone' | 'refused' | 'not_signed_in' | 'unavailable'; reminders?: RestoredReminders };

function reversal(r: UndoResult, lang: Lang): string {
  const c = r.change;
  const title = c.title ? `“${escapeLarkMdLine(c.title)}”` : t(lang, T.thisItem);
  const phrase = T.reversed[`${c.kind}:${c.action}`];
  return (phrase ? t(lang, phrase(title)) : title) + remindersBack(r, lang);
}

/**
 * A deletion undone: each reminder the deletion cancelled is named as set again or not (and why); one the undo
 * did not report on (an older plan) is said not set again. A move undone: the reminders that moved back with it.
 */
function remindersBack(r: UndoResult, lang: Lang): string {
  const key = `${r.change.kind}:${r.change.action}`;
  const w = (text: string) => `“${escapeLarkMdLine(text, 120)}”`;
  const back = T.reminderBack[key];
  const said = (r.reminders?.restored ?? []).map((x) => (back ? t(lang, back(w(x.text))) : ''));
  said.push(...(r.reminders?.notRestored ?? []).map((x) => t(lang, T.reminderNotBack[x.why](w(x.text)))));
  if (key === 'event:deleted') {
    const reported = [...(r.reminders?.restored ?? []), ...(r.reminders?.notRestored ?? [])].map((x) => x.text);
    for (const c of (r.change.reminders ?? []).filter((x) => x.action === 'cancelled')) {
      const i = reported.indexOf(c.text);
      if (i >= 0) reported.splice(i, 1);
      else said.push(t(lang, T.reminderNotBack.unknown(w(c.text))));
    }
  }
  return said.join('');
}

const WHY: Record<NonNullable<UndoResult['why']>, { vi: string; en: string }> = T.why;

export function undoneCard(lang: Lang, results: UndoResult[]): Record<string, unknown> {
  const lines = results
    .map((r) =>
      r.ok
        ? `↩️ ${reversal(r, lang)}`
        : `⚠️ ${t(lang, T.couldNotRestore)}: ${describeEffect({ ...safe(r.change), reminders: undefined }, 'UTC', lang).replace(/ \(.*\)$/, '')} (${WHY[r.why ?? 'refused'][lang]})`,
    )
    .join('\n');
  const all = results.every((r) => r.ok);
  // "Partly" only when something was restored: a click that restored nothing says so (the lines say why).
  const none = !results.some((r) => r.ok);
  const title = all ? T.undone : none ? T.nothingUndone : T.partlyUndone;
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: all ? 'grey' : none ? 'red' : 'orange', title: { tag: 'plain_text', content: t(lang, title) } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: lines } }],
  };
}

// A clicked Undo card has no button left: its header, built from the same words, tells it.
const RESOLVED_HEADER = new RegExp(`"content":"(${anyWording(T.undone, T.partlyUndone, T.nothingUndone)})"`);

/** Tells an Undo card from an answer (for tests and counts). */
export function isUndoCard(content: string): boolean {
  return content.includes('"kind":"undo"') || RESOLVED_HEADER.test(content);
}
