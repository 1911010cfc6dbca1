/** Signals and queries of the per-user workflow, shared by workflow code, activities and tests. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { UserMessage } from '../src/lark/event-types';

export const newMessageSignal = defineSignal<[UserMessage]>('newMessage');

export interface UserWorkflowState {
  openId: string;
  /** Messages accepted (not duplicates) since this run chain began. */
  acceptedCount: number;
  duplicateCount: number;
  pendingCount: number;
  /** The most recent accepted message ids, oldest first (the bounded dedup window). */
  recentMessageIds: string[];
}

export const userStateQuery = defineQuery<UserWorkflowState>('state');
