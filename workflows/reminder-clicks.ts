/**
 * What a reminder card's clicks do once taken (ReminderState.clicked took each once): Snooze re-fires later, Done
 * ends a one-off, Reschedule starts a normal agent request in the owner's per-user workflow (an activity); the
 * card then shows the outcome. And an urgent reminder's one buzz when its fresh card stays unclicked.
 */
import { log, TemporalFailure } from '@temporalio/workflow';
import { rescheduleNotStarted } from '../src/i18n/messages';
import { reminders } from './activity-proxies';
import type { ReminderClick } from './contract';
import { failureName } from './failure-name';
import type { ReminderOutbox } from './reminder-outbox';
import type { ReminderInput, ReminderState } from './reminder-state';

/** A click on the live card: 'finish' when the reminder ends with it (a one-off answered Done or Reschedule). */
export async function applyClick(input: ReminderInput, s: ReminderState, out: ReminderOutbox, c: ReminderClick): Promise<'finish' | undefined> {
  if (c.action === 'snooze10' || c.action === 'snooze60') {
    const untilMs = s.snooze(c.action, Date.now());
    await out.resolveCard({ kind: 'snoozed', untilMs });
    s.st.openCard = undefined;
    return undefined;
  }
  const card = s.st.openCard;
  await out.resolveCard(c.action === 'done' ? { kind: 'done' } : { kind: 'rescheduling' });
  s.st.openCard = undefined;
  if (c.action === 'reschedule') {
    try {
      await reminders.requestReschedule({
        reminderId: input.reminderId,
        occurrenceMs: c.occurrenceMs,
        openId: input.openId,
        chatId: input.chatId,
        lang: input.lang,
        ...(card ? { cardMessageId: card.messageId } : {}),
        ...(s.linked ? { eventId: s.linked.eventId } : {}),
        title: s.eventTitle() ?? input.text,
      });
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err;
      // The toast already said it is opening: the user must hear that it did not.
      log.warn('reschedule request not started', { reminder_id: input.reminderId, error: failureName(err) });
      await out.tellUser(`reschedule-failed-${c.occurrenceMs}`, rescheduleNotStarted(input.lang, s.eventTitle() ?? input.text));
    }
  }
  return s.recurring ? undefined : 'finish';
}

/** The one buzz of an urgent reminder's unclicked card; a failure is logged and the reminder goes on. */
export async function escalate(input: ReminderInput, s: ReminderState, occurrenceMs: number): Promise<void> {
  if (!s.mayEscalate(occurrenceMs)) return;
  try {
    await reminders.escalateReminder({ reminderId: input.reminderId, openId: input.openId, messageId: s.st.openCard!.messageId });
    s.escalated(occurrenceMs);
    log.info('urgent reminder buzzed', { reminder_id: input.reminderId, occurrence: occurrenceMs });
  } catch (err) {
    log.warn('urgent buzz not sent', { reminder_id: input.reminderId, occurrence: occurrenceMs, error: failureName(err) });
  }
}
