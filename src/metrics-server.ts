/**
 * /metrics for a process without the webhook (a worker on its own): the Lark API error and LLM token
 * counters are incremented by activities, so they live in the worker process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { HttpError } from './http-error';
import { enableProcessMetrics } from './metrics';
import { metricsEndpoint } from './webhook/metrics-middleware';

export async function startMetricsServer(port: number, host: string, authToken?: string): Promise<{ url: string; close(): Promise<void> }> {
  enableProcessMetrics();
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = err instanceof HttpError ? err.status : 500;
      ctx.body = { error: err instanceof HttpError ? err.reason : 'internal' };
    }
  });
  app.use(metricsEndpoint(authToken));
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found' };
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
