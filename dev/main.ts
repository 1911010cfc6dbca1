/**
 * The one-command local run: a Temporal dev server (file-backed, Web UI) unless TEMPORAL_ADDRESS is set,
 * the embedded PostgreSQL unless DATABASE_URL is set, migrations, the worker and the webhook, all in
 * this process tree, stopped cleanly on Ctrl-C or SIGTERM.
 */
import path from 'node:path';
import { checkLarkSecrets, checkModel, checkPayloadEncryption, ConfigError, loadConfig, StartupRefusal } from '../src/config';
import { localUiCodec, withLocalSecrets } from './local-run';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded';
import { runMigrations } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { createLogger } from '../src/logger';
import { resolveTemporalCli } from '../src/temporal/cli';
import { installTemporalLogger, temporalRuntimeOptions } from '../src/temporal/runtime-logger';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { connectAgentWorker } from '../src/temporal/worker';
import { setupTemporalBeforePolling } from '../src/temporal/setup';
import { ROUTES } from '../src/webhook/routes';
import { startWebhook } from '../src/webhook/start';
import { startLarkEmulator, type LarkEmulator } from './emulator';
import { sandboxReminders, sandboxZones, withEmulator } from './sandbox';
import { offlineModel } from './llm/stand-in';
import { buildLarkServices } from '../src/services';

