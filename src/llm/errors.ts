/**
 * The ONE place where Anthropic SDK errors become Temporal failures. The SDK's own retries are off,
 * so whether and when to retry is decided here and carried out by Temporal's retry policy.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

import { LLM_FAILURE } from './failure-types';

export { LLM_FAILURE, NON_RETRYABLE_LLM_FAILURES } from './failure-types';

/** A server's retry hint above this is not waited for in one go; Temporal's backoff takes over. */
const MAX_RETRY_DELAY_MS = 5 * 60_000;

export interface ErrorContext {
  /** The activity's cancellation signal: an abort we asked for is a cancellation, not a failure. */
  signal?: AbortSignal;
  /** Values that must never appear in a failure message (the API key). */
  secrets?: (string | undefined)[];
  model?: string;
}

/** Maps any error thrown by a Messages API call to what the activity should throw. */
export function toActivityFailure(err: unknown, ctx: ErrorContext = {}): Error {
  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    return reason instanceof Error ? reason : new CancelledFailure('Activity cancelled');
  }
  if (!(err instanceof Anthropic.APIError)) return err instanceof Error ? err : new Error(String(err));

  const clean = (s: string) => scrub(s, ctx.secrets);
  const status = err.status;
  const details = [{ status: status ?? null, requestId: err.requestID ?? null, errorType: err.type ?? null }];
  const apiSays = err.apiMessage ? `: ${clean(err.apiMessage)}` : '';
  const label = status ? `${status}${err.type ? ` ${err.type}` : ''}` : 'no response';

  const retryable = (type: string, message: string) =>
    ApplicationFailure.create({ type, message: clean(message), details, nextRetryDelay: retryDelayMs(err.headers) });
  const fatal = (type: string, message: string) => ApplicationFailure.create({ type, message: clean(message), details, nonRetryable: true });

  if (err instanceof Anthropic.APIUserAbortError) {
    // Aborted without our cancellation signal (e.g. a timeout of ours): try again.
    return retryable(LLM_FAILURE.connection, 'Anthropic API request was aborted');
  }
  if (status === undefined) return retryable(LLM_FAILURE.connection, `Anthropic API unreachable: ${err.message}`);
  if (status === 429) return retryable(LLM_FAILURE.rateLimited, `Anthropic API rate limit (${label})${apiSays}`);
  if (status === 529) return retryable(LLM_FAILURE.overloaded, `Anthropic API overloaded (${label})${apiSays}`);
  if (status >= 500 || status === 408 || status === 409) {
    return retryable(LLM_FAILURE.serverError, `Anthropic API temporary error (${label})${apiSays}`);
  }
  switch (status) {
    case 400:
      return fatal(LLM_FAILURE.badRequest, `Anthropic API rejected the request (${label})${apiSays}`);
    case 401:
      return fatal(LLM_FAILURE.authentication, `Anthropic API refused the API key (${label}); check ANTHROPIC_API_KEY`);
    case 403:
      return fatal(LLM_FAILURE.permissionDenied, `Anthropic API key lacks permission (${label})${apiSays}`);
    case 404:
      return fatal(
        LLM_FAILURE.notFound,
        `Anthropic API: not found (${label})${apiSays}; check ANTHROPIC_MODEL${ctx.model ? ` ("${ctx.model}")` : ''} and ANTHROPIC_BASE_URL`,
      );
    default:
      return fatal(LLM_FAILURE.rejected, `Anthropic API rejected the request (${label})${apiSays}`);
  }
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date), in ms; undefined when absent or unusable. */
export function retryDelayMs(headers: Headers | undefined, nowMs = Date.now()): number | undefined {
  if (!headers) return undefined;
  let ms: number | undefined;
  const msHeader = headers.get('retry-after-ms');
  const header = headers.get('retry-after');
  if (msHeader && Number.isFinite(Number(msHeader))) ms = Number(msHeader);
  else if (header) {
    const seconds = Number(header);
    if (header.trim() !== '' && Number.isFinite(seconds)) ms = seconds * 1000;
    else if (!Number.isNaN(Date.parse(header))) ms = Date.parse(header) - nowMs;
  }
  if (ms === undefined || ms < 0) return undefined;
  return Math.min(Math.round(ms), MAX_RETRY_DELAY_MS);
}

/** Removes secrets and anything shaped like an Anthropic key from text bound for failures or logs. */
export function scrub(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join('[redacted]');
  return out.replace(/sk-ant-[A-Za-z0-9_-]+/g, '[redacted]');
}
