/**
 * The one place that turns Lark / HTTP errors into Temporal failures.
 *
 * The client throws the plain errors below (LarkApiError, LarkTransportError, ...); activities pass whatever
 * they catch through `toLarkFailure`, which returns an ApplicationFailure with a stable `type`
 * (see failure-types.ts), the right retryable flag, `nextRetryDelay` from Lark's rate-limit header, and
 * `details[0]: LarkFailureDetails` (logid, code, missing scopes). No token ever reaches a message or details.
 *
 * Code table: the official one (lark-platform.md section 4). The seed reads 99991663 as "access token invalid"
 * (any kind) and 99991672 as "token expired": 99991663 is a token rejection for both token kinds here, and
 * 99991672 is a permission problem unless its message says "expired" and names no scope.
 *
 * Imports only @temporalio/common, so workflow code may use `readLarkFailure` and the types.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { LarkFailureType, type LarkFailureDetails } from './failure-types';

export { LarkFailureType, NON_RETRYABLE_LARK_FAILURES, type LarkFailureDetails } from './failure-types';

export type TokenKind = 'tenant' | 'user';

// ---- Secret scrubbing -------------------------------------------------------------------------------

/** Lark tokens look like t-..., u-..., ur-...; also catch anything after "Bearer". */
const TOKEN_LIKE = /\b(?:t|u|ur)-[A-Za-z0-9_.~+/=-]{16,}/g;
const BEARER = /Bearer\s+\S+/gi;

export function scrubSecrets(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
  return out.replace(BEARER, 'Bearer [redacted]').replace(TOKEN_LIKE, '[redacted]');
}

// ---- Errors the client throws -----------------------------------------------------------------------

export interface LarkApiErrorInit {
  code: number;
  msg: string;
  httpStatus: number;
  api: string;
  logId?: string;
  tokenKind?: TokenKind;
  openId?: string;
  /** Seconds from x-ogw-ratelimit-reset (or Retry-After). */
  rateLimitResetSeconds?: number;
  /** `error.permission_violations[].subject` from the body. */
  permissionViolations?: string[];
}

/** Lark answered with a non-zero `code` (or a non-2xx status). */
export class LarkApiError extends Error {
  override readonly name = 'LarkApiError';
  readonly code: number;
  readonly larkMsg: string;
  readonly httpStatus: number;
  readonly api: string;
  readonly logId?: string;
  readonly tokenKind?: TokenKind;
  readonly openId?: string;
  readonly rateLimitResetSeconds?: number;
  readonly permissionViolations: string[];

  constructor(init: LarkApiErrorInit) {
    const msg = scrubSecrets(init.msg);
    super(`Lark ${init.api} failed: code ${init.code}, HTTP ${init.httpStatus}: ${msg}${init.logId ? ` (logid ${init.logId})` : ''}`);
    this.code = init.code;
    this.larkMsg = msg;
    this.httpStatus = init.httpStatus;
    this.api = init.api;
    this.logId = init.logId;
    this.tokenKind = init.tokenKind;
    this.openId = init.openId;
    this.rateLimitResetSeconds = init.rateLimitResetSeconds;
    this.permissionViolations = init.permissionViolations ?? [];
  }
}

export type TransportErrorKind = 'timeout' | 'network' | 'bad_response';

/** No usable Lark answer: timeout, connection failure, or a body that is not Lark JSON. */
export class LarkTransportError extends Error {
  override readonly name = 'LarkTransportError';
  constructor(
    readonly kind: TransportErrorKind,
    readonly api: string,
    detail: string,
    readonly httpStatus?: number,
    readonly logId?: string,
  ) {
    super(`Lark ${api}: ${kind}: ${scrubSecrets(detail)}${logId ? ` (logid ${logId})` : ''}`);
  }
}

/** Thrown by a UserTokenProvider when the user has no usable authorization (never granted, revoked, expired). */
export class LarkUserAuthRequired extends Error {
  override readonly name = 'LarkUserAuthRequired';
  constructor(
    readonly openId: string,
    reason = 'no user authorization',
  ) {
    super(`User ${openId} must authorize the app: ${scrubSecrets(reason)}`);
  }
}

/** A request refused before sending (bad id, uuid too long, ...): same meaning as a Lark 4xx. */
export class LarkRequestInvalid extends Error {
  override readonly name = 'LarkRequestInvalid';
  constructor(
    message: string,
    readonly api?: string,
  ) {
    super(message);
  }
}

// ---- Code table -------------------------------------------------------------------------------------

const RATE_LIMIT_CODES = new Set([99991400, 1254290, 230020, 190004, 190005, 190010]);
/** Rejected token: the client refreshes and retries once; after that, LarkTokenInvalid. */
const TOKEN_REJECTED_CODES = new Set([99991663, 99991668, 99991677]);
/** Bad app credentials or no Authorization at all: configuration, not a stale token. */
const BAD_CREDENTIAL_CODES = new Set([99991543, 99991661]);
/** 300311: CardKit's "this app may not update/use this card" (only the app that created an entity may). */
const PERMISSION_CODES: Record<number, 'app' | 'user'> = { 99991672: 'app', 99991679: 'user', 300311: 'app' };
const WRITE_CONFLICT_CODES = new Set([1254291]);
/**
 * Server-side trouble reported with a business code: 1254607 data not ready, 1255040 timeout, OAuth 5xx, 121001 VC
 * internal error, 300120 CardKit internal error.
 */
