/**
 * What a reminder run says outside itself, best effort: the index row that mirrors it in PostgreSQL, its cards'
 * final look, notices to the user, and the Temporal UI's current details. A failure here is logged (or, for a
 * card's look, ignored) and the reminder goes on: none of them decides anything.
 */
import { log, setCurrentDetails } from '@temporalio/workflow';
import { resolvedReminderCard, type ReminderCardOutcome } from '../src/cards/reminder-card';
import { lark, reminders } from './activity-proxies';
import { failureName } from './failure-name';
import type { ReminderInput, ReminderState } from './reminder-state';

export type IndexPatch = { nextFireAtMs?: number | null; firedCount?: number; status?: 'done'; awaitingAuth?: boolean };

export class ReminderOutbox {
  constructor(
    private readonly input: ReminderInput,
    private readonly s: ReminderState,
  ) {}

  /** The Temporal UI's current details: the state, the next fire and the counts. */
  show(state: string): void {
    setCurrentDetails(this.s.details(state));
  }

  /** The index only mirrors the workflow; a failure must not stop the reminder. */
  async index(patch: IndexPatch): Promise<void> {
    try {
      await reminders.updateReminderIndex({ reminderId: this.input.reminderId, ...patch });
    } catch (err) {
      log.warn('reminder index not updated', { reminder_id: this.input.reminderId, error: failureName(err) });
    }
  }

  /** The live card shows the outcome (its buttons go). */
  async resolveCard(outcome: ReminderCardOutcome): Promise<void> {
    const card = this.s.st.openCard;
    if (!card) return;
    await this.updateCard(card.messageId, outcome);
  }

  /** Any card of this reminder shows the outcome. */
  async updateCard(messageId: string, outcome: ReminderCardOutcome): Promise<void> {
    try {
      await lark.updateCard({ messageId, card: resolvedReminderCard(this.input, outcome) });
    } catch {
      // The card only shows the outcome; the decision is already taken.
    }
  }

  /** A notice, in the user's DM unless told where (a failure is logged, the reminder goes on). */
  async tellUser(
    step: string,
    text: string,
    to: { receiveIdType: 'open_id' | 'chat_id'; receiveId: string } = { receiveIdType: 'open_id', receiveId: this.input.openId },
  ): Promise<void> {
    try {
      await lark.sendMessage({ sourceMessageId: `reminder-${this.input.reminderId}`, step, ...to, text });
    } catch (err) {
      log.warn('reminder notice not delivered', { reminder_id: this.input.reminderId, step, error: failureName(err) });
    }
  }
}
