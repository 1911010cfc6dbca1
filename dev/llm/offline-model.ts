/**
 * An OFFLINE stand-in for the Anthropic Messages API: a local HTTP server on 127.0.0.1 that speaks the
 * wire format (POST /v1/messages, plain JSON or, with `stream: true`, server-sent events in the API's event
 * order: message_start, content_block_start/delta/stop, message_delta, message_stop), so the real SDK runs
 * against it via its base URL. Streamed text comes a few words per delta, `streamChunkMs` apart.
 *
 * Two modes:
 * - rules (default): offline-rules.ts understands a few scheduling requests in Vietnamese and English,
 *   calls tools by name and answers "(offline model) ..." after the tool results. Used when no
 *   ANTHROPIC_API_KEY is set (the worker started from source is given it: stand-in.ts).
 * - scripted (tests): replies come from a list (or a function of the request), in order; every request
 *   is recorded (auth headers redacted) so tests can assert on what the SDK sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { offlineReply, type ReplyBlock, type WireRequest } from './offline-rules';

export const OFFLINE_MODEL_NAME = 'offline-model';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names; x-api-key and authorization are replaced by "[redacted]". */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when it was not JSON). */
  body: any;
  /** The client went away before the reply was sent (e.g. an aborted request). */
  aborted: boolean;
}

export interface ScriptedReply {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** The JSON body as sent. Use scriptedMessage / scriptedError to build API-shaped bodies. */
  body: unknown;
  /** Wait this long before answering (to test timeouts and cancellation). */
  delayMs?: number;
}

