/**
 * What one tool's entry holds, the same for every family (src/tools/<family>/spec.ts), and the schema builders
 * the families write their input schemas with. Pure: workflow code imports the specs.
 */
import type { ConfirmDetails } from '../cards/confirm-card';
import type { StatusStage } from '../cards/status-card';
import type { Lang } from '../i18n/language';
import type { EventFacts } from '../agent/tool-io';
import type { LocalDateTime } from '../agent/time';

/** JSON schema subset the tools use; structurally an Anthropic `Tool['input_schema']`. */
export type JsonSchema = {
  type: 'object' | 'string' | 'integer' | 'boolean' | 'array';
  enum?: string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  additionalProperties?: boolean;
};

/** A tool_use input before validation, as the meaning checks read it. */
export type Obj = Record<string, unknown>;

/** The input's start and end, parsed as local times (absent, or not a local time: undefined). */
export type LocalTimes = { start?: LocalDateTime; end?: LocalDateTime };

/** Facts only a lookup can tell, e.g. whether the event being changed has other attendees. */
export interface ConfirmationFacts {
  eventHasOtherAttendees?: boolean;
}

/** What the confirmation card's wording starts from: the event as read before the change (when it was read). */
export interface ConfirmContext {
  tz: string;
  lang: Lang;
  facts?: EventFacts;
  /** The read event's title, time and people in the user's words (empty when it was not read or not found). */
  known: { title?: string; when?: string; people?: string[] };
}

/**
 * Everything the agent knows about one tool, in one entry: what the model reads (description, input schema),
 * the activity's summary in the Temporal UI, whether it changes something (the answer's footer reports each
 * change; a failed one is "not done"), the checks beyond the schema, when the user must confirm it first and what
 * the card then says, and what the status card says while it runs. Executing it is I/O, so that lives in
 * activities/tools/<family>.ts, in a table keyed by the same names (the compiler checks both cover every tool).
 */
export interface ToolSpec<I> {
  description: string;
  input_schema: JsonSchema & { type: 'object' };
  summary: string;
  writes: boolean;
  /**
   * Problems of meaning the schema cannot say (bounded windows, exactly one "when"), in the order they are
   * reported; `start` / `end` are already parsed (undefined when absent or not a local time). Guarded by type
   * checks: it runs on input whose shape may be wrong too, so every problem is named at once.
   */
  check?: (input: Obj, times: LocalTimes) => string[];
  /** Whether a validated call must be confirmed first (absent: never). */
  confirm?: (input: I, facts: ConfirmationFacts) => boolean;
  stage: (input: I) => StatusStage;
  /** A read whose result carries text other people wrote (framed as data; a later unasked write is confirmed). */
  readsOthersContent?: true;
  /** The words with which a user asks for this kind of write (src/agent/others-content.ts). */
  asks?: RegExp;
  /** The event this call answers or changes: read first, as the user, for the confirmation rule and card. */
  inspectsEvent?: (input: I) => string;
  /** The meeting room this call books: read first for the card's name and place. */
  booksRoom?: (input: I) => string | undefined;
  /** The write in the user's words, for the footer's ❌ line when it is not done (absent: the tool's name). */
  notDone?: (input: I, tz: string, lang: Lang) => string;
  /** What the confirmation card asks (absent: "other", described by the ❌ line's words). */
  confirmDetails?: (input: I, ctx: ConfirmContext) => ConfirmDetails;
}

/** One family's entries, keyed by tool name. */
export type FamilyTools<Inputs> = { readonly [N in keyof Inputs]: ToolSpec<Inputs[N]> };

export const LOCAL_TIME_HINT = 'local wall-clock time in the user\'s timezone, "YYYY-MM-DDTHH:mm" without offset, e.g. "2026-11-22T15:00"';
export const localTime = (description: string): JsonSchema => ({ type: 'string', description: `${description}: ${LOCAL_TIME_HINT}` });
export const text = (description: string, maxLength = 200): JsonSchema => ({ type: 'string', description, minLength: 1, maxLength });
export const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema & { type: 'object' } => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
