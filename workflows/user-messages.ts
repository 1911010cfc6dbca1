/** Signals and queries of the per-user workflow, shared by workflow code, activities and tests. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { UserMessage } from '../src/lark/event-types';

export const newMessageSignal = defineSignal<[UserMessage]>('newMessage');

/** From the OAuth callback: the user finished (or declined) the authorization step. */
export interface AuthResult {
  outcome: 'authorized' | 'denied';
}
export const authResultSignal = defineSignal<[AuthResult]>('authResult');

/** From a Confirm / Cancel card click (the card callback). */
export interface ConfirmationDecision {
  key: string;
  decision: 'confirm' | 'cancel';
}
export const confirmationSignal = defineSignal<[ConfirmationDecision]>('confirmation');

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
  /** Keys of confirmation cards waiting for a click. */
  awaitingConfirmation: string[];
}

export const userStateQuery = defineQuery<UserWorkflowState>('state');
