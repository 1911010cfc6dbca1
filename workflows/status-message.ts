/**
 * The status message of one slow request: nothing when the answer comes within `afterMs`; otherwise ONE card
 * (its uuid is the request's "status" step, so a retry cannot post two) that follows the work ("checking your
 * calendar…", "creating the event…") at most once a second (Lark allows 5 edits per second per message), and
 * is closed BEFORE the answer or the apology is posted, so it never keeps spinning.
 *
 * A step that runs inside the workflow task (the turn's first model call, a local activity) holds the task, so the
 * workflow cannot post the status at its time meanwhile: delegate() hands the step the time and the card, the step
 * posts it if it is still running then (same uuid) and delegated() takes its id back; from there the status follows
 * the work as usual. The timer still runs, but a request answered within that task starts and cancels it there, and
 * the SDK then sends neither to the server.
 */
import { condition, log } from '@temporalio/workflow';
import { statusCard, statusText, type StatusStage } from '../src/cards/status-card';
import type { Lang } from '../src/i18n/language';
import type { UserMessage } from '../src/lark/event-types';
import { lark } from './activity-proxies';
import type { DueStatus } from '../src/llm/types';

const MIN_UPDATE_INTERVAL_MS = 1000;

/** What a request tells about its progress: the status message, or the streamed answer card (answer-card.ts). */
export interface RequestStatus {
  start(lang: Lang): void;
  set(stage: StatusStage): void;
  close(outcome: 'done' | 'failed' | 'auth'): Promise<void>;
  /**
   * For a step that runs inside the workflow task (the first model call, local): the status the step posts if it is
   * still running when it is due; undefined when there is none to hand over. The workflow posts nothing until
   * delegated() says how it went.
   */
  delegate?(): DueStatus | undefined;
  /** The delegating step ended: the status message it posted, if any; `overdue` when it timed out (it may have). */
  delegated?(shownId: string | undefined, overdue?: boolean): Promise<void>;
}

export class StatusMessage implements RequestStatus {
  private stage: StatusStage = { kind: 'thinking' };
  private shownId?: string;
  private shownText = '';
  private closed?: 'done' | 'failed' | 'auth';
  private runner?: Promise<void>;
  /** When the status is due (the runner's clock), and whether a local step posts it instead (delegate()). */
  private dueAt?: number;
  private delegating?: { text: string };

  /** `onSlow`: told once the request has been in work for `afterMs` (its status is due). */
  constructor(
    private readonly msg: UserMessage,
    private readonly afterMs: number,
    private readonly onSlow?: () => void,
  ) {}

  private lang: Lang = 'en';

  /** Starts the clock (once the request is known to need real work). */
  start(lang: Lang): void {
    this.lang = lang;
    if (this.runner || this.afterMs <= 0) return;
    this.runner = this.run();
  }

  set(stage: StatusStage): void {
    this.stage = stage;
  }

  /** Resolves the status (if one was shown) before the final message goes out. Never throws. */
  async close(outcome: 'done' | 'failed' | 'auth'): Promise<void> {
    if (this.closed) return;
    this.closed = outcome;
    await this.runner;
    if (this.shownId) await this.show({ kind: outcome });
  }

  private async run(): Promise<void> {
    // The clock runs only while the bot works: time waiting for the user's click on a card does not count
    // (the card itself says what is awaited), and work resumed after a click starts a fresh clock.
    // The user's wait began when they pressed Enter (Lark's create_time), not when the workflow picked the
    // message up: a request that sat in a queue shows its status at once. (A timer's duration is not part of
    // the replay check, so this needs no patch.)
    let since = Math.min(Date.now(), this.msg.createTimeMs ?? Date.now());
    for (;;) {
      const waitingForUser = this.stage.kind === 'confirm';
      const flipped = () => this.closed !== undefined || this.shownId !== undefined || (this.stage.kind === 'confirm') !== waitingForUser;
      let changed = true;
      this.dueAt = waitingForUser ? undefined : since + this.afterMs;
      if (waitingForUser) await condition(flipped);
      else changed = await condition(flipped, Math.max(1, since + this.afterMs - Date.now()));
      if (this.closed) return; // answered in time: no status
      if (this.shownId) break; // a local step posted it (delegated())
      if (!changed) break; // the bot has been working for afterMs
      if (waitingForUser) since = Date.now();
    }
    this.dueAt = undefined;
    this.onSlow?.();
    // A local step is running and posts the status itself when due: wait for it to say whether it did.
    if (this.delegating) await condition(() => this.closed !== undefined || !this.delegating);
    if (this.closed) return;
    if (!this.shownId) await this.post();
    if (!this.shownId) return;
    let last = Date.now();
    for (;;) {
      await condition(() => this.closed !== undefined || statusText(this.stage, this.lang) !== this.shownText);
      if (this.closed) return;
      const wait = last + MIN_UPDATE_INTERVAL_MS - Date.now();
      if (wait > 0 && (await condition(() => this.closed !== undefined, wait))) return;
      await this.show(this.stage);
      last = Date.now();
    }
  }

  delegate(): DueStatus | undefined {
    if (this.dueAt === undefined || this.closed || this.shownId || this.delegating) return undefined;
    this.delegating = { text: statusText(this.stage, this.lang) };
    return { atMs: this.dueAt, reply: this.statusReply() };
  }

  async delegated(shownId: string | undefined, overdue = false): Promise<void> {
    const d = this.delegating;
    if (!d) return;
    if (shownId && !this.shownId) {
      this.shownId = shownId;
      this.shownText = d.text;
    } else if (overdue && !this.shownId && !this.closed) {
      // The step timed out: it ran past the status's time, so it posted it, but its answer (with the id) is lost.
      // Posting again under the same uuid gets that message back (or posts it now, overdue as it is).
      await this.post();
    }
    this.delegating = undefined;
  }

  private statusReply() {
    return {
      messageId: this.msg.messageId,
      step: 'status',
      msgType: 'interactive' as const,
      content: statusCard(this.stage, this.lang),
      replyInThread: Boolean(this.msg.threadId),
    };
  }

  private async post(): Promise<void> {
    try {
      const sent = await lark.replyToMessage(this.statusReply());
      this.shownId = sent.messageId;
      this.shownText = statusText(this.stage, this.lang);
    } catch {
      log.warn('status message not posted', { message_id: this.msg.messageId });
    }
  }

  private async show(stage: StatusStage): Promise<void> {
    if (!this.shownId) return;
    this.shownText = statusText(stage, this.lang);
    try {
      await lark.updateCard({ messageId: this.shownId, card: statusCard(stage, this.lang) });
    } catch {
      // A status edit is worth little late; the answer itself is what counts.
    }
  }
}
