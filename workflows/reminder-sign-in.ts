/**
 * A reminder fire that acts as the user (the daily agenda, a linked reminder's re-read) and finds the sign-in
 * gone, or lacking a scope: the user is told which permission is missing (the latter), gets ONE sign-in card
 * for the occurrence, and the fire waits for the sign-in with the shared rules (sign-in-wait.ts): the OAuth
 * callback's signal (reminderAuthSignal), a look at the token store every `authRecheckMs`, the deadline
 * `authWaitMs` after the wait began. A fire that needs the sign-in again after one goes on with the same wait
 * (same start, no second card). Past the deadline the user is told the occurrence was skipped.
 */
import { log } from '@temporalio/workflow';
import { missingPermission, skippedForAuth } from '../src/i18n/messages';
import { auth } from './activity-proxies';
import { failureName } from './failure-name';
import type { ReminderOutbox } from './reminder-outbox';
import type { ReminderInput, ReminderState } from './reminder-state';
import { SignInClock, waitForSignIn } from './sign-in-wait';

export class ReminderSignIn {
  /** When this occurrence's wait began; undefined before its first need. */
  private since: number | undefined;

  constructor(
    private readonly input: ReminderInput,
    private readonly s: ReminderState,
    private readonly out: ReminderOutbox,
    private readonly occurrenceMs: number,
  ) {}

  /** Whether this occurrence waited for a sign-in (the index then says it waits no more once the fire ends). */
  get waited(): boolean {
    return this.since !== undefined;
  }

  /** Waits for the sign-in ('signed_in': fire again), or gives the occurrence up ('skipped': cancelled, or told the user). */
  async wait(missingScopes: string[] | undefined): Promise<'signed_in' | 'skipped'> {
    const { input, s, out } = this;
    if (this.since === undefined) {
      this.since = Date.now();
      s.awaitingAuthSince = this.since;
      await out.index({ awaitingAuth: true });
      if (missingScopes) {
        s.missingScopes = missingScopes;
        await out.tellUser(`scope-${this.occurrenceMs}`, missingPermission(input.lang, input.kind, missingScopes));
      }
      try {
        await auth.sendLoginCard({ openId: input.openId, waitId: `reminder:${input.reminderId}:${this.occurrenceMs}`, pendingCount: 1, lang: input.lang });
        s.st.loginCards++;
      } catch (cardErr) {
        log.warn('reminder login card not delivered', { reminder_id: input.reminderId, error: failureName(cardErr) });
      }
    }
    out.show('awaiting_auth');
    const end = await waitForSignIn<'cancelled' | 'signed_in'>({
      openId: input.openId,
      clock: new SignInClock(this.since, input.settings.authWaitMs, input.settings.authRecheckMs, Date.now(), true),
      sleep: () => {
        s.authSignalled = false;
        return { until: () => s.authSignalled || s.cancelled };
      },
      afterSleep: () => (s.cancelled ? 'cancelled' : s.authSignalled ? 'signed_in' : undefined),
      lookFailed: { message: 'reminder authorization recheck failed', fields: { reminder_id: input.reminderId } },
    });
    if (end === 'cancelled') return 'skipped';
    if (end === 'expired') {
      s.awaitingAuthSince = undefined;
      await out.index({ awaitingAuth: false });
      await out.tellUser(`skipped-${this.occurrenceMs}`, skippedForAuth(input.lang, input.kind, this.occurrenceMs, input.timezone, s.recurring));
      return 'skipped';
    }
    return 'signed_in';
  }
}
