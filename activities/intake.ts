/** Intake activities: the I/O the event workflow needs. */
import type { Client } from '@temporalio/client';
import type { UserMessage } from '../src/lark/event-types';
import type { UserSettings } from '../src/config';
import { LarkOpenId, newMessageSignal, userWorkflowId, type LarkUserWorkflow } from '../workflows/contract';

export interface IntakeDeps {
  client: Client;
  taskQueue: string;
  /** The per-user workflow's settings (config.user): they start the run and ride with every message. */
  userSettings: UserSettings;
}

export function createIntakeActivities({ client, taskQueue, userSettings }: IntakeDeps) {
  return {
    /**
     * Signal-with-start the sender's per-user workflow. A retry re-sends the same signal;
     * the per-user workflow drops the repeat by message_id.
     */
    async routeMessageToUser(msg: UserMessage): Promise<{ userWorkflowId: string }> {
      const workflowId = userWorkflowId(msg.openId);
      await client.workflow.signalWithStart<LarkUserWorkflow, [UserMessage, UserSettings?]>('larkUserWorkflow', {
        workflowId,
        taskQueue,
        args: [{ openId: msg.openId, settings: userSettings }],
        signal: newMessageSignal,
        signalArgs: [msg, userSettings],
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
