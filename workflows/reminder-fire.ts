/**
 * One occurrence fired: posted once (the activity's uuid), retried while Lark is down (up to `fireRetryForMs`,
 * then the user is told it was not delivered), late-marked when late, and, when acting as the user needs a
 * sign-in, held until the user signs in (reminder-sign-in.ts). A linked occurrence re-reads its meeting first
 * and may come back 'moved' or 'gone' instead of posting.
 */
import { condition, log, TemporalFailure } from '@temporalio/workflow';
import { reminderNotDelivered, type MeetingGone } from '../src/i18n/messages';
import { readLarkFailure } from '../src/lark/errors';
import { LarkFailureType, NON_RETRYABLE_LARK_FAILURES } from '../src/lark/failure-types';
import { reminders } from './activity-proxies';
import { failureName } from './failure-name';
import type { ReminderOutbox } from './reminder-outbox';
import { ReminderSignIn } from './reminder-sign-in';
import type { ReminderInput, ReminderState } from './reminder-state';

export type FireOutcome = { kind: 'fired' } | { kind: 'skipped' } | { kind: 'moved'; startMs: number; title?: string } | { kind: 'gone'; why?: MeetingGone };

/** While Lark is down, a fire is tried again this often. */
const RETRY_EVERY_MS = 5 * 60_000;

/** One occurrence, marked as in flight while it is fired: a click on its card may come before this returns. */
export async function fire(input: ReminderInput, s: ReminderState, out: ReminderOutbox, occurrenceMs: number, followEvent: boolean): Promise<FireOutcome> {
  s.firing = occurrenceMs;
  try {
    return await post(input, s, out, occurrenceMs, followEvent);
  } finally {
    s.firing = undefined;
  }
}

async function post(input: ReminderInput, s: ReminderState, out: ReminderOutbox, occurrenceMs: number, followEvent: boolean): Promise<FireOutcome> {
  const { settings, reminderId, timezone, lang } = input;
  const linked = s.linked;
  const giveUpAt = Date.now() + settings.fireRetryForMs;
  const signIn = new ReminderSignIn(input, s, out, occurrenceMs);
  for (;;) {
    const late = Date.now() - occurrenceMs > settings.lateAfterMs;
    try {
      const title = s.eventTitle();
      const sent = await reminders.fireReminder({
        reminderId,
        openId: input.openId,
        chatId: input.chatId,
        kind: input.kind,
        text: input.text,
        lang,
        timezone,
        occurrenceMs,
        ...(late ? { lateSinceMs: occurrenceMs } : {}),
        ...(input.eventLinked ? { eventLinked: true } : {}),
        // The occurrence re-reads its meeting before posting; a snooze just shows it as last read.
        ...(linked && followEvent ? { event: { ...linked, startMs: s.eventStart(), ...(title ? { title } : {}) } } : {}),
        ...(linked && !followEvent ? { meeting: { startMs: s.eventStart(), ...(title ? { title } : {}) } } : {}),
      });
      if (sent.kind === 'moved' || sent.kind === 'gone') {
        if (signIn.waited) await out.index({ awaitingAuth: false });
        s.awaitingAuthSince = undefined;
        return sent;
      }
      if (s.st.openCard && input.kind === 'reminder') await out.resolveCard({ kind: 'replaced' }); // its buttons go: the new card is the live one
      s.recordFired(occurrenceMs, sent.messageId, late, Date.now());
      if (signIn.waited) await out.index({ awaitingAuth: false });
      s.awaitingAuthSince = undefined;
      log.info('reminder fired', { reminder_id: reminderId, occurrence: occurrenceMs, late });
      return { kind: 'fired' };
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err; // a bug: fail the task, a fixed worker continues
      const failure = readLarkFailure(err);
      const scopeMissing = failure?.type === LarkFailureType.PermissionDenied && failure.details.scopeOwner === 'user';
      if (failure?.type !== LarkFailureType.UserAuthRequired && !scopeMissing) {
        // Refused for good (not a sign-in the user can give): retrying cannot help, so say so now.
        const permanent = failure !== undefined && NON_RETRYABLE_LARK_FAILURES.includes(failure.type);
        if (permanent || Date.now() >= giveUpAt) {
          log.warn('reminder occurrence given up', { reminder_id: reminderId, occurrence: occurrenceMs, error: failureName(err) });
          const why = !permanent ? 'unavailable' : failure?.type === LarkFailureType.PermissionDenied ? 'app_permission' : 'refused';
          await out.tellUser(`undelivered-${occurrenceMs}`, reminderNotDelivered(lang, input.kind, occurrenceMs, timezone, s.recurring, why));
          return { kind: 'skipped' };
        }
        out.show('retrying');
        await condition(() => s.cancelled, RETRY_EVERY_MS);
        if (s.cancelled) return { kind: 'skipped' };
        continue;
      }
      // Acting as the user failed for want of a sign-in (refresh token gone) or of a scope the grant lacks:
      // say which permission is missing (the latter), one sign-in card, then wait.
      if ((await signIn.wait(scopeMissing ? (failure.details.scopes ?? []) : undefined)) === 'skipped') return { kind: 'skipped' };
    }
  }
}
