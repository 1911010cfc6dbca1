/**
 * The registry: every tool the agent has, by family, in ONE table (name -> family and spec: schema, summary,
 * whether it writes, the confirmation rule and its wording, the status line). Each family keeps its entries side
 * by side in src/tools/<family>/spec.ts; the activities that run them are one table keyed by the same names
 * (activities/tools/index.ts), and the compiler checks both cover every tool. Pure: workflow code reads the rules
 * here (workflows/tool-confirmation.ts), the model step reads the definitions.
 */
import type { ConfirmDetails } from '../cards/confirm-card';
import type { StatusStage } from '../cards/status-card';
import { formatWhen } from '../i18n/dates';
import type { Lang } from '../i18n/language';
import type { EventFacts } from '../agent/tool-io';
import { CALENDAR_TOOLS, type CalendarInputs } from './calendar/spec';
import { PEOPLE_TOOLS, type PeopleInputs } from './people/spec';
import { REMINDER_TOOLS, type ReminderInputs } from './reminders/spec';
import type { ConfirmationFacts, FamilyTools, JsonSchema, ToolSpec } from './spec';
import { TASK_TOOLS, type TaskInputs } from './tasks/spec';

export type ToolInputs = CalendarInputs & TaskInputs & PeopleInputs & ReminderInputs;
export type ToolName = keyof ToolInputs;
export type ToolCall = { [N in ToolName]: { name: N; input: ToolInputs[N] } }[ToolName];
export type FamilyName = 'calendar' | 'tasks' | 'people' | 'reminders';

/** One row of the registry: the tool's family and its spec. */
export type RegisteredTool<I> = ToolSpec<I> & { family: FamilyName };

export type ToolDefinition = {
  name: ToolName;
  description: string;
  input_schema: JsonSchema & { type: 'object' };
};

function family<I>(name: FamilyName, tools: FamilyTools<I>): { readonly [N in keyof I]: RegisteredTool<I[N]> } {
  return Object.fromEntries(Object.entries(tools).map(([tool, spec]) => [tool, { family: name, ...(spec as object) }])) as {
    [N in keyof I]: RegisteredTool<I[N]>;
  };
}

/** Every tool, in the order the model is given them (the prompt cache depends on it). */
export const TOOLS: { readonly [N in ToolName]: RegisteredTool<ToolInputs[N]> } = {
  ...family('calendar', CALENDAR_TOOLS),
  ...family('tasks', TASK_TOOLS),
  ...family('people', PEOPLE_TOOLS),
  ...family('reminders', REMINDER_TOOLS),
};

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** The tools as the Messages API takes them, in the table's order (the prompt cache depends on it). */
export const TOOL_DEFINITIONS: readonly ToolDefinition[] = TOOL_NAMES.map((name) => ({
  name,
  description: TOOLS[name].description,
  input_schema: TOOLS[name].input_schema,
}));

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as string[]).includes(name);
}

/** The tools that change something (in Lark or the user's reminders); the others only read, safe to run and retry freely. */
export const WRITE_TOOLS: ReadonlySet<ToolName> = new Set(TOOL_NAMES.filter((name) => TOOLS[name].writes));

/** The spec of a call's tool, typed for the call's input. */
const specOf = (call: ToolCall): ToolSpec<ToolCall['input']> => TOOLS[call.name] as ToolSpec<ToolCall['input']>;

/**
 * Whether a (validated) call must be confirmed by the user first: it deletes, or other people see it
 * (invitations, changes to a shared event, a task assigned to someone else). update_event counts as shared
 * until a lookup says otherwise.
 */
export function needsConfirmation(call: ToolCall, facts: ConfirmationFacts = {}): boolean {
  return specOf(call).confirm?.(call.input, facts) ?? false;
}

/** What the status card says while the call runs. */
export function toolStage(call: ToolCall): StatusStage {
  return specOf(call).stage(call.input);
}

/** The activity's summary in the Temporal UI ("calendar: create event"). */
export const toolSummary = (call: ToolCall): string => TOOLS[call.name].summary;

/** The event a call answers or changes, read before it runs (undefined: it reads none). */
export const eventToInspect = (call: ToolCall): string | undefined => specOf(call).inspectsEvent?.(call.input);

/** The meeting room a call books, read before it runs for the card (undefined: none). */
export const roomToBook = (call: ToolCall): string | undefined => specOf(call).booksRoom?.(call.input);

/** A not-done write in the user's words (the footer's ❌ lines). */
export function describeCall(call: ToolCall, tz: string, lang: Lang): string {
  return specOf(call).notDone?.(call.input, tz, lang) ?? call.name;
}

/** What the confirmation card asks about the call, with what the read event told (its title, time, people). */
export function confirmDetails(call: ToolCall, tz: string, lang: Lang, facts?: EventFacts, what?: string): ConfirmDetails {
  const known = facts?.found
    ? {
        ...(facts.summary ? { title: facts.summary } : {}),
        ...(facts.startMs !== undefined ? { when: formatWhen(facts.startMs, facts.endMs, tz, lang) } : {}),
        ...(facts.attendeeNames.length ? { people: facts.attendeeNames } : {}),
      }
    : {};
  const details = specOf(call).confirmDetails;
  return details ? details(call.input, { tz, lang, ...(facts ? { facts } : {}), known }) : { lang, action: 'other', summary: what ?? call.name };
}
