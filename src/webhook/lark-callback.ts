/**
 * From raw request bytes to a verified challenge or event: size was checked by the caller, here come the
 * signature, decryption, JSON, token and schema, in that order. Every failure is an HttpError (4xx).
 *
 * The order matters, because a reply that differs by failure is an oracle:
 * - A SIGNED body is checked against its signature before anything else is done with it; once the signature
 *   holds, failures may name their reason (the sender is Lark or holds the key).
 * - An UNSIGNED body can only be a URL-verification challenge (Lark does not sign those). It is decrypted with
 *   constant work and every failure, whatever the base64, padding, JSON or token, gets the same 401: a reason
 *   that differed between bad padding and bad JSON was a CBC padding oracle.
 * - Legacy card callbacks (route `card`, a 40-hex sha1 signature) are authenticated by that signature, which
 *   covers the verification token.
 */
import { createHash } from 'node:crypto';
import { HttpError } from '../http-error';
import {
  decryptLarkPayload,
  decryptLarkPayloadQuietly,
  safeEqual,
  verifyLarkSignature,
  verifyLegacyCardSignature,
  type SignatureHeaders,
} from '../lark/crypto';
import { isChallenge, isLegacyCardCallback, parseLarkCallback, parseLegacyCardCallback, type LarkCallback } from '../lark/events';
import type { ReplayGuard } from './replay-guard';

export interface VerifyOptions {
  encryptKey?: string;
  verificationToken?: string;
  timestampToleranceSeconds: number;
  /** Refuses a signed card callback seen before (Lark never re-pushes card callbacks). */
  replay?: ReplayGuard;
}

export type CallbackRoute = 'event' | 'card';

/** The one answer for every unsigned body that is not a valid challenge, and for an unconfigured webhook. */
export function unauthorized(): HttpError {
  return new HttpError(401, 'unauthorized', 'the request is not a signed Lark callback');
}

const LEGACY_SIGNATURE = /^[0-9a-f]{40}$/i;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed_json', `${what} is not valid JSON`);
  }
}

function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function verifyLarkCallback(rawBody: Buffer, headers: SignatureHeaders, opts: VerifyOptions, route: CallbackRoute = 'event'): LarkCallback {
  // Fail closed: without a verification token nothing can be authenticated (start-up refuses this config too).
  if (!opts.verificationToken) throw unauthorized();
  const signature = headers.signature;
  if (route === 'card' && signature && LEGACY_SIGNATURE.test(signature)) return verifyLegacyCard(rawBody, headers, opts);
  if (opts.encryptKey) {
    if (!signature) return unsignedChallenge(rawBody, opts.encryptKey, opts.verificationToken);
    verifyLarkSignature(headers, rawBody, opts.encryptKey, opts.timestampToleranceSeconds);
    if (route === 'card') checkReplay(opts, signature);
    const outer = parseJson(rawBody.toString('utf8'), 'body');
    if (!isObject(outer) || !('encrypt' in outer)) {
      throw new HttpError(400, 'encryption_required', 'an Encrypt Key is configured: the body must be {"encrypt": ...}');
    }
    const parsed = parseLarkCallback(parseJson(decryptLarkPayload(opts.encryptKey, outer.encrypt), 'decrypted body'));
    checkToken(parsed, opts.verificationToken);
    return parsed;
  }
  // No Encrypt Key (LARK_ALLOW_UNENCRYPTED=true): nothing is decrypted, so reasons leak nothing; Lark sends
  // these bodies unsigned and the verification token is what authenticates them.
  const outer = parseJson(rawBody.toString('utf8'), 'body');
  if (!isObject(outer)) throw new HttpError(400, 'malformed_json', 'body must be a JSON object');
  if ('encrypt' in outer) throw new HttpError(400, 'encryption_not_configured', 'body is encrypted but LARK_ENCRYPT_KEY is not set');
  const parsed = parseLarkCallback(outer);
  checkToken(parsed, opts.verificationToken);
  return parsed;
}

/**
 * An unsigned body with an Encrypt Key configured: a challenge carrying the right token, or the one 401.
 * Decryption, the padding check and the JSON parse run whatever the input, so neither the answer nor its
 * timing says which step failed.
 */
function unsignedChallenge(rawBody: Buffer, encryptKey: string, token: string): LarkCallback {
  const outer = parseQuietly(rawBody.toString('utf8'));
  const encrypted = isObject(outer) ? outer.encrypt : undefined;
  const decrypted = decryptLarkPayloadQuietly(encryptKey, encrypted);
  const inner = parseQuietly(decrypted.text);
  // A plain challenge (no `encrypt`) involves no secret-dependent step, so it may be answered too.
  const candidate = encrypted === undefined ? outer : decrypted.ok ? inner : undefined;
  if (isObject(candidate) && isChallenge(candidate)) {
    const { challenge, token: given } = candidate;
    const tokenOk = typeof given === 'string' && safeEqual(given, token);
    if (tokenOk && typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512) {
      return { kind: 'challenge', challenge, token: given };
    }
  }
  throw unauthorized();
}

function verifyLegacyCard(rawBody: Buffer, headers: SignatureHeaders, opts: VerifyOptions): LarkCallback {
  verifyLegacyCardSignature(headers, rawBody, opts.verificationToken!, opts.timestampToleranceSeconds);
  checkReplay(opts, headers.signature!);
  let body = parseJson(rawBody.toString('utf8'), 'body');
  if (isObject(body) && 'encrypt' in body) {
    if (!opts.encryptKey) throw new HttpError(400, 'encryption_not_configured', 'body is encrypted but LARK_ENCRYPT_KEY is not set');
    body = parseJson(decryptLarkPayload(opts.encryptKey, body.encrypt), 'decrypted body');
  }
  if (isObject(body) && isChallenge(body)) {
    const parsed = parseLarkCallback(body);
    checkToken(parsed, opts.verificationToken!);
    return parsed;
  }
  if (!isLegacyCardCallback(body)) throw new HttpError(400, 'unknown_schema', 'a legacy card callback needs open_id, open_message_id and action');
  // No event id in this schema: one derived from the signed bytes (a replay has the same one).
  const eventId = `card-v1-${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
  return { kind: 'event', event: parseLegacyCardCallback(body, eventId) };
}

function checkReplay(opts: VerifyOptions, signature: string): void {
  if (opts.replay && !opts.replay.firstSight(signature.toLowerCase(), opts.timestampToleranceSeconds * 1000)) {
    throw new HttpError(401, 'replayed', 'this signed callback was already received');
  }
}

function checkToken(parsed: LarkCallback, expected: string): void {
  if (!parsed.token) throw new HttpError(401, 'missing_token', 'the verification token is missing');
  if (!safeEqual(parsed.token, expected)) throw new HttpError(401, 'bad_token', 'the verification token does not match');
}
