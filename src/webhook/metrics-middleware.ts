/**
 * Webhook metrics: one middleware that counts and times every request (mounted inside the error mapping,
 * so it sees the HttpError itself and its reason), GET /metrics, and a starter wrapper counting starts.
 */
import type { Context, Middleware, Next } from 'koa';
import { HttpError } from '../http-error';
import type { Logger } from '../logger';
import { eventDuplicates, registry, webhookAckSeconds, webhookRequests, workflowStarts, workflowStartsRefused } from '../metrics';
import type { EventStarter } from '../temporal/event-starter';
import { TemporalRefusedError, TemporalUnavailableError } from '../temporal/event-starter';
import { requireBearer, ROUTES, routeLabel } from './routes';

function successOutcome(ctx: Context): string {
  if (ctx.status === 503) return 'unavailable'; // health naming a dependency that is down
  if (ctx.status >= 500) return 'error';
  if (ctx.status >= 400) return 'refused';
  const outcome = (ctx.state.logFields as { outcome?: string } | undefined)?.outcome;
  if (outcome === 'started' || outcome === 'duplicate') return outcome;
  if (ctx.body && typeof ctx.body === 'object' && 'challenge' in ctx.body) return 'challenge';
  return 'ok';
}

export function requestMetrics(): Middleware {
  return async (ctx: Context, next: Next) => {
    const started = process.hrtime.bigint();
    const route = routeLabel(ctx.path);
    let outcome = 'error';
    let reason = '';
    try {
      await next();
      outcome = successOutcome(ctx);
      // A 4xx answered without an HttpError (the OAuth callback's pages, its 429) names its reason in ctx.state.
      if (outcome === 'refused') reason = typeof ctx.state.refusal === 'string' ? ctx.state.refusal : '';
    } catch (err) {
      if (err instanceof TemporalRefusedError) {
        outcome = 'misconfigured'; // a 500 of ours, not a refused (4xx) request
        reason = err.reason;
      } else if (err instanceof HttpError) {
        outcome = 'refused';
        reason = err.reason; // always a literal from our code, never request data
      } else if (err instanceof TemporalUnavailableError) {
        outcome = 'unavailable';
      }
      throw err;
    } finally {
      webhookRequests.inc({ route, outcome, reason });
      webhookAckSeconds.observe({ route, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

/** The TCP peer (never X-Forwarded-For, which the client writes) is this machine. */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * GET /metrics in Prometheus text format. With a token configured, only for `Bearer <token>`; without one,
 * only for a loopback peer that no proxy forwarded (a proxy on the same host would otherwise make every
 * client look local). The metrics hold no ids, but process and traffic figures are not for the internet.
 */
export function metricsEndpoint(authToken?: string): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== ROUTES.metrics.path) return next();
    if (ctx.method !== ROUTES.metrics.method) throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    if (!authToken) {
      const forwarded = ctx.get('x-forwarded-for') || ctx.get('forwarded') || ctx.get('x-real-ip');
      if (!isLoopbackPeer(ctx.req.socket.remoteAddress) || forwarded) {
        throw new HttpError(403, 'metrics_local_only', 'without METRICS_AUTH_TOKEN /metrics answers local clients only');
      }
    } else {
      requireBearer(ctx, authToken);
    }
    ctx.set('Content-Type', registry.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await registry.metrics();
  };
}

/**
 * Counts what the starter did. A permanent refusal (TemporalRefusedError) is also logged as an error with the
 * server's cause and handed to `onRefused` (the webhook re-checks its Temporal setup); errors pass through
 * untouched (the request counter and the error mapping see them).
 */
export function countingStarter(inner: EventStarter, opts: { log?: Logger; onRefused?: (err: TemporalRefusedError) => void } = {}): EventStarter {
  return {
    async start(event) {
      let outcome;
      try {
        outcome = await inner.start(event);
      } catch (err) {
        if (err instanceof TemporalRefusedError) {
          workflowStartsRefused.inc({ code: err.code });
          opts.log?.error({ event_id: event.eventId, code: err.code, cause: err.causeText }, 'temporal refused the event workflow start (configuration)');
          opts.onRefused?.(err);
        }
        throw err;
      }
      if (outcome === 'started') workflowStarts.inc();
      else eventDuplicates.inc();
      return outcome;
    },
  };
}
