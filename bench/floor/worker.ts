/**
 * The floor's worker process (bench/floor/workflow.ts), started by `npm run bench` beside the product's worker so
 * /proc gives each its own CPU. Same SDK, same payload codec and the same Lark client as the product's worker.
 * Environment: TEMPORAL_ADDRESS, FLOOR_TASK_QUEUE, LARK_BASE_URL, LARK_APP_ID, LARK_APP_SECRET,
 * PAYLOAD_ENCRYPTION_KEYS.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createMessagingActivities } from '../../activities/messaging';
import { parsePayloadKeys } from '../../src/config';
import { LarkClient } from '../../src/lark/client';
import { payloadCodecs } from '../../src/temporal/payload-codec';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`floor worker: ${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const { keys, problems } = parsePayloadKeys(need('PAYLOAD_ENCRYPTION_KEYS'));
  if (problems.length) throw new Error(`floor worker: ${problems.join('; ')}`);
  const client = new LarkClient({ baseUrl: need('LARK_BASE_URL'), appId: need('LARK_APP_ID'), appSecret: need('LARK_APP_SECRET') });
  const connection = await NativeConnection.connect({ address: need('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    taskQueue: need('FLOOR_TASK_QUEUE'),
    workflowsPath: require.resolve('./workflow'),
    activities: createMessagingActivities({ client }),
    dataConverter: { payloadCodecs: payloadCodecs(keys) },
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.stdout.write('floor worker ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
