/**
 * Starts the intake, wired to Temporal and the database: the HTTP server (health, OAuth callback, metrics, and
 * with LARK_EVENT_MODE webhook or both the event and card routes) and, with websocket or both, the long
 * connection to Lark. Both intakes share one starter and one click handler (its rate limits and dead-card memo).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { longConnectionOn, webhookIntakeOn, type Config } from '../config';
import type { Pool } from '../db/pool';
import { pingDatabase } from '../db/pool';
import type { Logger } from '../logger';
import { enableProcessMetrics } from '../metrics';
import { pingTemporal } from '../temporal/client';
import { searchAttributeHealthCheck, setupTemporalAtStart } from '../temporal/setup';
import { EncryptionCodec } from '../temporal/payload-codec';
import { createWebhookApp, type CardActionHandler, type HealthCheck } from './app';
import { ReplayGuard } from './replay-guard';
import { codecEndpoint } from './codec-endpoint';
import { temporalEventStarter } from '../temporal/event-starter';
import type { LarkServices } from '../services';
import { DeadCards, signalAuthOutcome, signInState, signalCardAction } from '../temporal/card-actions';
import { KeyedRateLimiter, TokenBucket } from '../rate-limit';
import { countingStarter, metricsEndpoint, requestMetrics } from './metrics-middleware';
import { startLongConnection, type LongConnectionDeps, type RunningLongConnection } from './long-connection';

export interface RunningWebhook {
  url: string;
  server: http.Server;
  /** Present with LARK_EVENT_MODE websocket or both. */
  longConnection?: RunningLongConnection;
  close(): Promise<void>;
}

export interface WebhookOverrides {
  /** Wraps the card-click handler (the fuzzer counts what reaches it: nothing may). */
  wrapCardAction?: (inner: CardActionHandler) => CardActionHandler;
  /** Long-connection settings tests shorten (the restart backoff). */
  longConnection?: Pick<LongConnectionDeps, 'restartBackoffMs' | 'drainMs'>;
}

export async function startWebhook(
  config: Config,
  client: Client,
  pool: Pool,
  log: Logger,
  services?: LarkServices,
  overrides: WebhookOverrides = {},
): Promise<RunningWebhook> {
  enableProcessMetrics();
  const { payloadKeys, codecAuthToken, codecCorsOrigins, localUiOrigins } = config.privacy;
  // A refused start (e.g. the server's database was replaced and the search attributes are gone) makes the webhook
  // check its Temporal setup again, registering what is missing when allowed; at most once every 30 s.
  let lastRecheck = 0;
  const recheckSetup = () => {
    if (!config.temporal.address || Date.now() - lastRecheck < 30_000) return;
    lastRecheck = Date.now();
    void setupTemporalAtStart(client.connection, {
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      register: config.temporal.autoSetup,
      log,
      retryInBackground: false,
    }).catch((err) => log.error({ err: (err as Error)?.message }, 'temporal setup check after a refused start failed'));
  };
  const { oauthCallbackLimit, cardClickLimit, trustProxyHops } = config.webhook;
  const oauthLimits = { perClient: new KeyedRateLimiter(oauthCallbackLimit.ip), total: new TokenBucket(oauthCallbackLimit.total) };
  // The token store answers "signed in?" (the run is not queried: src/temporal/card-actions.ts, signInState).
  const signedIn = services ? (openId: string) => services.tokens.status(openId).then((s) => s.state === 'authorized') : undefined;
  const cardGuards = { perUser: new KeyedRateLimiter(cardClickLimit, 100_000), deadCards: new DeadCards(), ...(signedIn ? { signedIn } : {}) };
  const starter = countingStarter(temporalEventStarter(client, config.temporal.taskQueue, config.webhook.startTimeoutMs), {
    log,
    onRefused: recheckSetup,
  });
  const onCardAction = (overrides.wrapCardAction ?? ((h) => h))(signalCardAction(client, config.webhook.startTimeoutMs, cardGuards));
  const mode = config.lark.eventMode;
  log.info({ mode, why: config.lark.eventModeReason }, 'lark event intake');
  const health: HealthCheck[] = [
    { name: 'temporal', check: () => pingTemporal(client) },
    { name: 'database', check: () => pingDatabase(pool) },
    // A fresh server without them refuses every start: say so here rather than only in 500s.
    { name: 'search_attributes', check: searchAttributeHealthCheck(client.connection, config.temporal.namespace) },
    // The long connection's entry is added once it is started, below.
  ];
  const app = createWebhookApp({
    webhookIntake: webhookIntakeOn(mode),
    verify: {
      encryptKey: config.lark.encryptKey,
      verificationToken: config.lark.verificationToken,
      timestampToleranceSeconds: config.webhook.timestampToleranceSeconds,
      replay: new ReplayGuard(),
    },
    maxBodyBytes: config.webhook.maxBodyBytes,
    starter,
    ...(services
      ? {
          oauth: {
            service: services.oauth,
            onOutcome: signalAuthOutcome(client, services.reminders),
            limits: oauthLimits,
            pageContext: async (openId: string, askRun: boolean) => {
              const [state, lang] = await Promise.all([
                askRun ? signInState(client, openId, config.webhook.startTimeoutMs, signedIn) : undefined,
                services.languages?.languageOf(openId).catch(() => undefined),
              ]);
              return { ...(state ? { waiting: state.waiting } : {}), ...(lang ? { lang } : {}) };
            },
          },
        }
      : {}),
    onCardAction,
    trustProxyHops,
    health,
    log,
    extra: [
      requestMetrics(),
      metricsEndpoint(config.metrics.authToken),
      // The codec endpoint exists only with keys and a token, or for the local run's own UI (from this machine):
      // it never answers an unauthenticated caller from elsewhere.
      ...(payloadKeys?.length && (codecAuthToken || localUiOrigins.length)
        ? [codecEndpoint({ codec: new EncryptionCodec(payloadKeys), authToken: codecAuthToken, corsOrigins: codecCorsOrigins, localOrigins: localUiOrigins })]
        : []),
    ],
  });
  const server = http.createServer(app.callback());
  // Slow-loris and stuck clients must not pile up.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  let longConnection: RunningLongConnection | undefined;
  if (longConnectionOn(mode)) {
    try {
      longConnection = await startLongConnection({
        appId: config.lark.appId!, // loadConfig refuses a long-connection mode without them
        appSecret: config.lark.appSecret!,
        domain: config.lark.baseUrl,
        starter,
        onCardAction,
        maxPayloadBytes: config.webhook.maxBodyBytes,
        maxDownMs: config.longConnection.maxDownMs,
        pingTimeoutSeconds: config.longConnection.pingTimeoutSeconds,
        log,
        ...overrides.longConnection,
      });
    } catch (err) {
      await closeHttp();
      throw err;
    }
    health.push(longConnection.health);
  }
  return {
    url: `http://${host}:${port}`,
    server,
    ...(longConnection ? { longConnection } : {}),
    close: async () => {
      await longConnection?.close();
      await closeHttp();
    },
  };
}
