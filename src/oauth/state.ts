/**
 * The OAuth `state`: signed (HMAC-SHA256 with a server secret), bound to the user's open_id and a nonce,
 * expiring, and single use (the nonce's row in oauth_states is consumed once). Never the bare open_id:
 * then anyone could attach their own Lark tokens to someone else's open_id.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../lark/crypto';

export interface StatePayload {
  openId: string;
  nonce: string;
  /** Unix ms. */
  expiresAt: number;
}

export type StateProblem = 'malformed' | 'bad_signature' | 'expired';

export class StateError extends Error {
  /**
   * openId and nonce are set only when the signature checked out (an expired or used link we signed): the nonce
   * names the link's row, which records whether the user's workflow was already told the link is dead.
   */
  constructor(
    readonly problem: StateProblem | 'reused' | 'unknown',
    readonly openId?: string,
    readonly nonce?: string,
  ) {
    super(`OAuth state ${problem}`);
    this.name = 'StateError';
  }
}

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

export function createState(secret: string, openId: string, ttlMs: number, now = Date.now()): { state: string; payload: StatePayload } {
  const payload: StatePayload = { openId, nonce: randomBytes(16).toString('base64url'), expiresAt: now + ttlMs };
  const body = Buffer.from(JSON.stringify({ o: payload.openId, n: payload.nonce, e: payload.expiresAt })).toString('base64url');
  return { state: `${body}.${sign(secret, body)}`, payload };
}

/** Checks signature and expiry; single use is checked against the store by the caller. */
export function verifyState(secret: string, state: unknown, now = Date.now()): StatePayload {
  if (typeof state !== 'string' || state.length > 1024) throw new StateError('malformed');
  const [body, mac, extra] = state.split('.');
  if (!body || !mac || extra !== undefined) throw new StateError('malformed');
  if (!safeEqual(mac, sign(secret, body))) throw new StateError('bad_signature');
  let decoded: { o?: unknown; n?: unknown; e?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new StateError('malformed');
  }
  if (typeof decoded.o !== 'string' || typeof decoded.n !== 'string' || typeof decoded.e !== 'number') throw new StateError('malformed');
  if (decoded.e < now) throw new StateError('expired', decoded.o, decoded.n);
  return { openId: decoded.o, nonce: decoded.n, expiresAt: decoded.e };
}
