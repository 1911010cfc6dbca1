/**
 * The user's authorization wait, ONE shared by every chat: a login card, fresh cards on demand (a failed
 * sign-in, a new message, the card's "new link" button; at most one per LOGIN_CARD_MIN_INTERVAL_SECONDS), a
 * periodic re-check of the token store in case the callback's signal was lost, and when the wait ends without
 * a sign-in, one notice naming the dropped requests.
 */
import { log } from '@temporalio/workflow';
import { detectLanguage } from '../src/i18n/language';
import { closedLoginCard } from '../src/cards/login-card';
import { authDenied, authExpired } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import { auth, lark } from './activity-proxies';
import type { AuthResult, LoginLinkReply, UserSettings } from './contract';
import { failureName } from './failure-name';
import { AUTH_RECHECK_MS_BEFORE_SETTING, SignInClock, waitForSignIn } from './sign-in-wait';
import type { CarriedAuthWait, UserState } from './user-state';
import { PATCH_EARLIER_LOGIN_CARDS_CLOSED, PATCH_LOGIN_CARD_CLOSED, PATCH_WAIT_ACROSS_CONTINUE_AS_NEW, type RunPatches } from './patches';

/** At most this many earlier cards are kept to close (a long wait sends one per LOGIN_CARD_MIN_INTERVAL at most). */
const EARLIER_CARDS_KEPT = 10;

export class AuthGate {
  /** Whether the last check found the user authorized (undefined before any request needed it). */
  authorized: boolean | undefined;
  /** Since when requests wait for sign-in; undefined when not waiting. */
  waitingSince: number | undefined;
  private result: AuthResult | undefined;
  private lastCardAt = 0;
  /** The login card this run sent last (not carried across continue-as-new): closed when the wait ends unsigned. */
  private lastCardMessageId: string | undefined;
  /** The cards this wait sent before the last one, oldest first (bounded): closed with it. */
  private earlierCardMessageIds: string[] = [];
  private freshCardWanted = false;
  private gate: Promise<boolean> | undefined;
  /** A wait paused for continue-as-new: the next run resumes it (same deadline, no new card). */
  private paused: CarriedAuthWait | undefined;

  constructor(
    private readonly state: UserState,
    private readonly settings: () => UserSettings,
    /** Called when the waiting state changes (the UI's current details follow it). */
    private readonly changed: () => void,
    /** True when the run should continue-as-new: a long wait pauses for it instead of growing the history. */
    private readonly yieldWanted: () => boolean = () => false,
    /** The run's patches (patches.ts). */
    private readonly patches: RunPatches,
    /** The previous run's paused wait. */
    private resume?: CarriedAuthWait,
  ) {
    if (resume) {
      this.waitingSince = resume.since;
      this.authorized = false;
    }
  }

  /** A request found the user authorized: a wait resumed from the previous run is over. */
  confirmAuthorized(): void {
    this.authorized = true;
    if (this.resume && !this.gate) {
      this.resume = undefined;
      this.waitingSince = undefined;
      this.changed();
    }
  }

  /** The paused wait, for the continue-as-new input. */
  carried(): CarriedAuthWait | undefined {
    return this.paused;
  }

  /** A new message while waiting: the old link may be dead, so a fresh one is offered. */
  messageArrived(): void {
    if (this.waitingSince !== undefined) this.freshCardWanted = true;
  }

  /** The OAuth callback's signal. */
  resultArrived(result: AuthResult): void {
    if (result.outcome === 'failed') this.freshCardWanted = true;
    else this.result = result;
  }

  /** The login card's "send me a new link" button. */
  newLinkRequested(): LoginLinkReply['result'] {
    if (this.waitingSince === undefined) return 'not_waiting';
    if (Date.now() - this.lastCardAt < this.settings().loginCardIntervalMs) return 'too_soon';
    this.freshCardWanted = true;
    return 'sending';
  }

  /** Waits for the user's sign-in (joining a wait already under way); false when it ended without one or paused. */
  authorize(missingScopes: string[]): Promise<boolean> {
    this.gate ??= this.wait(missingScopes).finally(() => {
      this.gate = undefined;
    });
    return this.gate;
  }

