import { createIntakeActivities, type IntakeDeps } from './intake';
import { createLarkActivities, type LarkActivityDeps } from './lark';

export interface ActivityDeps extends IntakeDeps {
  /** Lark API activities are registered only when a Lark client is given (the webhook-only setup has none). */
  lark?: LarkActivityDeps;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIntakeActivities(deps),
    ...(deps.lark ? createLarkActivities(deps.lark) : {}),
  };
}
