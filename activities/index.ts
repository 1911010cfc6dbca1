import { createIntakeActivities, type IntakeDeps } from './intake';
import { createLlmActivities, type LlmDeps } from './llm';

export type ActivityDeps = IntakeDeps & LlmDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIntakeActivities(deps),
    ...createLlmActivities(deps),
  };
}
