/**
 * The agent's tools as activities: each call runs as its own activity with the USER's identity (their OAuth
 * token, looked up by open_id), dispatched through ONE table from tool name to its family's implementation
 * (activities/tools/<family>.ts; the specs are src/tools/<family>/spec.ts, and the compiler checks the table
 * covers the registry). Input problems come back as an error tool_result the model can correct; authorization
 * problems are thrown typed so the per-user workflow can ask the user to sign in; transient Lark trouble is thrown
 * retryable for Temporal. The activity names (runTool, inspectEvent, inspectRoom, checkSlot,
 * eventHasOtherAttendees) are what running workflows call: they do not change.
 */
import { frameOthersContent, READS_OTHERS_CONTENT } from '../../src/agent/others-content';
import type { RunToolInput, ToolOutcome } from '../../src/agent/tool-io';
import type { SchedulingConfig } from '../../src/config';
import type { LarkClient } from '../../src/lark/client';
import { classifyLarkError, toLarkFailure } from '../../src/lark/errors';
import { LarkFailureType } from '../../src/lark/failure-types';
import type { UserTokenStore } from '../../src/storage/token-store';
import { validateToolInput, type ToolCall, type ToolInputs } from '../../src/tools';
import type { ReminderTools } from '../reminders';
import { ToolInputError, WithEffect } from '../tool-results';
import { createCalendarTools } from './calendar';
import { createPeopleTools } from './people';
import { createReminderToolHandlers } from './reminders';
import type { Handlers } from './shared';
import { createTaskTools } from './tasks';

export interface ToolActivityDeps {
  client: LarkClient;
  tokens: UserTokenStore;
  /** Working hours, days, lunch and people's zones (config.scheduling). */
  scheduling: SchedulingConfig;
  /** The reminder tools (activities/reminders.ts); without them those tools answer that reminders are off. */
  reminders?: ReminderTools;
  /**
   * Lark books a room asynchronously: a room still needs_action right after it is added is read again, once a
   * second, for up to this long before the answer says "not accepted yet" (default 3,000 ms; 0 reads once).
   */
  roomSettleMs?: number;
}

export function createToolActivities({ client, tokens, scheduling, reminders, roomSettleMs = 3_000 }: ToolActivityDeps) {
  const people = createPeopleTools(client);
  const calendar = createCalendarTools({ client, tokens, scheduling, reminders, roomSettleMs, resolvePeople: people.resolvePeople });
  /** The one table: every tool name to its family's implementation. */
  const handlers: Handlers<ToolInputs> = {
    ...calendar.handlers,
    ...createTaskTools({ client, resolvePeople: people.resolvePeople }).handlers,
    ...people.handlers,
    ...createReminderToolHandlers(reminders),
  };

  return {
    async runTool(input: RunToolInput): Promise<ToolOutcome> {
      const valid = validateToolInput(input.name, input.input);
      if (!valid.ok) return { content: valid.error, isError: true };
      try {
        const call: ToolCall = valid.call;
        const result = await (handlers[call.name] as (i: unknown, c: RunToolInput) => Promise<unknown>)(call.input, input);
        if (result instanceof WithEffect) return { content: JSON.stringify(result.result), isError: false, effect: result.effect };
        return { content: JSON.stringify(READS_OTHERS_CONTENT.has(call.name) ? frameOthersContent(result) : result), isError: false };
      } catch (err) {
        if (err instanceof ToolInputError)
          return { content: err.details ? JSON.stringify({ error: err.message, ...err.details }) : err.message, isError: true };
        const c = classifyLarkError(err);
        // Bad ids and refused input: the model reads it and corrects itself or tells the user.
        if (c?.type === LarkFailureType.InvalidInput) return { content: `Lark refused this: ${c.message}`, isError: true };
        throw toLarkFailure(err);
      }
    },

    ...calendar.activities,
  };
}

export type ToolActivities = ReturnType<typeof createToolActivities>;
