/**
 * The HTTP front of the emulator: body parsing, faults, routing, Lark's envelope and the call log.
 * Binds to 127.0.0.1 only: it hands out tokens to anyone who asks with the configured secret.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CallLog, redact } from './calls';
import { Faults, type FaultSpec } from './faults';
import { LarkError, Router, type Ctx, type Json, type Reply } from './http';

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface HttpFront {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Lark's log ids look like a timestamp followed by hex. */
function logId(): string {
  const d = new Date();
  const stamp = d.toISOString().replace(/\D/g, '').slice(0, 14);
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new LarkError(99992402, 'request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startHttpFront(opts: { port: number; router: Router; faults: Faults; calls: CallLog }): Promise<HttpFront> {
  const held = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const id = logId();
    const ctx: Ctx = { req, method, path, query: url.searchParams, params: {}, body: undefined, note: {} };
    let loseAnswer = false;
    const firedKinds: string[] = [];
    let status = 200;
    let code: number | undefined;

    // The sandbox page is the emulator's own UI, not a Lark API call: its once-a-second poll is not logged.
    const sandboxPage = path === '/sandbox' || path.startsWith('/sandbox/');
    const record = () => {
      if (sandboxPage) return;
      opts.calls.push({
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        body: redact(ctx.body, path.startsWith('/open-apis/authen/')),
        status,
        code,
        token: typeof ctx.note.token === 'string' ? ctx.note.token : undefined,
        openId: typeof ctx.note.openId === 'string' ? ctx.note.openId : undefined,
        faults: firedKinds,
        note: ctx.note,
        at: started,
        ms: Date.now() - started,
      });
    };
    const sendJson = (st: number, body: Json, headers: Record<string, string> = {}) => {
      status = st;
      code = typeof body.code === 'number' ? body.code : undefined;
      res.writeHead(st, { 'Content-Type': 'application/json; charset=utf-8', 'X-Tt-Logid': id, ...headers });
      res.end(JSON.stringify(body));
    };
    const sendError = (e: LarkError) => {
      const { error, ...rest } = e.extra;
      const errObj = { log_id: id, ...(typeof error === 'object' && error !== null ? (error as Json) : {}) };
      sendJson(e.status, { code: e.code, msg: e.message, error: errObj, ...rest }, e.headers);
    };

    try {
      const raw = await readBody(req);
      if (raw.length > 0) {
        try {
          ctx.body = JSON.parse(raw.toString('utf8'));
        } catch {
          // Not kept verbatim: a malformed body may still carry a secret.
          ctx.body = '[unparseable JSON]';
          throw new LarkError(99992402, 'field validation failed: body is not valid JSON');
        }
      }

      const faults = opts.faults.pick(method, path);
      for (const f of faults) firedKinds.push(f.kind);
      const early = await applyFaults(faults);
      if (early === 'held') return;
      if (early) {
        early();
        record();
        return;
      }

      const route = opts.router.match(method, path);
      if (!route) {
        status = 404;
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Tt-Logid': id });
        res.end('404 page not found');
        record();
        return;
      }
      ctx.params = route.params;
      const reply: Reply = await route.handler(ctx);
      if (loseAnswer) {
        status = 0;
        res.destroy();
        record();
        return;
      }
      if (reply.kind === 'json') sendJson(reply.status ?? 200, reply.body, reply.headers);
      else if (reply.kind === 'html') {
        status = reply.status ?? 200;
        res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'X-Tt-Logid': id });
        res.end(reply.html);
      } else {
        status = 302;
        res.writeHead(302, { Location: reply.location, 'X-Tt-Logid': id });
        res.end();
      }
    } catch (err) {
      if (err instanceof LarkError) sendError(err);
      else {
        // Never echo the error: it could carry request data. The message stays on stderr for debugging.
        process.stderr.write(`lark-emulator: unexpected error on ${method} ${path}: ${(err as Error)?.message}\n`);
        sendJson(500, { code: 99991500, msg: 'internal error in the emulator' });
      }
    }
    record();

    /** Returns a responder for faults that replace the answer, 'held' for a timeout, or undefined. */
    async function applyFaults(list: FaultSpec[]): Promise<(() => void) | 'held' | undefined> {
      for (const f of list) {
        switch (f.kind) {
          case 'latency':
            await sleep(f.ms);
            break;
          case 'loseResponse':
            loseAnswer = true;
            break;
          case 'timeout': {
            status = 0;
            held.add(res);
            record();
            if (f.ms !== undefined) {
              const t = setTimeout(() => {
                timers.delete(t);
                held.delete(res);
                res.destroy();
              }, f.ms);
              timers.add(t);
            }
            return 'held';
          }
          case 'rateLimit':
            // Kept in the call log so tests can check that retries waited this long.
            ctx.note.rateLimitReset = f.resetSeconds ?? 1;
            return () =>
              sendJson(
                429,
                { code: 99991400, msg: 'request trigger frequency limit', error: { log_id: id } },
                { 'x-ogw-ratelimit-limit': String(f.limit ?? 50), 'x-ogw-ratelimit-reset': String(f.resetSeconds ?? 1) },
              );
          case 'larkCode':
            return () => sendJson(f.status ?? 200, { code: f.code, msg: f.msg ?? `injected error ${f.code}`, error: { log_id: id } });
          case 'http5xx':
            return () => {
              status = f.status ?? 500;
              res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Tt-Logid': id });
              res.end(f.body ?? 'Internal Server Error');
            };
        }
      }
      return undefined;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const r of held) r.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
