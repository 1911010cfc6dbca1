/**
 * One reminder (`lark-reminder-<id>`), owned by Temporal: a durable timer to each occurrence, one fire per
 * occurrence, its card's clicks (snooze, done) as an Update, and cancellation as a signal. Recurring reminders
 * continue-as-new after each occurrence, so a daily reminder that runs for years keeps a short history and
 * picks up new workflow code at every occurrence.
 *
 * Late rather than never: the timer fires when a worker is back, however long it was away, and the card then
 * says it is late. Acting as the user (the daily agenda): an expired access token is refreshed by the token
 * store inside the fire; a dead refresh token sends ONE sign-in card in the DM, waits for the sign-in (the
 * OAuth callback signals this workflow; the token store is re-checked in case the signal was lost), then
 * delivers; after the wait the user is told what was skipped. A grant that lacks a needed scope is the same
 * wait, after telling the user which permission is missing.
 *
 * A meeting-linked reminder ("15 minutes before my next meeting") follows its event: it re-reads the event
 * as the user every `eventCheckMs` while waiting (a meeting moved earlier is caught in time) and again just
 * before posting; moved, the timer is re-armed for the new start minus the offset; cancelled, the user is
 * told once and nothing else fires. A re-read that fails while waiting changes nothing (last known time).
 * Its card's Reschedule starts a normal agent request in the owner's per-user workflow (an activity).
 *
 * Only ids, counts and times go to the summary, details and search attributes; the reminder's words never.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { resolvedReminderCard, type ReminderCardOutcome } from '../src/cards/reminder-card';
import type { Lang } from '../src/i18n/language';
import { meetingCancelledDrop, missingPermission, reminderNotDelivered, rescheduleNotStarted, skippedForAuth, type MeetingGone } from '../src/i18n/messages';
import { readLarkFailure } from '../src/lark/errors';
import { LarkFailureType, NON_RETRYABLE_LARK_FAILURES } from '../src/lark/failure-types';
import { formatForUi, isRecurring, nextOccurrence } from '../src/reminders/schedule';
import { auth, lark, reminders } from './activity-proxies';
import { failureName } from './failure-name';
import {
  reminderAuthSignal,
  reminderCancelSignal,
  reminderClickUpdate,
  reminderEventMovedSignal,
  reminderStateQuery,
  reminderTimezoneSignal,
  type ReminderClick,
  type ReminderWorkflowState,
  type ReminderWorkflowInput,
} from './contract';

export interface ReminderCarried {
  /** The last occurrence fired (or given up): the next one is after it. */
  lastOccurrenceMs?: number;
  snoozeUntilMs?: number;
  openCard?: { occurrenceMs: number; messageId: string; firedAtMs: number };
  fired: number;
  firedOccurrences: number[];
  lateOccurrences: number[];
  /** Cards already answered (a second click is told so). */
  answered: number[];
  loginCards: number;
  /** Cards answered by Reschedule (optional: runs carried from before it existed). */
  rescheduled?: number[];
  /** A meeting-linked reminder: the meeting's start and title as last read (the input has them as set). */
  eventStartMs?: number;
  eventTitle?: string;
  /** When the meeting last moved: a fire time already past by then fires at once, not "late". */
  rearmedAtMs?: number;
  eventMoves?: number;
  /** An urgent reminder: the occurrences whose unclicked card got its one buzz. */
  escalated?: number[];
  /** The card whose Snooze is pending: a cancel before the snooze fires updates it too (it said "snoozed until"). */
  snoozedCard?: { messageId: string; untilMs: number };
}

/**
 * Patch ids (docs/upgrades.md). Each is asked only on the new kind of event, so runs that never meet it carry no
 * marker: a cancel while a snoozed card is out now updates that card (one more updateCard); the meeting moved
 * through the bot (reminderEventMovedSignal) re-arms at once instead of re-reading the event.
 */
export const PATCH_CANCEL_UPDATES_SNOOZED_CARD = 'reminder-cancel-updates-snoozed-card';
export const PATCH_MEETING_MOVED_SIGNAL = 'reminder-meeting-moved-signal';
/**
 * A click on the card of the occurrence being fired, in the moment between Lark posting it and the fire activity
 * returning (the workflow has not recorded the card yet), is taken instead of told "no longer valid"; a repeating
 * reminder applies it before moving on to its next run. Asked only on such a click.
 */
