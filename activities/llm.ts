/**
 * LLM activities: one agent step per call (callModel). With ANTHROPIC_API_KEY the real API; without it the
 * stand-in the worker's composition gives (`offlineModel`: the local run's offline model, dev/llm/stand-in.ts),
 * reached through the same SDK. The production worker gives none: it refuses to start without a key.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { LlmSettings } from '../src/config';
import { createAnthropicClient, createCallModel, type ModelEndpoint } from '../src/llm/anthropic-step';
import { LLM_FAILURE } from '../src/llm/errors';
import { LOCAL_STEP_DECLINED } from '../src/llm/failure-types';
import { Context } from '@temporalio/activity';
import type { LarkClient } from '../src/lark/client';
import { CardTextStream } from '../src/lark/card-stream';
import { recordLlmUsage } from '../src/metrics';
import type { CallModelInput, CallModelResult, DueStatus } from '../src/llm/types';
import { createMessagingActivities, type ReplyToMessageInput } from './messaging';

const ANTHROPIC_API_URL = 'https://api.anthropic.com';

/** A model without ANTHROPIC_API_KEY: a stand-in speaking the Messages API's wire format, reached with the SDK. */
export type OfflineModel = (settings: LlmSettings) => Promise<ModelEndpoint>;

export interface LlmDeps {
  llm: LlmSettings;
  /** The model when ANTHROPIC_API_KEY is not set (from source only: dev/); without it such a call fails for good. */
  offlineModel?: OfflineModel;
  /** How often callModel heartbeats while waiting for the model. */
  heartbeatIntervalMs?: number;
  /** For streamed answers (a step with `stream`): the Lark client (as the app) and the pace of card updates. */
  lark?: LarkClient;
  stream?: { intervalMs: number; closeAfterMs: number };
  /** How many model steps may run as LOCAL activities at once in this worker (default LOCAL_MODEL_STEPS). */
  localModelSteps?: number;
}

/**
 * A local model step holds its workflow task, and with it one of the worker's workflow task slots (the SDK's
 * default: 40), for the whole call: at most this many at once, so the slots left serve every other task (new
 * messages, other users' steps, the event runs). Past it the step declines at once (LOCAL_STEP_DECLINED) and the
 * workflow calls the model as a regular activity, which holds no slot while it waits.
 */
export const LOCAL_MODEL_STEPS = 16;

export function createLlmActivities(deps: LlmDeps) {
  const current = () => deps.llm;
  let endpoint: Promise<ModelEndpoint> | undefined;

  const resolveEndpoint = (): Promise<ModelEndpoint> => {
    endpoint ??= (async () => {
      const s = current();
      if (s.apiKey) return { apiKey: s.apiKey, client: createAnthropicClient(s, s.apiKey, s.baseUrl ?? ANTHROPIC_API_URL) };
      if (deps.offlineModel) return deps.offlineModel(s);
      throw ApplicationFailure.nonRetryable('ANTHROPIC_API_KEY is not set and this worker has no offline model', LLM_FAILURE.authentication);
    })();
    endpoint.catch(() => (endpoint = undefined)); // a failed start is tried again on the next call
    return endpoint;
  };

  const callModel = createCallModel({
    get settings() {
      return current();
    },
    endpoint: resolveEndpoint,
    heartbeatIntervalMs: deps.heartbeatIntervalMs,
    ...(deps.lark
      ? {
          textSink: (target, signal) =>
            new CardTextStream({
              client: deps.lark!,
              ...target,
              intervalMs: deps.stream?.intervalMs ?? 250,
              closeAfterMs: deps.stream?.closeAfterMs ?? 9 * 60_000,
              signal,
              // Codes and ids only (never the text): the stream goes on, the final replace is the answer.
              onProblem: (what, code) => {
                try {
                  Context.current().log.warn('answer card update', { what, code, card_id: target.cardId });
                } catch {
                  // outside the activity's context (after it ended): nothing to log into
                }
              },
            }),
        }
      : {}),
  });
  const reply = deps.lark ? createMessagingActivities({ client: deps.lark }).replyToMessage : undefined;
  const localBudget = deps.localModelSteps ?? LOCAL_MODEL_STEPS;
  let localSteps = 0;
  return {
    async callModel(input: CallModelInput & { status?: DueStatus }): Promise<CallModelResult & { statusMessageId?: string }> {
      const local = isLocal();
      if (local && localSteps >= localBudget) {
        throw ApplicationFailure.create({
          type: LOCAL_STEP_DECLINED,
          message: `${localSteps} local model steps are running in this worker (at most ${localBudget}): call it as a regular activity`,
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      if (local) localSteps++;
      const { status, ...step } = input;
      const shown = status && reply ? statusWhileRunning(status, reply) : undefined;
      try {
        const result = await callModel(step);
        recordLlmUsage(result.usage, result.model);
        const statusMessageId = await shown?.stop();
        return statusMessageId ? { ...result, statusMessageId } : result;
      } catch (err) {
        const statusMessageId = await shown?.stop();
        throw statusMessageId ? withStatusMessage(err, statusMessageId) : err;
      } finally {
        if (local) localSteps--;
      }
    },
  };
}

function isLocal(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false; // outside an activity (tests)
  }
}

/**
 * The status of a LOCAL step (the turn's first model call): posted by the step when due if the model is still working,
 * since the workflow cannot post it while the step holds its task. Its id goes back in the result or the failure.
 */
function statusWhileRunning(status: DueStatus, reply: (input: ReplyToMessageInput) => Promise<{ messageId: string }>) {
  let posting: Promise<string | undefined> | undefined;
  const timer = setTimeout(
    () => {
      // The reply's uuid is the request's "status" step, as when the workflow posts it: a rerun after a crash, or the
      // workflow posting it later, gets this same message back from Lark.
      posting = reply(status.reply).then(
        (sent) => sent.messageId,
        (err: unknown) => {
          inContext((ctx) =>
            ctx.log.warn('status message not posted', { message_id: status.reply.messageId, error: err instanceof Error ? err.name : String(err) }),
          );
          return undefined;
        },
      );
    },
    Math.max(0, status.atMs - Date.now()),
  );
  return {
    /** Stops the clock; the status message's id if it was posted (waits for a post under way). */
    async stop(): Promise<string | undefined> {
      clearTimeout(timer);
      return posting;
    },
  };
}

function inContext(fn: (ctx: Context) => void): void {
  try {
    fn(Context.current());
  } catch {
    // outside an activity's context
  }
}

/** The step's failure, carrying the status message it posted (the workflow closes it as "not finished"). */
function withStatusMessage(err: unknown, statusMessageId: string): ApplicationFailure {
  const shown = { statusMessageId };
  if (err instanceof ApplicationFailure) {
    return new ApplicationFailure(err.message, err.type, err.nonRetryable, [...(err.details ?? []), shown], err.cause, err.nextRetryDelay, err.category);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ type: e.name, message: e.message, details: [shown], cause: e });
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
