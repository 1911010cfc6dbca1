/**
 * The Temporal side of the webhook's callbacks: a card click becomes an Update to the workflow that owns the
 * card (so the toast says what the click changed), and the OAuth callback's outcome a signal to the user's
 * workflow (and to reminders waiting to act as the user).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { clickToasts as TOASTS, REMINDER_TOASTS } from '../i18n/messages';
import type { LarkCardActionEvent } from '../lark/event-types';
import { cardClicksAnsweredHere } from '../metrics';
import type { KeyedRateLimiter } from '../rate-limit';
import type { CallbackOutcome } from '../oauth/service';
import type { ReminderStore } from '../reminders/store';
import {
  AgentState,
  authResultSignal,
  confirmationUpdate,
  loginLinkUpdate,
  reminderAuthSignal,
  reminderClickUpdate,
  reminderStateQuery,
  reminderWorkflowId,
  undoUpdate,
  userWorkflowId,
  type ReminderAction,
} from '../../workflows/contract';
import { TemporalUnavailableError } from './event-starter';

type ToastKey = keyof typeof TOASTS;

/**
 * Cards the owner's workflow has already said are dead, with the toast every later click gets: an answered,
 * expired or unknown Confirm / find-a-time card, an Undo already done or past its window. The workflow's answer
 * for these can never change (a key is awaited before its card is posted, never again after it is settled, and
 * a run continues as new only with no card open), so later clicks are answered here instead of each becoming an
 * Update, which writes events to the user's run. Per process, bounded, entries kept for `ttlMs`.
 */
