/**
 * One user request, end to end, as deterministic workflow code: filter (group mention, non-text, stale),
 * authorization, then the agent loop (model step -> each tool_use as its own activity -> tool_result
 * -> ... -> end_turn), then one reply in the chat. Everything it has done lives in `progress`, so after an
 * authorization wait it resumes exactly where it stopped instead of starting over.
 *
 * Honesty by construction: every write a tool made (or was refused, cancelled, failed) is recorded in
 * `progress.effects` from the tool RESULT, and the answer ends with a footer built from those records only.
 * A model answer that claims a change no tool made is replaced.
 */
import { ActivityFailure, ApplicationFailure, patched, TemporalFailure, TimeoutFailure, workflowInfo } from '@temporalio/workflow';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { describeCall, toolStage, toolSummary, validateToolInput, WRITE_TOOLS } from '../src/tools';
import { confirmQuestion, type ConfirmOutcome } from '../src/cards/confirm-card';
import { detectLanguage, t, type Lang } from '../src/i18n/language';
import { apology, claimsAChange, effectsFooter, messages, type FailureReason, type ToolEffect } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import { readLarkFailure } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import { LLM_FAILURE, LOCAL_STEP_DECLINED } from '../src/llm/failure-types';
import { boundTranscript } from '../src/llm/transcript';
import type { AssistantBlock, CallModelInput, CallModelResult, ToolUseBlock } from '../src/llm/types';
import {
  type RecordedDecision,
  auth as authActivities,
  callModel,
  callModelLocal,
  lark,
  logAudit,
  logTurn,
  logTurnLocal,
  prepareRequest,
  runTool,
} from './activity-proxies';
import { memoryMessages, remember } from './chat-memory';
import type { RequestStatus } from './status-message';
import type { RequestEnv, RequestOutcome, RequestProgress } from './request';
import { PATCH_FIRST_STEP_LOCAL, PATCH_TURN_LOG_LOCAL } from './patches';
import { offerSlots, slotsToOffer } from './slot-offer';
import { confirmCall, inspect, notConfirmed } from './tool-confirmation';

export type { ConfirmOutcome, RequestEnv, RequestOutcome, RequestProgress };

/** Any failure of the model call, retryable or not, is "the AI service" to the user. */
const LLM_FAILURE_TYPES = new Set<string>(Object.values(LLM_FAILURE));

