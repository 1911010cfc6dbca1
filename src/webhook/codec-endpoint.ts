/**
 * Temporal's remote codec protocol, so the Web UI and `temporal` CLI can show encrypted payloads:
 *   POST /codec/encode | /codec/decode   {"payloads": [{"metadata": {"k": base64}, "data": base64}]}
 * answered with the same shape. Needs `Authorization: Bearer <CODEC_AUTH_TOKEN>`; CORS lets the UI's
 * origin (CODEC_CORS_ORIGINS) call it from the browser. The local run's own Web UI (`localOrigins`) has no
 * sign-in whose token it could pass: a request from one of its origins, by a loopback TCP peer no proxy
 * forwarded, needs no bearer (whoever is on this machine can open that UI anyway). Payload contents are never
 * logged.
 */
import type { Context, Middleware, Next } from 'koa';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { HttpError } from '../http-error';
import { isLoopbackPeer } from './metrics-middleware';
import { readRawBody } from './raw-body';
import { requireBearer, ROUTES } from './routes';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** Unset: only `localOrigins` are answered. */
  authToken?: string;
  corsOrigins: string[];
  /** The local run's Temporal UI: these origins need no bearer from a loopback peer (config.privacy.localUiOrigins). */
  localOrigins?: string[];
  /** A UI decodes a whole history page at once: allow more than a Lark event. Default 8 MiB. */
  maxBodyBytes?: number;
}

const OPERATIONS: Record<string, 'encode' | 'decode'> = { [ROUTES.codecEncode.path]: 'encode', [ROUTES.codecDecode.path]: 'decode' };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_PAYLOADS = 10_000;

export function codecEndpoint(opts: CodecEndpointOptions): Middleware {
  const local = new Set(opts.localOrigins ?? []);
  const origins = new Set([...opts.corsOrigins, ...local]);
  const limit = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  return async (ctx: Context, next: Next) => {
    const op = OPERATIONS[ctx.path];
    if (!op) return next();
    const origin = ctx.get('origin');
    const allowed = Boolean(origin) && origins.has(origin);
    if (origin) ctx.vary('Origin');
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method === 'OPTIONS') {
      // Preflight carries no credentials by design: answer it before the token check.
      if (!allowed) throw new HttpError(403, 'cors_origin_refused', 'this origin may not call the codec endpoint');
      ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    if (ctx.method !== 'POST') throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    const forwarded = ctx.get('x-forwarded-for') || ctx.get('forwarded') || ctx.get('x-real-ip');
    const localUi = local.has(origin) && isLoopbackPeer(ctx.req.socket.remoteAddress) && !forwarded;
    if (!localUi) {
      if (!opts.authToken) throw new HttpError(403, 'codec_local_only', 'without CODEC_AUTH_TOKEN the codec endpoint answers the local Temporal UI only');
      requireBearer(ctx, opts.authToken);
    }
    if (!ctx.is('application/json')) throw new HttpError(415, 'unsupported_content_type', 'Content-Type must be application/json');
    const payloads = parseBody(await readRawBody(ctx, limit));
    let out: Payload[];
    try {
      out = op === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    } catch (err) {
      // Unknown key id or a payload that fails authentication: the caller's data, not our fault.
      throw new HttpError(400, 'codec_failed', (err as Error)?.message ?? `${op} failed`);
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { payloads: out.map(toJson) };
  };
}

function bytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 === 1) {
    throw new HttpError(400, 'bad_payload', `${what} must be base64`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** Proto3 JSON of Payload[] (bytes as base64) into Payloads; anything else is a 400. */
function parseBody(raw: Buffer): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'body is not valid JSON');
  }
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list) || list.length > MAX_PAYLOADS) {
    throw new HttpError(400, 'bad_payload', `body must be {"payloads": [...]} with at most ${MAX_PAYLOADS} payloads`);
  }
  return list.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new HttpError(400, 'bad_payload', `payloads[${i}] must be an object`);
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw new HttpError(400, 'bad_payload', `payloads[${i}].metadata must be an object`);
    }
    const meta: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries((metadata ?? {}) as Record<string, unknown>)) meta[k] = bytes(v, `payloads[${i}].metadata`);
    return { metadata: meta, data: data === undefined || data === null ? new Uint8Array() : bytes(data, `payloads[${i}].data`) };
  });
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}
