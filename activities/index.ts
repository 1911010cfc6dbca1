/**
 * The activity registry: ONE factory builds every activity the worker registers, from the process's
 * configuration and its long-lived services; the worker registers what it returns. Workflows reach these only
 * through workflows/activity-proxies.ts, which holds each one's timeouts and retry policy.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../src/config';
import type { LarkServices } from '../src/services';
import { createToolActivities } from './tools';
import { createAuthActivities } from './auth';
import { createIntakeActivities } from './intake';
import { createLlmActivities, type OfflineModel } from './llm';
import { createAnswerCardActivities, createMessagingActivities } from './messaging';
import { createReminderActivities, createReminderService, createReminderTools } from './reminders';
import { createRequestActivities } from './requests';
import { createTurnLogActivities } from './turn-log';
import { createUndoActivities } from './undo';
import { ANSWER_STREAM_CLOSE_AFTER_MS } from './messaging';

export interface ActivityDeps {
  /** The Temporal client activities start and signal workflows with (routing a message, reminders). */
  temporal: Client;
  taskQueue: string;
  config: Config;
  /** Lark client, token store, OAuth, reminders index. Without them (a worker for the intake only) the
   * activities that need them are not registered, and the local ones fail retryably (see below). */
  services?: LarkServices;
  /** The model without ANTHROPIC_API_KEY (the local run's offline model, given from dev/); production has none. */
  offlineModel?: OfflineModel;
}

export function createActivities({ temporal, taskQueue, config, services, offlineModel }: ActivityDeps) {
  const always = {
    ...createIntakeActivities({ client: temporal, taskQueue, userSettings: config.user, ...(services?.intakeLimits ? { limits: services.intakeLimits } : {}) }),
    ...createLlmActivities({
      llm: config.llm,
      offlineModel,
      ...(services ? { lark: services.lark, stream: { intervalMs: config.llm.streamIntervalMs ?? 250, closeAfterMs: ANSWER_STREAM_CLOSE_AFTER_MS } } : {}),
    }),
  };
  if (!services) return { ...always, ...unavailableLocalActivities() };
  const { lark, tokens } = services;
  const reminderDeps = {
    temporal,
    taskQueue,
    store: services.reminders,
    lark,
    tokens,
    settings: config.reminders.settings,
    maxActive: config.reminders.maxActive,
    userSettings: config.user,
  };
  // One reminder service: the reminder tools set and cancel through it, Undo restores and moves through it.
  const reminderService = createReminderService(reminderDeps);
  return {
    ...always,
    ...createMessagingActivities({ client: lark }),
    ...createAnswerCardActivities({ client: lark }),
    ...createAuthActivities({ store: tokens, oauth: services.oauth, client: lark, requiredScopes: config.oauth.scopes.filter((s) => s !== 'offline_access') }),
    ...createRequestActivities({ client: lark, tokens, zones: services.reminders, ...(services.languages ? { languages: services.languages } : {}) }),
    ...createToolActivities({ client: lark, tokens, scheduling: config.scheduling, reminders: createReminderTools(reminderDeps, reminderService) }),
    ...createReminderActivities(reminderDeps),
    ...createTurnLogActivities({ client: lark, base: config.base }),
    ...createUndoActivities({ client: lark, tokens, reminders: reminderService }),
  };
}

/**
 * A worker built without the Lark services (tests, benchmarks of the intake) still registers the per-user
 * workflow's LOCAL activities, failing retryably: a local activity runs in the worker that runs the workflow, and
 * an unregistered one fails the workflow task itself (the run could not even be queried), where a regular
 * activity would just wait on the queue for a worker that has it. Now both wait the same way, under the policy.
 */
function unavailableLocalActivities() {
  const unavailable = (name: string) => async (): Promise<never> => {
    throw ApplicationFailure.retryable(`${name} needs the Lark services; this worker was started without them`, 'ActivityUnavailable');
  };
  return {
    prepareRequest: unavailable('prepareRequest'),
    checkAuthorization: unavailable('checkAuthorization'),
    replyToMessage: unavailable('replyToMessage'),
    sendMessage: unavailable('sendMessage'),
  };
}
