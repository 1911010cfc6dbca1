/**
 * Byte budgets for what a per-user run carries (memory, queue, Undo records) and hands to continue-as-new.
 * Temporal refuses a continue-as-new input over 2 MB (and terminates the run), and warns from 512 KB; every
 * budget here keeps the whole input near 1 MB at most, measured in UTF-8 bytes of its JSON (CJK text is
 * three bytes a character, so counting characters is not enough). Pure functions: the workflow calls them.
 */
import type { MemoryByChat } from './chat-memory';

/** The whole continue-as-new input, after fitting. Half of Temporal's 2 MB hard limit. */
export const CARRIED_LIMIT_BYTES = 1024 * 1024;
/** Chat memory of all chats together; the least recently used chat goes first, then its oldest turns. */
export const MEMORY_LIMIT_BYTES = 384 * 1024;
/** Requests waiting (all chats). A message past either bound is refused with a notice, never kept silently. */
export const QUEUE_LIMIT_COUNT = 50;
export const QUEUE_LIMIT_BYTES = 384 * 1024;
/** Undo records together; the oldest go first (their button then says it can no longer undo). */
export const UNDO_LIMIT_BYTES = 128 * 1024;

/** UTF-8 length of a string, without TextEncoder (the workflow sandbox keeps to plain JavaScript). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4; // a surrogate pair: one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes of a value as JSON (what Temporal's JSON payload converter writes). */
export const jsonBytes = (v: unknown): number => utf8Length(JSON.stringify(v) ?? '');

/**
 * Shrinks memory to `limit` bytes: whole chats least recently used first (never those in `keep`, the chats
 * with waiting requests), then the oldest turns of what is left, then summaries. Returns what it dropped.
 */
export function fitMemory(memory: MemoryByChat, limit: number, keep: string[] = []): { chats: number; turns: number } {
  const dropped = { chats: 0, turns: 0 };
  // Sizes are measured once and kept up to date as parts go (re-measuring the whole memory after every
  // removal made a large memory cost seconds of workflow-task time).
  let bytes = jsonBytes(memory);
  if (bytes <= limit) return dropped;
  // Keys are in least-recently-used order (chat-memory.ts re-inserts a chat when it is used).
  for (const id of Object.keys(memory)) {
    if (bytes <= limit) return dropped;
    if (keep.includes(id) || Object.keys(memory).length <= 1) continue;
    bytes -= jsonBytes(memory[id]) + utf8Length(JSON.stringify(id)) + 2;
    delete memory[id];
    dropped.chats++;
  }
  for (const id of Object.keys(memory)) {
    const m = memory[id]!;
    while (bytes > limit && m.turns.length > 0) {
      bytes -= jsonBytes(m.turns.shift()) + 1;
      dropped.turns++;
    }
  }
  for (const id of Object.keys(memory)) {
    if (bytes <= limit) break;
    bytes -= utf8Length(memory[id]!.summary);
    memory[id]!.summary = '';
  }
  return dropped;
}
