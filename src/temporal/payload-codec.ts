/**
 * Payload privacy: an AES-256-GCM PayloadCodec, so Temporal stores chat text, names and event bodies only
 * as ciphertext. Each encrypted payload carries `encoding: binary/encrypted` and the id of its key, so keys
 * rotate: new payloads use the active (first) key, and decode picks any key of the keyring by id.
 *
 * Wire format of `data`: iv(12) || ciphertext || tag(16); the plaintext is the original Payload as protobuf
 * (metadata included, so the original encoding comes back exactly). The key id is bound as AAD, so moving a
 * payload under another id fails authentication instead of decrypting with the wrong key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from '../config';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const te = new TextEncoder();
const td = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  private readonly active: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly PayloadKey[]) {
    if (!keys.length) throw new ValueError('EncryptionCodec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new ValueError(`payload key "${k.id}" is not 32 bytes`);
    this.active = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(this.active.id, 'utf8'));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: te.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: te.encode(this.active.id) },
      data: new Uint8Array(data),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    // Payloads written before the codec was turned on (or by a client without it) pass through.
    if (!encoding || td.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const rawId = payload.metadata?.[KEY_ID_METADATA];
    const keyId = rawId ? td.decode(rawId) : '';
    const key = this.byId.get(keyId);
    if (!key) throw new ValueError(`no payload key with id "${keyId.slice(0, 64)}" in PAYLOAD_ENCRYPTION_KEYS`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new ValueError(`encrypted payload failed authentication with key "${keyId}"`);
    }
  }
}

/** The codecs to pass as `dataConverter.payloadCodecs`; empty when encryption is off. */
export function payloadCodecs(keys: readonly PayloadKey[] | undefined): PayloadCodec[] {
  return keys?.length ? [new EncryptionCodec(keys)] : [];
}
