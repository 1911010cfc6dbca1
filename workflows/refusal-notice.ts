/**
 * The one outcome of a message refused because too many requests were waiting (carried-budget.ts): a notice
 * in its chat naming what was not taken. One notice covers every refusal of the chat since the last one.
 */
import { log } from '@temporalio/workflow';
import { detectLanguage } from '../src/i18n/language';
import { tooManyWaiting } from '../src/i18n/messages';
import { lark } from './activity-proxies';
import { failureName } from './failure-name';
import type { UserState } from './user-state';

export async function noticeRefused(state: UserState, chatId: string): Promise<void> {
  const refused = state.takeRefused(chatId);
  if (!refused.length) return;
  const last = refused[refused.length - 1]!;
  const lang = detectLanguage(refused.find((m) => m.text)?.text);
  const previews = refused.map((m) => (m.text ?? `[${m.messageType}]`).replace(/\s+/g, ' ').trim().slice(0, 60));
  const text = tooManyWaiting(lang, refused.length, previews);
  try {
    await lark.replyToMessage({ messageId: last.messageId, step: 'refused', text, replyInThread: Boolean(last.threadId) });
  } catch (err) {
    state.n.undelivered++;
    log.warn('refusal notice not delivered', { open_id: state.openId, chat_id: chatId, refused: refused.length, error: failureName(err) });
  }
}
