/**
 * Stable `ApplicationFailure.type` names for Lark failures, and the details they carry.
 * Pure constants and types (no imports): workflow code uses them in retry policies and error handling.
 */

export const LarkFailureType = {
  /** Frequency limit (HTTP 429, 99991400, 1254290, 230020, Calendar 190004/190005/190010). Retryable. */
  RateLimited: 'LarkRateLimited',
  /** Token still rejected after the one in-activity refresh, or bad app credentials. Not retryable. */
  TokenInvalid: 'LarkTokenInvalid',
  /** The acting user has no usable authorization: ask them to authorize. Not retryable. */
  UserAuthRequired: 'LarkUserAuthRequired',
  /** The app (99991672) or the user (99991679) lacks a scope. Not retryable: someone must grant it. */
  PermissionDenied: 'LarkPermissionDenied',
  /** Bad ids, bad fields, too long, too late (4xx client errors). Not retryable: change the request. */
  InvalidInput: 'LarkInvalidInput',
  /** Concurrent writes to one Base table (1254291). Retryable. */
  WriteConflict: 'LarkWriteConflict',
  /** 5xx, network errors, timeouts, "data not ready". Retryable. */
  Unavailable: 'LarkUnavailable',
} as const;

export type LarkFailureType = (typeof LarkFailureType)[keyof typeof LarkFailureType];

/** Failure types that a retry cannot fix; retry policies list them as nonRetryableErrorTypes too. */
export const NON_RETRYABLE_LARK_FAILURES: LarkFailureType[] = [
  LarkFailureType.TokenInvalid,
  LarkFailureType.UserAuthRequired,
  LarkFailureType.PermissionDenied,
  LarkFailureType.InvalidInput,
];

/** `details[0]` of every Lark ApplicationFailure. Never holds a token or secret. */
export interface LarkFailureDetails {
  /** Lark's business code (0 never appears here); undefined for transport errors. */
  code?: number;
  httpStatus?: number;
  /** Lark's X-Tt-Logid: quote it to Lark support. */
  logId?: string;
  /** "METHOD /open-apis/..." without the query string. */
  api?: string;
  /** Which identity made the call. */
  tokenKind?: 'tenant' | 'user';
  /** Permission problems: whose grant is missing (app: admin releases a version; user: re-authorize). */
  scopeOwner?: 'app' | 'user';
  /** Permission problems: the missing scope(s), when Lark names them. */
  scopes?: string[];
  /** Permission problems: Lark's link to apply for the scope, when given. */
  grantUrl?: string;
  /** Acting user for user-token calls. */
  openId?: string;
  /** Rate limits: seconds Lark asked us to wait (x-ogw-ratelimit-reset). */
  retryAfterSeconds?: number;
}
