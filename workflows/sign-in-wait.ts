/**
 * The sign-in wait's rules, ONE copy for both waits: the per-user workflow's (auth-gate.ts, requests wait for
 * the user's sign-in) and a reminder's (reminder-sign-in.ts, a fire that acts as the user waits for it). A wait
 * sleeps until its deadline, waking early for what its owner listens to (the OAuth callback's signal, a cancel,
 * a fresh login card), and between those it looks at the token store every `authRecheckMs` (one setting,
 * AUTH_RECHECK_SECONDS) in case the callback stored tokens but its signal was lost. A failed look changes nothing.
 *
 * The two waits differ in one point, kept as they ran (their histories must replay): a reminder's wait looks at
 * the token store after EVERY sleep its timer ends, the deadline's included (one last chance before the
 * occurrence is skipped), each sleep at most one interval long; the per-user wait looks once per interval,
 * counted from its last look, and its deadline ends it without a look (`SignInClock.lookAfterEverySleep`).
 *
 * SignInClock is pure (testable without a server); waitForSignIn drives it with Temporal's timer and the
 * authorization check activity.
 */
import { condition, log } from '@temporalio/workflow';
import { auth } from './activity-proxies';
import { failureName } from './failure-name';

/** The recheck interval for a per-user run whose settings came from before AUTH_RECHECK_SECONDS existed. */
export const AUTH_RECHECK_MS_BEFORE_SETTING = 5 * 60_000;

export class SignInClock {
  /** When the wait ends without a sign-in. */
  readonly deadline: number;
  private nextLook: number;

  constructor(
    /** When the wait began (a wait carried over or re-entered keeps its start). */
    readonly since: number,
    waitMs: number,
    private readonly recheckMs: number,
    now: number,
    /** A reminder's rule: every sleep is at most one interval and a look follows every sleep its timer ends. */
    private readonly lookAfterEverySleep = false,
    /** The first look (the per-user rule): one interval from now, or at once for a wait resumed after continue-as-new. */
    firstLookAt = now + recheckMs,
  ) {
    this.deadline = since + waitMs;
    this.nextLook = firstLookAt;
  }

  expired(now: number): boolean {
    return now >= this.deadline;
  }

  /** How long the next sleep may last: to the deadline, the next look or `alsoIn` (another reason to wake), at least 1 ms. */
  sleepFor(now: number, alsoIn = Infinity): number {
    if (this.lookAfterEverySleep) this.nextLook = now + this.recheckMs;
    return Math.max(1, Math.min(this.deadline - now, this.nextLook - now, alsoIn));
  }

  /** After a sleep its timer ended: whether to look at the token store now (the next look is then one interval on). */
  lookDue(now: number): boolean {
    if (!this.lookAfterEverySleep && now < this.nextLook) return false;
    this.nextLook = now + this.recheckMs;
    return true;
  }
}

/** What the wait's owner adds to the rules. */
export interface SignInWaitParts<End> {
  openId: string;
  clock: SignInClock;
  /** Before each sleep: what ends it early (a signal, a cancel, a fresh card wanted), and another reason to wake, in ms. */
  sleep(now: number): { until: () => boolean; alsoIn?: number };
  /** After each sleep (woken: `until` ended it, not the timer): an end of the wait, 'again' to sleep again, or undefined for the timer's work. */
  afterSleep(woken: boolean): End | 'again' | undefined;
  /** The timer's work before the look at the token store (a fresh login card when one is due). */
  onTimer?(): Promise<void>;
  /** How a failed look is logged (the owner's words and ids). */
  lookFailed: { message: string; fields: Record<string, unknown> };
}

/** Waits until the owner's end, the token store says signed in ('signed_in'), or the deadline ('expired'). */
export async function waitForSignIn<End>(p: SignInWaitParts<End>): Promise<End | 'signed_in' | 'expired'> {
  for (;;) {
    const now = Date.now();
    if (p.clock.expired(now)) return 'expired';
    const { until, alsoIn } = p.sleep(now);
    const woken = await condition(until, p.clock.sleepFor(now, alsoIn));
    const after = p.afterSleep(woken);
    if (after === 'again') continue;
    if (after !== undefined) return after;
    await p.onTimer?.();
    if (!p.clock.lookDue(Date.now())) continue;
    // No signal yet: the callback may have stored tokens while Temporal was unreachable.
    try {
      if ((await auth.checkAuthorization(p.openId)).authorized) return 'signed_in';
    } catch (err) {
      log.warn(p.lookFailed.message, { ...p.lookFailed.fields, error: failureName(err) });
    }
  }
}
