/**
 * The one status message a slow request gets ("checking your calendar…"), updated as the work goes and
 * resolved when it ends. Pure: workflow code builds it. Names in it come from outside: escaped.
 */
import { t, type Lang } from '../i18n/language';
import { anyWording, statusCardText as T } from '../i18n/messages';
import { escapeLarkMdLine } from './lark-md';

export type StatusStage =
  | { kind: 'thinking' }
  | { kind: 'calendar' }
  | { kind: 'availability'; people: string[] }
  | { kind: 'tasks' }
  | { kind: 'people' }
  | { kind: 'writing'; what: 'create_event' | 'update_event' | 'delete_event' | 'create_task' | 'complete_task' | 'reply_invitation' }
  | { kind: 'confirm' }
  | { kind: 'done' }
  | { kind: 'failed' }
  | { kind: 'auth' };

// Typed here so a new stage without words fails to compile.
const TEXT: Record<Exclude<StatusStage['kind'], 'availability' | 'writing'>, { vi: string; en: string }> = T;
const WRITING: Record<Extract<StatusStage, { kind: 'writing' }>['what'], { vi: string; en: string }> = T.writing;

export function statusText(stage: StatusStage, lang: Lang): string {
  switch (stage.kind) {
    case 'availability': {
      const who = stage.people.map((p) => escapeLarkMdLine(p, 40)).join(', ');
      return t(lang, T.availability(who));
    }
    case 'writing':
      return WRITING[stage.what][lang];
    default:
      return TEXT[stage.kind][lang];
  }
}

export function statusCard(stage: StatusStage, lang: Lang): Record<string, unknown> {
  const final = stage.kind === 'done' || stage.kind === 'failed';
  const icon = stage.kind === 'done' ? '✅' : stage.kind === 'failed' ? '⚠️' : '⏳';
  return {
    config: { wide_screen_mode: true, update_multi: true },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: `${icon} ${statusText(stage, lang)}` } },
      ...(final ? [] : [{ tag: 'note', elements: [{ tag: 'plain_text', content: t(lang, T.working) }] }]),
    ],
  };
}

// A resolved status card has no "working" note: its final line, built from the same words, tells it.
const FINAL_TEXT = new RegExp(`"content":"(✅|⚠️) (${anyWording(T.done, T.failed)})`);

/** Tells a status card from an answer or a confirmation (for tests and the sandbox). */
export function isStatusCard(content: string): boolean {
  return content.includes(T.working.vi) || content.includes(T.working.en) || FINAL_TEXT.test(content);
}