const UNAVAILABLE_CODES = new Set([1254607, 1255040, 20050, 20072, 121001, 300120]);
/**
 * CardKit codes that end a card's streaming for good (200850 streaming timed out, 300309 streaming is closed):
 * later text updates to that card fail the same way, so a streamer stops instead of retrying. A full replace of
 * the card still works. 300317 (sequence not increasing) is a client bug or a lost race: also invalid input.
 */
export const CARD_STREAM_CLOSED_CODES: ReadonlySet<number> = new Set([200850, 300309]);

/** Whether a Lark error (raw or as an activity failure's details) says the card no longer streams. */
export function isCardStreamClosed(err: unknown): boolean {
  const code = err instanceof LarkApiError ? err.code : undefined;
  return code !== undefined && CARD_STREAM_CLOSED_CODES.has(code);
}

/** Messages the agent can act on, for client errors it can cause. */
function invalidInputHint(code: number, api: string): string | undefined {
  switch (code) {
    case 191001:
      return 'Invalid calendar_id: get a real id from primaryCalendar or listCalendars (never "primary")';
    case 230001:
      return api.includes('/task/') ? 'Invalid task id: the task does not exist or this identity cannot see it' : 'Invalid message request parameters';
    case 230002:
      return 'The bot is not a member of this chat';
    case 230011:
      return 'The message was recalled';
    case 230013:
      return "The user is outside the bot's availability range";
    case 230025:
      return 'Message too long: text up to 150 KB, cards and rich posts up to 30 KB';
    case 230031:
      return 'Messages can only be edited within 14 days of sending';
    case 230071:
      return 'Cannot reply in a thread to this message';
    case 230099:
      return 'Card creation failed: check the card JSON';
    case 200850:
      return "The card's streaming mode timed out (Lark closes it 10 minutes after it was opened)";
    case 300309:
      return "The card's streaming mode is closed: only a full update of the card works now";
    case 300317:
      return 'Card operations must carry a strictly increasing sequence';
    case 200740:
      return 'The card entity does not exist';
    case 200750:
      return 'The card entity has expired (14 days)';
    case 200860:
      return 'Card too large: cards up to 30 KB';
    case 1254104:
      return 'Too many records in one Base batch';
    case 121004:
      return 'No such meeting room or room level (VC rooms)';
    case 121005:
      return 'No permission for this meeting room (VC rooms)';
    default:
      return undefined;
  }
}

/** The seed's reading of 99991672 ("token expired"), told apart from the official "app lacks scope". */
function isSeedTokenExpired(err: LarkApiError): boolean {
  return err.code === 99991672 && err.permissionViolations.length === 0 && /expire/i.test(err.larkMsg) && !/scope|permission|权限/i.test(err.larkMsg);
}

/** Whether the client should refresh the token behind this error and retry once. */
export function isTokenRejection(err: unknown): boolean {
  return err instanceof LarkApiError && (TOKEN_REJECTED_CODES.has(err.code) || isSeedTokenExpired(err));
}

