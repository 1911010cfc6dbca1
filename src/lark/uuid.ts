/**
 * Deterministic idempotency keys. Lark drops a repeated message `uuid` (<= 50 chars) within an hour, and
 * Calendar's `idempotency_key`, Task's and Base's `client_token` do the same for creates. An activity retry
 * must send the same key, so keys are hashed from stable facts (source message id, step), never random.
 */
import { createHash } from 'node:crypto';

/**
 * A UUID-shaped (version-4 layout, 36 chars) SHA-256 digest of the parts. UUID shape because Base's
 * client_token must be a UUIDv4 string; the same shape fits every other Lark key (all allow <= 50 chars).
 * Parts are JSON-encoded so ("a", "bc") and ("ab", "c") differ.
 */
export function stableUuid(...parts: Array<string | number>): string {
  if (parts.length === 0) throw new RangeError('stableUuid needs at least one part');
  const h = createHash('sha256').update(JSON.stringify(parts)).digest();
  h[6] = (h[6]! & 0x0f) | 0x40; // version 4
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The `uuid` for a message send/reply: e.g. messageUuid(sourceMessageId, 'final-answer'). */
export const messageUuid = stableUuid;

export const MAX_MESSAGE_UUID_LENGTH = 50;
