/**
 * The Koa intake. Small middlewares: error mapping, routing, then one handler per endpoint.
 * A 200 for an event means Temporal has recorded it; anything else is a 4xx (bad input) or a 503
 * (Temporal not reachable: Lark delivers again).
 */
import Koa, { type Context } from 'koa';
import { HealthProblem, HttpError } from '../http-error';
import type { Logger } from '../logger';
import { verifyLarkCallback, type CallbackRoute, type VerifyOptions } from './lark-callback';
import type { EventStarter } from '../temporal/event-starter';
import { TemporalUnavailableError } from '../temporal/event-starter';
import { readRawBody } from './raw-body';
import { shouldSignal, type CallbackOutcome, type OAuthService } from '../oauth/service';
import type { LarkCardActionEvent } from '../lark/event-types';
import { oauthPage, type PageContext, tooManyPage } from './oauth-pages';
import { retryAfterSeconds, type KeyedRateLimiter, type TokenBucket } from '../rate-limit';
import { ROUTES, routeOfPath, type RouteName } from './routes';

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
  /** Our own words about its state (never a dependency's error text), shown under `details.<name>`. */
  describe?(): Record<string, unknown>;
}

export interface OAuthDeps {
  service: OAuthService;
  /** Tells the user's workflow (signal); failures are logged, the workflow also re-checks on its own. */
  onOutcome(outcome: CallbackOutcome): Promise<void>;
  /** The callback's rate limits: per client address (see trustProxyHops) and overall. */
  limits?: { perClient: KeyedRateLimiter; total: TokenBucket };
  /** What the page may promise a known user (a new card only if their run waits for sign-in) and their language. */
  pageContext?(openId: string, askRun: boolean): Promise<PageContext>;
}

/** Where card clicks go (a signal to the clicker's workflow); answers the toast text. */
export type CardActionHandler = (event: LarkCardActionEvent) => Promise<{ toast: string } | undefined>;

export interface WebhookDeps {
  verify: VerifyOptions;
  /**
   * Whether POST /webhook/event and /webhook/card take Lark's callbacks (default true). Off with
   * LARK_EVENT_MODE=websocket: they answer 404 `webhook_off`, and nothing arrives over HTTP.
   */
  webhookIntake?: boolean;
  onCardAction?: CardActionHandler;
  /** Present when the app has Lark credentials: serves GET /oauth/callback. */
  oauth?: OAuthDeps;
  maxBodyBytes: number;
  starter: EventStarter;
  health: HealthCheck[];
  log: Logger;
  /** Mounted after the error mapping, before the routes (metrics, codec endpoint: see start.ts). */
  extra?: Koa.Middleware[];
  /**
   * Proxies in front whose X-Forwarded-For entries are trusted (TRUST_PROXY_HOPS); 0 or unset: the header is
   * ignored (anyone can write it) and ctx.ip is the TCP peer.
   */
  trustProxyHops?: number;
}

export function createWebhookApp(deps: WebhookDeps): Koa {
  const app = new Koa();
  // ctx.ip: the entry trustProxyHops places from the right of X-Forwarded-For (the nearest proxies append), else the peer.
  const hops = deps.trustProxyHops ?? 0;
  app.proxy = hops > 0;
  app.maxIpsCount = hops;
  app.silent = true; // errors are answered and logged by the middleware below

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.body = { error: err.reason, message: err.message };
      } else if (err instanceof TemporalUnavailableError) {
        ctx.status = 503;
        ctx.body = { error: 'temporal_unavailable', message: 'the event could not be recorded; deliver it again' };
        deps.log.warn({ err: err.message, path: ctx.path }, 'temporal unavailable');
      } else {
        ctx.status = 500;
        ctx.body = { error: 'internal', message: 'unexpected error' };
        deps.log.error({ err: (err as Error)?.message, path: ctx.path }, 'unexpected webhook error');
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 100) / 100, ...ctx.state.logFields };
      if (ctx.status >= 500) deps.log.warn(entry, 'request');
      // A rate-limited request is not logged one by one (a flood would flood the log too): the limit logs a summary.
      else if (ctx.status === 429 && ctx.state.refusal === 'rate_limited') deps.log.debug(entry, 'request rate-limited');
      else if (ctx.status >= 400) deps.log.info({ ...entry, reason: ctx.state.refusal ?? (ctx.body as { error?: string })?.error }, 'request refused');
      else deps.log.debug(entry, 'request');
    }
  });

  for (const mw of deps.extra ?? []) app.use(mw);

  const refusals: RefusalLog = { client: 0, total: 0, loggedAt: 0, forwardedWarned: false };

  const intakeOff = async (): Promise<void> => {
    throw new HttpError(404, 'webhook_off', 'LARK_EVENT_MODE=websocket: events and card callbacks arrive over the long connection');
  };
  const intake = deps.webhookIntake ?? true;
  const handlers: Partial<Record<RouteName, (ctx: Context) => Promise<void>>> = {
    event: intake ? (ctx) => handleEvent(ctx, deps) : intakeOff,
    card: intake ? (ctx) => handleCard(ctx, deps) : intakeOff,
    health: (ctx) => handleHealth(ctx, deps),
    oauthCallback: (ctx) => {
      if (!deps.oauth) throw new HttpError(404, 'oauth_not_configured', 'OAuth needs LARK_APP_ID and LARK_APP_SECRET');
      return handleOAuthCallback(ctx, deps.oauth, refusals, deps.log, hops);
    },
  };
  app.use(async (ctx) => {
    const name = routeOfPath(ctx.path);
    const handle = name && handlers[name];
    if (!name || !handle) throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
    if (ctx.method !== ROUTES[name].method) throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    return handle(ctx);
  });
  return app;
}

