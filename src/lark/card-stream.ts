/**
 * Pushing a growing text into a CardKit card element, within Lark's limits: the FULL text so far at most every
 * `intervalMs` (Lark allows 10 updates a second per card; the default 250 ms keeps a stream at 4), one request
 * in flight at a time, nothing after `closeAfterMs` from the card's creation (Lark closes streaming 10 minutes
 * after it was turned on; the workflow's final replace of the card does not need it).
 *
 * Sequence numbers: every operation on a card must carry a larger `sequence` than the last, across activity
 * retries, worker crashes and different workers. They are derived from time: milliseconds since the card was
 * created (+1), and never below the last one this process used for the card. Two workers whose clocks differ
 * by more than the gap between their operations could still collide: Lark then answers 300317 and that one
 * update is skipped (the next carries the whole text anyway; the final replace is retried by its activity).
 */
import { isCardStreamClosed, LarkApiError } from './errors';
import type { LarkClient } from './client';
import { answerMarkdown } from '../cards/answer-card';
import { stableUuid } from './uuid';

const SEQUENCE_MAX = 2147483647;
/** 200860: the card would exceed 30 KB. */
const CARD_TOO_LARGE = 200860;
const lastSequence = new Map<string, number>();

/** The next operation's sequence for a card created at `createdAtMs` (see the header). */
export function nextCardSequence(cardId: string, createdAtMs: number, now = Date.now()): number {
  const seq = Math.min(SEQUENCE_MAX, Math.max((lastSequence.get(cardId) ?? 0) + 1, now - createdAtMs + 1));
  lastSequence.delete(cardId);
  lastSequence.set(cardId, seq);
  // Bounded: the oldest cards are forgotten (their time-derived sequences keep growing anyway).
  if (lastSequence.size > 10_000) lastSequence.delete(lastSequence.keys().next().value!);
  return seq;
}

/** One operation's sequence and idempotency key (the same key for a repeat of the same operation). */
export function cardOp(cardId: string, createdAtMs: number, what: string): { sequence: number; uuid: string } {
  const sequence = nextCardSequence(cardId, createdAtMs);
  return { sequence, uuid: stableUuid(cardId, what, sequence) };
}

export interface CardStreamOptions {
  client: LarkClient;
  cardId: string;
  elementId: string;
  createdAtMs: number;
  intervalMs: number;
  /** No update later than this after the card's creation. */
  closeAfterMs: number;
  signal?: AbortSignal;
  /** Counts and codes only (never the text). */
  onProblem?: (what: string, code?: number) => void;
}

export interface CardStreamStats {
  sent: number;
  skipped: number;
  /** When the first update with text was accepted (ms epoch). */
  firstAt?: number;
}

export class CardTextStream {
  private latest = '';
  private shown = '';
  private lastSentAt = 0;
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  readonly stats: CardStreamStats = { sent: 0, skipped: 0 };

  constructor(private readonly o: CardStreamOptions) {}

  /** The whole text so far. */
  push(text: string): void {
    this.latest = text;
    this.kick();
  }

  /** Sends the last text if it was not shown yet (respecting the interval), then stops. */
  async finish(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (!this.stopped && this.latest !== this.shown) {
      const wait = this.lastSentAt + this.o.intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.send();
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.stopped || this.inFlight || this.timer || this.latest === this.shown) return;
    const wait = this.lastSentAt + this.o.intervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, wait);
      return;
    }
    this.inFlight = this.send().finally(() => {
      this.inFlight = undefined;
      this.kick();
    });
  }

  private async send(): Promise<void> {
    if (this.stopped || this.o.signal?.aborted) return;
    if (Date.now() - this.o.createdAtMs > this.o.closeAfterMs) {
      this.stop();
      return;
    }
    const text = this.latest;
    this.lastSentAt = Date.now();
    try {
      await this.o.client.streamCardText(this.o.cardId, this.o.elementId, answerMarkdown(text), cardOp(this.o.cardId, this.o.createdAtMs, 'text'), {
        signal: this.o.signal,
      });
      this.shown = text;
      this.stats.sent++;
      if (this.stats.firstAt === undefined && text.trim()) this.stats.firstAt = Date.now();
    } catch (err) {
      this.stats.skipped++;
      const code = err instanceof LarkApiError ? err.code : undefined;
      // Closed streaming, or a text that no longer fits the card (30 KB: it only grows): no point in trying again.
      const final = isCardStreamClosed(err) || code === CARD_TOO_LARGE;
      if (final) this.stop();
      this.o.onProblem?.(isCardStreamClosed(err) ? 'streaming closed' : code === CARD_TOO_LARGE ? 'card full' : 'update skipped', code);
    }
  }
}
