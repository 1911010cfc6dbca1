/** Builds the Temporal worker: the workflows in `workflows/` and the activities built from their deps. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, type PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createToolActivities } from '../../activities/agent-tools';
import { createRequestActivities } from '../../activities/requests';
import { createTurnLogActivities } from '../../activities/turn-log';
import { createUndoActivities } from '../../activities/undo';
import { createReminderActivities, createReminderTools } from '../../activities/reminders';
import type { ReminderSettings } from '../../workflows/reminder-workflow';
import type { Config } from '../config';
import { createTemporalClient } from './client';
import { payloadCodecs } from './payload-codec';
import { HeartbeatInterceptor } from './heartbeat-interceptor';
import type { LarkServices } from '../services';
import type { UserSettings } from '../../workflows/user-workflow';

/** The workflows' entry: the TypeScript source under tsx (development, tests), the compiled file under dist/. */
export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows', __filename.endsWith('.ts') ? 'index.ts' : 'index.js');

/**
 * The workflow bundle `npm run build` writes next to the compiled code (dist/workflow-bundle.js). A worker
 * that finds it loads it instead of running webpack at start: seconds faster to start, and with the compiled
 * code a started worker holds 224 MB RSS instead of 368 under tsx with bundling (README "Benchmark").
 * Under tsx there is none, so edits to workflows/ always take effect.
 */
export const PREBUILT_BUNDLE_PATH = path.resolve(__dirname, '../../workflow-bundle.js');

function workflowCode(opts: AgentWorkerOptions): { workflowBundle: WorkflowBundleOption } | { workflowsPath: string } {
  if (opts.workflowBundle) return { workflowBundle: opts.workflowBundle };
  if (!__filename.endsWith('.ts') && existsSync(PREBUILT_BUNDLE_PATH)) return { workflowBundle: { codePath: PREBUILT_BUNDLE_PATH } };
  return { workflowsPath: WORKFLOWS_PATH };
}

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The client activities use to signal-with-start per-user workflows. */
  client: Client;
  config: Config;
  /** Lark client, token store and OAuth: without them only the intake activities run. */
  services?: LarkServices;
  /** A prebuilt bundle (tests build one and reuse it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** The privacy codec (payload-codec.ts); the client above must use the same keys. */
  payloadCodecs?: PayloadCodec[];
}

export function userSettingsFrom(config: Config): UserSettings {
  return {
    dedupWindow: config.user.dedupWindow,
    authWaitTimeoutMs: config.user.authWaitTimeoutMs,
    confirmTimeoutMs: config.user.confirmTimeoutMs,
    stepCap: config.user.stepCap,
    timezone: config.user.defaultTimezone,
    historyEventCap: config.user.historyEventCap,
    loginCardIntervalMs: config.user.loginCardIntervalMs,
    statusAfterMs: config.user.statusAfterMs,
    undoValidMs: config.user.undoValidMs,
    audit: Boolean(config.base?.auditTableId),
  };
}

export function reminderSettingsFrom(config: Config): ReminderSettings {
  const r = config.reminders;
  return { lateAfterMs: r.lateAfterMs, clickWindowMs: r.clickWindowMs, authWaitMs: r.authWaitMs, authRecheckMs: r.authRecheckMs, fireRetryForMs: 24 * 3600_000, eventCheckMs: r.eventCheckMs };
}

export function agentActivities(opts: Pick<AgentWorkerOptions, 'client' | 'config' | 'services' | 'taskQueue'>) {
  const { config, services } = opts;
  const base = createActivities({
    client: opts.client,
    taskQueue: opts.taskQueue,
    userSettings: userSettingsFrom(config),
    llm: config.llm,
    ...(services
      ? {
          lark: { client: services.lark, defaultTimezone: config.user.defaultTimezone },
          auth: {
            store: services.tokens,
            oauth: services.oauth,
            client: services.lark,
            requiredScopes: config.oauth.scopes.filter((s) => s !== 'offline_access'),
          },
        }
      : {}),
  });
  if (!services) return { ...base, ...unavailableLocalActivities() };
  const reminderDeps = {
    temporal: opts.client,
    taskQueue: opts.taskQueue,
    store: services.reminders,
    lark: services.lark,
    tokens: services.tokens,
    settings: reminderSettingsFrom(config),
    maxActive: config.reminders.maxActive,
    userSettings: userSettingsFrom(config),
  };
  return {
    ...base,
    ...createToolActivities({ client: services.lark, tokens: services.tokens, scheduling: config.scheduling, reminders: createReminderTools(reminderDeps) }),
    ...createReminderActivities(reminderDeps),
    ...createRequestActivities({ client: services.lark, tokens: services.tokens, zones: services.reminders }),
    ...createTurnLogActivities({ client: services.lark, base: config.base }),
    ...createUndoActivities({ client: services.lark, tokens: services.tokens }),
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

export async function createAgentWorker(opts: AgentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...workflowCode(opts),
    ...(opts.payloadCodecs?.length ? { dataConverter: { payloadCodecs: opts.payloadCodecs } } : {}),
    activities: agentActivities(opts),
    interceptors: { activity: [() => ({ inbound: new HeartbeatInterceptor() })] },
    // After a worker dies, its cached workflows' next tasks go to the shared queue after this long.
    stickyQueueScheduleToStartTimeout: '2 seconds',
    // Bounded: idle users are evicted (their next task replays the history) instead of holding memory forever.
    maxCachedWorkflows: opts.config.temporal.maxCachedWorkflows,
  });
}

/** A worker for a process: its own connections (client with the payload codec when configured) and the worker. */
export async function connectAgentWorker(
  address: string,
  config: Config,
  services: LarkServices,
  extra: Pick<AgentWorkerOptions, 'identity' | 'workflowBundle'> = {},
) {
  const codecs = payloadCodecs(config.privacy.payloadKeys);
  const client = createTemporalClient(address, config.temporal.namespace, codecs);
  const connection = await NativeConnection.connect({ address });
  const worker = await createAgentWorker({
    connection,
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    config,
    services,
    payloadCodecs: codecs,
    ...extra,
  });
  return {
    worker,
    client,
    async close() {
      await connection.close();
      await client.connection.close();
    },
  };
}