export type Script = ScriptedReply[] | ((req: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>);

export interface OfflineModelOptions {
  /** Scripted mode; without it the rules answer. */
  script?: Script;
  /** Default 0 (any free port). Always bound to 127.0.0.1. */
  port?: number;
  /** The clock the rules use when a request has no "Current time:" line. */
  clock?: () => Date;
  /**
   * How many requests `requests` keeps, newest (default 1,000; a test reads a few). Each holds the whole prompt
   * (tools, system, history: tens of kB): the worker's own instance, which nobody reads, keeps none.
   */
  keepRequests?: number;
  /** Pause between streamed deltas (a few words each), so the text visibly grows. Default 40 ms. */
  streamChunkMs?: number;
}

export interface OfflineModelServer {
  /** Base URL for the SDK (`baseURL`), e.g. http://127.0.0.1:40123 */
  url: string;
  /** The newest requests, oldest first (`keepRequests`). */
  requests: RecordedRequest[];
  close(): Promise<void>;
  /** Lets the process exit while the server is still open (the worker's lazily started instance). */
  unref(): void;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

interface UsageIn {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** An API-shaped assistant message; tool_use blocks without an id get one. */
export function scriptedMessage(
  content: (ReplyBlock | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> })[],
  opts: { stop_reason?: 'end_turn' | 'tool_use' | 'max_tokens'; usage?: UsageIn; model?: string } = {},
): ScriptedReply {
  const blocks = content.map((b) => (b.type === 'tool_use' ? { id: 'id' in b ? b.id : id('toolu'), ...b } : b));
  return {
    body: messageBody(
      blocks,
      opts.stop_reason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      {
        input_tokens: 10,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        ...opts.usage,
      },
      opts.model,
    ),
  };
}

/** An API-shaped error reply: `{type:'error', error:{type, message}}` with its HTTP status. */
export function scriptedError(
  status: number,
  message: string,
  opts: { type?: string; headers?: Record<string, string>; delayMs?: number } = {},
): ScriptedReply {
  return { status, headers: opts.headers, delayMs: opts.delayMs, body: errorBody(opts.type ?? ERROR_TYPES[status] ?? 'api_error', message) };
}

function messageBody(content: unknown[], stop_reason: string, usage: UsageIn, model = OFFLINE_MODEL_NAME) {
  return {
    id: id('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason,
    stop_sequence: null,
    usage: { service_tier: 'standard', ...usage },
  };
}

function errorBody(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: id('req') };
}

export async function startOfflineModel(opts: OfflineModelOptions = {}): Promise<OfflineModelServer> {
  const requests: RecordedRequest[] = [];
  const keep = Math.max(0, opts.keepRequests ?? 1000);
  const cache = new PromptCache(); // prompt-cache prefixes seen, to report cache reads like the real API
  let scriptIndex = 0;
  const chunkMs = Math.max(0, opts.streamChunkMs ?? 40);

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      headers[k] = /^(x-api-key|authorization)$/i.test(k) ? '[redacted]' : Array.isArray(v) ? v.join(', ') : String(v ?? '');
    }
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const rec: RecordedRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, headers, body, aborted: false };
    if (keep > 0) {
      requests.push(rec);
      while (requests.length > keep) requests.shift();
    }
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
    });

    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...extra });
      res.end(JSON.stringify(payload));
    };

    try {
      const problem = checkRequest(rec, raw);
      if (problem) return send(problem.status, errorBody(ERROR_TYPES[problem.status]!, problem.message));
      const streamed = body.stream === true;
      if (opts.script) {
        const reply = await nextScripted(opts.script, rec, scriptIndex++);
        if (reply.delayMs) await waitOrClose(reply.delayMs, res);
        const msg = reply.body as { type?: unknown } | undefined;
        if (streamed && (reply.status ?? 200) === 200 && msg?.type === 'message') return streamMessage(res, msg as StreamedMessage, chunkMs, reply.headers);
        return send(reply.status ?? 200, reply.body, reply.headers);
      }
      const wire = body as WireRequest;
      const out = offlineReply(wire, opts.clock);
      const content = out.content.map((b) => (b.type === 'tool_use' ? { type: 'tool_use', id: id('toolu'), name: b.name, input: b.input } : b));
      const message = messageBody(content, out.stop_reason, usageFor(wire, content, cache));
      if (streamed) return streamMessage(res, message as StreamedMessage, chunkMs);
      send(200, message);
    } catch (err) {
      send(500, errorBody('api_error', `offline model failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unref: () => void server.unref(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the real API would refuse before any model runs. */
function checkRequest(rec: RecordedRequest, raw: string): { status: number; message: string } | undefined {
  if (rec.path !== '/v1/messages') return { status: 404, message: `Not found: ${rec.method} ${rec.path}` };
  if (rec.method !== 'POST') return { status: 404, message: `Not found: ${rec.method} ${rec.path} (use POST)` };
  if (!rec.headers['x-api-key'] && !rec.headers.authorization) return { status: 401, message: 'x-api-key header is required' };
  if (rec.body === undefined || typeof rec.body !== 'object') {
    return { status: 400, message: raw ? 'The request body is not valid JSON.' : 'The request body is empty.' };
  }
  const b = rec.body;
  const missing = ['model', 'max_tokens', 'messages'].filter((k) => b[k] === undefined);
  if (missing.length) return { status: 400, message: `${missing.join(', ')}: Field required` };
  if (!Array.isArray(b.messages) || !b.messages.length) return { status: 400, message: 'messages: at least one message is required' };
  if (b.stream !== undefined && typeof b.stream !== 'boolean') return { status: 400, message: 'stream: Input should be a valid boolean' };
  return undefined;
}

interface StreamedMessage {
  id: string;
  model: string;
  content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>;
  stop_reason: string;
  usage: UsageIn & { service_tier?: string };
}

/** Text in deltas of a few words, as the API sends it (the whitespace stays with the word before it). */
export function textDeltas(text: string, wordsPerDelta = 3): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerDelta) out.push(words.slice(i, i + wordsPerDelta).join(''));
  return out;
}

/**
 * A whole message as the API streams it (server-sent events): message_start with the input usage, each block
 * as content_block_start, deltas (text_delta a few words at a time, `chunkMs` apart; a tool's input as
 * input_json_delta), content_block_stop, then message_delta with the stop reason and output tokens, message_stop.
 * Stops quietly when the client goes away.
 */
async function streamMessage(res: http.ServerResponse, m: StreamedMessage, chunkMs: number, headers: Record<string, string> = {}): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': id('req'), ...headers });
  const emit = (type: string, data: Record<string, unknown>) => {
    if (!res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  const { output_tokens, ...inputUsage } = m.usage;
  emit('message_start', {
    message: {
      id: m.id,
      type: 'message',
      role: 'assistant',
      model: m.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1 },
    },
  });
  emit('ping', {});
  for (const [index, block] of m.content.entries()) {
    if (res.destroyed) return;
    if (block.type === 'text') {
      emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of textDeltas(block.text ?? '')) {
        if (chunkMs) await waitOrClose(chunkMs, res);
        if (res.destroyed) return;
        emit('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      }
    } else if (block.type === 'tool_use') {
      emit('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input ?? {});
      for (let i = 0; i < json.length; i += 40)
        emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 40) } });
    } else {
      emit('content_block_start', { index, content_block: block });
    }
    emit('content_block_stop', { index });
  }
  emit('message_delta', { delta: { stop_reason: m.stop_reason, stop_sequence: null }, usage: { output_tokens: output_tokens ?? 1 } });
  emit('message_stop', {});
  if (!res.destroyed) res.end();
}

async function nextScripted(script: Script, rec: RecordedRequest, index: number): Promise<ScriptedReply> {
  if (typeof script === 'function') return script(rec, index);
  const reply = script[index];
  if (!reply) return scriptedError(500, `offline model script exhausted: no reply #${index + 1} (script has ${script.length})`);
  return reply;
}

function waitOrClose(ms: number, res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      res.off('close', onClose);
      resolve();
    }, ms);
    res.once('close', onClose);
  });
}

