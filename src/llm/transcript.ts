/**
 * Keeps the agent's transcript bounded, because it travels in workflow history on every model step.
 * Pure (workflow-safe). Drops whole exchanges from the front so a tool_result never loses its tool_use.
 */
import type { ConversationMessage } from './types';

export const TRANSCRIPT_LIMITS = { maxMessages: 40, maxChars: 60_000 };
/** The activity refuses more than this: a workflow bug, not something a retry fixes. */
export const TRANSCRIPT_HARD_LIMITS = { maxMessages: 200, maxChars: 400_000 };

export function transcriptChars(messages: ConversationMessage[]): number {
  return JSON.stringify(messages).length;
}

/** A user message that starts an exchange: plain text, no tool_result for an earlier tool_use. */
function startsExchange(m: ConversationMessage): boolean {
  return m.role === 'user' && (typeof m.content === 'string' || m.content.every((b) => b.type === 'text'));
}

/**
 * The longest suffix of `messages` that starts with a plain user message and fits the limits.
 * The latest exchange is always kept, even when it alone is over the limits.
 */
export function boundTranscript(messages: ConversationMessage[], limits = TRANSCRIPT_LIMITS): ConversationMessage[] {
  const starts = messages.flatMap((m, i) => (startsExchange(m) ? [i] : []));
  if (!starts.length) return messages;
  for (const i of starts) {
    const tail = messages.slice(i);
    if (tail.length <= limits.maxMessages && transcriptChars(tail) <= limits.maxChars) return tail;
  }
  return messages.slice(starts[starts.length - 1]);
}