export class DeadCards {
  private readonly toasts = new Map<string, { toast: ToastKey; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 6 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  static key(owner: string, kind: string, cardKey: string): string {
    return `${owner}\u0000${kind}\u0000${cardKey}`;
  }

  get(key: string): ToastKey | undefined {
    const hit = this.toasts.get(key);
    if (hit && hit.until > this.now()) return hit.toast;
    if (hit) this.toasts.delete(key);
    return undefined;
  }

  set(key: string, toast: ToastKey): void {
    this.toasts.delete(key);
    this.toasts.set(key, { toast, until: this.now() + this.ttlMs });
    for (const k of this.toasts.keys()) {
      if (this.toasts.size <= this.maxEntries) break;
      this.toasts.delete(k); // the oldest first
    }
  }

  get size(): number {
    return this.toasts.size;
  }
}

export interface CardClickGuards {
  /** Clicks that would reach a workflow, per clicking user (CARD_CLICK_USER_*). */
  perUser?: KeyedRateLimiter;
  deadCards?: DeadCards;
  /** Whether the token store has the user signed in now (see signInState). */
  signedIn?: SignedIn;
}

/** Whether the token store has a usable token for the user now. */
export type SignedIn = (openId: string) => Promise<boolean>;

/**
 * A card click, as an Update to the card OWNER's workflow, so the toast tells what the click changed.
 * The button value comes from a card we built (and the callback is signed), so `owner` is ours; a click by
 * anyone else is refused without touching Temporal, and so is a click on a card known dead (`deadCards`) or
 * one past the clicker's allowance (`perUser`): each Update is events on the user's run, and a run whose
 * history is full takes no more messages.
 */
export function signalCardAction(client: Client, timeoutMs: number, guards: CardClickGuards = {}) {
  return async (event: LarkCardActionEvent): Promise<{ toast: string } | undefined> => {
    const v = event.value;
    const lang = v.lang === 'vi' || v.lang === 'en' ? v.lang : undefined;
    // Cards from before the language field: both languages.
    const say = (k: ToastKey) => ({ toast: lang ? TOASTS[k][lang] : `${TOASTS[k].vi} / ${TOASTS[k].en}` });
    /** The clicker's allowance: undefined when the click may reach Temporal, else the toast that asks to wait. */
    const overLimit = () => {
      if (!guards.perUser?.take(event.openId)) return undefined;
      cardClicksAnsweredHere.inc({ reason: 'rate_limited' });
      return say('tooManyClicks');
    };
    const owner = typeof v.owner === 'string' ? v.owner : event.openId;
    const kind = v.kind;
    if (kind === 'reminder') return reminderClick(client, timeoutMs, event, overLimit);
    if (kind !== 'confirm' && kind !== 'login_link' && kind !== 'undo' && kind !== 'slot') return undefined;
    // Each card's own verb: confirm it, undo it, pick a time, use the sign-in card.
    const notYours: ToastKey = kind === 'undo' ? 'notYoursUndo' : kind === 'slot' ? 'notYoursSlot' : kind === 'login_link' ? 'notYoursLogin' : 'notYours';
    if (owner !== event.openId) return say(notYours);
    const handle = client.workflow.getHandle(userWorkflowId(owner));
    const dead = typeof v.key === 'string' && kind !== 'login_link' ? DeadCards.key(owner, kind, v.key) : undefined;
    const known = dead && guards.deadCards?.get(dead);
    if (known) {
      cardClicksAnsweredHere.inc({ reason: 'known_dead' });
      return say(known);
    }
    /** The workflow's answer; `after` is what every later click on this card gets, when that can no longer change. */
    const answer = (now: ToastKey, after?: ToastKey) => {
      if (dead && after) guards.deadCards?.set(dead, after);
      return say(now);
    };
    try {
      if (kind === 'login_link') {
        // Not cached: whether a fresh link is due depends on the time and on the wait (the allowance bounds it).
        const limited = overLimit();
        if (limited) return limited;
        const r = await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.executeUpdate(loginLinkUpdate));
        if (r.result === 'sending') return say('linkSending');
        if (r.result === 'too_soon') return say('linkTooSoon');
        // Nothing waits for sign-in: "already signed in" only when the token store has the user signed in (after a
        // Deny, or a wait that timed out, nothing waits and the user is NOT signed in).
        const state = await signInState(client, owner, timeoutMs, guards.signedIn);
        return say(state?.authorized === true ? 'linkNotNeeded' : 'linkNothingWaiting');
      }
      if (kind === 'undo') {
        if (typeof v.key !== 'string') return undefined;
        const limited = overLimit();
        if (limited) return limited;
        const r = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
          handle.executeUpdate(undoUpdate, { args: [{ key: v.key as string, by: event.openId }] }),
        );
        // 'unknown' is not final: the Undo card is posted a moment before its record is kept.
        if (r.result === 'not_yours') return say('notYoursUndo');
        if (r.result === 'accepted') return answer('undoing', 'undoneAlready');
        return r.result === 'already_done'
          ? answer('undoneAlready', 'undoneAlready')
          : r.result === 'expired'
            ? answer('undoExpired', 'undoExpired')
            : say('undoUnknown');
      }
      if (kind === 'slot') {
        if (typeof v.key !== 'string' || typeof v.choice !== 'string' || !/^(\d{1,2}|none)$/.test(v.choice)) return undefined;
        const limited = overLimit();
        if (limited) return limited;
        const choice = v.choice;
        const r = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
          handle.executeUpdate(confirmationUpdate, { args: [{ key: v.key as string, decision: choice, by: event.openId }] }),
        );
        if (r.result === 'not_yours') return say('notYoursSlot');
        if (r.result === 'accepted') return answer(choice === 'none' ? 'slotNone' : 'slotBooking', 'already');
        return r.result === 'already_answered' ? answer('already', 'already') : answer('gone', 'gone');
      }
      if (typeof v.key !== 'string' || (v.decision !== 'confirm' && v.decision !== 'cancel')) return undefined;
      const limited = overLimit();
      if (limited) return limited;
      const decision = v.decision;
      const r = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        handle.executeUpdate(confirmationUpdate, { args: [{ key: v.key as string, decision, by: event.openId }] }),
      );
      if (r.result === 'not_yours') return say('notYours');
      if (r.result === 'accepted') return answer(decision === 'confirm' ? 'confirmed' : 'cancelled', 'already');
      return r.result === 'already_answered' ? answer('already', 'already') : answer('gone', 'gone');
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return say('gone');
      // Not recorded: the callback answers 503 and Lark tells the user to try again.
      throw new TemporalUnavailableError(err);
    }
  };
}

const REMINDER_ACTIONS: ReminderAction[] = ['snooze10', 'snooze60', 'done', 'reschedule'];

/**
 * A click on a reminder card, as an Update to that reminder's workflow: accepted once, and a double, late or
 * foreign click changes nothing and says so. The toast speaks the card's language.
 */
