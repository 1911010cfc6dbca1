/**
 * The per-user workflow's state as one small class: the queue (in the user's own order), the bounded
 * dedup window, per-request progress, chat memory, confirmations waiting for a click, and counters.
 * Pure data and rules, no Temporal calls: the workflow file drives it, and all of it travels through
 * continue-as-new as `CarriedState`.
 */
import type { UserMessage } from '../src/lark/event-types';
import { fitMemory, jsonBytes, MEMORY_LIMIT_BYTES, UNDO_LIMIT_BYTES } from './carried-budget';
import { pruneChats, type MemoryByChat } from './chat-memory';
import type { RequestProgress } from './request';
import type { UserSettings, UserWorkflowState } from './contract';
import type { Lang } from '../src/i18n/language';
import type { ToolEffect } from '../src/i18n/messages';

export interface Counters {
  accepted: number;
  duplicates: number;
  completed: number;
  expired: number;
  loginCards: number;
  failed: number;
  undelivered: number;
  /** Messages refused because too many requests (or bytes) were waiting; each was named in a notice. */
  refused?: number;
}

/** How much may wait: beyond either bound a new message is refused with a notice (carried-budget.ts). */
export interface QueueBounds {
  count: number;
  bytes: number;
  /** Asked only when a message is past a bound (the workflow's patch check). */
  mayRefuse?: () => boolean;
}

/** A sign-in wait in progress, carried across continue-as-new so the new run goes on waiting (no new card). */
export interface CarriedAuthWait {
  since: number;
  lastCardAt: number;
  missingScopes: string[];
}

/** An answer's changes that its Undo button can reverse, kept for the validity window. */
export interface UndoRecord {
  key: string;
  chatId: string;
  messageId: string;
  cardMessageId?: string;
  createdAt: number;
  lang: Lang;
  changes: ToolEffect[];
  status: 'open' | 'queued' | 'running' | 'done';
}

export interface CarriedState {
  recentMessageIds: string[];
  queue: UserMessage[];
  progress: Record<string, RequestProgress>;
  memory: MemoryByChat;
  counters: Partial<Counters>;
  lastFailures?: UserWorkflowState['lastFailures'];
  undos?: UndoRecord[];
  /** Refused messages whose notice has not gone out yet (text clipped). */
  refused?: UserMessage[];
  authWait?: CarriedAuthWait;
}

const MAX_FAILURES_SHOWN = 5;
const MAX_UNDO_RECORDS = 50;

export class UserState {
  readonly recent: string[];
  private readonly seen: Set<string>;
  readonly queue: UserMessage[];
  readonly progress: Record<string, RequestProgress>;
  readonly memory: MemoryByChat;
  readonly n: Counters;
  readonly lastFailures: UserWorkflowState['lastFailures'];
  readonly undos: UndoRecord[];
  /** Undos being carried out right now (continue-as-new waits for them). */
  readonly activeUndos = new Set<string>();
  /** Chats with a running lane (one request at a time per chat; chats run side by side). */
  readonly activeChats = new Set<string>();
  /** Confirmation key -> the chat and message it belongs to. */
  readonly awaiting = new Map<string, { chatId: string; messageId: string }>();
  /** Card clicks: 'confirm' / 'cancel' on a Confirm card, a slot index or 'none' on a find-a-time card. */
  readonly decisions = new Map<string, string>();
  /** Keys answered already (a second click is told so). Bounded. */
  readonly answered: string[] = [];
  /** Refused messages by chat, until their notice goes out. */
  readonly refused = new Map<string, UserMessage[]>();

  constructor(
    readonly openId: string,
    carried?: CarriedState,
  ) {
    this.recent = [...(carried?.recentMessageIds ?? [])];
    this.seen = new Set(this.recent);
    this.queue = [...(carried?.queue ?? [])];
    this.progress = { ...(carried?.progress ?? {}) };
    this.memory = carried?.memory ?? {};
    this.n = { accepted: 0, duplicates: 0, completed: 0, expired: 0, loginCards: 0, failed: 0, undelivered: 0, ...carried?.counters };
    this.lastFailures = [...(carried?.lastFailures ?? [])];
    this.undos = [...(carried?.undos ?? [])];
    for (const m of carried?.refused ?? []) this.refuse(m);
  }

