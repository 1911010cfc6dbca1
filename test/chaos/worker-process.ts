/**
 * The chaos suite's worker: the real agent worker (connectAgentWorker with the real config, services and
 * activities) in its own OS process, so the driver can kill -9 it. Config comes from the environment
 * (the same variables as src/worker.ts); CHAOS_WORKFLOW_BUNDLE points at workflow code the driver
 * bundled once, so a restart takes a second instead of re-bundling. Prints "READY" once polling can start.
 */
import { loadConfig, requireSetting } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logger';
import { buildLarkServices } from '../../src/services';
import { installTemporalLogger } from '../../src/temporal/runtime-logger';
import { connectAgentWorker } from '../../src/temporal/worker';
import { setupTemporalBeforePolling } from '../../src/temporal/setup';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'chaos-worker');
  installTemporalLogger(log, 'ERROR');
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS');
  // As src/worker.ts does: the namespace and search attributes exist (or are registered) before polling.
  await setupTemporalBeforePolling({ address, namespace: config.temporal.namespace, register: config.temporal.autoSetup, log });
  const pool = createPool(requireSetting(config.databaseUrl, 'DATABASE_URL'), 10);
  const services = buildLarkServices(config, pool, log);
  if (!services) throw new Error('LARK_APP_ID and LARK_APP_SECRET are required');
  const codePath = process.env.CHAOS_WORKFLOW_BUNDLE;
  const { worker, close } = await connectAgentWorker(address, config, services, {
    identity: `chaos-worker-${process.pid}`,
    ...(codePath ? { workflowBundle: { codePath } } : {}),
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.stdout.write('READY\n');
  await worker.run();
  await close();
  await pool.end();
}

main().catch((err) => {
  process.stderr.write(`chaos worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