async function readVerified(ctx: Context, deps: WebhookDeps, route: CallbackRoute) {
  if (!ctx.is('application/json')) {
    throw new HttpError(415, 'unsupported_content_type', 'Content-Type must be application/json');
  }
  const raw = await readRawBody(ctx, deps.maxBodyBytes);
  return verifyLarkCallback(
    raw,
    {
      timestamp: ctx.get('x-lark-request-timestamp') || undefined,
      nonce: ctx.get('x-lark-request-nonce') || undefined,
      signature: ctx.get('x-lark-signature') || undefined,
    },
    deps.verify,
    route,
  );
}

async function handleEvent(ctx: Context, deps: WebhookDeps): Promise<void> {
  const callback = await readVerified(ctx, deps, 'event');
  if (callback.kind === 'challenge') {
    ctx.body = { challenge: callback.challenge };
    return;
  }
  const { event } = callback;
  ctx.state.logFields = {
    event_id: event.eventId,
    event_type: event.eventType,
    open_id: event.kind === 'message' ? event.sender.openId : event.openId,
  };
  const outcome = await deps.starter.start(event);
  ctx.state.logFields.outcome = outcome;
  ctx.body = { ok: true, event_id: event.eventId, duplicate: outcome === 'duplicate' };
}

async function handleCard(ctx: Context, deps: WebhookDeps): Promise<void> {
  const callback = await readVerified(ctx, deps, 'card');
  if (callback.kind === 'challenge') {
    ctx.body = { challenge: callback.challenge };
    return;
  }
  const { event } = callback;
  ctx.state.logFields = { event_id: event.eventId, event_type: event.eventType, schema: event.schema, open_id: 'openId' in event ? event.openId : undefined };
  if (event.kind !== 'card_action') {
    // A verified callback of another type (a message event sent to the card URL): a console misconfiguration.
    deps.log.warn({ event_type: event.eventType }, 'card callback URL got a non-card event: check Events & Callbacks in the Lark console');
    throw new HttpError(400, 'not_a_card_action', 'this URL takes card callbacks (card.action.trigger)');
  }
  if (!deps.onCardAction) {
    ctx.body = {};
    return;
  }
  // Card callbacks are synchronous and never re-pushed: a 503 makes Lark show the user an error to retry.
  const answer = await deps.onCardAction(event);
  ctx.body = answer ? { toast: { type: 'info', content: answer.toast } } : {};
}

