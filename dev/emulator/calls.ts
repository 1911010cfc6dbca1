/**
 * The call log: every Open API request the emulator answered (the newest 5,000 by default; the sandbox page's own
 * requests are not Lark calls and are not logged), with credentials stripped, plus counters the tests ask about
 * often (replies per message, refreshes per user).
 */
import type { Json } from './http';
import { DEFAULT_RETENTION } from './state';

export interface CallRecord {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body with secrets and tokens replaced by "[redacted]". */
  body: unknown;
  status: number;
  /** Lark's `code` in the answer (0 on success), when the answer was JSON with one. */
  code?: number;
  /** 'tenant' | 'user' when a known token was presented. */
  token?: string;
  /** The user behind a user token or a refresh token. */
  openId?: string;
  /** The kinds of faults that fired. */
  faults: string[];
  /** Handler notes (e.g. whether a tenant token was reused). */
  note: Json;
  at: number;
  ms: number;
}

/** Body keys whose values are credentials. `code` is one only on the OAuth token endpoint. */
const SECRET_KEYS = new Set([
  'app_secret',
  'AppSecret', // the long connection's endpoint request
  'ClientAssertion',
  'client_secret',
  'refresh_token',
  'access_token',
  'tenant_access_token',
  'app_access_token',
  'user_access_token',
  'code_verifier',
]);

export function redact(body: unknown, alsoCode: boolean): unknown {
  if (Array.isArray(body)) return body.map((v) => redact(v, false));
  if (typeof body !== 'object' || body === null) return body;
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) {
    out[k] = SECRET_KEYS.has(k) || (alsoCode && k === 'code') ? '[redacted]' : redact(v, false);
  }
  return out;
}

export type CallFilter = ((c: CallRecord) => boolean) | { method?: string; path?: string | RegExp; code?: number; status?: number };

/** The newest `max` calls (DEFAULT_RETENTION.calls): older ones are forgotten, `seq` keeps counting. */
export class CallLog {
  private seq = 0;
  private readonly records: CallRecord[] = [];

  constructor(private readonly max = DEFAULT_RETENTION.calls) {}

  push(rec: Omit<CallRecord, 'seq'>): CallRecord {
    const full = { seq: ++this.seq, ...rec };
    this.records.push(full);
    while (this.records.length > this.max) this.records.shift();
    return full;
  }

  all(): readonly CallRecord[] {
    return this.records;
  }

  /** The seq of the latest call (0 before any): `since(lastSeq())` later gives the calls made in between. */
  lastSeq(): number {
    return this.seq;
  }

  /** Calls after the one numbered `seq` (those still kept). */
  since(seq: number): CallRecord[] {
    return this.records.filter((c) => c.seq > seq);
  }

  filter(f: CallFilter): CallRecord[] {
    return this.records.filter(toPredicate(f));
  }

  count(f: CallFilter): number {
    return this.filter(f).length;
  }

  last(f?: CallFilter): CallRecord | undefined {
    const list = f ? this.filter(f) : this.records;
    return list[list.length - 1];
  }

  clear(): void {
    this.records.length = 0;
  }

  /** Successful reply calls to one message: "did the bot answer exactly once?" */
  repliesTo(messageId: string): number {
    return this.count((c) => c.method === 'POST' && c.path === `/open-apis/im/v1/messages/${messageId}/reply` && c.code === 0);
  }

  /** Refresh-token grants attempted for one user (successful or not, when the token was known). */
  refreshCalls(openId: string): number {
    return this.count((c) => c.path === '/open-apis/authen/v2/oauth/token' && c.note.grant === 'refresh_token' && c.openId === openId);
  }

  tenantTokenCalls(): number {
    return this.count({ path: '/open-apis/auth/v3/tenant_access_token/internal' });
  }
}

function toPredicate(f: CallFilter): (c: CallRecord) => boolean {
  if (typeof f === 'function') return f;
  return (c) =>
    (f.method === undefined || c.method === f.method.toUpperCase()) &&
    (f.path === undefined || (f.path instanceof RegExp ? f.path.test(c.path) : c.path === f.path || c.path === '/open-apis' + f.path)) &&
    (f.code === undefined || c.code === f.code) &&
    (f.status === undefined || c.status === f.status);
}
