/** What a tool handler (activities/tools/, activities/reminders.ts) returns or throws besides plain data. */
import type { ToolEffect } from '../src/i18n/messages';

/** A write handler's result and the change it made. */
export class WithEffect {
  constructor(
    readonly result: unknown,
    readonly effect: ToolEffect,
  ) {}
}

/**
 * Input the model can fix or must ask the user about: becomes an is_error tool_result, not an activity failure.
 * With `details` the result is JSON (`{error, ...details}`) so the model gets the facts to ask with.
 */
export class ToolInputError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