  private refuse(msg: UserMessage): void {
    const list = this.refused.get(msg.chatId) ?? [];
    list.push({ ...msg, text: msg.text && msg.text.length > 100 ? `${msg.text.slice(0, 99)}…` : msg.text });
    this.refused.set(msg.chatId, list);
  }

  /** Keeps an answer's changes for its Undo button; drops records past the window (and the oldest beyond 50). */
  offerUndo(record: UndoRecord, validMs: number, nowMs: number): void {
    this.undos.push(record);
    for (let i = this.undos.length - 1; i >= 0; i--) {
      const r = this.undos[i]!;
      // Done ones stay until the window passes, so a second click is told "already undone".
      if (nowMs - r.createdAt > validMs && r.status !== 'running' && r.status !== 'queued') this.undos.splice(i, 1);
    }
    while (this.undos.length > MAX_UNDO_RECORDS) this.undos.shift();
    // Oldest first, never one being carried out: its button then says it can no longer undo.
    while (jsonBytes(this.undos) > UNDO_LIMIT_BYTES) {
      const i = this.undos.findIndex((u) => u.status !== 'running' && u.status !== 'queued');
      if (i < 0) break;
      this.undos.splice(i, 1);
    }
  }

  /** An Undo click: only an open record inside the window, and only once. */
  requestUndo(key: string, validMs: number, nowMs: number): 'accepted' | 'already_done' | 'expired' | 'unknown' {
    const r = this.undos.find((u) => u.key === key);
    if (!r) return 'unknown';
    if (r.status !== 'open') return 'already_done';
    if (nowMs - r.createdAt > validMs) return 'expired';
    r.status = 'queued';
    return 'accepted';
  }

  nextUndo(): UndoRecord | undefined {
    return this.undos.find((u) => u.status === 'queued');
  }

  /**
   * Accepts a message once (Lark redelivers by message_id); false for a duplicate. Staleness is decided here,
   * on arrival, before any activity runs for it: its age at acceptance against MESSAGE_MAX_AGE_SECONDS.
   */
  accept(msg: UserMessage, { dedupWindow, maxMessageAgeMs }: Pick<UserSettings, 'dedupWindow' | 'maxMessageAgeMs'>, bounds?: QueueBounds): boolean {
    if (this.seen.has(msg.messageId)) {
      this.n.duplicates++;
      return false;
    }
    this.seen.add(msg.messageId);
    this.recent.push(msg.messageId);
    while (this.recent.length > dedupWindow) this.seen.delete(this.recent.shift()!);
    if (bounds && (this.queue.length >= bounds.count || jsonBytes(this.queue) + jsonBytes(msg) > bounds.bytes) && (bounds.mayRefuse?.() ?? true)) {
      // Seen (a redelivery is a duplicate), not queued: the refusal notice is its one outcome.
      this.n.refused = (this.n.refused ?? 0) + 1;
      this.refuse(msg);
      return false;
    }
    if (msg.createTimeMs !== undefined && msg.acceptedAtMs !== undefined && msg.acceptedAtMs - msg.createTimeMs > maxMessageAgeMs) msg.stale = true;
    // Deliveries race (each event has its own workflow), so keep the user's own order: by Lark's
    // create_time, never ahead of a request already started.
    let at = this.queue.length;
    while (at > 0 && !(this.queue[at - 1]!.messageId in this.progress) && (this.queue[at - 1]!.createTimeMs ?? 0) > (msg.createTimeMs ?? Infinity)) at--;
    this.queue.splice(at, 0, msg);
    this.n.accepted++;
    return true;
  }

  /** The next request of a chat, in order. */
  headOf(chatId: string): UserMessage | undefined {
    return this.queue.find((m) => m.chatId === chatId);
  }

  /** A chat with queued work and no running lane. */
  startableChat(): string | undefined {
    return this.queue.find((m) => !this.activeChats.has(m.chatId))?.chatId;
  }

