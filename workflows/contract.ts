/**
 * The workflow contract: every id, search attribute, input, signal, update and query the workflows answer to,
 * in one module that the webhook, the activities, the workflows and the tests import. Plain definitions only
 * (no I/O), so it is safe in the workflow sandbox and in any process that talks to Temporal.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReminderAction } from '../src/cards/reminder-card';
import type { ReminderSettings, UserSettings } from '../src/config';
import type { LarkEvent, UserMessage } from '../src/lark/event-types';
import type { LinkedEvent, ReminderFacts, ReminderSchedule } from '../src/reminders/schedule';

export type { ReminderSettings, UserSettings } from '../src/config';
export type { ReminderAction } from '../src/cards/reminder-card';
export type { UserMessage } from '../src/lark/event-types';

// ---- Workflow ids, readable in the Temporal UI. The event id makes an event's start idempotent.
export const eventWorkflowId = (eventId: string): string => `lark-event-${eventId}`;
export const userWorkflowId = (openId: string): string => `lark-user-${openId}`;

// ---- Search attributes: registered at dev-server start (`--search-attribute`) and on a cluster with
// `temporal operator search-attribute create`. A payload codec never encrypts them: ids and states only.
export const LarkOpenId = defineSearchAttributeKey('LarkOpenId', SearchAttributeType.KEYWORD);
export const LarkChatId = defineSearchAttributeKey('LarkChatId', SearchAttributeType.KEYWORD);
export const LarkEventType = defineSearchAttributeKey('LarkEventType', SearchAttributeType.KEYWORD);
export const AgentState = defineSearchAttributeKey('AgentState', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = [LarkOpenId, LarkChatId, LarkEventType, AgentState];

/** `NAME=Type` pairs as the Temporal CLI takes them. */
export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}

// ---- The event workflow (`lark-event-<event_id>`): one run per Lark delivery.
export type EventOutcome =
  | { outcome: 'routed'; userWorkflowId: string; messageId: string }
  /** Past the sender's intake limit: not handed to their run; named in one notice per burst (`noticed` on its sender's run). */
  | { outcome: 'rate_limited'; userWorkflowId: string; messageId: string; noticed?: number }
  | { outcome: 'ignored'; reason: string };
/** The event workflow's signature, for typed starts by name (the webhook imports no workflow code). */
export type LarkEventWorkflow = (event: LarkEvent) => Promise<EventOutcome>;

// ---- The per-user workflow (`lark-user-<open_id>`).
export interface UserWorkflowInput {
  openId: string;
  /** The starting worker's settings; each new message brings the routing worker's (newMessageSignal). */
  settings: UserSettings;
}
export type LarkUserWorkflow = (input: UserWorkflowInput) => Promise<void>;

/**
 * A message for the user, with the settings of the worker that routed it: a running workflow adopts them,
 * so a changed setting (AGENT_STEP_CAP, ...) reaches every user with their next message, without a restart.
 * Tests may leave the settings out (the run keeps its own).
 */
export const newMessageSignal = defineSignal<[UserMessage, UserSettings?]>('newMessage');

/** From the OAuth callback: the user finished, declined, or failed the authorization step. */
export interface AuthResult {
  /** failed: expired or used link, wrong account, or a refused code exchange: the user needs a fresh link. */
  outcome: 'authorized' | 'denied' | 'failed';
}
export const authResultSignal = defineSignal<[AuthResult]>('authResult');

/** A card click (the card callback), sent to the card owner's workflow: Confirm / Cancel, or a find-a-time choice. */
export interface ConfirmationDecision {
  key: string;
  /** 'confirm' | 'cancel' on a Confirm card; a slot index ("0".."2") or 'none' on a find-a-time card. */
  decision: string;
  /** Who clicked (open_id): the workflow checks it is its owner too (the webhook already did). Optional: older callers. */
  by?: string;
}
/** What the click changed, so the toast can say so. */
export type ConfirmationReply = { result: 'accepted' | 'already_answered' | 'unknown' | 'not_yours' };
export const confirmationUpdate = defineUpdate<ConfirmationReply, [ConfirmationDecision]>('confirmation');

/** The Undo button on an answer's changes (key: the request's message id). */
export type UndoReply = { result: 'accepted' | 'already_done' | 'expired' | 'unknown' | 'not_yours' };
export const undoUpdate = defineUpdate<UndoReply, [{ key: string; by?: string }]>('undo');

