import { createIntakeActivities, type IntakeDeps } from './intake';

export type ActivityDeps = IntakeDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIntakeActivities(deps),
  };
}
