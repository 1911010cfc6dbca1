/** Intake activities: the I/O the event workflow needs. */
import type { Client } from '@temporalio/client';
import type { UserMessage } from '../src/lark/event-types';
import type { UserSettings } from '../src/config';
import type { IntakeLimits } from '../src/storage/intake-limits';
import { LarkOpenId, newMessageSignal, userWorkflowId, type LarkUserWorkflow } from '../workflows/contract';

export interface IntakeDeps {
  client: Client;
  taskQueue: string;
  /** The per-user workflow's settings (config.user): they start the run and ride with every message. */
  userSettings: UserSettings;
  /** The per-sender limit; without it (reminders routing their own firing) every message is routed. */
  limits?: IntakeLimits;
}

/** What routing did with a message: handed to the run, or refused by the sender's intake limit. */
export type RouteResult = { userWorkflowId: string; limited?: { noticeOwner: boolean } };

export function createIntakeActivities({ client, taskQueue, userSettings, limits }: IntakeDeps) {
  return {
    /**
     * Signal-with-start the sender's per-user workflow, unless the sender is past their intake limit (decided
     * once per message_id, so a retry decides the same). A retry re-sends the same signal; the per-user workflow
     * drops the repeat by message_id.
     */
    async routeMessageToUser(msg: UserMessage): Promise<RouteResult> {
      const workflowId = userWorkflowId(msg.openId);
      if (limits) {
        const decision = await limits.decide({ messageId: msg.messageId, openId: msg.openId, chatId: msg.chatId, text: msg.text ?? `[${msg.messageType}]` });
        if (!decision.allowed) return { userWorkflowId: workflowId, limited: { noticeOwner: decision.noticeOwner } };
      }
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
        staticDetails: "Owns this user's requests in order: queue, authorization wait, agent runs.",
      });
      return { userWorkflowId: workflowId };
    },

    /** The previews of the chat's refused messages this notice names (idempotent: a retry gets the same list). */
    async takeIntakeRefusals(input: { openId: string; chatId: string; noticeMessageId: string }): Promise<string[]> {
      if (!limits) return [];
      return limits.takeRefusals(input.openId, input.chatId, input.noticeMessageId);
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;