export async function handleRequest(msg: UserMessage, progress: RequestProgress, env: RequestEnv): Promise<RequestOutcome> {
  if (!progress.prepared) {
    const prepared = await prepareRequest(msg);
    if (prepared.action === 'ignore') return { kind: 'done' };
    const lang = prepared.lang ?? detectLanguage(prepared.text);
    if (msg.stale) {
      await deliver(msg, 'stale', t(lang, messages.stale));
      return { kind: 'done' };
    }
    if (msg.messageType !== 'text' && msg.messageType !== 'post') {
      await deliver(msg, 'non-text', t(lang, messages.nonText));
      return { kind: 'done' };
    }
    progress.prepared = {
      text: prepared.text,
      ...(prepared.userName ? { userName: prepared.userName } : {}),
      ...(prepared.timezone ? { timezone: prepared.timezone } : {}),
    };
    progress.lang = lang;
  }
  const lang = progress.lang ?? detectLanguage(progress.prepared.text);
  // The user's own zone (set_timezone) for this turn's dates, tools and reminders; else the deployment's.
  if (progress.prepared.timezone) env = { ...env, timezone: progress.prepared.timezone };
  env.status.start(lang);

  // Whether this turn's first model step may hold the run's task, and whether it has a log step, decided now and
  // handed to the authorization check, which returns them: its result is in history, so a replay reads the decisions
  // back instead of taking them again (the state they read can differ on replay, see patches.ts).
  let recorded: RecordedDecision | undefined;
  if (!progress.messages) {
    const auth = await authActivities.checkAuthorization(msg.openId, env.decisions());
    if (!auth.authorized) return { kind: 'needs_auth', missingScopes: auth.missingScopes };
    recorded = auth.recorded;
    // No Base table: the turn has no log step (one local activity less per message). Kept with the request's
    // progress, which outlives this call (a Confirm wait, continue-as-new).
    if (recorded?.logTurn === false) progress.noTurnLog = true;
    progress.startedAt = Date.now();
    // Memory is context, never the request: older turns come first, the new message is the last user
    // content, alone.
    progress.messages = [...memoryMessages(env.memory[msg.chatId]), { role: 'user', content: progress.prepared.text || '(empty message)' }];
    progress.toolsUsed = [];
    progress.effects = [];
    progress.usage = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  }
  const messages_ = progress.messages;
  const system = buildSystemPrompt({ now: new Date(progress.startedAt!), timeZone: env.timezone, userName: progress.prepared.userName, lang });

  for (;;) {
    if (progress.pendingTools) {
      const stop = await runPendingTools(msg, progress, env, lang);
      if (stop === 'superseded') {
        // The user moved on before answering the card: say what was not done, without another model step.
        await answer(msg, progress, env, lang, '');
        return { kind: 'done', authorized: true };
      }
      if (stop) return stop;
      messages_.push({ role: 'user', content: progress.toolResults! });
      progress.pendingTools = undefined;
      progress.toolResults = undefined;
    }
    if (progress.step >= env.stepCap) {
      await answer(msg, progress, env, lang, t(lang, messages.stepCap(env.stepCap)));
      return { kind: 'done', authorized: true };
    }
    progress.step++;
    env.status.set({ kind: 'thinking' });
    const stream = env.answerCard ? await env.answerCard.target() : undefined;
    const input: CallModelInput = { system, messages: boundTranscript(messages_), ...(stream ? { stream } : {}) };
    // The turn's first step runs inside the task that took the message, so a turn the model answers without a tool
    // is one workflow task: when the recorded decision says so, and the step can be local (not streamed). A history
    // from before the recorded decision has no `recorded`: it replays as it ran, on its patch marker (runs
    // of before patch epochs only, see patches.ts).
    const local =
      progress.step === 1 &&
      !env.answerCard &&
      env.status.delegate !== undefined &&
      (recorded ? recorded.holdTask : workflowInfo().unsafe.isReplaying && env.patches.epoch === 0 && env.mayHoldTask() && patched(PATCH_FIRST_STEP_LOCAL));
    const result = local ? await firstStepLocal(input, env.status) : await callModel(progress.step)(input);
    const usage = progress.usage!;
    usage.input += result.usage.input_tokens;
    usage.output += result.usage.output_tokens;
    usage.cacheRead += result.usage.cache_read_input_tokens;
    usage.cacheCreation += result.usage.cache_creation_input_tokens;
    messages_.push({ role: 'assistant', content: result.content });
    const toolUses = result.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    if (result.stopReason === 'tool_use' && toolUses.length) {
      progress.pendingTools = toolUses;
      progress.toolResults = [];
      continue;
    }
    await answer(msg, progress, env, lang, textOf(result.content));
    return { kind: 'done', authorized: true };
  }
}

/**
 * The first model step as a local activity. The workflow cannot post the status message while the step holds its
 * task, so the step posts it when due and says so (its result, or its failure's details); the status message then
 * follows the rest of the work and is closed before the answer, as when the workflow posted it.
 */
async function firstStepLocal(input: CallModelInput, status: RequestStatus): Promise<CallModelResult> {
  const due = status.delegate?.();
  try {
    const { statusMessageId, ...result } = await callModelLocal({ ...input, ...(due ? { status: due } : {}) });
    await status.delegated?.(statusMessageId);
    return result;
  } catch (err) {
    await status.delegated?.(statusMessageIdOf(err), causedBy(err, TimeoutFailure));
    // The worker had as many local steps running as it allows (they hold workflow task slots): the regular step.
    if (failureType(err) === LOCAL_STEP_DECLINED) return callModel(1)(input);
    throw err;
  }
}

function failureType(err: unknown): string | undefined {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 6; depth++, cur = (cur as Error).cause)
    if (cur instanceof ApplicationFailure) return cur.type ?? undefined;
  return undefined;
}

function causedBy(err: unknown, kind: new (...args: never[]) => Error): boolean {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 6; depth++, cur = (cur as Error).cause) if (cur instanceof kind) return true;
  return false;
}

/** The status message a failed local step had posted (activities/llm.ts adds it to the failure's details). */
function statusMessageIdOf(err: unknown): string | undefined {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 6; depth++, cur = (cur as Error).cause) {
    if (!(cur instanceof ApplicationFailure)) continue;
    for (const d of cur.details ?? []) {
      const id = (d as { statusMessageId?: unknown } | null)?.statusMessageId;
      if (typeof id === 'string') return id;
    }
  }
  return undefined;
}

/**
 * The answer: the model's prose, corrected when it claims a change no tool made, then the footer built
 * from tool results, then a note when a card waits in another chat.
 */
