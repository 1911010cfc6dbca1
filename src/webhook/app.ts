/**
 * The Koa intake. Small middlewares: error mapping, routing, then one handler per endpoint.
 * A 200 for an event means Temporal has recorded it; anything else is a 4xx (bad input) or a 503
 * (Temporal not reachable: Lark delivers again).
 */
import Koa, { type Context } from 'koa';
import { HttpError } from '../http-error';
import type { Logger } from '../logger';
import { verifyLarkCallback, type VerifyOptions } from './lark-callback';
import type { EventStarter } from './event-starter';
import { TemporalUnavailableError } from './event-starter';
import { readRawBody } from './raw-body';

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface WebhookDeps {
  verify: VerifyOptions;
  maxBodyBytes: number;
  starter: EventStarter;
  health: HealthCheck[];
  log: Logger;
  /** Mounted after the error mapping, before the routes (metrics, codec endpoint: see start.ts). */
  extra?: Koa.Middleware[];
}

export function createWebhookApp(deps: WebhookDeps): Koa {
  const app = new Koa();
  app.proxy = true;
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
      else if (ctx.status >= 400) deps.log.info({ ...entry, reason: (ctx.body as { error?: string })?.error }, 'request refused');
      else deps.log.debug(entry, 'request');
    }
  });

  for (const mw of deps.extra ?? []) app.use(mw);

  app.use(async (ctx) => {
    const route = `${ctx.method} ${ctx.path}`;
    switch (route) {
      case 'POST /webhook/event':
        return handleEvent(ctx, deps);
      case 'POST /webhook/card':
        return handleCard(ctx, deps);
      case 'GET /webhook/health':
        return handleHealth(ctx, deps);
      default:
        if (['/webhook/event', '/webhook/card', '/webhook/health'].includes(ctx.path)) {
          throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
        }
        throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
    }
  });
  return app;
}

async function readVerified(ctx: Context, deps: WebhookDeps) {
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
  );
}

async function handleEvent(ctx: Context, deps: WebhookDeps): Promise<void> {
  const callback = await readVerified(ctx, deps);
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
  const callback = await readVerified(ctx, deps);
  if (callback.kind === 'challenge') {
    ctx.body = { challenge: callback.challenge };
    return;
  }
  // Card actions are verified here; acting on them arrives with the confirmation-card feature.
  ctx.state.logFields = { event_id: callback.event.eventId, event_type: callback.event.eventType };
  ctx.body = {};
}

async function handleHealth(ctx: Context, deps: WebhookDeps): Promise<void> {
  const results = await Promise.all(
    deps.health.map(async (h) => {
      try {
        await h.check();
        return [h.name, 'ok'] as const;
      } catch (err) {
        return [h.name, `down: ${(err as Error)?.message ?? 'no answer'}`] as const;
      }
    }),
  );
  const down = results.filter(([, s]) => s !== 'ok').map(([n]) => n);
  ctx.status = down.length ? 503 : 200;
  ctx.body = { status: down.length ? 'unavailable' : 'ok', down, checks: Object.fromEntries(results) };
}
