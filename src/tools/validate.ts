/**
 * Checks a tool_use's input against its tool: shape (required, types, no unknown fields) from the schema, then
 * meaning (real calendar dates, end after start, then the tool's own checks in its spec). A validation error is a
 * sentence the model can read in a tool_result and correct. Pure: workflow code validates before it runs a call.
 */
import { minutesBetween, parseLocal } from '../agent/time';
import { isToolName, TOOL_NAMES, TOOLS, type ToolCall, type ToolName } from './registry';
import { LOCAL_TIME_HINT, type JsonSchema, type LocalTimes, type Obj } from './spec';

export type ToolValidation = { ok: true; call: ToolCall } | { ok: false; error: string };

/** Returns every problem in one sentence. */
export function validateToolInput(name: string, input: unknown): ToolValidation {
  if (!isToolName(name)) return { ok: false, error: `Unknown tool "${name}". Available tools: ${TOOL_NAMES.join(', ')}.` };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `${name}: input must be a JSON object.` };
  }
  const problems = checkShape(TOOLS[name].input_schema, input as Obj);
  problems.push(...checkMeaning(name, input as Obj)); // guarded by type checks, so every problem is named at once
  if (problems.length) return { ok: false, error: `${name}: ${problems.join('; ')}.` };
  return { ok: true, call: { name, input } as ToolCall };
}

function checkShape(schema: JsonSchema, input: Obj): string[] {
  const problems: string[] = [];
  const props = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (input[key] === undefined || input[key] === null) problems.push(`${key} is required`);
  }
  for (const [key, value] of Object.entries(input)) {
    const prop = props[key];
    if (!prop) {
      const allowed = Object.keys(props);
      problems.push(`unknown field "${key}" (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`);
      continue;
    }
    if (value === undefined || value === null) continue;
    problems.push(...checkValue(key, prop, value));
  }
  return problems;
}

function checkValue(key: string, prop: JsonSchema, value: unknown): string[] {
  switch (prop.type) {
    case 'string':
      if (typeof value !== 'string') return [`${key} must be a string`];
      if (prop.enum && !prop.enum.includes(value)) return [`${key} must be one of ${prop.enum.join(', ')}`];
      if (prop.minLength && value.trim().length < prop.minLength) return [`${key} must not be empty`];
      if (prop.maxLength && value.length > prop.maxLength) return [`${key} must be at most ${prop.maxLength} characters`];
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${key} must be a whole number`];
      if ((prop.minimum !== undefined && value < prop.minimum) || (prop.maximum !== undefined && value > prop.maximum)) {
        return [`${key} must be from ${prop.minimum} to ${prop.maximum}`];
      }
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${key} must be true or false`];
    case 'array': {
      if (!Array.isArray(value)) return [`${key} must be a list`];
      if (prop.maxItems !== undefined && value.length > prop.maxItems) return [`${key} must have at most ${prop.maxItems} items`];
      return value.flatMap((v, i) => (prop.items ? checkValue(`${key}[${i}]`, prop.items, v) : []));
    }
    default:
      return [];
  }
}

const LOCAL_FIELDS = ['start', 'end'] as const;

/** Every tool's start and end are local times, end after start; then the tool's own checks (its spec's `check`). */
function checkMeaning(name: ToolName, input: Obj): string[] {
  const problems: string[] = [];
  const times: LocalTimes = {};
  for (const key of LOCAL_FIELDS) {
    const v = input[key];
    if (typeof v !== 'string') continue;
    const t = /T/.test(v) ? parseLocal(v) : undefined;
    if (!t) problems.push(`${key} must be ${LOCAL_TIME_HINT} (got "${v}")`);
    times[key] = t;
  }
  const { start, end } = times;
  if (start && end && minutesBetween(start, end) <= 0) problems.push(`end (${input.end}) must be after start (${input.start})`);
  problems.push(...(TOOLS[name].check?.(input, times) ?? []));
  return problems;
}
