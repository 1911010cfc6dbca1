/** Builds the Temporal worker: the workflows in `workflows/` and the activities built from their deps. */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../../activities';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The client activities use to signal-with-start per-user workflows. */
  client: Client;
  dedupWindow: number;
  /** A prebuilt bundle (tests build one and reuse it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** The privacy codec (payload-codec.ts); the client above must use the same keys. */
  payloadCodecs?: PayloadCodec[];
}

export async function createAgentWorker(opts: AgentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.payloadCodecs?.length ? { dataConverter: { payloadCodecs: opts.payloadCodecs } } : {}),
    activities: createActivities({ client: opts.client, taskQueue: opts.taskQueue, dedupWindow: opts.dedupWindow }),
  });
}
