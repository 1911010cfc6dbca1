/**
 * AES-256-GCM for secrets at rest (user tokens, PKCE verifiers). Format: `v1.<keyId>.<iv>.<tag>.<ciphertext>`
 * (base64url parts). The key id lets a key be rotated: old rows name the key they need.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the token encryption key must be 32 bytes (base64 of 32 random bytes)');
    // A short fingerprint, not the key: safe to store beside the ciphertext.
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  static fromBase64(b64: string): SecretBox {
    return new SecretBox(Buffer.from(b64, 'base64'));
  }

  seal(plaintext: string, associated = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** `associated` binds a ciphertext to its row (the open_id): a token copied to another user's row fails. */
  open(sealed: string, associated = ''): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Error('not a sealed secret');
    if (parts[1] !== this.keyId) throw new Error(`sealed with another key (${parts[1]})`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(parts[2]!, 'base64url'));
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(parts[4]!, 'base64url')), decipher.final()]).toString('utf8');
  }
}
