/**
 * A streamed answer (LARK_STREAM_ANSWERS): ONE card for the request, a CardKit card entity, that carries the
 * status line ("⏳ checking your calendar…", at most one edit a second) and the answer as the model writes it
 * (the callModel activity streams into it), and ends as exactly the answer the history holds, with its ✅/❌
 * footer, streaming off. It replaces the status message for the request (same interface).
 *
 * Durability: the card is created by an activity whose result (card id, creation time) is in the history, and
 * sent as a reply with the request's "answer-card" uuid, so a retry or a replay after a worker crash continues the
 * same card and never posts a second one. Its id is kept in the request's progress, so the request resumed after
 * a sign-in wait continues it too. Operations on the card carry time-derived sequences (src/lark/card-stream.ts).
 *
 * Fallback: when the card cannot be created or sent (no cardkit:card:write: Lark says 99991672; or Lark is down
 * for a minute), the request runs as before: the status message when slow, then one text answer.
 */
import { condition, log, TemporalFailure } from '@temporalio/workflow';
import { ANSWER_ELEMENT_ID } from '../src/cards/answer-card';
import { statusText, type StatusStage } from '../src/cards/status-card';
import { t, type Lang } from '../src/i18n/language';
import { statusCardText } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import type { CardStreamTarget } from '../src/llm/types';
import { answerCards, lark } from './activity-proxies';
import { StatusMessage, type RequestStatus } from './status-message';

const MIN_STATUS_INTERVAL_MS = 1000;

/** What the request's progress keeps of its answer card. */
export interface AnswerCardState {
  cardId: string;
  createdAtMs: number;
  messageId: string;
}

export class AnswerCard implements RequestStatus {
  private lang: Lang = 'en';
  private stage: StatusStage = { kind: 'thinking' };
  private shownLine = '';
  private fallback?: StatusMessage;
  private closed = false;
  private runner?: Promise<void>;

  constructor(
    private readonly msg: UserMessage,
    private readonly progress: { answerCard?: AnswerCardState },
    private readonly statusAfterMs: number,
  ) {}

  start(lang: Lang): void {
    this.lang = lang;
    this.fallback?.start(lang);
  }

  set(stage: StatusStage): void {
    this.stage = stage;
    this.fallback?.set(stage);
  }

  /** Whether the answer goes into the card (it was opened and the request did not fall back). */
  get open(): boolean {
    return !this.fallback && this.progress.answerCard !== undefined;
  }

  private line(stage: StatusStage = this.stage): string {
    const icon = stage.kind === 'done' ? '✅' : stage.kind === 'failed' ? '⚠️' : stage.kind === 'auth' ? '🔐' : '⏳';
    return `${icon} ${statusText(stage, this.lang)}`;
  }

  /** The card to stream the next model step into, created and sent on first need; undefined: falling back. */
  async target(): Promise<CardStreamTarget | undefined> {
    if (this.fallback || this.closed) return undefined;
    if (!this.progress.answerCard) {
      const line = this.line();
      try {
        const ref = await answerCards.createAnswerCard({ statusLine: line });
        const sent = await lark.replyToMessage({
          messageId: this.msg.messageId,
          step: 'answer-card',
          msgType: 'interactive',
          content: { type: 'card', data: { card_id: ref.cardId } },
          replyInThread: Boolean(this.msg.threadId),
        });
        this.progress.answerCard = { cardId: ref.cardId, createdAtMs: ref.createdAtMs, messageId: sent.messageId };
        this.shownLine = line;
      } catch (err) {
        if (!(err instanceof TemporalFailure)) throw err;
        log.warn('answer card unavailable: status message and a text answer instead', {
          message_id: this.msg.messageId,
          error: err.cause?.message ?? err.message,
        });
        this.fallback = new StatusMessage(this.msg, this.statusAfterMs);
        this.fallback.start(this.lang);
        this.fallback.set(this.stage);
        return undefined;
      }
    }
    this.runner ??= this.followStatus();
    const card = this.progress.answerCard;
    return { cardId: card.cardId, elementId: ANSWER_ELEMENT_ID, createdAtMs: card.createdAtMs };
  }

  /** The status line follows the work, at most one edit a second, until the card is finished. */
  private async followStatus(): Promise<void> {
    let last = 0;
    for (;;) {
      await condition(() => this.closed || this.line() !== this.shownLine);
      if (this.closed) return;
      const wait = last + MIN_STATUS_INTERVAL_MS - Date.now();
      if (wait > 0 && (await condition(() => this.closed, wait))) return;
      const line = this.line();
      this.shownLine = line;
      last = Date.now();
      await this.showLine(line);
    }
  }

  private async showLine(statusLine: string): Promise<void> {
    const card = this.progress.answerCard;
    if (!card) return;
    try {
      await answerCards.updateAnswerStatus({ cardId: card.cardId, createdAtMs: card.createdAtMs, statusLine });
    } catch {
      // A status line is worth little late; the answer is what counts.
    }
  }

  /**
   * The end of the turn: the card becomes `text` (the whole answer, with its footer), streaming off. Returns
   * false when the answer must go as a text message instead (no card, or the card could not be finished).
   */
  async finish(text: string): Promise<boolean> {
    const card = this.progress.answerCard;
    if (!card || this.fallback) return false;
    this.closed = true;
    await this.runner;
    try {
      await answerCards.finishAnswerCard({ cardId: card.cardId, createdAtMs: card.createdAtMs, text });
      return true;
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err;
      log.warn('answer card not finished: the answer goes as a text message', { message_id: this.msg.messageId });
      // Too long for a card (30 KB), say: the card points to the message below instead of streaming on.
      try {
        await answerCards.finishAnswerCard({ cardId: card.cardId, createdAtMs: card.createdAtMs, text: t(this.lang, statusCardText.done) });
      } catch {
        // Lark closes its streaming on its own within 10 minutes
      }
      return false;
    }
  }

  async close(outcome: 'done' | 'failed' | 'auth'): Promise<void> {
    if (this.fallback) return this.fallback.close(outcome);
    if (this.closed) return;
    this.closed = true;
    await this.runner;
    const card = this.progress.answerCard;
    if (!card) return;
    if (outcome === 'auth') {
      // The request resumes after the sign-in and continues this card (its id is in the progress).
      await this.showLine(this.line({ kind: 'auth' }));
      return;
    }
    if (outcome === 'failed') {
      // The apology follows as a message: the card says so, and stops streaming.
      try {
        await answerCards.finishAnswerCard({ cardId: card.cardId, createdAtMs: card.createdAtMs, text: t(this.lang, statusCardText.failed) });
      } catch {
        // the apology still goes out
      }
    }
  }
}
