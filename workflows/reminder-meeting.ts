/**
 * A meeting-linked reminder follows its meeting: a periodic re-read while it waits (a move re-arms it, a failed
 * read keeps the last known time), and when the meeting went away one plain message instead of the reminder.
 */
import { log, TemporalFailure } from '@temporalio/workflow';
import { meetingCancelledDrop, type MeetingGone } from '../src/i18n/messages';
import { reminders } from './activity-proxies';
import { failureName } from './failure-name';
import type { ReminderOutbox } from './reminder-outbox';
import type { ReminderInput, ReminderState } from './reminder-state';

/** The meeting as just read (or as moved through the bot): a new start re-arms the reminder. */
export function applyEventRead(input: ReminderInput, s: ReminderState, read: { startMs?: number; title?: string }): void {
  const moved = s.applyEventRead(read, Date.now());
  if (moved) log.info('linked event moved', { reminder_id: input.reminderId, from: moved.from, to: moved.to });
}

/** A periodic look at the meeting while waiting; `gone` when it went away. Any failure (auth, Lark down) keeps the last known time. */
export async function recheckEvent(input: ReminderInput, s: ReminderState): Promise<{ gone: MeetingGone | undefined } | undefined> {
  const linked = s.linked!;
  try {
    const read = await reminders.checkLinkedEvent({ openId: input.openId, calendarId: linked.calendarId, eventId: linked.eventId });
    if (read.kind === 'gone') return { gone: read.why };
    applyEventRead(input, s, read);
  } catch (err) {
    if (!(err instanceof TemporalFailure)) throw err;
    log.warn('linked event re-read failed; keeping the last known time', { reminder_id: input.reminderId, error: failureName(err) });
  }
  return undefined;
}

/** The meeting went away (cancelled, deleted, or no longer shown): one plain message instead of the reminder, then the reminder ends. */
export async function dropForCancelledMeeting(input: ReminderInput, s: ReminderState, out: ReminderOutbox, why: MeetingGone | undefined): Promise<void> {
  s.droppedForEvent = true;
  await out.tellUser('meeting-cancelled', meetingCancelledDrop(input.lang, s.eventTitle(), input.text, s.linked?.minutesBefore ?? 0, why), s.chatTarget());
  log.info('linked reminder dropped: meeting cancelled', { reminder_id: input.reminderId });
}