async function handleOAuthCallback(ctx: Context, oauth: OAuthDeps, refusals: RefusalLog, log: Logger, trustProxyHops: number): Promise<void> {
  const limited = oauth.limits && takeCallbackAllowance(ctx, oauth.limits, refusals, log, trustProxyHops);
  if (limited) {
    const seconds = retryAfterSeconds(limited.waitMs);
    const { status, html } = tooManyPage(seconds, limited.who);
    ctx.state.refusal = 'rate_limited';
    ctx.state.logFields = { oauth: 'rate_limited', limit: limited.who };
    ctx.set('Retry-After', String(seconds));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
    return;
  }
  const outcome = await oauth.service.handleCallback(ctx.query);
  ctx.state.logFields = { oauth: outcome.kind, open_id: 'openId' in outcome ? outcome.openId : undefined };
  // A dead link's page is shown on every hit; its signal only on the first (shouldSignal): a link hit in a loop
  // once sent 10,000 signals to one run and wedged it.
  if (shouldSignal(outcome)) {
    await oauth.onOutcome(outcome).catch(async (err) => {
      log.warn({ open_id: 'openId' in outcome ? outcome.openId : undefined, err: String(err?.message ?? err) }, 'oauth: could not signal the user workflow');
      await oauth.service.signalFailed(outcome).catch(() => undefined);
    });
  }
  const openId = 'openId' in outcome ? outcome.openId : undefined;
  // The user's run is asked whether it waits only on a link's first hit (the one that told it) and on the one-off
  // outcomes: a dead link hit 10,000 times must not become 10,000 queries to one run.
  const askRun = outcome.kind !== 'bad_state' || outcome.notify !== undefined;
  const page = openId && oauth.pageContext ? await oauth.pageContext(openId, askRun).catch(() => ({})) : {};
  const { status, html } = oauthPage(outcome, page);
  if (status >= 400) ctx.state.refusal = outcome.kind;
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}

/** Refusals since the last summary line, per limit (the summary is logged at most once a minute). */
interface RefusalLog {
  client: number;
  total: number;
  loggedAt: number;
  forwardedWarned: boolean;
}

/** Takes a token from the client's bucket, then the overall one; undefined when the request may go ahead. */
function takeCallbackAllowance(
  ctx: Context,
  limits: NonNullable<OAuthDeps['limits']>,
  refusals: RefusalLog,
  log: Logger,
  trustProxyHops: number,
): { waitMs: number; who: 'client' | 'total' } | undefined {
  if (!trustProxyHops && !refusals.forwardedWarned && ctx.get('x-forwarded-for')) {
    refusals.forwardedWarned = true;
    log.warn(
      'oauth callback: requests carry X-Forwarded-For but TRUST_PROXY_HOPS=0, so the per-client limit counts the TCP peer (behind a proxy, every visitor shares one allowance): set TRUST_PROXY_HOPS to the number of proxies',
    );
  }
  const client = ctx.ip || 'unknown';
  let refused: { waitMs: number; who: 'client' | 'total' } | undefined;
  const clientWait = limits.perClient.take(client);
  if (clientWait) refused = { waitMs: clientWait, who: 'client' };
  else {
    const totalWait = limits.total.take();
    if (totalWait) {
      limits.perClient.refund(client); // this client did not use its allowance
      refused = { waitMs: totalWait, who: 'total' };
    }
  }
  if (!refused) return undefined;
  refusals[refused.who]++;
  const now = Date.now();
  if (now - refusals.loggedAt >= 60_000) {
    log.warn(
      { refused_per_client: refusals.client, refused_overall: refusals.total },
      'oauth callback rate limit: requests refused with 429 (summary, at most one line a minute)',
    );
    refusals.client = 0;
    refusals.total = 0;
    refusals.loggedAt = now;
  }
  return refused;
}

/** Names and states only: the error text of a dependency (hosts, users, versions) goes to the log, not the answer. */
async function handleHealth(ctx: Context, deps: WebhookDeps): Promise<void> {
  const results = await Promise.all(
    deps.health.map(async (h) => {
      try {
        await h.check();
        return [h.name, 'ok'] as const;
      } catch (err) {
        deps.log.warn({ dependency: h.name, err: (err as Error)?.message ?? String(err) }, 'health check failed');
        // Raw dependency errors stay in the log; only our own state words are shown.
        return [h.name, err instanceof HealthProblem ? err.message : 'down'] as const;
      }
    }),
  );
  const down = results.filter(([, s]) => s !== 'ok').map(([n]) => n);
  const details = Object.fromEntries(deps.health.flatMap((h) => (h.describe ? [[h.name, h.describe()]] : [])));
  ctx.status = down.length ? 503 : 200;
  ctx.body = { status: down.length ? 'unavailable' : 'ok', down, checks: Object.fromEntries(results), ...(Object.keys(details).length ? { details } : {}) };
}
