/**
 * The shapes one request's code shares (agent-loop.ts and the steps it calls: tool-confirmation.ts, slot-offer.ts;
 * user-state.ts keeps RequestProgress): types only, so those files import this, not each other.
 */
import type { ConfirmDetails, ConfirmOutcome } from '../src/cards/confirm-card';
import type { Lang } from '../src/i18n/language';
import type { EffectRecord, ToolEffect } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import type { ConversationMessage, ToolResultBlock, ToolUseBlock } from '../src/llm/types';
import type { AnswerCard, AnswerCardState } from './answer-card';
import type { MemoryByChat } from './chat-memory';
import type { RunPatches } from './patches';
import type { RecordedDecision } from './activity-proxies';
import type { RequestStatus } from './status-message';

export interface RequestProgress {
  /** Model calls made so far. */
  step: number;
  prepared?: { text: string; userName?: string; timezone?: string };
  /** The language of the user's message: every sentence of this turn uses it. */
  lang?: Lang;
  /** The turn's clock for the system prompt: the same for every step, so the prompt cache hits. */
  startedAt?: number;
  messages?: ConversationMessage[];
  /** tool_use blocks of the last model step and the results gathered for them so far. */
  pendingTools?: ToolUseBlock[];
  toolResults?: ToolResultBlock[];
  toolsUsed?: string[];
  /** Writes done or not done, from tool results: the footer of the answer and of an apology. */
  effects?: EffectRecord[];
  usage?: { input: number; output: number; cacheRead: number; cacheCreation: number };
  /** The streamed answer card, once created and sent (streamed answers only). */
  answerCard?: AnswerCardState;
  /** No turn-log step: no Base table was configured when the request began (a decision read back on replay). */
  noTurnLog?: true;
}

/** `authorized` is set when this request checked the user's authorization (filtered ones do not). */
export type RequestOutcome = { kind: 'done'; authorized?: true } | { kind: 'needs_auth'; missingScopes: string[] };

export interface RequestEnv {
  memory: MemoryByChat;
  timezone: string;
  stepCap: number;
  /** Asks the user with a Confirm / Cancel card and waits durably for the click (or a newer message). */
  confirm(msg: UserMessage, key: string, details: ConfirmDetails): Promise<ConfirmOutcome>;
  /** Posts (or, with cardMessageId, replaces) a card and waits for a click on it: its choice, 'expired' or 'superseded'. */
  ask(msg: UserMessage, key: string, card: Record<string, unknown>, cardMessageId?: string): Promise<{ choice: string; cardMessageId: string }>;
  /** Whether a confirmation card of this user waits in another chat (the answer says so). */
  waitingElsewhere(): boolean;
  /** The request's status message (shown only when it is slow), or its streamed answer card. */
  status: RequestStatus;
  /** Streamed answers (patched: see user-workflow.ts): the card the model steps stream into and the answer ends in. */
  answerCard?: AnswerCard;
  /** After an answer that changed something: post its Undo card (never throws). */
  offerUndo(msg: UserMessage, changes: ToolEffect[], lang: Lang): Promise<void>;
  /** Write each change as an audit row (only when an audit table is configured: no activity otherwise). */
  audit: boolean;
  /**
   * Whether a long local step may hold the run's workflow task now: nothing else in the run needs it at once (no
   * card or Undo button a click could reach, no other chat's request running). See callModelLocal.
   */
  mayHoldTask(): boolean;
  /** The decisions a request takes as it begins and records through its authorization check (RecordedDecision). */
  decisions(): RecordedDecision;
  /** The run's patches (patches.ts): which changed paths this run takes. */
  patches: RunPatches;
}
