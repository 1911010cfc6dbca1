/**
 * One user request, end to end, as deterministic workflow code: filter (group mention, non-text, stale),
 * authorization, then the agent loop (model step -> each tool_use as its own activity -> tool_result
 * -> ... -> end_turn), then one reply in the chat. Everything it has done lives in `progress`, so after an
 * authorization wait it resumes exactly where it stopped instead of starting over.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
import type { LlmActivities } from '../activities/llm';
import type { RequestActivities } from '../activities/requests';
import type { ToolActivities } from '../activities/agent-tools';
import type { TurnLogActivities } from '../activities/turn-log';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { needsConfirmation, validateToolInput, type ToolCall } from '../src/agent/tools';
import type { UserMessage } from '../src/lark/event-types';
import { readLarkFailure } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import { NON_RETRYABLE_LLM_FAILURES } from '../src/llm/failure-types';
import { boundTranscript } from '../src/llm/transcript';
import type { AssistantBlock, ConversationMessage, ToolResultBlock, ToolUseBlock } from '../src/llm/types';
import { proxyLarkActivities } from './activity-policies';
import { memoryMessages, remember, userMessageWithSummary, type MemoryByChat } from './chat-memory';

export interface RequestProgress {
  /** Model calls made so far. */
  step: number;
  prepared?: { text: string; userName?: string };
  /** The turn's clock for the system prompt: the same for every step, so the prompt cache hits. */
  startedAt?: number;
  messages?: ConversationMessage[];
  /** tool_use blocks of the last model step and the results gathered for them so far. */
  pendingTools?: ToolUseBlock[];
  toolResults?: ToolResultBlock[];
  toolsUsed?: string[];
  usage?: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

/** `authorized` is set when this request checked the user's authorization (filtered ones do not). */
export type RequestOutcome = { kind: 'done'; authorized?: true } | { kind: 'needs_auth'; missingScopes: string[] };

export interface RequestEnv {
  memory: MemoryByChat;
  timezone: string;
  stepCap: number;
  /** Asks the user with a Confirm / Cancel card and waits durably for the click. */
  confirm(msg: UserMessage, key: string, question: string): Promise<'confirm' | 'cancel' | 'expired'>;
}

const { prepareRequest } = proxyActivities<RequestActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  summary: 'prepare request',
});
const { checkAuthorization } = proxyActivities<AuthActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  summary: 'check authorization',
});
/** Tools: idempotency keys make writes safe to retry; 10 minutes of Lark trouble, then the model is told. */
const toolOptions: ActivityOptions = {
  startToCloseTimeout: '45 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: [LarkFailureType.UserAuthRequired, LarkFailureType.PermissionDenied, LarkFailureType.InvalidInput, LarkFailureType.TokenInvalid] },
};
// runTool is proxied per call (its summary names the tool); this is the read before an update_event.
const { eventHasOtherAttendees } = proxyActivities<ToolActivities>({ ...toolOptions, summary: 'calendar: check attendees' });
const { logTurn } = proxyActivities<TurnLogActivities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 6 },
  summary: 'log turn to Lark Base',
});
const { replyToMessage } = proxyLarkActivities();

const NON_TEXT_REPLY =
  'Mình mới chỉ đọc được tin nhắn chữ. Bạn gõ yêu cầu giúp mình nhé!\nI can only read text messages for now. Please type your request.';
const STALE_REPLY =
  'Tin nhắn này đã cũ nên mình không thực hiện nữa. Nếu vẫn cần, bạn gửi lại nhé.\nThis message is too old to act on now. Send it again if you still need it.';

