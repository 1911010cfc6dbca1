/**
 * Entry point: a Temporal worker alone (run as many as you need). Needs TEMPORAL_ADDRESS, DATABASE_URL and
 * ANTHROPIC_API_KEY. dev/worker.ts runs the same worker from source with the offline stand-in model.
 */
import type { OfflineModel } from '../activities/llm';
import { checkLarkSecrets, checkModel, checkPayloadEncryption, ConfigError, loadConfig, requireModelKey, requireSetting } from './config';
import { buildLarkServices } from './services';
import { runMigrations } from './db/migrate';
import { createPool } from './db/pool';
import { createLogger } from './logger';
import { installTemporalLogger, temporalRuntimeOptions } from './temporal/runtime-logger';
import { connectAgentWorker } from './temporal/worker';
import { setupTemporalBeforePolling } from './temporal/setup';
import { startMetricsServer } from './metrics-server';

export async function runWorker(opts: { offlineModel?: OfflineModel } = {}) {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'worker');
  installTemporalLogger(log, 'WARN', temporalRuntimeOptions(config));
  if (!config.lark.appId) throw new ConfigError(['LARK_APP_ID and LARK_APP_SECRET are required for a worker']);
  // Before anything connects: a worker acting for a real Lark app whose webhook could be fed made-up events.
  const { warning } = checkLarkSecrets(config);
  if (warning) log.warn(warning);
  // Nor without the payload key: Temporal would store chat text, names and reminder texts in clear.
  const { warning: payloadWarning } = checkPayloadEncryption(config);
  if (payloadWarning) log.warn(payloadWarning);
  // Nor start without a model (the build has no offline stand-in), nor answer a real app's users with the stand-in.
  if (!opts.offlineModel) requireModelKey(config);
  const { warning: modelWarning } = checkModel(config);
  if (modelWarning) log.warn(modelWarning);
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS');
  // Namespace and search attributes before polling: registered when missing, or exit naming the command.
  await setupTemporalBeforePolling({ address, namespace: config.temporal.namespace, register: config.temporal.autoSetup, log });
  const pool = createPool(requireSetting(config.databaseUrl, 'DATABASE_URL'), 10);
  await runMigrations(pool);
  const services = buildLarkServices(config, pool, log);
  if (!services) throw new ConfigError(['LARK_APP_ID and LARK_APP_SECRET are required for a worker']);
  const { worker, close } = await connectAgentWorker(address, config, services, { offlineModel: opts.offlineModel });
  const metrics = config.metrics.workerPort ? await startMetricsServer(config.metrics.workerPort, config.host, config.metrics.authToken) : undefined;
  if (metrics) log.info({ url: metrics.url }, 'worker metrics');
  log.info({ taskQueue: config.temporal.taskQueue, address }, 'worker running');
  process.once('SIGINT', () => worker.shutdown());
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await close();
  await metrics?.close();
  await pool.end();
}

// Run as the entry point (node dist/src/worker.js, tsx src/worker.ts); dev/worker.ts imports runWorker.
if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
