/** Intake activities: the I/O the event workflow needs. */
import type { Client } from '@temporalio/client';
import type { UserMessage } from '../src/lark/event-types';
import { userWorkflowId } from '../workflows/ids';
import { LarkOpenId } from '../workflows/search-attributes';
import { newMessageSignal } from '../workflows/user-messages';
import type { larkUserWorkflow, UserSettings } from '../workflows/user-workflow';

export interface IntakeDeps {
  client: Client;
  taskQueue: string;
  /** Settings each per-user workflow starts with (from config). */
  userSettings: Partial<UserSettings>;
}

export function createIntakeActivities({ client, taskQueue, userSettings }: IntakeDeps) {
  return {
    /**
     * Signal-with-start the sender's per-user workflow. A retry re-sends the same signal;
     * the per-user workflow drops the repeat by message_id.
     */
    async routeMessageToUser(msg: UserMessage): Promise<{ userWorkflowId: string }> {
      const workflowId = userWorkflowId(msg.openId);
      await client.workflow.signalWithStart<typeof larkUserWorkflow, [UserMessage]>('larkUserWorkflow', {
        workflowId,
        taskQueue,
        args: [{ openId: msg.openId, settings: userSettings }],
        signal: newMessageSignal,
        signalArgs: [msg],
        typedSearchAttributes: [{ key: LarkOpenId, value: msg.openId }],
        // A workflow task in flight on a worker that dies is retried elsewhere after this (default 10 s).
        workflowTaskTimeout: '4 seconds',
        staticSummary: `Lark user ${msg.openId}`,
        staticDetails: 'Owns this user\'s requests in order: queue, authorization wait, agent runs.',
      });
      return { userWorkflowId: workflowId };
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;
