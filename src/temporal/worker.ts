/** Builds the Temporal worker: the workflows in `workflows/` and the activities built from their deps. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { OfflineModel } from '../../activities/llm';
import type { Config } from '../config';
import { createTemporalClient } from './client';
import { payloadCodecs } from './payload-codec';
import { HeartbeatInterceptor } from './heartbeat-interceptor';
import type { LarkServices } from '../services';

/** The workflows' entry: the TypeScript source under tsx (development, tests), the compiled file under dist/. */
export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows', __filename.endsWith('.ts') ? 'index.ts' : 'index.js');

/**
 * The workflow bundle `npm run build` writes next to the compiled code (dist/workflow-bundle.js). A worker
 * that finds it loads it instead of running webpack at start: seconds faster to start, and with the compiled
 * code a started worker holds 224 MB RSS instead of 368 under tsx with bundling (docs/benchmark.md).
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
  /** The model without ANTHROPIC_API_KEY: given by the dev entry points (dev/llm/stand-in.ts), never in production. */
  offlineModel?: OfflineModel;
}

export async function createAgentWorker(opts: AgentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...workflowCode(opts),
    ...(opts.payloadCodecs?.length ? { dataConverter: { payloadCodecs: opts.payloadCodecs } } : {}),
    activities: createActivities({
      temporal: opts.client,
      taskQueue: opts.taskQueue,
      config: opts.config,
      services: opts.services,
      offlineModel: opts.offlineModel,
    }),
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
  extra: Pick<AgentWorkerOptions, 'identity' | 'workflowBundle' | 'offlineModel'> = {},
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