export async function handleRequest(msg: UserMessage, progress: RequestProgress, env: RequestEnv): Promise<RequestOutcome> {
  const reply = (step: string, text: string) =>
    replyToMessage({ messageId: msg.messageId, step, text, replyInThread: Boolean(msg.threadId) });

  if (!progress.prepared) {
    const prepared = await prepareRequest(msg);
    if (prepared.action === 'ignore') return { kind: 'done' };
    if (msg.stale) {
      await reply('stale', STALE_REPLY);
      return { kind: 'done' };
    }
    if (msg.messageType !== 'text' && msg.messageType !== 'post') {
      await reply('non-text', NON_TEXT_REPLY);
      return { kind: 'done' };
    }
    progress.prepared = { text: prepared.text, ...(prepared.userName ? { userName: prepared.userName } : {}) };
  }

  if (!progress.messages) {
    const auth = await checkAuthorization(msg.openId);
    if (!auth.authorized) return { kind: 'needs_auth', missingScopes: auth.missingScopes };
    const memory = env.memory[msg.chatId];
    progress.startedAt = Date.now();
    progress.messages = [...memoryMessages(memory), { role: 'user', content: userMessageWithSummary(memory, progress.prepared.text || '(empty message)') }];
    progress.toolsUsed = [];
    progress.usage = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  }
  const messages = progress.messages;
  const system = buildSystemPrompt({ now: new Date(progress.startedAt!), timeZone: env.timezone, userName: progress.prepared.userName });

  for (;;) {
    if (progress.pendingTools) {
      const stop = await runPendingTools(msg, progress, env);
      if (stop) return stop;
      messages.push({ role: 'user', content: progress.toolResults! });
      progress.pendingTools = undefined;
      progress.toolResults = undefined;
    }
    if (progress.step >= env.stepCap) {
      const text = `Mình đã dừng sau ${env.stepCap} bước mà chưa xong. Bạn thử chia nhỏ yêu cầu nhé.\nI stopped after ${env.stepCap} steps without finishing. Please try a smaller request.`;
      await reply('answer', text);
      await finishTurn(msg, progress, env, text);
      return { kind: 'done', authorized: true };
    }
    progress.step++;
    const result = await callModelLabelled(system, boundTranscript(messages), progress.step);
    const usage = progress.usage!;
    usage.input += result.usage.input_tokens;
    usage.output += result.usage.output_tokens;
    usage.cacheRead += result.usage.cache_read_input_tokens;
    usage.cacheCreation += result.usage.cache_creation_input_tokens;
    messages.push({ role: 'assistant', content: result.content });
    const toolUses = result.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    if (result.stopReason === 'tool_use' && toolUses.length) {
      progress.pendingTools = toolUses;
      progress.toolResults = [];
      continue;
    }
    const text = textOf(result.content) || 'Xong. / Done.';
    await reply('answer', text);
    await finishTurn(msg, progress, env, text);
    return { kind: 'done', authorized: true };
  }
}

/** Model steps: 429/529 honour retry-after; bad requests and auth problems fail at once. */
const modelOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: [...NON_RETRYABLE_LLM_FAILURES] },
};

function callModelLabelled(system: string, messages: ConversationMessage[], step: number) {
  // Each step shows as "Claude, step N" in the Temporal UI.
  return proxyActivities<LlmActivities>({ ...modelOptions, summary: `Claude, step ${step}` }).callModel({ system, messages });
}

