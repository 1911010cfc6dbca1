/**
 * Conversation memory per chat (a DM never leaks into a group reply): the last turns verbatim plus a
 * short summary of older ones. Pure data kept in the per-user workflow and carried across continue-as-new.
 */
import type { ConversationMessage } from '../src/llm/types';

export interface ChatMemory {
  summary: string;
  turns: Array<{ user: string; assistant: string }>;
}

export type MemoryByChat = Record<string, ChatMemory>;

const WINDOW_TURNS = 8;
const SUMMARY_CHARS = 1500;
const TURN_CHARS = 2000;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The chat's memory as alternating user/assistant messages, ready to put BEFORE the new message: the
 * summary of older turns as a clearly framed first exchange (context, not a request), then the last turns.
 * The new message always follows alone, so the model never reads an old request as the current one.
 */
export function memoryMessages(m: ChatMemory | undefined): ConversationMessage[] {
  if (!m) return [];
  const summary: ConversationMessage[] = m.summary
    ? [
        { role: 'user', content: `[Context only, not a request: a summary of earlier turns in this chat, oldest first.]\n${m.summary}` },
        { role: 'assistant', content: '[Noted as context. I will act only on the latest message.]' },
      ]
    : [];
  return [
    ...summary,
    ...m.turns.flatMap((t): ConversationMessage[] => [
      { role: 'user', content: t.user },
      { role: 'assistant', content: t.assistant },
    ]),
  ];
}

export function remember(all: MemoryByChat, chatId: string, user: string, assistant: string): void {
  const m = all[chatId] ?? { summary: '', turns: [] };
  // Re-inserted so key order is least recently used first (pruneChats relies on it).
  delete all[chatId];
  all[chatId] = m;
  m.turns.push({ user: clip(user, TURN_CHARS), assistant: clip(assistant, TURN_CHARS) });
  while (m.turns.length > WINDOW_TURNS) {
    const old = m.turns.shift()!;
    const line = `user: ${clip(old.user, 120)} / you: ${clip(old.assistant, 160)}`;
    // Newest facts are kept; the oldest part of the summary goes first.
    m.summary = clip([m.summary, line].filter(Boolean).join(' | ').slice(-SUMMARY_CHARS), SUMMARY_CHARS);
  }
}

/** Bound the number of chats remembered per user (least recently used go first). */
export function pruneChats(all: MemoryByChat, keep: string[], maxChats = 20): void {
  const ids = Object.keys(all);
  if (ids.length <= maxChats) return;
  for (const id of ids.filter((i) => !keep.includes(i)).slice(0, ids.length - maxChats)) delete all[id];
}
