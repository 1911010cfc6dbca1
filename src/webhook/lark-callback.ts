/**
 * From raw request bytes to a verified challenge or event: size was checked by the caller,
 * here come JSON, decryption, signature, token and schema. Every failure is an HttpError (4xx).
 */
import { HttpError } from '../http-error';
import { decryptLarkPayload, safeEqual, verifyLarkSignature, type SignatureHeaders } from '../lark/crypto';
import { parseLarkCallback, type LarkCallback } from '../lark/events';

export interface VerifyOptions {
  encryptKey?: string;
  verificationToken?: string;
  timestampToleranceSeconds: number;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed_json', `${what} is not valid JSON`);
  }
}

export function verifyLarkCallback(rawBody: Buffer, headers: SignatureHeaders, opts: VerifyOptions): LarkCallback {
  const outer = parseJson(rawBody.toString('utf8'), 'body');
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) {
    throw new HttpError(400, 'malformed_json', 'body must be a JSON object');
  }
  let body: unknown = outer;
  const encrypted = 'encrypt' in outer;
  if (opts.encryptKey) {
    if (!encrypted) throw new HttpError(400, 'encryption_required', 'an Encrypt Key is configured: the body must be {"encrypt": ...}');
    // Sign check first when the headers are there: forged bodies never reach the decryptor.
    // Lark leaves URL-verification unsigned, so an unsigned body may only be a challenge.
    const signed = Boolean(headers.signature);
    if (signed) verifyLarkSignature(headers, rawBody, opts.encryptKey, opts.timestampToleranceSeconds);
    body = parseJson(decryptLarkPayload(opts.encryptKey, (outer as { encrypt: unknown }).encrypt), 'decrypted body');
    const parsed = parseLarkCallback(body);
    if (!signed && parsed.kind !== 'challenge') {
      throw new HttpError(401, 'missing_signature', 'X-Lark-Signature is required for events');
    }
    checkToken(parsed, opts.verificationToken);
    return parsed;
  }
  if (encrypted) throw new HttpError(400, 'encryption_not_configured', 'body is encrypted but LARK_ENCRYPT_KEY is not set');
  const parsed = parseLarkCallback(body);
  checkToken(parsed, opts.verificationToken);
  return parsed;
}

function checkToken(parsed: LarkCallback, expected: string | undefined): void {
  if (!expected) return;
  if (!parsed.token) throw new HttpError(401, 'missing_token', 'the verification token is missing');
  if (!safeEqual(parsed.token, expected)) throw new HttpError(401, 'bad_token', 'the verification token does not match');
}