async function answer(msg: UserMessage, progress: RequestProgress, env: RequestEnv, lang: Lang, modelText: string): Promise<void> {
  const records = progress.effects ?? [];
  const footer = effectsFooter(records, env.timezone, lang, progress.startedAt);
  let text = modelText;
  if (!records.some((r) => r.outcome === 'done') && claimsAChange(text)) text = t(lang, messages.unbackedClaim);
  if (!text && !footer) text = t(lang, messages.done);
  const parts = [text, footer, env.waitingElsewhere() ? t(lang, messages.otherChatWaiting) : ''].filter(Boolean);
  const full = parts.join('\n\n');
  // A streamed answer ends in its card (exactly this text); otherwise, or when the card fails, one text answer.
  if (!(env.answerCard?.open && (await env.answerCard.finish(full)))) {
    await env.status.close('done');
    await deliver(msg, 'answer', full);
  }
  const undoable = records.flatMap((r) => (r.outcome === 'done' && r.effect.undo ? [r.effect] : []));
  if (undoable.length) await env.offerUndo(msg, undoable, lang);
  await finishTurn(msg, progress, env, full);
}

/**
 * Reply to the message; when Lark refuses the reply itself (the message was recalled or cannot be replied
 * to), post the same text in the chat instead, so the user still gets the one answer.
 */
async function deliver(msg: UserMessage, step: string, text: string): Promise<void> {
  try {
    await lark.replyToMessage({ messageId: msg.messageId, step, text, replyInThread: Boolean(msg.threadId) });
  } catch (err) {
    const f = readLarkFailure(err);
    if (!(err instanceof ActivityFailure) || f?.type !== LarkFailureType.InvalidInput) throw err;
    await lark.sendMessage({ sourceMessageId: msg.messageId, step: `${step}-in-chat`, receiveIdType: 'chat_id', receiveId: msg.chatId, text });
  }
}

/**
 * Contains a failed request: one apology in the user's language saying what could not be done and what was
 * changed before it failed. Returns whether the apology was delivered; never throws for an activity failure.
 * A non-Temporal error is a bug in workflow code: rethrown, so the workflow task fails and is retried.
 */
export async function contain(msg: UserMessage, progress: RequestProgress, err: unknown, timezone: string, status: RequestStatus): Promise<boolean> {
  if (!(err instanceof TemporalFailure)) throw err;
  await status.close('failed');
  const lang = progress.lang ?? detectLanguage(msg.text);
  const footer = effectsFooter(progress.effects ?? [], timezone, lang, progress.startedAt);
  const request = (progress.prepared?.text ?? msg.text ?? '').replace(/\s+/g, ' ').trim();
  const text = apology(lang, request.length > 80 ? `${request.slice(0, 77)}...` : request, failureReason(err), footer);
  try {
    await deliver(msg, 'apology', text);
    return true;
  } catch {
    return false;
  }
}

function failureReason(err: TemporalFailure): FailureReason {
  const lark_ = readLarkFailure(err);
  if (lark_?.type === LarkFailureType.PermissionDenied) return 'lark_permission';
  if (lark_?.type === LarkFailureType.InvalidInput) return 'lark_refused';
  if (lark_) return 'unavailable';
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 6; depth++, cur = (cur as Error).cause) {
    if (cur instanceof ApplicationFailure && cur.type && LLM_FAILURE_TYPES.has(cur.type)) return 'model';
    if (cur instanceof ActivityFailure && cur.activityType === 'callModel') return 'model';
    if (cur instanceof TimeoutFailure) return 'unavailable';
  }
  return err instanceof ActivityFailure ? 'unavailable' : 'internal';
}

