/** Signals, updates and queries of a reminder workflow (`lark-reminder-<id>`), shared by workflow code, activities, the webhook and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const reminderWorkflowId = (reminderId: string): string => `lark-reminder-${reminderId}`;

/** cancel_reminder (after the index row is marked cancelled): no further fires. */
export const reminderCancelSignal = defineSignal<[]>('reminderCancel');
/** The OAuth callback: the user signed in, so a fire waiting for authorization can go ahead now. */
export const reminderAuthSignal = defineSignal<[]>('reminderAuthorized');

export type ReminderAction = 'snooze10' | 'snooze60' | 'done' | 'reschedule';
/** A click on the reminder card; `occurrenceMs` names the card (one card per occurrence). */
export interface ReminderClick {
  action: ReminderAction;
  occurrenceMs: number;
}
/**
 * accepted: the click changed something; already_answered: this card was answered (rescheduled: by a
 * Reschedule, whose request is already open); stale: the card is no longer live.
 */
export type ReminderClickReply = { result: 'accepted' | 'already_answered' | 'stale'; rescheduled?: boolean };
export const reminderClickUpdate = defineUpdate<ReminderClickReply, [ReminderClick]>('reminderClick');

export interface ReminderWorkflowState {
  reminderId: string;
  /** Epoch ms of the next fire (a snooze included); undefined when nothing is scheduled. */
  nextFireAtMs?: number;
  fired: number;
  /** Occurrence times that were fired, oldest first (bounded). */
  firedOccurrences: number[];
  /** Of those, the ones fired more than the late threshold after their time. */
  lateOccurrences: number[];
  openCardOccurrenceMs?: number;
  awaitingAuthSince?: number;
  loginCards: number;
  cancelled: boolean;
  /** Cards answered by a click, and of those the ones answered by Reschedule (a late click's toast says which). */
  answered?: number[];
  rescheduled?: number[];
  /** A meeting-linked reminder: the meeting's start as last read, how often it moved, whether it was dropped (meeting cancelled). */
  eventStartMs?: number;
  eventMoves?: number;
  droppedForEvent?: boolean;
  /** A fire that hit a permission the user's sign-in lacks: the scopes named to the user. */
  missingScopes?: string[];
}
export const reminderStateQuery = defineQuery<ReminderWorkflowState>('reminderState');
