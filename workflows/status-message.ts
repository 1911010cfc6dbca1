/**
 * The status message of one slow request: nothing when the answer comes within `afterMs`; otherwise ONE card
 * (its uuid is the request's "status" step, so a retry cannot post two) that follows the work ("checking your
 * calendar…", "creating the event…") at most once a second (Lark allows 5 edits per second per message), and
 * is closed BEFORE the answer or the apology is posted, so it never keeps spinning.
 */
import { condition, log } from '@temporalio/workflow';
import { statusCard, statusText, type StatusStage } from '../src/cards/status-card';
import type { Lang } from '../src/i18n/language';
import type { UserMessage } from '../src/lark/event-types';
import { lark } from './activity-proxies';

const MIN_UPDATE_INTERVAL_MS = 1000;

/** What a request tells about its progress: the status message, or the streamed answer card (answer-card.ts). */
export interface RequestStatus {
  start(lang: Lang): void;
  set(stage: StatusStage): void;
  close(outcome: 'done' | 'failed' | 'auth'): Promise<void>;
}

export class StatusMessage implements RequestStatus {
  private stage: StatusStage = { kind: 'thinking' };
  private shownId?: string;
  private shownText = '';
  private closed?: 'done' | 'failed' | 'auth';
  private runner?: Promise<void>;

  constructor(
    private readonly msg: UserMessage,
    private readonly afterMs: number,
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
      const flipped = () => this.closed !== undefined || (this.stage.kind === 'confirm') !== waitingForUser;
      let changed = true;
      if (waitingForUser) await condition(flipped);
      else changed = await condition(flipped, Math.max(1, since + this.afterMs - Date.now()));
      if (this.closed) return; // answered in time: no status
      if (!changed) break; // the bot has been working for afterMs
      if (waitingForUser) since = Date.now();
    }
    try {
      const sent = await lark.replyToMessage({
        messageId: this.msg.messageId,
        step: 'status',
        msgType: 'interactive',
        content: statusCard(this.stage, this.lang),
        replyInThread: Boolean(this.msg.threadId),
      });
      this.shownId = sent.messageId;
      this.shownText = statusText(this.stage, this.lang);
    } catch {
      log.warn('status message not posted', { message_id: this.msg.messageId });
      return;
    }
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