/** Runs the tool calls not yet answered; returns an outcome only when the request must pause or stop. */
async function runPendingTools(msg: UserMessage, progress: RequestProgress, env: RequestEnv, lang: Lang): Promise<RequestOutcome | 'superseded' | undefined> {
  const results = progress.toolResults!;
  const effects = (progress.effects ??= []);
  for (const use of progress.pendingTools!) {
    if (results.some((r) => r.tool_use_id === use.id)) continue;
    const valid = validateToolInput(use.name, use.input);
    if (!valid.ok) {
      results.push({ type: 'tool_result', tool_use_id: use.id, content: valid.error, is_error: true });
      continue;
    }
    const call = valid.call;
    let what = describeCall(call, env.timezone, lang);
    try {
      // Inside the try: the event is read as the user, so an expired grant means "sign in", not a crash.
      env.status.set(toolStage(call));
      const facts = await inspect(msg, call, env.timezone);
      if (facts?.summary) what = `${what} “${facts.summary}”`;
      const decision = await confirmCall(
        msg,
        use.id,
        call,
        { facts, what, toolsUsed: progress.toolsUsed ?? [], userText: progress.prepared?.text ?? '' },
        env,
        lang,
      );
      if (decision !== 'confirm') {
        effects.push({ outcome: 'not_done', tool: call.name, what, why: decision === 'cancel' ? 'cancelled' : decision });
        results.push({ type: 'tool_result', tool_use_id: use.id, content: notConfirmed(decision) });
        if (decision === 'superseded') return 'superseded';
        continue;
      }
      env.status.set(toolStage(call));
      const out = await runTool(toolSummary(call))({
        openId: msg.openId,
        sourceMessageId: msg.messageId,
        toolUseId: use.id,
        name: use.name,
        input: use.input,
        timezone: env.timezone,
        nowMs: Date.now(),
        chatId: msg.chatId,
        lang,
      });
      progress.toolsUsed!.push(use.name);
      const found = slotsToOffer(call, out);
      if (found) {
        const picked = await offerSlots(msg, use.id, progress, env, lang, found);
        results.push({ type: 'tool_result', tool_use_id: use.id, content: picked.content });
        if (picked.superseded) return 'superseded';
        continue;
      }
      if (WRITE_TOOLS.has(call.name)) {
        if (!out.isError && out.effect) effects.push({ outcome: 'done', effect: out.effect });
        else if (out.isError) effects.push({ outcome: 'not_done', tool: call.name, what, why: 'refused' });
      }
      results.push({ type: 'tool_result', tool_use_id: use.id, content: out.content, ...(out.isError ? { is_error: true } : {}) });
    } catch (err) {
      const failure = readLarkFailure(err);
      if (failure?.type === LarkFailureType.UserAuthRequired || (failure?.type === LarkFailureType.PermissionDenied && failure.details.scopeOwner === 'user')) {
        return { kind: 'needs_auth', missingScopes: failure.details.scopes ?? [] };
      }
      if (!(err instanceof TemporalFailure)) throw err;
      if (WRITE_TOOLS.has(call.name)) effects.push({ outcome: 'not_done', tool: call.name, what, why: 'failed' });
      results.push({
        type: 'tool_result',
        tool_use_id: use.id,
        content: `The tool failed: ${failure?.message ?? 'the service is unavailable'}. Nothing was changed by this call. Tell the user, and suggest trying again later.`,
        is_error: true,
      });
    }
  }
  return undefined;
}

async function finishTurn(msg: UserMessage, progress: RequestProgress, env: RequestEnv, answerText: string): Promise<void> {
  remember(env.memory, msg.chatId, progress.prepared?.text ?? '', answerText);
  // Best effort: the reply has gone; logging must never fail the request. Local since `turn-log-local` (a turn
  // replaying from before ran it as a regular activity, and still does). None when no Base table is configured,
  // as recorded when the request began (a history from before always has the step).
  try {
    if (!progress.noTurnLog)
      await (env.patches.on(PATCH_TURN_LOG_LOCAL) ? logTurnLocal : logTurn)({
        atMs: progress.startedAt ?? Date.now(),
        openId: msg.openId,
        chatId: msg.chatId,
        messageId: msg.messageId,
        question: progress.prepared?.text ?? '',
        answer: answerText,
        toolsUsed: progress.toolsUsed ?? [],
        usage: progress.usage ?? { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
      });
  } catch {
    // already logged by the activity; nothing else to do
  }
  const changes = (progress.effects ?? []).flatMap((r) => (r.outcome === 'done' ? [r.effect] : []));
  if (env.audit && changes.length) {
    try {
      await logAudit(
        changes.map((c, index) => ({
          atMs: progress.startedAt ?? Date.now(),
          openId: msg.openId,
          messageId: msg.messageId,
          index,
          undo: false,
          action: `${c.action} ${c.kind}`,
          objectId: c.id,
          ...(c.title ? { title: c.title } : {}),
          ...(c.undo ? { before: c.undo } : {}),
          after: { ...c, undo: undefined },
        })),
      );
    } catch {
      // best effort, like the turn log
    }
  }
}

function textOf(content: AssistantBlock[]): string {
  return content
    .filter((b): b is Extract<AssistantBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();
}

export { confirmQuestion, type ToolEffect };
