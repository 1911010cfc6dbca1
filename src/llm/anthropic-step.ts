/**
 * One agent step: a Messages API call with the agent's tools, for the callModel activity (activities/llm.ts):
 * heartbeats while the request is in flight (so cancellation reaches us), aborts the HTTP request when the
 * activity is cancelled, and leaves retrying to Temporal (errors are mapped in errors.ts).
 */
import Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LlmSettings } from '../config';
import { TOOL_DEFINITIONS, isToolName } from '../tools';
import { LLM_FAILURE, toActivityFailure } from './errors';
import { TRANSCRIPT_HARD_LIMITS, transcriptChars } from './transcript';
import type { AssistantBlock, CallModelInput, CallModelResult, CardStreamTarget, ModelUsage } from './types';

/** Where a streamed step's text goes as it grows (the answer card): the whole text so far, then finish. */
export interface TextSink {
  push(textSoFar: string): void;
  /** Shows the last text (best effort, never throws) and stops. */
  finish(): Promise<void>;
  /** Stops at once (the step failed). */
  stop(): void;
}

export interface ModelEndpoint {
  client: Anthropic;
  /** For scrubbing failure messages; never sent anywhere else. */
  apiKey: string;
}

/** The SDK client for a settings block. maxRetries 0: Temporal owns retries. */
export function createAnthropicClient(settings: Pick<LlmSettings, 'requestTimeoutMs'>, apiKey: string, baseURL: string): Anthropic {
  return new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: settings.requestTimeoutMs });
}

/** Tools in API form; the last one carries the cache breakpoint so the whole tool list is cached. */
export function toolsParam(names?: readonly string[]): Anthropic.Tool[] {
  const defs = names ? TOOL_DEFINITIONS.filter((t) => names.includes(t.name)) : TOOL_DEFINITIONS;
  return defs.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.input_schema,
    ...(i === defs.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
  }));
}

export function buildRequest(settings: Pick<LlmSettings, 'model' | 'maxTokens'>, input: CallModelInput): Anthropic.MessageCreateParamsNonStreaming {
  const tools = toolsParam(input.tools);
  return {
    model: settings.model,
    max_tokens: input.maxTokens ?? settings.maxTokens,
    system: [{ type: 'text', text: input.system, cache_control: { type: 'ephemeral' } }],
    messages: input.messages as Anthropic.MessageParam[],
    ...(tools.length ? { tools } : {}),
  };
}

export interface CallModelOptions {
  settings: Pick<LlmSettings, 'model' | 'maxTokens'>;
  endpoint: () => Promise<ModelEndpoint>;
  /** How often to heartbeat while waiting; default half the heartbeat timeout, at most 5 s. */
  heartbeatIntervalMs?: number;
  /** For a step with `stream`: where its text goes while the model writes it. Without it, no streaming. */
  textSink?: (target: CardStreamTarget, signal: AbortSignal) => TextSink;
}

export function createCallModel(opts: CallModelOptions) {
  const { endpoint, heartbeatIntervalMs } = opts;
  return async function callModel(input: CallModelInput): Promise<CallModelResult> {
    const ctx = Context.current();
    const settings = opts.settings; // read per call: the worker's settings may be resolved lazily
    checkInput(input);
    const { client, apiKey } = await endpoint();
    const request = buildRequest(settings, input);

    // A local step (the first of a turn, workflows/activity-proxies.ts) has no heartbeat: its workflow task is its lease.
    const heartbeat = ctx.info.isLocal ? () => undefined : () => ctx.heartbeat();
    heartbeat();
    const timeout = ctx.info.heartbeatTimeoutMs;
    const every = heartbeatIntervalMs ?? Math.min(5000, timeout ? Math.max(100, timeout / 2) : 5000);
    const beat = setInterval(heartbeat, every);
    const started = Date.now();
    const sink = input.stream && opts.textSink ? opts.textSink(input.stream, ctx.cancellationSignal) : undefined;
    try {
      let message: Anthropic.Message;
      if (sink) {
        // Streamed: the same request as server-sent events; the text so far goes to the card as it grows.
        let text = '';
        const stream = client.messages.stream(request, { signal: ctx.cancellationSignal });
        stream.on('text', (delta) => {
          text += delta;
          sink.push(text);
        });
        message = await stream.finalMessage();
        await sink.finish();
      } else {
        message = await client.messages.create(request, { signal: ctx.cancellationSignal });
      }
      const result = toResult(message);
      // Counts and ids only: the transcript is the user's private conversation.
      ctx.log.info('model step', {
        model: result.model,
        stopReason: result.stopReason,
        ms: Date.now() - started,
        blocks: result.content.length,
        ...(sink ? { streamed: true } : {}),
        ...result.usage,
      });
      return result;
    } catch (err) {
      sink?.stop();
      throw toActivityFailure(err, { signal: ctx.cancellationSignal, secrets: [apiKey], model: settings.model });
    } finally {
      clearInterval(beat);
    }
  };
}

function checkInput(input: CallModelInput): void {
  const problems: string[] = [];
  if (typeof input?.system !== 'string') problems.push('system must be a string');
  if (!Array.isArray(input?.messages) || !input.messages.length) problems.push('messages must be a non-empty list');
  else if (input.messages.length > TRANSCRIPT_HARD_LIMITS.maxMessages) problems.push(`over ${TRANSCRIPT_HARD_LIMITS.maxMessages} messages`);
  else if (transcriptChars(input.messages) > TRANSCRIPT_HARD_LIMITS.maxChars) problems.push(`over ${TRANSCRIPT_HARD_LIMITS.maxChars} characters`);
  const unknown = (input?.tools ?? []).filter((t) => !isToolName(t));
  if (unknown.length) problems.push(`unknown tools: ${unknown.join(', ')}`);
  if (problems.length) {
    throw ApplicationFailure.create({
      type: LLM_FAILURE.invalidInput,
      message: `callModel input refused (bound it with boundTranscript): ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
}

function toResult(message: Anthropic.Message): CallModelResult {
  const content: AssistantBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') {
      const input = typeof block.input === 'object' && block.input !== null ? (block.input as Record<string, unknown>) : {};
      content.push({ type: 'tool_use', id: block.id, name: block.name, input });
    }
    // Other block kinds (thinking, server tools) are not enabled for this agent.
  }
  const u = message.usage;
  const usage: ModelUsage = {
    input_tokens: u.input_tokens ?? 0,
    output_tokens: u.output_tokens ?? 0,
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
  };
  return { messageId: message.id, model: message.model, content, stopReason: message.stop_reason ?? 'end_turn', usage };
}