  /** True when a message newer than `msg` waits in the same chat (it supersedes a pending card). */
  hasNewerInChat(msg: UserMessage): boolean {
    const i = this.queue.findIndex((m) => m.messageId === msg.messageId);
    return this.queue.some((m, j) => j > i && m.chatId === msg.chatId);
  }

  /** A confirmation card waits in a chat other than this one. */
  waitingElsewhere(chatId: string): boolean {
    return [...this.awaiting.values()].some((a) => a.chatId !== chatId);
  }

  progressOf(msg: UserMessage): RequestProgress {
    return (this.progress[msg.messageId] ??= { step: 0 });
  }

  /** The request has its one outcome: out of the queue, its progress dropped. */
  finish(msg: UserMessage, outcome: 'completed' | 'failed'): void {
    const i = this.queue.findIndex((m) => m.messageId === msg.messageId);
    if (i >= 0) this.queue.splice(i, 1);
    delete this.progress[msg.messageId];
    if (outcome === 'completed') this.n.completed++;
    else this.n.failed++;
    pruneChats(
      this.memory,
      this.queue.map((m) => m.chatId),
    );
    fitMemory(
      this.memory,
      MEMORY_LIMIT_BYTES,
      this.queue.map((m) => m.chatId),
    );
  }

  /** Takes the refused messages of one chat for their notice. */
  takeRefused(chatId: string): UserMessage[] {
    const list = this.refused.get(chatId) ?? [];
    this.refused.delete(chatId);
    return list;
  }

  recordFailure(messageId: string, type: string, atMs: number): void {
    this.lastFailures.push({ messageId, type, atMs });
    while (this.lastFailures.length > MAX_FAILURES_SHOWN) this.lastFailures.shift();
  }

  /** Drops every queued request (authorization timed out or was denied); returns them for the notice. */
  dropAll(): UserMessage[] {
    const dropped = this.queue.splice(0, this.queue.length);
    for (const m of dropped) delete this.progress[m.messageId];
    this.n.expired += dropped.length;
    return dropped;
  }

  /** A click on a confirmation card: only a key this workflow waits on, and only once. */
  decide(key: string, decision: string): 'accepted' | 'already_answered' | 'unknown' {
    if (this.awaiting.has(key) && !this.decisions.has(key)) {
      this.decisions.set(key, decision);
      return 'accepted';
    }
    return this.decisions.has(key) || this.answered.includes(key) ? 'already_answered' : 'unknown';
  }

  settle(key: string): void {
    this.awaiting.delete(key);
    this.decisions.delete(key);
    this.answered.push(key);
    while (this.answered.length > 50) this.answered.shift();
  }

  carried(authWait?: CarriedAuthWait): CarriedState {
    const refused = [...this.refused.values()].flat();
    return {
      recentMessageIds: this.recent,
      queue: this.queue,
      progress: this.progress,
      memory: this.memory,
      counters: this.n,
      lastFailures: this.lastFailures,
      undos: this.undos,
      ...(refused.length ? { refused } : {}),
      ...(authWait ? { authWait } : {}),
    };
  }

  snapshot(extra: { authorized?: boolean; waitingForAuthSince?: number }): UserWorkflowState {
    return {
      openId: this.openId,
      acceptedCount: this.n.accepted,
      duplicateCount: this.n.duplicates,
      pendingCount: this.queue.length,
      recentMessageIds: [...this.recent],
      authorized: extra.authorized,
      waitingForAuthSince: extra.waitingForAuthSince,
      loginCardsSent: this.n.loginCards,
      completedCount: this.n.completed,
      expiredCount: this.n.expired,
      failedCount: this.n.failed,
      undeliveredCount: this.n.undelivered,
      refusedCount: this.n.refused ?? 0,
      awaitingConfirmation: [...this.awaiting.keys()],
      activeChats: [...this.activeChats],
      lastFailures: [...this.lastFailures],
      memoryChats: Object.keys(this.memory),
      undoable: this.undos.filter((u) => u.status === 'open').map((u) => u.key),
      undone: this.undos.filter((u) => u.status === 'done').map((u) => u.key),
    };
  }
}
