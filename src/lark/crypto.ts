/**
 * Lark's event encryption and request signatures.
 * Encryption: AES-256-CBC, key = SHA-256(encrypt key), payload = base64(iv(16) + ciphertext), PKCS7.
 * Signature: hex sha256(timestamp + nonce + encrypt key + RAW body bytes); never a re-serialized body.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../http-error';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function keyOf(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey, 'utf8').digest();
}

/** Decrypts an `encrypt` field into its plaintext; every failure is a 400 with a reason. */
export function decryptLarkPayload(encryptKey: string, encrypted: unknown): string {
  if (typeof encrypted !== 'string' || encrypted.length === 0) {
    throw new HttpError(400, 'bad_encrypt_field', 'encrypt must be a non-empty base64 string');
  }
  if (encrypted.length % 4 !== 0 || !BASE64.test(encrypted)) {
    throw new HttpError(400, 'bad_base64', 'encrypt is not valid base64');
  }
  const bytes = Buffer.from(encrypted, 'base64');
  // One IV block plus at least one cipher block, whole blocks only.
  if (bytes.length < 32 || bytes.length % 16 !== 0) {
    throw new HttpError(400, 'bad_ciphertext', 'encrypted payload has an invalid length');
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', keyOf(encryptKey), bytes.subarray(0, 16));
    plain = Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]);
  } catch {
    throw new HttpError(400, 'bad_padding', 'encrypted payload could not be decrypted (wrong key or bad padding)');
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(plain);
  return text;
}

/** The sending side (emulator, tests, benchmark): what Lark puts in `{"encrypt": ...}`. */
export function encryptLarkPayload(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', keyOf(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export function larkSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey, 'utf8').update(rawBody).digest('hex');
}

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

export interface SignatureHeaders {
  timestamp?: string;
  nonce?: string;
  signature?: string;
}

/** Checks X-Lark-Signature and the timestamp window; throws 401 with the reason. */
export function verifyLarkSignature(
  headers: SignatureHeaders,
  rawBody: Buffer,
  encryptKey: string,
  toleranceSeconds: number,
  nowMs: number = Date.now(),
): void {
  const { timestamp, nonce, signature } = headers;
  if (!timestamp || !nonce || !signature) {
    throw new HttpError(401, 'missing_signature', 'X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required');
  }
  if (!/^\d{1,13}$/.test(timestamp)) {
    throw new HttpError(401, 'bad_timestamp', 'X-Lark-Request-Timestamp must be Unix seconds');
  }
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) {
    throw new HttpError(401, 'stale_timestamp', `request timestamp is outside the ${toleranceSeconds}s window`);
  }
  const expected = larkSignature(timestamp, nonce, encryptKey, rawBody);
  if (!safeEqual(signature.toLowerCase(), expected)) {
    throw new HttpError(401, 'bad_signature', 'X-Lark-Signature does not match the body');
  }
}

/** Builds the headers Lark sends with a signed body (emulator, tests, benchmark). */
export function signLarkRequest(rawBody: Buffer, encryptKey: string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(8).toString('hex');
  return {
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': larkSignature(timestamp, nonce, encryptKey, rawBody),
  };
}
