/**
 * Reverses one change the agent made, as the user, from the plan captured when the change was made
 * (src/agent/undo-plan.ts). Idempotent: a recreated event carries an idempotency key derived from the undo,
 * and "already gone" counts as undone. What cannot be restored is reported, never thrown: the workflow tells
 * the user. Transient Lark trouble is thrown retryable for Temporal.
 */
import { primaryCalendarLookup } from './primary-calendar';
import type { UndoPlan } from '../src/agent/undo-plan';
import { asUser, stableUuid, type LarkClient } from '../src/lark/client';
import { classifyLarkError, toLarkFailure } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import type { UserTokenStore } from '../src/storage/token-store';
import { fromCalendarSeconds } from '../src/lark/time';
import type { RestoredReminders } from '../src/i18n/messages';
import type { ReminderService } from './reminders';

export interface UndoInput {
  openId: string;
  /** The undo's id (the request's message id) plus the change's position: the idempotency key. */
  undoKey: string;
  plan: UndoPlan;
}

/** ok, with what became of the meeting's linked reminders when it had any (set again, moved back, or not). */
export type UndoOutcome = { ok: true; reminders?: RestoredReminders } | { ok: false; why: 'gone' | 'refused' | 'not_signed_in'; detail?: string };

/** Lark's "not found" answers for an object that is already gone (deleting it again is a no-op). */
const ALREADY_GONE = new Set([1470404, 193001, 190003, 191002]);

export function createUndoActivities({
  client,
  tokens,
  reminders,
}: {
  client: LarkClient;
  tokens: UserTokenStore;
  reminders?: Pick<ReminderService, 'restoreForEvent' | 'followMeeting'>;
}) {
  const primaryCalendar = primaryCalendarLookup(client, tokens);

  return {
    async undoChange({ openId, undoKey, plan }: UndoInput): Promise<UndoOutcome> {
      const as = { as: asUser(openId) };
      try {
        switch (plan.op) {
          case 'delete_event': {
            await client.deleteEvent(await primaryCalendar(openId), plan.eventId, { needNotification: true }, as);
            return { ok: true };
          }
          case 'restore_event': {
            await client.patchEvent(
              await primaryCalendar(openId),
              plan.eventId,
              {
                ...(plan.summary ? { summary: plan.summary } : {}),
                ...(plan.startSec ? { start: { timestampSec: plan.startSec, ...(plan.timezone ? { timezone: plan.timezone } : {}) } } : {}),
                ...(plan.endSec ? { end: { timestampSec: plan.endSec, ...(plan.timezone ? { timezone: plan.timezone } : {}) } } : {}),
              },
              as,
            );
            // Its linked reminders moved with the meeting: they move back with it, in the same step.
            if (plan.startSec && reminders) {
              const moved = await reminders.followMeeting(
                openId,
                plan.eventId,
                { kind: 'moved', startMs: fromCalendarSeconds(plan.startSec).getTime(), ...(plan.summary ? { title: plan.summary } : {}) },
                Date.now(),
              );
              if (moved.length) return { ok: true, reminders: { restored: moved.map((r) => ({ text: r.text })), notRestored: [] } };
            }
            return { ok: true };
          }
          case 'recreate_event': {
            const calendarId = await primaryCalendar(openId);
            const event = await client.createEvent(
              calendarId,
              {
                summary: plan.summary ?? '',
                ...(plan.description ? { description: plan.description } : {}),
                start: { timestampSec: plan.startSec, ...(plan.timezone ? { timezone: plan.timezone } : {}) },
                end: { timestampSec: plan.endSec, ...(plan.timezone ? { timezone: plan.timezone } : {}) },
                attendeeAbility: 'can_see_others',
              },
              stableUuid('undo-recreate', undoKey),
              as,
            );
            // People and rooms in one call, as the original had them (a room answers on its own, as when booked).
            const again = [
              ...plan.attendeeOpenIds.map((id) => ({ type: 'user' as const, id })),
              ...(plan.roomIds ?? []).map((id) => ({ type: 'resource' as const, id })),
            ];
            if (again.length) await client.addAttendees(calendarId, event.event_id, again, { needNotification: true }, as);
            if (plan.reminderIds?.length && reminders) {
              const startMs = fromCalendarSeconds(plan.startSec).getTime();
              const restored = await reminders.restoreForEvent(
                openId,
                plan.reminderIds,
                { calendarId, eventId: event.event_id, startMs, ...(plan.summary ? { title: plan.summary } : {}) },
                undoKey,
                Date.now(),
              );
              return { ok: true, reminders: restored };
            }
            return { ok: true };
          }
          case 'delete_task':
            await client.deleteTask(plan.taskGuid, as);
            return { ok: true };
          case 'uncomplete_task':
            // "0" is Task v2's "not completed".
            await client.patchTask(plan.taskGuid, { completed_at: '0' }, ['completed_at'], as);
            return { ok: true };
        }
      } catch (err) {
        const c = classifyLarkError(err);
        const code = c?.details.code;
        if (code !== undefined && ALREADY_GONE.has(code) && (plan.op === 'delete_event' || plan.op === 'delete_task')) return { ok: true };
        if (c?.type === LarkFailureType.UserAuthRequired || c?.type === LarkFailureType.TokenInvalid) return { ok: false, why: 'not_signed_in' };
        if (c && !c.retryable) return { ok: false, why: code !== undefined && ALREADY_GONE.has(code) ? 'gone' : 'refused', detail: c.message };
        throw toLarkFailure(err);
      }
    },
  };
}

export type UndoActivities = ReturnType<typeof createUndoActivities>;
