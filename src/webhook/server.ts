/** Entry point: the webhook alone (scale it apart from the workers). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { checkLarkSecrets, checkPayloadEncryption, loadConfig, requireSetting } from '../config';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { createTemporalClient } from '../temporal/client';
import { setupTemporalAtStart } from '../temporal/setup';
import { payloadCodecs } from '../temporal/payload-codec';
import { ROUTES } from './routes';
import { startWebhook } from './start';
import { buildLarkServices } from '../services';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'webhook');
  // The webhook authenticates Lark's callbacks whatever else is configured: refuse to run without the secrets.
  const { warning } = checkLarkSecrets(config);
  if (warning) log.warn(warning);
  // Nor without the payload key: the event it starts holds the message text.
  const { warning: payloadWarning } = checkPayloadEncryption(config);
  if (payloadWarning) log.warn(payloadWarning);
  const address = requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS');
  const client = createTemporalClient(
    address,
    config.temporal.namespace,
    payloadCodecs(config.privacy.payloadKeys), // the event (chat text) is encrypted before it leaves
  );
  // Namespace and search attributes: registered when missing, or exit naming the command (src/temporal/setup.ts).
  // Temporal not answering yet is not a reason to stay down: events get 503 until it does.
  await setupTemporalAtStart(client.connection, {
    namespace: config.temporal.namespace,
    address,
    register: config.temporal.autoSetup,
    log,
    retryInBackground: true,
  });
  const pool = createPool(requireSetting(config.databaseUrl, 'DATABASE_URL'), 4);
  // OAuth callback needs the Lark credentials and the secrets; without credentials only intake runs.
  const services = buildLarkServices(config, pool, log);
  const webhook = await startWebhook(config, client, pool, log, services);
  log.info({ url: `${webhook.url}${ROUTES.event.path}` }, 'webhook listening');
  const stop = async () => {
    await webhook.close();
    await pool.end();
    await client.connection.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
