/**
 * The load and the invariants: conversations the offline model understands (a task, a meeting without
 * attendees, a calendar read), sent as signed Lark events, then checked in the emulator's state and call log.
 */
import type { Delivery, SendOptions } from '../../dev/emulator';
import type { Json } from '../../dev/emulator/http';
import type { Harness } from './harness';
import { isSideCard } from '../../src/cards/side-card';

export type Kind = 'task' | 'event' | 'list';

export interface Conversation {
  n: number;
  user: string;
  kind: Kind;
  messageId: string;
  payload: Json;
  deliveries: Delivery[];
}

const TEXT: Record<Kind, (n: number) => string> = {
  task: (n) => `add a task to send report ${n} by Monday`,
  event: () => 'tạo cuộc họp 3h chiều mai',
  list: () => "what's on my calendar Friday?",
};
const KINDS: Kind[] = ['task', 'event', 'list'];

/** A reference the offline model ignores, making every message's text unique (to tell requests apart by text). */
export const uniqueText = (kind: Kind, n: number) => `${TEXT[kind](n)} (${kind === 'event' ? 'mã' : 'ref'} c${n})`;

/** Builds (and records in the emulator) the user's message; nothing is sent yet. */
export function prepare(
  h: Pick<Harness, 'emu' | 'users'>,
  n: number,
  user = h.users[n % h.users.length]!,
  kind = KINDS[n % KINDS.length]!,
  unique = false,
): Conversation {
  const payload = h.emu.events.message({ from: user, text: unique ? uniqueText(kind, n) : TEXT[kind](n) }) as Json & {
    event: { message: { message_id: string } };
  };
  return { n, user, kind, messageId: payload.event.message.message_id, payload, deliveries: [] };
}

/** One delivery of the conversation's event (Lark redelivers it on its own if it is not acknowledged). */
export function deliver(h: Pick<Harness, 'emu'>, c: Conversation, opts?: SendOptions): Delivery {
  const d = h.emu.sendEvent(undefined, c.payload, opts);
  c.deliveries.push(d);
  return d;
}

/** Bot messages answering each message (what the user sees). */
export function replyCounts(h: Pick<Harness, 'emu'>): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of h.emu.state.messageList()) {
    if (m.sender.sender_type !== 'app' || !m.parent_id) continue;
    if (isSideCard(m)) continue; // progress and Undo cards are not answers
    out.set(m.parent_id, (out.get(m.parent_id) ?? 0) + 1);
  }
  return out;
}

/** Waits (bounded) until every conversation has a reply, then a little longer for late duplicates. */
export async function waitForReplies(
  h: Pick<Harness, 'emu'>,
  convs: Conversation[],
  timeoutMs: number,
  settleMs = 1500,
): Promise<{ ms: number; unanswered: number }> {
  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  let unanswered = convs.length;
  while (Date.now() < deadline) {
    const counts = replyCounts(h);
    unanswered = convs.filter((c) => !counts.get(c.messageId)).length;
    if (unanswered === 0) break;
    await sleep(200);
  }
  const ms = Date.now() - t0;
  await sleep(settleMs);
  return { ms, unanswered };
}

export interface Verification {
  messages: number;
  /** Messages by how many replies they got (0, 1, 2+). */
  replies: { zero: number; one: number; more: number };
  /** Successful reply calls in the call log (a retried call with the same uuid returns the same message). */
  replyCalls: number;
  tasks: { expected: number; created: number };
  events: { expected: number; created: number };
  failures: string[];
}

/** Per user: the tasks and calendar events the conversations asked for, and those the emulator holds. */
export function writesPerUser(h: Pick<Harness, 'emu'>, convs: Conversation[]) {
  return [...new Set(convs.map((c) => c.user))].map((user) => {
    const u = h.emu.user(user);
    return {
      user,
      wantTasks: convs.filter((c) => c.user === user && c.kind === 'task').length,
      wantEvents: convs.filter((c) => c.user === user && c.kind === 'event').length,
      gotTasks: h.emu.state.taskList().filter((t) => t.members.some((m) => m.id === u.open_id)).length,
      gotEvents: h.emu.state.eventList().filter((e) => e.organizer_calendar_id === u.primaryCalendarId).length,
    };
  });
}

/** Exactly one reply per message; exactly one task / calendar event per request that asked for one. */
export function verify(h: Pick<Harness, 'emu'>, convs: Conversation[]): Verification {
  const counts = replyCounts(h);
  const failures: string[] = [];
  const replies = { zero: 0, one: 0, more: 0 };
  let replyCalls = 0;
  for (const c of convs) {
    const r = counts.get(c.messageId) ?? 0;
    replyCalls += h.emu.calls.repliesTo(c.messageId);
    if (r === 0) replies.zero++;
    else if (r === 1) replies.one++;
    else replies.more++;
    if (r !== 1) failures.push(`message #${c.n} (${c.kind}, ${c.user}) got ${r} replies`);
  }
  const tasks = { expected: 0, created: 0 };
  const events = { expected: 0, created: 0 };
  for (const { user, wantTasks, wantEvents, gotTasks, gotEvents } of writesPerUser(h, convs)) {
    tasks.expected += wantTasks;
    tasks.created += gotTasks;
    events.expected += wantEvents;
    events.created += gotEvents;
    if (gotTasks !== wantTasks) failures.push(`${user}: ${gotTasks} tasks for ${wantTasks} task requests`);
    if (gotEvents !== wantEvents) failures.push(`${user}: ${gotEvents} calendar events for ${wantEvents} meeting requests`);
  }
  return { messages: convs.length, replies, replyCalls, tasks, events, failures };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
