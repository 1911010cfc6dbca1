/**
 * Parts (b)-(d): messages sent by the Lark emulator to the running product, each followed until the bot's
 * reply is stored in the emulator. Event-to-reply time is the emulator's send time (its first delivery
 * attempt) to the reply's create_time in the emulator state: both read Date.now() in this process.
 */
import { isSideCard } from '../../src/cards/side-card';
import type { LarkEmulator, Message } from '../../dev/emulator';
import { countMissingEventWorkflows } from '../webhook-ack';
import type { Product } from './product';
import { pct, round2, sleep } from './stats';

export interface Tracked {
  user: string;
  messageId: string;
  eventId: string;
  sentAt: number;
  acknowledged: boolean;
  deliveryAttempts: number;
  /** ms from send to the reply stored; undefined when no reply came in time. */
  replyMs?: number;
  replies: number;
}

/**
 * Indexes the bot's replies by the message they answer, as the emulator stores them (it forgets a chat's oldest
 * messages past its retention, so nothing here rescans its map).
 */
export class ReplyWatcher {
  private readonly byParent = new Map<string, Message[]>();
  private readonly unsubscribe: () => void;

  constructor(emu: LarkEmulator) {
    this.unsubscribe = emu.state.onMessage((m) => {
      if (m.sender.sender_type === 'app' && m.parent_id && !isSideCard(m)) {
        const list = this.byParent.get(m.parent_id) ?? [];
        list.push(m);
        this.byParent.set(m.parent_id, list);
      }
    });
  }

  replies(messageId: string): Message[] {
    return this.byParent.get(messageId) ?? [];
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** One user message through the product; resolves when its reply is stored or the deadline passes. */
export async function sendAndFollow(p: Product, watcher: ReplyWatcher, user: string, text: string, deadline: number): Promise<Tracked> {
  const payload = p.emu.events.message({ from: user, text }) as { header: { event_id: string }; event: { message: { message_id: string } } };
  const delivery = p.emu.sendEvent(undefined, payload);
  const attempt = await delivery.done;
  const t: Tracked = {
    user,
    messageId: payload.event.message.message_id,
    eventId: payload.header.event_id,
    sentAt: delivery.attempts[0]?.at ?? attempt.at,
    acknowledged: attempt.ok,
    deliveryAttempts: delivery.attempts.length,
    replies: 0,
  };
  if (!t.acknowledged) return t;
  for (;;) {
    const replies = watcher.replies(t.messageId);
    if (replies.length) {
      t.replyMs = Number(replies[0]!.create_time) - t.sentAt;
      return t;
    }
    if (Date.now() > deadline) return t;
    await sleep(10);
  }
}

export interface LatencySummary {
  messages: number;
  replied: number;
  p50: number;
  p99: number;
  max: number;
  /** Replies per second from the first send to the last reply. */
  perSecond: number;
}

export function summarize(tracked: Tracked[]): LatencySummary {
  const ms = tracked.flatMap((t) => (t.replyMs === undefined ? [] : [t.replyMs])).sort((a, b) => a - b);
  const first = Math.min(...tracked.map((t) => t.sentAt));
  const last = Math.max(...tracked.flatMap((t) => (t.replyMs === undefined ? [] : [t.sentAt + t.replyMs])));
  const perSecond = round2((ms.length * 1000) / Math.max(1, last - first));
  return { messages: tracked.length, replied: ms.length, p50: round2(pct(ms, 50)), p99: round2(pct(ms, 99)), max: round2(ms.at(-1) ?? NaN), perSecond };
}

export interface LossCheck {
  sent: number;
  acknowledged: number;
  /** Acknowledged but no `lark-event-<id>` workflow. */
  eventsWithoutWorkflow: number;
  /** Acknowledged but no reply in the emulator by the end. */
  messagesWithoutReply: number;
  /** More than one bot reply to one message. */
  duplicateReplies: number;
  /** Deliveries the emulator had to repeat (no 200 within Lark's 3 s). */
  redeliveries: number;
  lost: number;
}

/** Part (d): every acknowledged event has its workflow and every message exactly one reply. */
export async function checkLoss(p: Product, watcher: ReplyWatcher, tracked: Tracked[]): Promise<LossCheck> {
  const acked = tracked.filter((t) => t.acknowledged);
  const eventsWithoutWorkflow = await countMissingEventWorkflows(
    p.client,
    acked.map((t) => t.eventId),
  );
  const messagesWithoutReply = acked.filter((t) => watcher.replies(t.messageId).length === 0).length;
  const duplicateReplies = acked.filter((t) => watcher.replies(t.messageId).length > 1).length;
  const unacknowledged = tracked.length - acked.length;
  return {
    sent: tracked.length,
    acknowledged: acked.length,
    eventsWithoutWorkflow,
    messagesWithoutReply,
    duplicateReplies,
    redeliveries: tracked.reduce((s, t) => s + t.deliveryAttempts - 1, 0),
    lost: eventsWithoutWorkflow + messagesWithoutReply + unacknowledged,
  };
}

/**
 * Part (b): `users` users at once, each sending `perUser` messages one after another (the next as soon as
 * the previous reply is stored), so the figure is the product's latency under that concurrency, not queueing.
 */
export async function runConcurrentUsers(p: Product, watcher: ReplyWatcher, users: string[], perUser: number, timeoutMs: number): Promise<Tracked[]> {
  const deadline = Date.now() + timeoutMs;
  const all = await Promise.all(
    users.map(async (user) => {
      const mine: Tracked[] = [];
      for (let i = 0; i < perUser && Date.now() < deadline; i++) mine.push(await sendAndFollow(p, watcher, user, `bench message ${i} from ${user}`, deadline));
      return mine;
    }),
  );
  return all.flat();
}

/** Part (c) load: one message per user, sent open-loop at `rate` per second; resolves when all are followed. */
export async function runOnePerUser(p: Product, watcher: ReplyWatcher, users: string[], rate: number, timeoutMs: number): Promise<Tracked[]> {
  const start = performance.now();
  const deadline = Date.now() + timeoutMs;
  const pending: Promise<Tracked>[] = [];
  for (let i = 0; i < users.length; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(sendAndFollow(p, watcher, users[i]!, `hello from ${users[i]}`, deadline));
  }
  return Promise.all(pending);
}
