import { createAuthActivities, type AuthActivityDeps } from './auth';
import { createIntakeActivities, type IntakeDeps } from './intake';
import { createMessagingActivities, type MessagingActivityDeps } from './messaging';
import { createLlmActivities, type LlmDeps } from './llm';

export interface ActivityDeps extends IntakeDeps, LlmDeps {
  /** The messaging activities are registered only when a Lark client is given (the webhook-only setup has none). */
  lark?: MessagingActivityDeps;
  auth?: AuthActivityDeps;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIntakeActivities(deps),
    ...createLlmActivities(deps),
    ...(deps.lark ? createMessagingActivities(deps.lark) : {}),
    ...(deps.auth ? createAuthActivities(deps.auth) : {}),
  };
}
