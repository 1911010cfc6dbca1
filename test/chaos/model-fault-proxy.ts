/**
 * A small HTTP proxy in front of the offline model (dev/llm/offline-model.ts) that answers a seeded fraction
 * of POST /v1/messages with Anthropic's real 400 (invalid_request_error) and forwards everything else
 * unchanged. It also records which user message each request starts from, so a part can tell that no
 * message was worked on twice (a second first-step request for the same message text).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelFaultProxy {
  url: string;
  /** POST /v1/messages seen, and how many were answered with the injected 400. */
  requests: number;
  rejected: number;
  /** First-step requests (the last message is the user's own text, not tool results) per user text. */
  firstSteps: Map<string, number>;
  /** User texts whose request (any step) got the 400. */
  rejectedTexts: string[];
  close(): Promise<void>;
}

interface WireMessage {
  role: string;
  content: unknown;
}

/** The user's text a request is about: the last user message whose content is text (tool results are not). */
function requestText(messages: WireMessage[]): { text: string; firstStep: boolean } | undefined {
  const textOf = (m: WireMessage) =>
    typeof m.content === 'string'
      ? m.content
      : Array.isArray(m.content) && m.content.every((b: { type?: string }) => b.type === 'text')
        ? m.content.map((b: { text?: string }) => b.text ?? '').join('')
        : undefined;
  const last = messages.at(-1);
  if (!last) return undefined;
  if (last.role === 'user' && textOf(last) !== undefined) return { text: textOf(last)!, firstStep: true };
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user' && textOf(m) !== undefined) return { text: textOf(m)!, firstStep: false };
  }
  return undefined;
}

/** `rate` of the requests get the 400, and always the requests numbered in `forceAt` (1 = the first). */
export async function startModelFaultProxy(upstream: string, o: { rate: number; random: () => number; forceAt?: number[] }): Promise<ModelFaultProxy> {
  const target = new URL(upstream);
  const proxy: ModelFaultProxy = {
    url: '',
    requests: 0,
    rejected: 0,
    firstSteps: new Map(),
    rejectedTexts: [],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url?.split('?')[0] === '/v1/messages') {
        proxy.requests++;
        let about: ReturnType<typeof requestText>;
        try {
          about = requestText((JSON.parse(body.toString('utf8')) as { messages?: WireMessage[] }).messages ?? []);
        } catch {
          about = undefined;
        }
        if (about?.firstStep) proxy.firstSteps.set(about.text, (proxy.firstSteps.get(about.text) ?? 0) + 1);
        if (o.random() < o.rate || o.forceAt?.includes(proxy.requests)) {
          proxy.rejected++;
          if (about) proxy.rejectedTexts.push(about.text);
          // Anthropic's wire format for a 400: the SDK raises BadRequestError from it.
          const requestId = `req_${randomBytes(12).toString('hex')}`;
          res.writeHead(400, { 'content-type': 'application/json', 'request-id': requestId });
          res.end(
            JSON.stringify({
              type: 'error',
              error: { type: 'invalid_request_error', message: 'messages: text content blocks must contain non-whitespace text' },
              request_id: requestId,
            }),
          );
          return;
        }
      }
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${err.message}`);
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
