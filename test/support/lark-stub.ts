/** A minimal Lark-format HTTP server on 127.0.0.1 for tests: records requests, answers with a handler. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  auth?: string;
  body: any;
}

export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

export type StubHandler = (req: StubRequest) => StubReply | Promise<StubReply>;

export const TENANT_TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
export const larkOk = (data: unknown = {}): StubReply => ({ body: { code: 0, msg: 'success', data } });

export async function startLarkStub() {
  const seen: StubRequest[] = [];
  let handler: StubHandler = () => ({ status: 404, body: { code: 404, msg: 'no route' } });
  let tokenCount = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      const r: StubRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        auth: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      seen.push(r);
      const reply: StubReply =
        r.path === TENANT_TOKEN_PATH ? { body: { code: 0, msg: 'ok', tenant_access_token: `t-${++tokenCount}`, expire: 7200 } } : await handler(r);
      if (reply.delayMs) await new Promise((ok) => setTimeout(ok, reply.delayMs));
      if (res.destroyed) return;
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    /** Requests other than the tenant token endpoint. */
    api: () => seen.filter((r) => r.path !== TENANT_TOKEN_PATH),
    setHandler(h: StubHandler) {
      handler = h;
    },
    reset() {
      seen.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}
