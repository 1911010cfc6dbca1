/** Signals, updates and queries of the per-user workflow, shared by workflow code, activities, the webhook and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { UserMessage } from '../src/lark/event-types';

export const newMessageSignal = defineSignal<[UserMessage]>('newMessage');

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
}
/** What the click changed, so the toast can say so. */
export type ConfirmationReply = { result: 'accepted' | 'already_answered' | 'unknown' };
export const confirmationUpdate = defineUpdate<ConfirmationReply, [ConfirmationDecision]>('confirmation');

/** The Undo button on an answer's changes (key: the request's message id). */
export type UndoReply = { result: 'accepted' | 'already_done' | 'expired' | 'unknown' };
export const undoUpdate = defineUpdate<UndoReply, [{ key: string }]>('undo');

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
