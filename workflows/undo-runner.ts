/** Undo: the card after an answer that changed something, and the reversal, exactly once, when it is clicked. */
import { log, TemporalFailure } from '@temporalio/workflow';
import { undoCard, undoneCard, type UndoResult } from '../src/cards/undo-card';
import type { UserSettings } from './contract';
import type { Lang } from '../src/i18n/language';
import type { ToolEffect } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import { lark, logAudit, undoChange } from './activity-proxies';
import { failureName } from './failure-name';
import type { UndoRecord, UserState } from './user-state';

export class UndoRunner {
  constructor(
    private readonly state: UserState,
    private readonly settings: () => UserSettings,
    private readonly changed: () => void,
  ) {}

  /** Posts the Undo card under an answer that changed something. Never throws. */
  async offer(msg: UserMessage, changes: ToolEffect[], lang: Lang): Promise<void> {
    const { undoValidMs } = this.settings();
    // The user's own zone when they set one (set_timezone), else the deployment's.
    const timezone = this.state.progressOf(msg).prepared?.timezone ?? this.settings().timezone;
    const now = Date.now();
    try {
      const card = await lark.replyToMessage({
        messageId: msg.messageId,
        step: 'undo-card',
        msgType: 'interactive',
        content: undoCard(msg.messageId, this.state.openId, lang, changes, timezone, Math.round(undoValidMs / 3600_000), now),
        replyInThread: Boolean(msg.threadId),
      });
      this.state.offerUndo(
        { key: msg.messageId, chatId: msg.chatId, messageId: msg.messageId, cardMessageId: card.messageId, createdAt: now, lang, changes, status: 'open' },
        undoValidMs,
        now,
      );
    } catch (err) {
      // The answer has gone out; without its card the changes simply cannot be undone from the chat.
      log.warn('undo card not delivered', { open_id: this.state.openId, message_id: msg.messageId, error: failureName(err) });
    }
  }

  /** Reverses an answer's changes, newest first, exactly once; the card then says what was and was not restored. */
  async run(record: UndoRecord): Promise<void> {
    const openId = this.state.openId;
    record.status = 'running';
    this.changed();
    const results: UndoResult[] = [];
    for (let i = record.changes.length - 1; i >= 0; i--) {
      const change = record.changes[i]!;
      try {
        const r = await undoChange({ openId, undoKey: `${record.key}:${i}`, plan: change.undo! });
        results.unshift(r.ok ? { change, ok: true, ...(r.reminders ? { reminders: r.reminders } : {}) } : { change, ok: false, why: r.why });
      } catch (err) {
        if (!(err instanceof TemporalFailure)) throw err;
        results.unshift({ change, ok: false, why: 'unavailable' });
      }
    }
    record.status = 'done';
    if (this.settings().audit) await this.audit(record, results);
    log.info('undo done', {
      open_id: openId,
      message_id: record.key,
      restored: results.filter((r) => r.ok).length,
      not_restored: results.filter((r) => !r.ok).length,
    });
    if (record.cardMessageId) {
      try {
        await lark.updateCard({ messageId: record.cardMessageId, card: undoneCard(record.lang, results) });
      } catch {
        // The reversal itself is done; the card only reports it.
      }
    }
  }

  private async audit(record: UndoRecord, results: UndoResult[]): Promise<void> {
    try {
      await logAudit(
        results.map((r, index) => ({
          atMs: Date.now(),
          openId: this.state.openId,
          messageId: record.key,
          index,
          undo: true,
          action: `${r.change.action} ${r.change.kind}`,
          objectId: r.change.id,
          ...(r.change.title ? { title: r.change.title } : {}),
          before: { ...r.change, undo: undefined },
          after: r.ok ? { restored: true } : { restored: false, why: r.why },
        })),
      );
    } catch {
      // best effort: the undo itself is done
    }
  }
}