  private async wait(missingScopes: string[]): Promise<boolean> {
    const openId = this.state.openId;
    const resume = this.resume;
    this.resume = undefined;
    const mayPause = resume !== undefined || this.patches.on(PATCH_WAIT_ACROSS_CONTINUE_AS_NEW);
    this.waitingSince = resume?.since ?? Date.now();
    this.result = undefined;
    this.authorized = false;
    this.changed();
    if (resume) this.lastCardAt = resume.lastCardAt;
    else await this.sendCard();
    log.info(resume ? 'still waiting for authorization' : 'waiting for authorization', {
      open_id: openId,
      pending: this.state.queue.length,
      missing_scopes: missingScopes,
    });
    const settings = this.settings();
    // A resumed wait looks at once: a sign-in whose signal reached the previous run after it paused.
    const clock = new SignInClock(
      this.waitingSince,
      settings.authWaitTimeoutMs,
      settings.authRecheckMs ?? AUTH_RECHECK_MS_BEFORE_SETTING,
      Date.now(),
      false,
      resume ? Date.now() : undefined,
    );
    let interval = 0;
    const pause = () => mayPause && this.result === undefined && this.yieldWanted();
    const end = await waitForSignIn<'answered' | 'paused'>({
      openId,
      clock,
      sleep: (now) => {
        interval = this.settings().loginCardIntervalMs;
        const cardWasWanted = this.freshCardWanted;
        return {
          until: () => this.result !== undefined || (this.freshCardWanted && !cardWasWanted) || pause(),
          alsoIn: cardWasWanted ? Math.max(0, this.lastCardAt + interval - now) : Infinity,
        };
      },
      afterSleep: (woken) => {
        if (!woken) return undefined;
        if (this.result !== undefined) return 'answered';
        if (pause()) return 'paused';
        return 'again'; // a new reason for a fresh card: re-plan the wake-up
      },
      onTimer: async () => {
        if (this.freshCardWanted && Date.now() - this.lastCardAt >= interval) await this.sendCard();
      },
      lookFailed: { message: 'authorization recheck failed', fields: { open_id: openId } },
    });
    if (end === 'paused') {
      // The queue, this wait's start and its last card go to the next run, which waits on.
      this.paused = { since: this.waitingSince, lastCardAt: this.lastCardAt, missingScopes };
      log.info('authorization wait paused for continue-as-new', { open_id: openId, pending: this.state.queue.length });
      return false;
    }
    if (end === 'signed_in') this.result = { outcome: 'authorized' };
    this.waitingSince = undefined;
    this.authorized = this.result?.outcome === 'authorized';
    log.info('authorization wait ended', { open_id: openId, outcome: this.result?.outcome ?? 'timeout' });
    if (!this.authorized) await this.expirePending(this.result?.outcome === 'denied' ? 'denied' : 'timeout');
    this.changed();
    return this.authorized;
  }

  private async sendCard(): Promise<void> {
    const openId = this.state.openId;
    this.lastCardAt = Date.now();
    this.freshCardWanted = false;
    try {
      const sent = await auth.sendLoginCard({
        openId,
        waitId: `${openId}:${this.lastCardAt}`,
        pendingCount: this.state.queue.length,
        lang: detectLanguage(this.state.queue[0]?.text),
      });
      if (this.lastCardMessageId && sent?.messageId)
        this.earlierCardMessageIds = [...this.earlierCardMessageIds, this.lastCardMessageId].slice(-EARLIER_CARDS_KEPT);
      this.lastCardMessageId = sent?.messageId;
      this.state.n.loginCards++;
    } catch (err) {
      // The wait goes on: the user's next message (or the recheck) tries again.
      this.state.n.undelivered++;
      log.warn('login card not delivered', { open_id: openId, error: failureName(err) });
    }
  }

  /** Tells the user which requests were dropped and what to do, then clears the queue. Never throws. */
  private async expirePending(reason: 'timeout' | 'denied'): Promise<void> {
    const openId = this.state.openId;
    const dropped = this.state.dropAll();
    const card = this.lastCardMessageId;
    const earlier = this.earlierCardMessageIds;
    this.lastCardMessageId = undefined;
    this.earlierCardMessageIds = [];
    if (!dropped.length) return;
    const lang = detectLanguage(dropped[0]!.text);
    const close = async (messageId: string) => {
      try {
        await lark.updateCard({ messageId, card: closedLoginCard(reason, lang) });
      } catch (err) {
        log.warn('login card not closed', { open_id: openId, error: failureName(err) });
      }
    };
    if (card && this.patches.on(PATCH_LOGIN_CARD_CLOSED)) await close(card);
    if (card && earlier.length && this.patches.on(PATCH_EARLIER_LOGIN_CARDS_CLOSED)) for (const m of earlier) await close(m);
    const list = dropped.map((m) => `• ${preview(m)}`).join('\n');
    const text = reason === 'timeout' ? authExpired(lang, list) : authDenied(lang, list);
    try {
      await lark.sendMessage({ sourceMessageId: dropped[0]!.messageId, step: `auth-${reason}`, receiveIdType: 'open_id', receiveId: openId, text });
    } catch (err) {
      this.state.n.undelivered++;
      log.warn('expiry notice not delivered', { open_id: openId, error: failureName(err) });
    }
  }
}

function preview(m: UserMessage): string {
  const text = (m.text ?? `[${m.messageType}]`).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
