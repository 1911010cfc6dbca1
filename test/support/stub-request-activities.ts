/**
 * Stand-ins for the I/O of a per-user run's request path, for tests that run the real workflow bundle and the real
 * model client (against a local model server) with no Lark and no database: every message is run, each answer is
 * counted per message, the turn log writes nothing, and the authorization check returns the workflow's decision as
 * given, as activities/auth.ts does.
 */
import { createLlmActivities } from '../../activities/llm';
import type { RecordedDecision } from '../../activities/auth';
import type { UserMessage } from '../../src/lark/event-types';
import { uniqueId } from './env';

export function stubRequestActivities(opts: {
  modelUrl: string;
  /** The worker's cap on local model steps at once (production: LOCAL_MODEL_STEPS). */
  localModelSteps: number;
  /** Whether the user is signed in (default: everyone). */
  authorized?: (openId: string) => boolean;
  /** How long the authorization check of a signed-in user takes (default: at once). */
  checkMs?: () => number;
  onLoginCard?: (openId: string) => void;
}) {
  const answered = new Map<string, number>();
  const authorized = opts.authorized ?? (() => true);
  const activities = {
    ...createLlmActivities({
      llm: { apiKey: 'k', baseUrl: opts.modelUrl, model: 'claude-test', maxTokens: 64, requestTimeoutMs: 30_000 },
      localModelSteps: opts.localModelSteps,
    }),
    async prepareRequest(msg: UserMessage) {
      return { action: 'run' as const, text: msg.text ?? '' };
    },
    async checkAuthorization(openId: string, record?: RecordedDecision) {
      const ok = authorized(openId);
      if (ok && opts.checkMs) await new Promise((r) => setTimeout(r, opts.checkMs!()));
      return { authorized: ok, missingScopes: ok ? [] : ['calendar:calendar'], ...(record ? { recorded: record } : {}) };
    },
    async sendLoginCard(input: { openId: string }) {
      opts.onLoginCard?.(input.openId);
      return { messageId: uniqueId('om') };
    },
    async replyToMessage(input: { messageId: string; step: string }) {
      if (input.step === 'answer') answered.set(input.messageId, (answered.get(input.messageId) ?? 0) + 1);
      return { messageId: uniqueId('om') };
    },
    async sendMessage() {
      return { messageId: uniqueId('om') };
    },
    async updateCard() {},
    async logTurn() {
      return { logged: false };
    },
  };
  return { activities, answered };
}
