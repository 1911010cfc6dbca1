/**
 * LLM activities: one agent step per call (callModel). With ANTHROPIC_API_KEY the real API; without it the
 * stand-in the worker's composition gives (`offlineModel`: the local run's offline model, dev/llm/stand-in.ts),
 * reached through the same SDK. The production worker gives none: it refuses to start without a key.
 */
import type { LlmSettings } from '../src/config';
import { createAnthropicClient, createCallModel, type ModelEndpoint } from '../src/llm/anthropic-step';
import { LLM_FAILURE } from '../src/llm/errors';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LarkClient } from '../src/lark/client';
import { CardTextStream } from '../src/lark/card-stream';
import { recordLlmUsage } from '../src/metrics';

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
}

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
  return {
    async callModel(...args: Parameters<typeof callModel>) {
      const result = await callModel(...args);
      recordLlmUsage(result.usage, result.model);
      return result;
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
