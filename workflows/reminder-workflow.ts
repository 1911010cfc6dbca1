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
 *
 * This file wires the signals, the click Update, the query and the main loop's timers to the state; the state is
 * ReminderState (reminder-state.ts), and the parts are one occurrence's fire (reminder-fire.ts), its sign-in wait
 * (reminder-sign-in.ts, the rules shared with the per-user workflow in sign-in-wait.ts), the card's clicks and the
 * urgent buzz (reminder-clicks.ts), the linked meeting (reminder-meeting.ts) and what the run says outside itself
 * (reminder-outbox.ts). Activities are proxied in activity-proxies.ts.
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  reminderAuthSignal,
  reminderCancelSignal,
  reminderClickUpdate,
  reminderEventMovedSignal,
  reminderStateQuery,
  reminderTimezoneSignal,
} from './contract';
import { applyClick, escalate } from './reminder-clicks';
import { fire } from './reminder-fire';
import { applyEventRead, dropForCancelledMeeting, recheckEvent } from './reminder-meeting';
import { ReminderOutbox } from './reminder-outbox';
import { MINUTE, ReminderState, type ReminderInput } from './reminder-state';

export type { ReminderCarried } from './reminder-state';

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

/** The input, plus what the previous run carried over (only continue-as-new passes it). */
export async function larkReminderWorkflow(input: ReminderInput): Promise<'done' | 'cancelled'> {
  const { settings } = input;
  const s = new ReminderState(input);
  const st = s.st;
  const out = new ReminderOutbox(input, s);
  const show = (state: string) => out.show(state);

  setHandler(reminderCancelSignal, () => s.cancel());
  setHandler(reminderAuthSignal, () => s.signedIn());
  setHandler(reminderEventMovedSignal, (m) => s.meetingMovedTo(m));
  setHandler(reminderTimezoneSignal, (z) => s.zoneChanged(z.timezone));
  setHandler(reminderClickUpdate, (c) => s.clicked(c, () => patched(PATCH_CLICK_WHILE_FIRING)));
  setHandler(reminderStateQuery, () => s.snapshot());

  for (;;) {
    const taken = s.takeClick();
    if (taken) {
      // Taken while its occurrence was being fired, but that fire never recorded the card (given up): nothing to apply.
      if (!taken.apply) continue;
      if ((await applyClick(input, s, out, taken.click)) === 'finish') break;
      continue;
    }
    const nextFire = s.planNextFire();
    if (nextFire === undefined) {
      // A one-off that fired: its card stays clickable for a while, then the reminder is done.
      await out.index({ nextFireAtMs: null, firedCount: st.fired });
      if (st.openCard) {
        show('awaiting_click');
        const until = st.openCard.firedAtMs + settings.clickWindowMs;
        if (await condition(() => s.click !== undefined || s.cancelled, Math.max(1, until - Date.now()))) {
          if (s.cancelled) break;
          continue;
        }
      }
      break;
    }
    // A linked reminder's re-reads loop here often: index only a changed time (others keep their recorded commands).
    if (s.indexWanted()) await out.index({ nextFireAtMs: nextFire, firedCount: st.fired });
    s.indexedNext = nextFire;
    show(st.openCard ? 'waiting (card open)' : 'waiting');
    // A linked reminder waits in slices, re-reading its meeting between them.
    const followEvent = s.followsEvent();
    const wait = nextFire - Date.now();
    await condition(() => s.wakesEarly(), Math.max(1, followEvent ? Math.min(wait, settings.eventCheckMs) : wait));
    if (s.cancelled) break;
    if (s.click) continue;
    if (s.newZone !== undefined) {
      // The same time of day in the user's new zone, from now on: a fresh run with that zone (its next occurrence is
      // computed there). A click or a cancel that came meanwhile is handled first, by this run.
      if (patched(PATCH_ZONE_FOLLOWS_USER)) {
        s.leaveForNewZone(Date.now());
        await condition(allHandlersFinished);
        if (s.cancelled) break;
        if (s.click === undefined) return continueAsNew<typeof larkReminderWorkflow>({ ...input, timezone: s.newZone, carried: st });
      } else s.newZone = undefined;
      continue;
    }
    const moved = s.takeMeetingMoved();
    if (moved !== undefined) {
      // Moved through the bot: its new start is known, so re-arm now (the same as a re-read that finds a move).
      if (st.lastOccurrenceMs === undefined && patched(PATCH_MEETING_MOVED_SIGNAL)) {
        applyEventRead(input, s, moved);
        continue;
      }
    }
    if (followEvent && Date.now() < nextFire) {
      const recheck = await recheckEvent(input, s);
      if (recheck) {
        await dropForCancelledMeeting(input, s, out, recheck.gone);
        break;
      }
      // A linked reminder set weeks ahead re-reads many times: a fresh run keeps its history short.
      if (workflowInfo().continueAsNewSuggested && !s.cancelled && s.click === undefined) {
        await condition(allHandlersFinished);
        if (!s.cancelled && s.click === undefined) return continueAsNew<typeof larkReminderWorkflow>({ ...input, carried: st });
      }
      continue;
    }
    const due = nextFire;
    const snoozed = s.startFire(due);
    const outcome = await fire(input, s, out, due, followEvent);
    if (outcome.kind === 'moved') {
      // Not fired: the meeting moved since the last look. Re-arm for its new start.
      s.unfire(snoozed);
      applyEventRead(input, s, outcome);
      continue;
    }
    if (outcome.kind === 'gone') {
      await dropForCancelledMeeting(input, s, out, outcome.why);
      break;
    }
    if (s.cancelled) break;
    // An urgent reminder (input.urgent: none before this existed, so older histories never come here) whose
    // fresh card nobody clicked in time gets one buzz. A snoozed re-fire does not: the user answered its card.
    if (input.urgent && outcome.kind === 'fired' && !snoozed && st.openCard?.occurrenceMs === due) {
      show('awaiting click (urgent)');
      const answered = await condition(() => s.click !== undefined || s.cancelled, Math.max(1, settings.urgentAfterMs ?? 10 * MINUTE));
      if (s.cancelled) break;
      if (answered) continue; // the click is applied at the top of the loop
      await escalate(input, s, due);
    }
    s.nextFire = undefined;
    // A click taken while this occurrence was being fired is applied here, not carried off by the next run.
    if (s.recurring && s.click !== undefined && s.clickWhileFiring) {
      s.clickWhileFiring = false;
      continue;
    }
    if (s.recurring) {
      // One run per occurrence: a short history for a reminder that lives for years, and new workflow code
      // at each occurrence. The live card, the snooze and the answered cards carry over, so clicks still work.
      await out.index({ firedCount: st.fired });
      // A cancel that arrived while the index was written must end this run, not ride into the next one.
      if (s.cancelled) break;
      await condition(allHandlersFinished);
      if (s.cancelled) break;
      // A change of zone that came while this occurrence fired: the next run is in the new zone.
      const zone = s.newZone !== undefined && patched(PATCH_ZONE_FOLLOWS_USER) ? { timezone: s.newZone } : {};
      return continueAsNew<typeof larkReminderWorkflow>({ ...input, ...zone, carried: st });
    }
  }

  s.nextFire = undefined;
  if (s.cancelled) {
    await out.resolveCard({ kind: 'cancelled' });
    // A card snoozed earlier said "snoozed until …": that will not happen now, so it says cancelled too.
    const snoozedCard = s.snoozedCardToCancel();
    if (snoozedCard !== undefined && patched(PATCH_CANCEL_UPDATES_SNOOZED_CARD)) await out.updateCard(snoozedCard, { kind: 'cancelled' });
    show('cancelled');
    await condition(allHandlersFinished);
    return 'cancelled';
  }
  await out.index({ status: 'done', nextFireAtMs: null, firedCount: st.fired });
  show('done');
  await condition(allHandlersFinished);
  return 'done';
}