/** Runs the tool calls not yet answered; returns an outcome only when the request must pause. */
async function runPendingTools(msg: UserMessage, progress: RequestProgress, env: RequestEnv): Promise<RequestOutcome | undefined> {
  const results = progress.toolResults!;
  for (const use of progress.pendingTools!) {
    if (results.some((r) => r.tool_use_id === use.id)) continue;
    const valid = validateToolInput(use.name, use.input);
    if (!valid.ok) {
      results.push({ type: 'tool_result', tool_use_id: use.id, content: valid.error, is_error: true });
      continue;
    }
    const call = valid.call;
    if (await mustConfirm(msg, call)) {
      const decision = await env.confirm(msg, `${msg.messageId}:${use.id}`, describe(call));
      if (decision !== 'confirm') {
        results.push({ type: 'tool_result', tool_use_id: use.id, content: decision === 'cancel' ? 'The user pressed Cancel: do not do this.' : 'The user did not confirm in time: nothing was done.' });
        continue;
      }
    }
    try {
      const out = await proxyActivities<ToolActivities>({ ...toolOptions, summary: toolSummary(call) }).runTool({
        openId: msg.openId,
        sourceMessageId: msg.messageId,
        toolUseId: use.id,
        name: use.name,
        input: use.input,
        timezone: env.timezone,
        nowMs: Date.now(),
      });
      progress.toolsUsed!.push(use.name);
      results.push({ type: 'tool_result', tool_use_id: use.id, content: out.content, ...(out.isError ? { is_error: true } : {}) });
    } catch (err) {
      const failure = readLarkFailure(err);
      if (failure?.type === LarkFailureType.UserAuthRequired || (failure?.type === LarkFailureType.PermissionDenied && failure.details.scopeOwner === 'user')) {
        return { kind: 'needs_auth', missingScopes: failure.details.scopes ?? [] };
      }
      results.push({ type: 'tool_result', tool_use_id: use.id, content: `The tool failed: ${failure?.message ?? 'the service is unavailable'}. Tell the user, and suggest trying again later.`, is_error: true });
    }
  }
  return undefined;
}

async function mustConfirm(msg: UserMessage, call: ToolCall): Promise<boolean> {
  if (call.name === 'update_event') {
    const others = await eventHasOtherAttendees({ openId: msg.openId, eventId: call.input.event_id });
    return needsConfirmation(call, { eventHasOtherAttendees: others });
  }
  return needsConfirmation(call);
}

function describe(call: ToolCall): string {
  switch (call.name) {
    case 'delete_event':
      return `Xoá sự kiện ${call.input.event_id}? / Delete event ${call.input.event_id}?`;
    case 'update_event':
      return `Đổi sự kiện có người tham dự khác? / Change an event other people attend?\n${JSON.stringify(call.input)}`;
    case 'create_event':
      return `Tạo "${call.input.summary}" lúc ${call.input.start} và mời ${call.input.attendees?.join(', ')}? / Create "${call.input.summary}" at ${call.input.start} and invite ${call.input.attendees?.join(', ')}?`;
    case 'create_task':
      return `Giao việc "${call.input.summary}" cho ${call.input.assignee}? / Assign "${call.input.summary}" to ${call.input.assignee}?`;
    default:
      return JSON.stringify(call);
  }
}

const TOOL_SUMMARIES: Record<string, string> = {
  get_current_time: 'time: now',
  list_events: 'calendar: list events',
  create_event: 'calendar: create event',
  update_event: 'calendar: update event',
  delete_event: 'calendar: delete event',
  free_busy: 'calendar: free/busy',
  list_tasks: 'tasks: list',
  create_task: 'tasks: create task',
  complete_task: 'tasks: complete task',
  find_person: 'contacts: find person',
};
const toolSummary = (call: ToolCall) => TOOL_SUMMARIES[call.name] ?? call.name;

async function finishTurn(msg: UserMessage, progress: RequestProgress, env: RequestEnv, answer: string): Promise<void> {
  remember(env.memory, msg.chatId, progress.prepared?.text ?? '', answer);
  // Best effort: the reply has gone; logging must never fail the request.
  try {
    await logTurn({
      atMs: progress.startedAt ?? Date.now(),
      openId: msg.openId,
      chatId: msg.chatId,
      messageId: msg.messageId,
      question: progress.prepared?.text ?? '',
      answer,
      toolsUsed: progress.toolsUsed ?? [],
      usage: progress.usage ?? { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    });
  } catch {
    // already logged by the activity; nothing else to do
  }
}

function textOf(content: AssistantBlock[]): string {
  return content
    .filter((b): b is Extract<AssistantBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();
}
