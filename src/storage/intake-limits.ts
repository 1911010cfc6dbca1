/**
 * The per-user intake limit (migrations/007_intake_limits.sql): how many messages one sender may hand to their
 * per-user workflow, as a token bucket in PostgreSQL shared by every worker.
 *
 * Why here and not in the workflow: thousands of signals landing on one run within seconds abort Node's workflow
 * thread (`async hook stack has become corrupted`, the same crash as sdk-typescript#939), and a restarted worker
 * meets the same batch again. Deciding before the signal means no run ever receives a burst that size.
 *
 * Every message is decided once (by message_id), so an activity retry or a Lark redelivery gets the same answer
 * and a message is never both answered and refused. A refused message waits for the one notice that names it:
 * the first refusal in a chat while none is waiting owns the notice (its event run sends it after a short delay,
 * so one reply covers the burst); later ones join it.
 */
import type { PoolClient } from 'pg';
import type { Pool } from '../db/pool';
import type { RateSpec } from '../config';

export interface IntakeDecision {
  allowed: boolean;
  /** Refused, and this message's event run sends the notice for its chat. */
  noticeOwner: boolean;
}

export interface IntakeMessage {
  messageId: string;
  openId: string;
  chatId: string;
  text?: string;
}

/** Decisions are kept this long (redeliveries come within hours), then pruned. */
const KEEP_DECISIONS_MS = 7 * 24 * 3600_000;
const PREVIEW_CHARS = 60;

export class IntakeLimits {
  constructor(
    private readonly pool: Pool,
    private readonly spec: RateSpec,
    private readonly now: () => number = Date.now,
  ) {}

  /** perMinute 0 turns the limit off: every message is allowed and nothing is recorded. */
  get enabled(): boolean {
    return this.spec.perMinute > 0;
  }

  async decide(msg: IntakeMessage): Promise<IntakeDecision> {
    if (!this.enabled) return { allowed: true, noticeOwner: false };
    return this.inTransaction(async (c) => {
      const now = this.now();
      await this.lockBucket(c, msg.openId, now);
      // After the lock: a concurrent retry of the same message waits here and then reads the first decision.
      const known = await c.query<{ allowed: boolean; notice_owner: boolean }>('select allowed, notice_owner from intake_decisions where message_id = $1', [
        msg.messageId,
      ]);
      if (known.rows[0]) return { allowed: known.rows[0].allowed, noticeOwner: known.rows[0].notice_owner };

      const { rows } = await c.query<{ tokens: number; at_ms: string }>('select tokens, at_ms from intake_buckets where open_id = $1', [msg.openId]);
      const at = Number(rows[0]!.at_ms);
      let tokens = Math.min(this.spec.burst, rows[0]!.tokens + (Math.max(0, now - at) * this.spec.perMinute) / 60_000);
      const allowed = tokens >= 1;
      if (allowed) tokens -= 1;
      await c.query('update intake_buckets set tokens = $2, at_ms = $3 where open_id = $1', [msg.openId, tokens, Math.max(at, now)]);

      let noticeOwner = false;
      if (!allowed) {
        const waiting = await c.query('select 1 from intake_decisions where open_id = $1 and chat_id = $2 and notice_owner and notice_id is null limit 1', [
          msg.openId,
          msg.chatId,
        ]);
        noticeOwner = waiting.rowCount === 0;
      }
      const preview = allowed ? null : (msg.text ?? '').replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS);
      await c.query('insert into intake_decisions (message_id, open_id, chat_id, allowed, notice_owner, preview, at_ms) values ($1, $2, $3, $4, $5, $6, $7)', [
        msg.messageId,
        msg.openId,
        msg.chatId,
        allowed,
        noticeOwner,
        preview,
        now,
      ]);
      // Prune now and then, not on every message: old decisions answered long ago.
      if (Math.random() < 0.01)
        await c.query('delete from intake_decisions where at_ms < $1 and (allowed or notice_id is not null)', [now - KEEP_DECISIONS_MS]);
      return { allowed, noticeOwner };
    });
  }

  /**
   * Closes the chat's waiting notice: every refusal not yet named is now named by `ownerMessageId`'s notice.
   * Idempotent (a retry returns the same list). Returns their previews in arrival order.
   */
  async takeRefusals(openId: string, chatId: string, ownerMessageId: string): Promise<string[]> {
    return this.inTransaction(async (c) => {
      await this.lockBucket(c, openId, this.now());
      await c.query('update intake_decisions set notice_id = $3 where open_id = $1 and chat_id = $2 and not allowed and notice_id is null', [
        openId,
        chatId,
        ownerMessageId,
      ]);
      const { rows } = await c.query<{ preview: string | null }>('select preview from intake_decisions where notice_id = $1 order by at_ms, message_id', [
        ownerMessageId,
      ]);
      return rows.map((r) => r.preview ?? '');
    });
  }

  /** How many of the user's messages were refused (all time kept): for the operator and the tests. */
  async refusedCount(openId: string): Promise<{ refused: number; named: number }> {
    const { rows } = await this.pool.query<{ refused: string; named: string }>(
      'select count(*) as refused, count(notice_id) as named from intake_decisions where open_id = $1 and not allowed',
      [openId],
    );
    return { refused: Number(rows[0]!.refused), named: Number(rows[0]!.named) };
  }

  /** The bucket row exists and is locked for this transaction: decisions for one user are serial. */
  private async lockBucket(c: PoolClient, openId: string, now: number): Promise<void> {
    await c.query('insert into intake_buckets (open_id, tokens, at_ms) values ($1, $2, $3) on conflict (open_id) do nothing', [openId, this.spec.burst, now]);
    await c.query('select 1 from intake_buckets where open_id = $1 for update', [openId]);
  }

  private async inTransaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('begin');
      const result = await work(c);
      await c.query('commit');
      return result;
    } catch (err) {
      await c.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
