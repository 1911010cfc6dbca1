/**
 * AES-256-GCM for secrets at rest (user tokens, reminder text, PKCE verifiers).
 *
 * Format: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts; 12-byte IV, 16-byte tag). The key id is a short
 * fingerprint of the key that sealed it. The additional authenticated data is the value's place (`sealedFor`:
 * table, column and row key), so a value copied to another row, or to another column of the same row, does not open.
 *
 * Key ring: the current key (TOKEN_ENCRYPTION_KEY) seals; it and the old keys (TOKEN_ENCRYPTION_OLD_KEYS) open.
 * `openChecked` says when a value is `stale` (sealed with an old key, or in the earlier v1 format), and the stores
 * write it back sealed anew when they read it: a rotation needs no migration and no downtime.
 *
 * v1 (before this format) had the same layout, bound to the open_id (or the OAuth nonce) only: it opens with the
 * caller's `legacy` binding and is always stale.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const CURRENT = 'v2';
const LEGACY = 'v1';

/** The additional authenticated data of a value stored in `table.column` of the row with these key values. */
export function sealedFor(table: string, column: string, ...rowKey: string[]): string {
  return JSON.stringify([table, column, ...rowKey]);
}

/** Where a value is kept: its binding now, and the v1 binding it had before (the open_id or nonce). */
export interface SealedPlace {
  aad: string;
  legacy: string;
}

export class SecretBox {
  /** The current key's id: what `seal` writes. */
  readonly keyId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly key: Buffer,
    oldKeys: readonly Buffer[] = [],
  ) {
    if (key.length !== 32) throw new Error('the token encryption key must be 32 bytes (base64 of 32 random bytes)');
    this.keyId = keyIdOf(key);
    for (const old of oldKeys) {
      if (old.length !== 32) throw new Error('every old token encryption key must be 32 bytes (base64 of 32 random bytes)');
      this.keys.set(keyIdOf(old), old);
    }
    this.keys.set(this.keyId, key);
  }

  /** TOKEN_ENCRYPTION_KEY and TOKEN_ENCRYPTION_OLD_KEYS as configured (base64). */
  static fromBase64(current: string, old: readonly string[] = []): SecretBox {
    return new SecretBox(
      Buffer.from(current, 'base64'),
      old.map((k) => Buffer.from(k, 'base64')),
    );
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [CURRENT, this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** The plaintext; throws when it was sealed for another place, with a key not held, or was tampered with. */
  open(sealed: string, place: SealedPlace | string): string {
    return this.openChecked(sealed, place).value;
  }

  /** The plaintext, and whether it should be sealed again (an old key or the v1 format). */
  openChecked(sealed: string, place: SealedPlace | string): { value: string; stale: boolean } {
    const { aad, legacy } = typeof place === 'string' ? { aad: place, legacy: place } : place;
    const parts = sealed.split('.');
    if (parts.length !== 5 || (parts[0] !== CURRENT && parts[0] !== LEGACY)) throw new Error('not a sealed secret');
    const [version, keyId, ivB64, tagB64, ctB64] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`sealed with a key that is neither TOKEN_ENCRYPTION_KEY nor in TOKEN_ENCRYPTION_OLD_KEYS (key id ${keyId.slice(0, 16)})`);
    const iv = Buffer.from(ivB64, 'base64url');
    const tag = Buffer.from(tagB64, 'base64url');
    // GCM would otherwise accept a tag cut to as little as 4 bytes (a forgery 2^32 tries away).
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('not a sealed secret (IV or tag of the wrong length)');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(version === CURRENT ? aad : legacy, 'utf8'));
    decipher.setAuthTag(tag);
    let value: string;
    try {
      value = Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the sealed secret does not open here: tampered with, or sealed for another row or column');
    }
    return { value, stale: version !== CURRENT || keyId !== this.keyId };
  }
}

/** A short fingerprint, not the key: safe to store beside the ciphertext. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