const tokens = (s: string) => Math.ceil(s.length / 4);

/**
 * The prompt-cache prefixes seen, as the API keeps them: an entry lives 5 minutes from its last use, so the set
 * stays as small as the traffic of the last minutes (a new system prompt per conversation would otherwise pile up).
 */
class PromptCache {
  static readonly TTL_MS = 5 * 60_000;
  /** key -> last use; re-inserted on use, so the oldest come first. */
  private readonly seen = new Map<string, number>();

  /** Whether the prefix was cached (and now is, for another 5 minutes). */
  use(key: string, now = Date.now()): boolean {
    for (const [k, at] of this.seen) {
      if (now - at <= PromptCache.TTL_MS) break;
      this.seen.delete(k);
    }
    const hit = this.seen.has(key);
    this.seen.delete(key);
    this.seen.set(key, now);
    return hit;
  }
}

/**
 * Rough token counts (4 characters a token), with prompt caching as the API reports it: the prefix up to the
 * last cache_control breakpoint in tools and system is read from cache when seen within 5 minutes, else written.
 */
function usageFor(wire: WireRequest, content: unknown[], cache: PromptCache): Required<UsageIn> {
  type Cacheable = { cache_control?: unknown };
  const req = wire as Omit<WireRequest, 'tools' | 'system'> & { tools?: Cacheable[]; system?: string | Cacheable[] };
  const tools = JSON.stringify(req.tools ?? []);
  const system = JSON.stringify(req.system ?? '');
  const total = tokens(tools) + tokens(system) + tokens(JSON.stringify(req.messages));
  const toolsCached = !!req.tools?.at(-1)?.cache_control;
  const systemCached = Array.isArray(req.system) && req.system.some((b) => !!b?.cache_control);
  const prefix = systemCached ? tools + system : toolsCached ? tools : '';
  let creation = 0;
  let read = 0;
  if (prefix) {
    const key = createHash('sha256').update(`${req.model}\n${prefix}`).digest('hex');
    if (cache.use(key)) read = tokens(prefix);
    else creation = tokens(prefix);
  }
  return {
    input_tokens: Math.max(1, total - creation - read),
    output_tokens: Math.max(1, tokens(JSON.stringify(content))),
    cache_creation_input_tokens: creation,
    cache_read_input_tokens: read,
  };
}