async function reminderClick(
  client: Client,
  timeoutMs: number,
  event: LarkCardActionEvent,
  overLimit: () => { toast: string } | undefined,
): Promise<{ toast: string } | undefined> {
  const v = event.value;
  const lang = v.lang === 'vi' ? 'vi' : 'en';
  const say = (k: keyof typeof REMINDER_TOASTS) => ({ toast: REMINDER_TOASTS[k][lang] });
  const action = v.action as ReminderAction;
  if (typeof v.reminderId !== 'string' || typeof v.occurrenceMs !== 'number' || !REMINDER_ACTIONS.includes(action)) return undefined;
  if (v.owner !== event.openId) return say('notYours');
  const limited = overLimit();
  if (limited) return limited;
  const handle = client.workflow.getHandle(reminderWorkflowId(v.reminderId));
  try {
    const r = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      handle.executeUpdate(reminderClickUpdate, { args: [{ action, occurrenceMs: v.occurrenceMs as number, by: event.openId }] }),
    );
    if (r.result === 'not_yours') return say('notYours');
    if (r.result === 'accepted')
      return say(action === 'snooze10' ? 'snoozed10' : action === 'snooze60' ? 'snoozed60' : action === 'done' ? 'done' : 'rescheduling');
    return say(r.result === 'already_answered' ? (r.rescheduled ? 'rescheduleAlready' : 'already') : 'stale');
  } catch (err) {
    // Finished (done, cancelled, its click window over) or never existed: the click changes nothing.
    if (err instanceof WorkflowNotFoundError || isFinishedWorkflowError(err)) {
      // A one-off ends right after its click (a Reschedule too): the closed run still says how this card was answered.
      const st = await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(reminderStateQuery)).catch(() => undefined);
      const occurrence = v.occurrenceMs as number;
      if (st?.rescheduled?.includes(occurrence)) return say('rescheduleAlready');
      return say(st?.answered?.includes(occurrence) ? 'already' : 'stale');
    }
    throw new TemporalUnavailableError(err);
  }
}

/** An Update to a closed workflow fails with "workflow execution already completed" (gRPC NOT_FOUND). */
function isFinishedWorkflowError(err: unknown): boolean {
  for (let cur = err as { message?: string; code?: number; cause?: unknown } | undefined, d = 0; cur && d < 5; d++, cur = cur.cause as typeof cur) {
    if (/already completed|workflow execution already/i.test(cur.message ?? '') || cur.code === 5) return true;
  }
  return false;
}

/**
 * The OAuth callback's outcome, as a signal to the user's workflow. A failed sign-in (used or expired link,
 * wrong account, refused exchange) is signalled too: the workflow answers it with a fresh login card.
 */
export function signalAuthOutcome(client: Client, reminders?: ReminderStore) {
  return async (outcome: CallbackOutcome): Promise<void> => {
    const openId = 'openId' in outcome ? outcome.openId : undefined;
    if (!openId) return;
    const result = outcome.kind === 'authorized' || outcome.kind === 'denied' ? outcome.kind : 'failed';
    // Reminders that wait to act as this user (the daily agenda) go ahead now (best effort: they also
    // re-check the token store on their own). First, because the user may have no per-user workflow yet.
    if (result === 'authorized' && reminders) {
      const ids = await reminders.awaitingAuth(openId).catch(() => []);
      await Promise.all(
        ids.map((id) =>
          client.workflow
            .getHandle(reminderWorkflowId(id))
            .signal(reminderAuthSignal)
            .catch(() => undefined),
        ),
      );
    }
    await client.workflow.getHandle(userWorkflowId(openId)).signal(authResultSignal, { outcome: result });
  };
}

/**
 * Whether the user's run waits for sign-in, read from its AgentState search attribute with a describe, and whether
 * the token store has them signed in now (`signedIn`); undefined when the run cannot be read within `timeoutMs`
 * (no run yet, Temporal away). The run is never QUERIED from here: a query that comes with one of its workflow tasks
 * while a local activity runs makes the SDK split that task in a way its replay does not repeat
 * (workflows/patches.ts, test/query-split-replay.test.ts), and the OAuth page asks right after the sign-in signal,
 * the moment most likely to hit that. Pages and toasts that promise a new sign-in card say so only when a wait will send one.
 */
export async function signInState(
  client: Client,
  openId: string,
  timeoutMs: number,
  signedIn?: SignedIn,
): Promise<{ waiting: boolean; authorized?: boolean } | undefined> {
  try {
    const d = await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(userWorkflowId(openId)).describe());
    const waiting = d.status.name === 'RUNNING' && d.typedSearchAttributes.get(AgentState) === 'awaiting_auth';
    const authorized = signedIn ? await signedIn(openId).catch(() => undefined) : undefined;
    return { waiting, ...(authorized !== undefined ? { authorized } : {}) };
  } catch {
    return undefined;
  }
}