async function main() {
  let config = loadConfig(process.env, { sandbox: true });
  const log = createLogger(config.logLevel, 'main');
  if (config.lark.appId) {
    // A real Lark app: its secrets must be given (one line naming what is missing, exit 1).
    const { warning } = checkLarkSecrets(config);
    if (warning) log.warn(warning);
    const { warning: modelWarning } = checkModel(config);
    if (modelWarning) log.warn(modelWarning);
  }
  // Generated once into DATA_DIR when not given: the emulator's Encrypt Key and token (it signs and encrypts with
  // them, like Lark) and, with or without a Lark app, the payload key (as TOKEN_ENCRYPTION_KEY and
  // OAUTH_STATE_SECRET are: src/services.ts), so Temporal holds no chat text in clear.
  const payloadKeyGiven = Boolean(config.privacy.payloadKeys?.length);
  config = withLocalSecrets(config);
  const { warning: payloadWarning } = checkPayloadEncryption(config);
  if (payloadWarning) log.warn(payloadWarning);
  else if (!payloadKeyGiven) log.info({ file: path.join(config.dataDir, 'payload-encryption.key') }, 'payload encryption: the local key in DATA_DIR');
  installTemporalLogger(log, 'WARN', temporalRuntimeOptions(config));
  const cleanups: Array<() => Promise<unknown>> = [];
  const shutdown = async (code: number) => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => log.warn({ err: String(err) }, 'cleanup failed'));
    process.exit(code);
  };
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'shutting down');
      void shutdown(0);
    });
  }

  try {
    let address = config.temporal.address;
    let devServer: DevServer | undefined;
    if (!address) {
      const cliPath = config.temporal.cliPath ?? resolveTemporalCli();
      // Every run legible in the Web UI: it decodes payloads through the webhook's codec endpoint.
      const codec = localUiCodec(config, config.temporal.uiPort);
      if (codec) config = codec.config;
      else if (config.privacy.payloadKeys?.length)
        log.warn(
          { host: config.host, port: config.port },
          'the Temporal Web UI shows payloads encrypted: the browser cannot reach the codec endpoint on this HOST and PORT',
        );
      devServer = await startDevServer({
        cliPath,
        port: config.temporal.devPort,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        uiPort: config.temporal.uiPort,
        ...(codec ? { uiCodecEndpoint: codec.endpoint } : {}),
        namespace: config.temporal.namespace,
        logLevel: 'error',
        onOutput: (line) => log.debug({ temporal: line }),
      });
      cleanups.push(() => devServer!.stop());
      address = devServer.address;
    } else {
      // Someone else's server: its namespace and search attributes are checked (registered when missing).
      await setupTemporalBeforePolling({ address, namespace: config.temporal.namespace, register: config.temporal.autoSetup, log });
    }

    let databaseUrl = config.databaseUrl;
    let embedded: EmbeddedPostgres | undefined;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'));
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
    }
    // PGlite serves one session at a time: the whole process shares a pool of one.
    const pool = createPool(databaseUrl, embedded ? 1 : 10);
    cleanups.push(() => pool.end());
    const migrations = await runMigrations(pool);
    log.info(migrations, 'migrations');

    // No Lark app configured: the sandbox. A local Lark emulator stands in for Lark (its Open API, OAuth
    // and event delivery), so the whole product runs without a cloud account.
    let sandbox: LarkEmulator | undefined;
    if (!config.lark.appId) {
      // The sandbox takes Lark's events over the long connection, as most bots now connect, unless
      // LARK_EVENT_MODE says otherwise (webhook: the emulator posts signed events to /webhook/event).
      const mode = config.lark.eventModeExplicit ? config.lark.eventMode : 'websocket';
      const via = mode === 'webhook' ? 'webhook' : 'long-connection';
      sandbox = await startLarkEmulator({
        subscription: { events: via, callbacks: via },
        port: config.sandboxPort,
        webhook: { url: `http://127.0.0.1:${config.port}/webhook/event`, encryptKey: config.lark.encryptKey, verificationToken: config.lark.verificationToken },
        redirectUris: [config.oauth.redirectUri],
        seedCalendars: true, // a few busy blocks per person, so "find a time" has something to work around
        ...(devServer?.uiUrl ? { temporalUiUrl: devServer.uiUrl, temporalNamespace: config.temporal.namespace } : {}),
      });
      cleanups.push(() => sandbox!.stop());
      config = withEmulator(config, sandbox);
      config = {
        ...config,
        lark: {
          ...config.lark,
          eventMode: mode,
          eventModeReason: config.lark.eventModeExplicit
            ? config.lark.eventModeReason
            : 'the sandbox: the emulator pushes events over the long connection (LARK_EVENT_MODE=webhook for the webhook)',
        },
      };
    }
    const services = buildLarkServices(config, pool, log)!;
    sandbox?.setReminderSource(sandboxReminders(services.reminders, config.user.timezone));
    sandbox?.setUserZoneSource(sandboxZones(services.reminders, config.user.timezone));

    // Without ANTHROPIC_API_KEY the offline stand-in model answers (a real Lark app only with LLM_ALLOW_OFFLINE=true).
    const { worker, client, close: closeWorker } = await connectAgentWorker(address, config, services, { offlineModel });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await closeWorker();
    });
    running.catch((err) => {
      log.error({ err: String(err) }, 'worker stopped');
      if (!stopping) void shutdown(1);
    });

    const webhook = await startWebhook(config, client, pool, log, services);
    cleanups.push(() => webhook.close());

    const mode = config.lark.eventMode;
    const lines = [
      '',
      'Lark agent is running.',
      ...(mode !== 'webhook' ? [`  Lark events:               long connection to ${config.lark.baseUrl} (LARK_EVENT_MODE=${mode})`] : []),
      ...(mode !== 'websocket'
        ? [`  Webhook (Lark event URL):  ${webhook.url}${ROUTES.event.path}`, `  Card callback URL:         ${webhook.url}${ROUTES.card.path}`]
        : []),
      `  Health:                    ${webhook.url}${ROUTES.health.path}`,
      `  Temporal:                  ${address}${devServer ? ' (local dev server)' : ''}`,
      ...(devServer?.uiUrl ? [`  Temporal Web UI:           ${devServer.uiUrl}`] : []),
      ...(sandbox ? [`  Sandbox (chat as a Lark user): ${sandbox.url}/sandbox`] : [`  OAuth callback:            ${config.oauth.redirectUri}`]),
      `  Database:                  ${embedded ? `embedded PostgreSQL in ${path.join(config.dataDir, 'pg')}` : 'DATABASE_URL'}`,
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'start failed');
    await shutdown(1);
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof StartupRefusal ? err.message : err);
  process.exit(1);
});
