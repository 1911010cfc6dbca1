/**
 * The emulator's tiny HTTP toolkit: a Lark-shaped error, a request context and a path router.
 * node:http only; no framework, so the wire format stays fully under our control.
 */
import type { IncomingMessage } from 'node:http';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A Lark business error. Lark answers most Open API errors with HTTP 400 and `{code, msg, error}`;
 * a few (Base throttling, write conflicts) come back as HTTP 200 with a non-zero code.
 */
export class LarkError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly status = 400,
    /** Extra top-level fields (OAuth's error/error_description) or `error` details. */
    readonly extra: Json = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(msg);
    this.name = 'LarkError';
  }
}

/** Lark's generic "field validation failed". */
export function invalidParam(what: string): LarkError {
  return new LarkError(99992402, `field validation failed: ${what}`);
}

export type TokenKind = 'tenant' | 'user';

/** Who called: filled by the auth layer; never holds the token value itself. */
export interface Caller {
  kind: TokenKind;
  /** The user's open_id for user tokens. */
  openId?: string;
  scopes: Set<string>;
}

export interface Ctx {
  req: IncomingMessage;
  method: string;
  /** Full path, e.g. /open-apis/im/v1/messages. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  /** Set by handlers for the call log (e.g. the user a refresh token belonged to). */
  note: Json;
  caller?: Caller;
}

/** What a handler returns: JSON (the usual case), HTML or a redirect. */
export type Reply =
  | { kind: 'json'; status?: number; body: Json; headers?: Record<string, string> }
  | { kind: 'html'; status?: number; html: string }
  | { kind: 'redirect'; location: string };

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

/** Lark's success envelope. */
export function ok(data: unknown = {}): Reply {
  return { kind: 'json', body: { code: 0, msg: 'success', data } };
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const r of this.routes) {
      if (r.method !== method || r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let hit = true;
      for (let i = 0; i < parts.length; i++) {
        const want = r.parts[i] as string;
        const got = parts[i] as string;
        if (want.startsWith(':')) {
          params[want.slice(1)] = safeDecode(got);
        } else if (want !== got) {
          hit = false;
          break;
        }
      }
      if (hit) return { handler: r.handler, params };
    }
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads a string field; undefined when absent, LarkError when of the wrong type. */
export function optString(body: Json, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParam(`${key} must be a string`);
  return v;
}

export function reqString(body: Json, key: string): string {
  const v = optString(body, key);
  if (v === undefined || v === '') throw invalidParam(`${key} is required`);
  return v;
}

export function bodyObject(ctx: Ctx): Json {
  if (ctx.body === undefined) return {};
  if (!isObject(ctx.body)) throw invalidParam('body must be a JSON object');
  return ctx.body;
}

/** page_token: an opaque offset, as Lark's tokens are opaque to clients. */
export function encodeOffset(n: number): string {
  return Buffer.from(`offset:${n}`).toString('base64url');
}

export function decodeOffset(token: string | null): number {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw invalidParam('page_token is invalid');
  return Number(m[1]);
}