export const PATCH_CLICK_WHILE_FIRING = 'reminder-click-while-firing';
/**
 * The user's zone changed (reminderTimezoneSignal): a repeating reminder continues-as-new in that zone, at the same
 * time of day, from now on. Asked only on that signal.
 */
export const PATCH_ZONE_FOLLOWS_USER = 'reminder-zone-follows-user';


type FireOutcome = { kind: 'fired' } | { kind: 'skipped' } | { kind: 'moved'; startMs: number; title?: string } | { kind: 'gone'; why?: MeetingGone };

const SNOOZE_MS = { snooze10: 10 * 60_000, snooze60: 60 * 60_000 } as const;
const MINUTE = 60_000;
const KEEP = 20;
const push = (list: number[], v: number) => {
  list.push(v);
  while (list.length > KEEP) list.shift();
};

/** The input, plus what the previous run carried over (only continue-as-new passes it). */
export async function larkReminderWorkflow(input: ReminderWorkflowInput & { carried?: ReminderCarried }): Promise<'done' | 'cancelled'> {
  const { settings } = input;
  const { reminderId, openId, timezone, lang } = input;
  const st: ReminderCarried = input.carried ?? { fired: 0, firedOccurrences: [], lateOccurrences: [], answered: [], loginCards: 0 };
  const recurring = isRecurring(input.schedule);
  let cancelled = false;
  let authSignalled = false;
  let awaitingAuthSince: number | undefined;
  let click: ReminderClick | undefined;
  let nextFire: number | undefined;
  let indexedNext: number | undefined;
  let droppedForEvent = false;
  let missingScopes: string[] | undefined;
  /** The meeting's new start, sent by update_event (reminderEventMovedSignal); applied by the main loop. */
  let meetingMoved: { startMs: number; title?: string } | undefined;
  /** The occurrence whose fire activity is in flight: its card may be in the chat before the activity returns. */
  let firing: number | undefined;
  /** A click taken while its card's occurrence was being fired (PATCH_CLICK_WHILE_FIRING). */
  let clickWhileFiring = false;
  /** The user's new zone (reminderTimezoneSignal), applied by the main loop while it waits. */
  let newZone: string | undefined;
  const linked = input.event;
  const eventStart = () => st.eventStartMs ?? linked!.startMs;
  const eventTitle = () => st.eventTitle ?? linked?.title;
  // The offset before the meeting's last known start; a move that put it in the past fires at once.
  const linkedFireAt = () => Math.max(eventStart() - linked!.minutesBefore * MINUTE, st.rearmedAtMs ?? 0);

  setHandler(reminderCancelSignal, () => {
    cancelled = true;
  });
  setHandler(reminderAuthSignal, () => {
    authSignalled = true;
  });
  setHandler(reminderEventMovedSignal, (m) => {
    if (linked) meetingMoved = m;
  });
  setHandler(reminderTimezoneSignal, (z) => {
    if (recurring && input.schedule.kind !== 'interval' && z.timezone !== timezone) newZone = z.timezone;
  });
  // Exactly once per card: the first click on the live card is accepted; any other is told what it changed (nothing).
  setHandler(reminderClickUpdate, (c) => {
    if (c.by !== undefined && c.by !== input.openId) return { result: 'not_yours' as const };
    if (st.answered.includes(c.occurrenceMs) || click?.occurrenceMs === c.occurrenceMs) {
      return { result: 'already_answered' as const, ...(st.rescheduled?.includes(c.occurrenceMs) ? { rescheduled: true } : {}) };
    }
    if (cancelled) return { result: 'stale' as const };
    if (st.openCard?.occurrenceMs !== c.occurrenceMs) {
      // The card of the occurrence in flight: Lark has posted it (the user clicked it), the workflow has not recorded it yet.
      if (firing !== c.occurrenceMs || !patched(PATCH_CLICK_WHILE_FIRING)) return { result: 'stale' as const };
      clickWhileFiring = true;
    }
    click = c;
    push(st.answered, c.occurrenceMs);
    if (c.action === 'reschedule') push((st.rescheduled ??= []), c.occurrenceMs);
    return { result: 'accepted' as const };
  });
  setHandler(reminderStateQuery, (): ReminderWorkflowState => ({
    reminderId,
    ...(nextFire !== undefined ? { nextFireAtMs: nextFire } : {}),
    fired: st.fired,
    firedOccurrences: [...st.firedOccurrences],
    lateOccurrences: [...st.lateOccurrences],
    ...(st.openCard ? { openCardOccurrenceMs: st.openCard.occurrenceMs } : {}),
    ...(awaitingAuthSince !== undefined ? { awaitingAuthSince } : {}),
    loginCards: st.loginCards,
    cancelled,
    answered: [...st.answered],
    rescheduled: [...(st.rescheduled ?? [])],
    ...(linked ? { eventStartMs: eventStart(), eventMoves: st.eventMoves ?? 0, droppedForEvent } : {}),
    ...(missingScopes ? { missingScopes } : {}),
    ...(st.escalated?.length ? { escalated: [...st.escalated] } : {}),
  }));

  const show = (state: string) =>
    setCurrentDetails(
      `State: ${state}. Next fire: ${nextFire !== undefined ? formatForUi(nextFire, timezone) : 'none'}; fired ${st.fired}, late ${st.lateOccurrences.length}` +
        (awaitingAuthSince !== undefined ? `; waiting for sign-in since ${new Date(awaitingAuthSince).toISOString()}` : '') +
        '.',
    );
  const index = async (patch: { nextFireAtMs?: number | null; firedCount?: number; status?: 'done'; awaitingAuth?: boolean }) => {
    try {
      await reminders.updateReminderIndex({ reminderId, ...patch });
    } catch (err) {
      // The index only mirrors the workflow; a failure must not stop the reminder.
      log.warn('reminder index not updated', { reminder_id: reminderId, error: failureName(err) });
    }
  };
  const resolveCard = async (outcome: ReminderCardOutcome) => {
    if (!st.openCard) return;
    try {
      await lark.updateCard({ messageId: st.openCard.messageId, card: resolvedReminderCard(input, outcome) });
    } catch {
      // The card only shows the outcome; the decision is already taken.
    }
  };

  /** A click on the live card. */
  async function applyClick(c: ReminderClick): Promise<'finish' | undefined> {
    if (c.action === 'snooze10' || c.action === 'snooze60') {
      st.snoozeUntilMs = Date.now() + SNOOZE_MS[c.action];
      if (st.openCard) st.snoozedCard = { messageId: st.openCard.messageId, untilMs: st.snoozeUntilMs };
      await resolveCard({ kind: 'snoozed', untilMs: st.snoozeUntilMs });
      st.openCard = undefined;
      return undefined;
    }
    const card = st.openCard;
    await resolveCard(c.action === 'done' ? { kind: 'done' } : { kind: 'rescheduling' });
    st.openCard = undefined;
    if (c.action === 'reschedule') {
      try {
        await reminders.requestReschedule({
          reminderId,
          occurrenceMs: c.occurrenceMs,
          openId,
          chatId: input.chatId,
          lang,
          ...(card ? { cardMessageId: card.messageId } : {}),
          ...(linked ? { eventId: linked.eventId } : {}),
          title: eventTitle() ?? input.text,
        });
      } catch (err) {
        if (!(err instanceof TemporalFailure)) throw err;
        // The toast already said it is opening: the user must hear that it did not.
        log.warn('reschedule request not started', { reminder_id: reminderId, error: failureName(err) });
        await tellUser(`reschedule-failed-${c.occurrenceMs}`, rescheduleNotStarted(lang, eventTitle() ?? input.text));
      }
    }
    return recurring ? undefined : 'finish';
  }

  /** The meeting as just read: a new start re-arms the reminder; the title is kept for the card and the notices. */
  function applyEventRead(read: { startMs?: number; title?: string }): void {
    if (read.title) st.eventTitle = read.title;
    if (read.startMs === undefined || read.startMs === eventStart()) return;
    log.info('linked event moved', { reminder_id: reminderId, from: eventStart(), to: read.startMs });
    st.eventStartMs = read.startMs;
    st.rearmedAtMs = Date.now();
    st.eventMoves = (st.eventMoves ?? 0) + 1;
  }

  /** The meeting went away (cancelled, deleted, or no longer shown): one plain message instead of the reminder, then the reminder ends. */
  async function dropForCancelledMeeting(why: MeetingGone | undefined): Promise<void> {
    droppedForEvent = true;
    const to = input.chatId.startsWith('ou_') ? { receiveIdType: 'open_id' as const, receiveId: input.chatId } : { receiveIdType: 'chat_id' as const, receiveId: input.chatId };
    await tellUser('meeting-cancelled', meetingCancelledDrop(lang, eventTitle(), input.text, linked?.minutesBefore ?? 0, why), to);
    log.info('linked reminder dropped: meeting cancelled', { reminder_id: reminderId });
  }

  /** A periodic look at the meeting while waiting. Any failure (auth, Lark down) keeps the last known time. */
  async function recheckEvent(): Promise<{ gone: MeetingGone | undefined } | undefined> {
    try {
      const read = await reminders.checkLinkedEvent({ openId, calendarId: linked!.calendarId, eventId: linked!.eventId });
      if (read.kind === 'gone') return { gone: read.why };
      applyEventRead(read);
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err;
      log.warn('linked event re-read failed; keeping the last known time', { reminder_id: reminderId, error: failureName(err) });
    }
    return undefined;
  }

  /** A notice, in the user's DM unless told where (best effort: a failure is logged, the reminder goes on). */
  async function tellUser(
    step: string,
    text: string,
    to: { receiveIdType: 'open_id' | 'chat_id'; receiveId: string } = { receiveIdType: 'open_id', receiveId: openId },
  ): Promise<void> {
    try {
      await lark.sendMessage({ sourceMessageId: `reminder-${reminderId}`, step, ...to, text });
    } catch (err) {
      log.warn('reminder notice not delivered', { reminder_id: reminderId, step, error: failureName(err) });
    }
  }

  /** The one buzz of an urgent reminder's unclicked card; a failure is logged and the reminder goes on. */
  async function escalate(occurrenceMs: number): Promise<void> {
    const card = st.openCard;
    if (!card || card.occurrenceMs !== occurrenceMs || st.escalated?.includes(occurrenceMs)) return;
    try {
      await reminders.escalateReminder({ reminderId, openId, messageId: card.messageId });
      push((st.escalated ??= []), occurrenceMs);
      log.info('urgent reminder buzzed', { reminder_id: reminderId, occurrence: occurrenceMs });
    } catch (err) {
      log.warn('urgent buzz not sent', { reminder_id: reminderId, occurrence: occurrenceMs, error: failureName(err) });
    }
  }

  /** One occurrence, marked as in flight while it is fired: a click on its card may come before fire() returns. */
  async function fire(occurrenceMs: number, followEvent: boolean): Promise<FireOutcome> {
    firing = occurrenceMs;
    try {
      return await post(occurrenceMs, followEvent);
    } finally {
      firing = undefined;
    }
  }

  /** One occurrence: posted once (the activity's uuid), retried while Lark is down, late-marked when late. */
  async function post(occurrenceMs: number, followEvent: boolean): Promise<FireOutcome> {
    const giveUpAt = Date.now() + settings.fireRetryForMs;
    let authWaitStart: number | undefined;
    for (;;) {
      const late = Date.now() - occurrenceMs > settings.lateAfterMs;
      try {
        const sent = await reminders.fireReminder({
          reminderId,
          openId,
          chatId: input.chatId,
          kind: input.kind,
          text: input.text,
          lang,
          timezone,
          occurrenceMs,
          ...(late ? { lateSinceMs: occurrenceMs } : {}),
          ...(input.eventLinked ? { eventLinked: true } : {}),
          // The occurrence re-reads its meeting before posting; a snooze just shows it as last read.
          ...(linked && followEvent ? { event: { ...linked, startMs: eventStart(), ...(eventTitle() ? { title: eventTitle() } : {}) } } : {}),
          ...(linked && !followEvent ? { meeting: { startMs: eventStart(), ...(eventTitle() ? { title: eventTitle() } : {}) } } : {}),
        });
        if (sent.kind === 'moved' || sent.kind === 'gone') {
          if (authWaitStart !== undefined) await index({ awaitingAuth: false });
          awaitingAuthSince = undefined;
          return sent;
        }
        if (st.openCard && input.kind === 'reminder') await resolveCard({ kind: 'replaced' }); // its buttons go: the new card is the live one
        st.openCard = input.kind === 'reminder' ? { occurrenceMs, messageId: sent.messageId, firedAtMs: Date.now() } : undefined;
        st.fired++;
        push(st.firedOccurrences, occurrenceMs);
        if (late) push(st.lateOccurrences, occurrenceMs);
        if (authWaitStart !== undefined) await index({ awaitingAuth: false });
        awaitingAuthSince = undefined;
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
            await tellUser(`undelivered-${occurrenceMs}`, reminderNotDelivered(lang, input.kind, occurrenceMs, timezone, recurring, why));
            return { kind: 'skipped' };
          }
          show('retrying');
          await condition(() => cancelled, 5 * 60_000);
          if (cancelled) return { kind: 'skipped' };
          continue;
        }
        // Acting as the user failed for want of a sign-in (refresh token gone) or of a scope the grant lacks:
        // say which permission is missing (the latter), one sign-in card, then wait.
        if (authWaitStart === undefined) {
          authWaitStart = Date.now();
          awaitingAuthSince = authWaitStart;
          await index({ awaitingAuth: true });
          if (scopeMissing) {
            missingScopes = failure.details.scopes ?? [];
            await tellUser(`scope-${occurrenceMs}`, missingPermission(lang, input.kind, missingScopes));
          }
          try {
            await auth.sendLoginCard({ openId, waitId: `reminder:${reminderId}:${occurrenceMs}`, pendingCount: 1, lang });
            st.loginCards++;
          } catch (cardErr) {
            log.warn('reminder login card not delivered', { reminder_id: reminderId, error: failureName(cardErr) });
          }
        }
        show('awaiting_auth');
        for (;;) {
          const left = authWaitStart + settings.authWaitMs - Date.now();
          if (left <= 0) {
            awaitingAuthSince = undefined;
            await index({ awaitingAuth: false });
            await tellUser(`skipped-${occurrenceMs}`, skippedForAuth(lang, input.kind, occurrenceMs, timezone, recurring));
            return { kind: 'skipped' };
          }
          authSignalled = false;
          await condition(() => authSignalled || cancelled, Math.min(left, settings.authRecheckMs));
          if (cancelled) return { kind: 'skipped' };
          if (authSignalled) break;
          try {
            if ((await auth.checkAuthorization(openId)).authorized) break;
          } catch (checkErr) {
            log.warn('reminder authorization recheck failed', { reminder_id: reminderId, error: failureName(checkErr) });
          }
        }
      }
    }
  }

  for (;;) {
    if (click) {
      const c = click;
      click = undefined;
      // Taken while its occurrence was being fired, but that fire never recorded the card (given up): nothing to apply.
      if (clickWhileFiring && st.openCard?.occurrenceMs !== c.occurrenceMs) {
        clickWhileFiring = false;
        continue;
      }
      clickWhileFiring = false;
      if ((await applyClick(c)) === 'finish') break;
      continue;
    }
    const occurrence = linked
      ? st.lastOccurrenceMs === undefined
        ? linkedFireAt()
        : undefined
      : nextOccurrence(input.schedule, st.lastOccurrenceMs ?? input.createdAtMs, timezone);
    nextFire = st.snoozeUntilMs !== undefined && (occurrence === undefined || st.snoozeUntilMs < occurrence) ? st.snoozeUntilMs : occurrence;
    if (nextFire === undefined) {
      // A one-off that fired: its card stays clickable for a while, then the reminder is done.
      await index({ nextFireAtMs: null, firedCount: st.fired });
      if (st.openCard) {
        show('awaiting_click');
        const until = st.openCard.firedAtMs + settings.clickWindowMs;
        if (await condition(() => click !== undefined || cancelled, Math.max(1, until - Date.now()))) {
          if (cancelled) break;
          continue;
        }
      }
      break;
    }
    // A linked reminder's re-reads loop here often: index only a changed time (others keep their recorded commands).
    if (!linked || nextFire !== indexedNext) await index({ nextFireAtMs: nextFire, firedCount: st.fired });
    indexedNext = nextFire;
    show(st.openCard ? 'waiting (card open)' : 'waiting');
    // A linked reminder waits in slices, re-reading its meeting between them.
    const followEvent = linked !== undefined && nextFire !== st.snoozeUntilMs;
    const wait = nextFire - Date.now();
    await condition(() => cancelled || click !== undefined || meetingMoved !== undefined || newZone !== undefined, Math.max(1, followEvent ? Math.min(wait, settings.eventCheckMs) : wait));
    if (cancelled) break;
    if (click) continue;
    if (newZone !== undefined) {
      // The same time of day in the user's new zone, from now on: a fresh run with that zone (its next occurrence is
      // computed there). A click or a cancel that came meanwhile is handled first, by this run.
      if (patched(PATCH_ZONE_FOLLOWS_USER)) {
        st.lastOccurrenceMs = Math.max(st.lastOccurrenceMs ?? input.createdAtMs, Date.now());
        await condition(allHandlersFinished);
        if (cancelled) break;
        if (click === undefined) return continueAsNew<typeof larkReminderWorkflow>({ ...input, timezone: newZone, carried: st });
      } else newZone = undefined;
      continue;
    }
    if (meetingMoved !== undefined) {
      // Moved through the bot: its new start is known, so re-arm now (the same as a re-read that finds a move).
      const moved = meetingMoved;
      meetingMoved = undefined;
      if (st.lastOccurrenceMs === undefined && patched(PATCH_MEETING_MOVED_SIGNAL)) {
        applyEventRead(moved);
        continue;
      }
    }
    if (followEvent && Date.now() < nextFire) {
      const recheck = await recheckEvent();
      if (recheck) {
        await dropForCancelledMeeting(recheck.gone);
        break;
      }
      // A linked reminder set weeks ahead re-reads many times: a fresh run keeps its history short.
      if (workflowInfo().continueAsNewSuggested && !cancelled && click === undefined) {
        await condition(allHandlersFinished);
        if (!cancelled && click === undefined) return continueAsNew<typeof larkReminderWorkflow>({ ...input, carried: st });
      }
      continue;
    }
    const due = nextFire;
    const snoozed = due === st.snoozeUntilMs;
    if (snoozed) {
      st.snoozeUntilMs = undefined;
      st.snoozedCard = undefined;
    }
    else st.lastOccurrenceMs = due;
    const outcome = await fire(due, followEvent);
    if (outcome.kind === 'moved') {
      // Not fired: the meeting moved since the last look. Re-arm for its new start.
      if (!snoozed) st.lastOccurrenceMs = undefined;
      applyEventRead(outcome);
      continue;
    }
    if (outcome.kind === 'gone') {
      await dropForCancelledMeeting(outcome.why);
      break;
    }
    if (cancelled) break;
    // An urgent reminder (input.urgent: none before this existed, so older histories never come here) whose
    // fresh card nobody clicked in time gets one buzz. A snoozed re-fire does not: the user answered its card.
    if (input.urgent && outcome.kind === 'fired' && !snoozed && st.openCard?.occurrenceMs === due) {
      show('awaiting click (urgent)');
      const answered = await condition(() => click !== undefined || cancelled, Math.max(1, settings.urgentAfterMs ?? 10 * MINUTE));
      if (cancelled) break;
      if (answered) continue; // the click is applied at the top of the loop
      await escalate(due);
    }
    nextFire = undefined;
    // A click taken while this occurrence was being fired is applied here, not carried off by the next run.
    if (recurring && click !== undefined && clickWhileFiring) {
      clickWhileFiring = false;
      continue;
    }
    if (recurring) {
      // One run per occurrence: a short history for a reminder that lives for years, and new workflow code
      // at each occurrence. The live card, the snooze and the answered cards carry over, so clicks still work.
      await index({ firedCount: st.fired });
      // A cancel that arrived while the index was written must end this run, not ride into the next one.
      if (cancelled) break;
      await condition(allHandlersFinished);
      if (cancelled) break;
      // A change of zone that came while this occurrence fired: the next run is in the new zone.
      const zone = newZone !== undefined && patched(PATCH_ZONE_FOLLOWS_USER) ? { timezone: newZone } : {};
      return continueAsNew<typeof larkReminderWorkflow>({ ...input, ...zone, carried: st });
    }
  }

  nextFire = undefined;
  if (cancelled) {
    await resolveCard({ kind: 'cancelled' });
    // A card snoozed earlier said "snoozed until …": that will not happen now, so it says cancelled too.
    if (st.snoozedCard && st.snoozedCard.messageId !== st.openCard?.messageId && patched(PATCH_CANCEL_UPDATES_SNOOZED_CARD)) {
      try {
        await lark.updateCard({ messageId: st.snoozedCard.messageId, card: resolvedReminderCard(input, { kind: 'cancelled' }) });
      } catch {
        // The card only shows the outcome; the reminder is cancelled either way.
      }
    }
    show('cancelled');
    await condition(allHandlersFinished);
    return 'cancelled';
  }
  await index({ status: 'done', nextFireAtMs: null, firedCount: st.fired });
  show('done');
  await condition(allHandlersFinished);
  return 'done';
}