const SCOPE_RE = /\b[a-z][a-z0-9_]*(?::[a-z0-9_.]+)+\b/gi;
const URL_RE = /https?:\/\/[^\s,"'\]）)]+/;

function missingScopes(err: LarkApiError): string[] {
  if (err.permissionViolations.length) return [...new Set(err.permissionViolations)];
  const withoutUrls = err.larkMsg.replace(new RegExp(URL_RE.source, 'g'), ' ');
  return [...new Set(withoutUrls.match(SCOPE_RE) ?? [])];
}

// ---- Classification ---------------------------------------------------------------------------------

export interface LarkFailureClass {
  type: LarkFailureType;
  retryable: boolean;
  message: string;
  details: LarkFailureDetails;
  /** Milliseconds; only when Lark said how long to wait. Otherwise the retry policy's backoff applies. */
  nextRetryDelayMs?: number;
}

function apiDetails(err: LarkApiError): LarkFailureDetails {
  const d: LarkFailureDetails = { code: err.code, httpStatus: err.httpStatus, api: err.api };
  if (err.logId) d.logId = err.logId;
  if (err.tokenKind) d.tokenKind = err.tokenKind;
  if (err.openId) d.openId = err.openId;
  return d;
}

function classifyApiError(err: LarkApiError): LarkFailureClass {
  const details = apiDetails(err);
  const where = ` [Lark code ${err.code}, HTTP ${err.httpStatus}, ${err.api}${err.logId ? `, logid ${err.logId}` : ''}]`;
  const lark = err.larkMsg ? `: ${err.larkMsg}` : '';

  if (err.httpStatus === 429 || RATE_LIMIT_CODES.has(err.code)) {
    const reset = err.rateLimitResetSeconds;
    if (reset !== undefined) details.retryAfterSeconds = reset;
    return {
      type: LarkFailureType.RateLimited,
      retryable: true,
      message: `Lark rate limit${lark}${where}`,
      details,
      // A reset of 0 means "now"; still wait a second rather than hammer the limit.
      ...(reset !== undefined ? { nextRetryDelayMs: Math.max(1, reset) * 1000 } : {}),
    };
  }
  if (WRITE_CONFLICT_CODES.has(err.code)) {
    return { type: LarkFailureType.WriteConflict, retryable: true, message: `Lark write conflict${lark}${where}`, details };
  }
  const scopeOwner = PERMISSION_CODES[err.code] ?? (err.permissionViolations.length ? 'user' : undefined);
  if (scopeOwner && !isSeedTokenExpired(err)) {
    const scopes = missingScopes(err);
    const grantUrl = URL_RE.exec(err.larkMsg)?.[0];
    details.scopeOwner = scopeOwner;
    details.scopes = scopes;
    if (grantUrl) details.grantUrl = grantUrl;
    const named = scopes.length ? ` (${scopes.join(', ')})` : '';
    const what =
      scopeOwner === 'app'
        ? `The app lacks a required scope${named}: an admin must enable it and release a new app version`
        : `The user has not granted a required scope${named}: ask them to authorize again with it`;
    return { type: LarkFailureType.PermissionDenied, retryable: false, message: `${what}${where}`, details };
  }
  if (isTokenRejection(err) || BAD_CREDENTIAL_CODES.has(err.code) || (err.api.includes('/auth/v3/') && err.httpStatus < 500)) {
    const what =
      err.tokenKind === 'user'
        ? "The user's access token was rejected even after a refresh: they may need to authorize again"
        : "Lark rejected the app's credentials or tenant token: check LARK_APP_ID / LARK_APP_SECRET and the brand";
    return { type: LarkFailureType.TokenInvalid, retryable: false, message: `${what}${lark}${where}`, details };
  }
  if (err.httpStatus >= 500 || UNAVAILABLE_CODES.has(err.code)) {
    return { type: LarkFailureType.Unavailable, retryable: true, message: `Lark unavailable${lark}${where}`, details };
  }
  // Everything else is a client error (4xx, or a business code on HTTP 200): retrying the same request cannot help.
  const hint = invalidInputHint(err.code, err.api);
  return {
    type: LarkFailureType.InvalidInput,
    retryable: false,
    message: `${hint ?? 'Lark rejected the request'}${lark}${where}`,
    details,
  };
}

/** Classifies an error from the Lark client; undefined when it is not a Lark error (a bug, a cancellation). */
export function classifyLarkError(err: unknown): LarkFailureClass | undefined {
  if (err instanceof LarkApiError) return classifyApiError(err);
  if (err instanceof LarkTransportError) {
    const details: LarkFailureDetails = { api: err.api };
    if (err.httpStatus !== undefined) details.httpStatus = err.httpStatus;
    if (err.logId) details.logId = err.logId;
    return { type: LarkFailureType.Unavailable, retryable: true, message: err.message, details };
  }
  if (err instanceof LarkUserAuthRequired) {
    return {
      type: LarkFailureType.UserAuthRequired,
      retryable: false,
      message: err.message,
      details: { tokenKind: 'user', openId: err.openId },
    };
  }
  if (err instanceof LarkRequestInvalid) {
    return {
      type: LarkFailureType.InvalidInput,
      retryable: false,
      message: err.message,
      details: err.api ? { api: err.api } : {},
    };
  }
  return undefined;
}

/**
 * What an activity throws for an error: an ApplicationFailure for Lark errors; Temporal failures
 * (cancellation included) and anything unknown unchanged (unknown errors are retried by the policy).
 */
export function toLarkFailure(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err;
  const c = classifyLarkError(err);
  if (!c) return err;
  return ApplicationFailure.create({
    type: c.type,
    message: c.message,
    nonRetryable: !c.retryable,
    details: [c.details],
    ...(c.nextRetryDelayMs !== undefined ? { nextRetryDelay: c.nextRetryDelayMs } : {}),
  });
}

// ---- For workflows ----------------------------------------------------------------------------------

export interface LarkFailureInfo {
  type: LarkFailureType;
  message: string;
  details: LarkFailureDetails;
}

const LARK_TYPES = new Set<string>(Object.values(LarkFailureType));

/** Finds a Lark failure in an error's cause chain (e.g. the ActivityFailure a workflow catches). */
export function readLarkFailure(err: unknown): LarkFailureInfo | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 10; depth++) {
    if (cur instanceof ApplicationFailure && cur.type && LARK_TYPES.has(cur.type)) {
      const details = (cur.details?.[0] ?? {}) as LarkFailureDetails;
      return { type: cur.type as LarkFailureType, message: cur.message, details };
    }
    cur = cur.cause;
  }
  return undefined;
}
