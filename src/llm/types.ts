/**
 * What crosses the workflow/activity boundary for one model step. Type-only for workflow code.
 * Kept to text, tool_use and tool_result blocks: all the agent needs, and small in workflow history.
 */
import type { ToolName } from '../tools';

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  /** As the model sent it; validate with validateToolInput before running. */
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

export type AssistantBlock = TextBlock | ToolUseBlock;
export type UserBlock = TextBlock | ToolResultBlock;

export type ConversationMessage = { role: 'user'; content: string | UserBlock[] } | { role: 'assistant'; content: string | AssistantBlock[] };

export interface CallModelInput {
  /** From buildSystemPrompt; the same text for every step of one turn so the cache hits. */
  system: string;
  /** The agent's own transcript, bounded by the workflow (see boundTranscript). */
  messages: ConversationMessage[];
  /** Tools offered in this step, by name (schemas live in code, not in history). Default: all. */
  tools?: ToolName[];
  /** Default: ANTHROPIC_MAX_TOKENS. */
  maxTokens?: number;
  /** Stream the step's text into this card as it is generated (streamed answers); ids only. */
  stream?: CardStreamTarget;
}

/**
 * The status message a LOCAL model step posts itself if the model is still working when it is due (the workflow
 * cannot post it while that step holds its task: workflows/status-message.ts). Ids and the card only.
 */
export interface DueStatus {
  /** When the status is due: the user's wait, counted from when they sent the message, reaches the threshold. */
  atMs: number;
  /** The reply to post then: the user's message, the request's "status" step (its uuid) and the card. */
  reply: { messageId: string; step: string; msgType: 'interactive'; content: Record<string, unknown>; replyInThread?: boolean };
}

/** A streamed answer card: the CardKit entity, its answer element, and when it was created (orders its operations). */
export interface CardStreamTarget {
  cardId: string;
  elementId: string;
  createdAtMs: number;
}

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'pause_turn' | 'refusal' | (string & {});

export interface CallModelResult {
  /** The API's message id (msg_...), for support requests and logs. */
  messageId: string;
  model: string;
  content: AssistantBlock[];
  stopReason: StopReason;
  usage: ModelUsage;
}
