/**
 * Lark's event encryption and request signatures.
 * Encryption: AES-256-CBC, key = SHA-256(encrypt key), payload = base64(iv(16) + ciphertext), PKCS7.
 * Signature: hex sha256(timestamp + nonce + encrypt key + RAW body bytes); never a re-serialized body.
 * Legacy card callbacks: hex sha1(timestamp + nonce + verification token + RAW body bytes).
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
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey, 'utf8')
    .update(rawBody)
    .digest('hex');
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

/** All three headers present and the timestamp inside the window (replay protection); throws 401 with the reason. */
function checkSignatureHeaders(headers: SignatureHeaders, toleranceSeconds: number, nowMs: number): void {
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
}

/** Checks X-Lark-Signature (sha256 with the Encrypt Key) and the timestamp window; throws 401 with the reason. */
export function verifyLarkSignature(
  headers: SignatureHeaders,
  rawBody: Buffer,
  encryptKey: string,
  toleranceSeconds: number,
  nowMs: number = Date.now(),
): void {
  checkSignatureHeaders(headers, toleranceSeconds, nowMs);
  const { timestamp, nonce, signature } = headers as Required<SignatureHeaders>;
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

/**
 * Decrypts an `encrypt` field WITHOUT revealing why it failed: the same work is done for bad base64, a bad
 * length, bad padding or a good one, and the answer is only ok or not. Used for unsigned
 * bodies (URL verification), where any difference in answer or timing would be a CBC padding oracle.
 */
export function decryptLarkPayloadQuietly(encryptKey: string, encrypted: unknown): { ok: boolean; text: string } {
  const text = typeof encrypted === 'string' ? encrypted : '';
  const wellFormed = text.length >= 44 && text.length % 4 === 0 && BASE64.test(text);
  let bytes = wellFormed ? Buffer.from(text, 'base64') : Buffer.alloc(32);
  const wholeBlocks = bytes.length >= 32 && bytes.length % 16 === 0;
  if (!wholeBlocks) bytes = Buffer.alloc(32);
  // No automatic padding check (it throws, and an exception is a timing signal); checked below in constant time.
  const decipher = createDecipheriv('aes-256-cbc', keyOf(encryptKey), bytes.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  let bad = (pad === 0 ? 1 : 0) | (pad > 16 ? 1 : 0);
  for (let i = 1; i <= 16; i++) {
    // Every one of the last 16 bytes is looked at; only those inside the padding must equal it.
    const inPad = i <= pad ? 1 : 0;
    bad |= inPad & (plain[plain.length - i] !== pad ? 1 : 0);
  }
  const ok = wellFormed && wholeBlocks && bad === 0;
  const body = plain.subarray(0, plain.length - (ok ? pad : 0));
  // The text is returned either way, so the caller can do the same work (parse it) whatever `ok` says.
  return { ok, text: new TextDecoder('utf-8', { fatal: false }).decode(body) };
}

/**
 * Lark's LEGACY card callback signature (the "message card request URL", schema without header): hex
 * sha1(timestamp + nonce + verification token + raw body). Lark's own SDKs compute it this way.
 */
export function legacyCardSignature(timestamp: string, nonce: string, verificationToken: string, rawBody: Buffer): string {
  return createHash('sha1')
    .update(timestamp + nonce + verificationToken, 'utf8')
    .update(rawBody)
    .digest('hex');
}

/** Checks a legacy card callback's X-Lark-Signature and timestamp window; throws 401 with the reason. */
export function verifyLegacyCardSignature(
  headers: SignatureHeaders,
  rawBody: Buffer,
  verificationToken: string,
  toleranceSeconds: number,
  nowMs: number = Date.now(),
): void {
  checkSignatureHeaders(headers, toleranceSeconds, nowMs);
  const expected = legacyCardSignature(headers.timestamp!, headers.nonce!, verificationToken, rawBody);
  if (!safeEqual(headers.signature!.toLowerCase(), expected)) {
    throw new HttpError(401, 'bad_signature', 'X-Lark-Signature does not match the body');
  }
}

/** Builds the headers of a legacy card callback (emulator, tests, fuzzer). */
export function signLegacyCardRequest(rawBody: Buffer, verificationToken: string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(8).toString('hex');
  return {
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': legacyCardSignature(timestamp, nonce, verificationToken, rawBody),
  };
}
