/**
 * LLM activities: one agent step per call (callModel). With ANTHROPIC_API_KEY the real API; without it the
 * offline stand-in model, started lazily on 127.0.0.1 inside the worker and reached through the same SDK.
 */
import type { LlmSettings } from '../src/config';
import { createAnthropicClient, createCallModel, type ModelEndpoint } from '../src/llm/anthropic-step';
import { startOfflineModel, type OfflineModelServer } from '../dev/llm/offline-model';
import { Context } from '@temporalio/activity';
import type { LarkClient } from '../src/lark/client';
import { CardTextStream } from '../src/lark/card-stream';
import { recordLlmUsage } from '../src/metrics';

const ANTHROPIC_API_URL = 'https://api.anthropic.com';
/** The offline server checks that some key is sent, like the API; this one opens nothing. */
const OFFLINE_API_KEY = 'offline-no-key';

export interface LlmDeps {
  llm: LlmSettings;
  /** How often callModel heartbeats while waiting for the model. */
  heartbeatIntervalMs?: number;
  /** For streamed answers (a step with `stream`): the Lark client (as the app) and the pace of card updates. */
  lark?: LarkClient;
  stream?: { intervalMs: number; closeAfterMs: number };
}

let offline: Promise<OfflineModelServer> | undefined;

/** One offline server per process, shared by every worker in it. */
function offlineServer(): Promise<OfflineModelServer> {
  // Nobody reads this instance's request log: it keeps none (each request is a whole prompt).
  offline ??= startOfflineModel({ keepRequests: 0 }).then((s) => {
    s.unref();
    return s;
  });
  return offline;
}

/** Closes the lazily started offline server, if any (for tests and orderly shutdown). */
export async function closeOfflineModel(): Promise<void> {
  const s = offline;
  offline = undefined;
  if (s) await (await s).close();
}

export function createLlmActivities(deps: LlmDeps) {
  const current = () => deps.llm;
  let endpoint: Promise<ModelEndpoint> | undefined;

  const resolveEndpoint = (): Promise<ModelEndpoint> => {
    endpoint ??= (async () => {
      const s = current();
      if (s.apiKey) return { apiKey: s.apiKey, client: createAnthropicClient(s, s.apiKey, s.baseUrl ?? ANTHROPIC_API_URL) };
      const server = await offlineServer();
      return { apiKey: OFFLINE_API_KEY, client: createAnthropicClient(s, OFFLINE_API_KEY, server.url) };
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