/** The login card's "send me a new link" button. */
export type LoginLinkReply = { result: 'sending' | 'too_soon' | 'not_waiting' };
export const loginLinkUpdate = defineUpdate<LoginLinkReply, []>('newLoginLink');

export interface UserWorkflowState {
  openId: string;
  /** Messages accepted (not duplicates) since this run chain began. */
  acceptedCount: number;
  duplicateCount: number;
  pendingCount: number;
  /** The most recent accepted message ids, oldest first (the bounded dedup window). */
  recentMessageIds: string[];
  /** Whether the last check found the user authorized (undefined before any request needed it). */
  authorized?: boolean;
  /** Workflow time (ms) since which the user's requests wait for authorization; undefined when not waiting. */
  waitingForAuthSince?: number;
  loginCardsSent: number;
  completedCount: number;
  expiredCount: number;
  /** Requests that ended in an apology (a failure the workflow contained). */
  failedCount: number;
  /** Apologies that could not be delivered (logged, never rethrown). */
  undeliveredCount: number;
  /** Messages refused because too many requests were waiting (each named in a notice). */
  refusedCount?: number;
  /** Keys of confirmation cards waiting for a click. */
  awaitingConfirmation: string[];
  /** Chats with a request being worked on right now. */
  activeChats: string[];
  /** The last contained failures: ids and failure types only. */
  lastFailures: Array<{ messageId: string; type: string; atMs: number }>;
  /** Chats remembered (memory is per chat). */
  memoryChats: string[];
  /** Requests whose changes can still be undone, and those undone (keys only). */
  undoable: string[];
  undone: string[];
}

export const userStateQuery = defineQuery<UserWorkflowState>('state');

// ---- A reminder workflow (`lark-reminder-<id>`): one per reminder, owned by Temporal.
export interface ReminderWorkflowInput extends ReminderFacts {
  reminderId: string;
  schedule: ReminderSchedule;
  createdAtMs: number;
  /** The settings it was set with (config.reminders.settings); it keeps them across continue-as-new. */
  settings: ReminderSettings;
  /** Runs started before linked reminders followed their event: a Reschedule button, nothing more. */
  eventLinked?: boolean;
  /** The meeting this reminder follows (ids and the offset; its start and title as read when set). */
  event?: LinkedEvent;
  /** Set with "urgently": an unclicked card gets one in-app buzz after settings.urgentAfterMs. */
  urgent?: boolean;
}
export type LarkReminderWorkflow = (input: ReminderWorkflowInput) => Promise<'done' | 'cancelled'>;

export const reminderWorkflowId = (reminderId: string): string => `lark-reminder-${reminderId}`;

/** cancel_reminder (after the index row is marked cancelled): no further fires. */
export const reminderCancelSignal = defineSignal<[]>('reminderCancel');
/** The OAuth callback: the user signed in, so a fire waiting for authorization can go ahead now. */
export const reminderAuthSignal = defineSignal<[]>('reminderAuthorized');
/**
 * A meeting-linked reminder's meeting was moved through the bot (update_event): its new start (and title), so the
 * reminder re-arms in the same turn instead of at its next re-read. Sent only to a reminder still waiting to fire.
 */
export const reminderEventMovedSignal = defineSignal<[{ startMs: number; title?: string }]>('reminderEventMoved');

/**
 * The user changed their zone (set_timezone): a repeating reminder keeps its time of day in the new zone ("08:00
 * every day" stays 08:00 where the user now is). Sent only to repeating reminders with a wall-clock time.
 */
export const reminderTimezoneSignal = defineSignal<[{ timezone: string }]>('reminderTimezone');

/** A click on the reminder card; `occurrenceMs` names the card (one card per occurrence). */
export interface ReminderClick {
  action: ReminderAction;
  occurrenceMs: number;
  /** Who clicked (open_id): only the reminder's owner may answer it (checked by the webhook and here). */
  by?: string;
}
/**
 * accepted: the click changed something; already_answered: this card was answered (rescheduled: by a
 * Reschedule, whose request is already open); stale: the card is no longer live.
 */
export type ReminderClickReply = { result: 'accepted' | 'already_answered' | 'stale' | 'not_yours'; rescheduled?: boolean };
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
  /** An urgent reminder: the occurrences whose unclicked card was buzzed (once each). */
  escalated?: number[];
}
export const reminderStateQuery = defineQuery<ReminderWorkflowState>('reminderState');
