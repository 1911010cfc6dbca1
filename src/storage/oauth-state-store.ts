/**
 * Issued OAuth states: the PKCE verifier (sealed) by nonce, consumed exactly once; and, once the link is dead
 * (expired or used), whether the user's workflow was told so (at most once per link, whatever the hits).
 */
import type { Pool } from 'pg';
import { StateError } from '../oauth/state';
import { sealedFor, type SealedPlace, type SecretBox } from './secret-box';

/** Where a verifier belongs (secret-box.ts): v1 ones were bound to the nonce alone. */
const verifierPlace = (nonce: string): SealedPlace => ({ aad: sealedFor('oauth_states', 'code_verifier', nonce), legacy: nonce });

export class OAuthStateStore {
  constructor(
    private readonly pool: Pool,
    private readonly box: SecretBox,
  ) {}

  async save(nonce: string, openId: string, codeVerifier: string, expiresAt: number): Promise<void> {
    await this.pool.query('insert into oauth_states (nonce, open_id, code_verifier, expires_at) values ($1, $2, $3, $4)', [
      nonce,
      openId,
      this.box.seal(codeVerifier, verifierPlace(nonce).aad),
      expiresAt,
    ]);
    // Keep the table small: states older than a day can never be used.
    await this.pool.query('delete from oauth_states where expires_at < $1', [Date.now() - 86_400_000]);
  }

  /** Marks the state used and returns its PKCE verifier; a second call fails with 'reused'. */
  async consume(nonce: string, openId: string): Promise<string> {
    const { rows } = await this.pool.query<{ code_verifier: string; open_id: string }>(
      'update oauth_states set used_at = now() where nonce = $1 and used_at is null returning code_verifier, open_id',
      [nonce],
    );
    const row = rows[0];
    if (!row) {
      const seen = await this.pool.query('select 1 from oauth_states where nonce = $1 and open_id = $2', [nonce, openId]);
      throw seen.rowCount ? new StateError('reused', openId, nonce) : new StateError('unknown');
    }
    if (row.open_id !== openId) throw new StateError('unknown');
    return this.box.open(row.code_verifier, verifierPlace(nonce));
  }

  /**
   * A dead link (expired or used) was hit: 'first' for exactly one hit per link, whatever the concurrency
   * (UPDATE ... WHERE failure_signalled_at IS NULL: the row lock lets one statement set it, the others then see
   * it set and change nothing); 'again' for every later hit; 'unknown' when no row of this user has the nonce
   * (never issued, or purged a day after expiry): nothing can vouch for the link, so nothing is signalled.
   */
  async claimFailureSignal(nonce: string, openId: string): Promise<'first' | 'again' | 'unknown'> {
    const { rows } = await this.pool.query<{ signalled: boolean }>(
      'select failure_signalled_at is not null as signalled from oauth_states where nonce = $1 and open_id = $2',
      [nonce, openId],
    );
    if (!rows[0]) return 'unknown';
    if (rows[0].signalled) return 'again'; // the flood's common case: one read, no write
    const won = await this.pool.query(
      'update oauth_states set failure_signalled_at = now() where nonce = $1 and open_id = $2 and failure_signalled_at is null returning nonce',
      [nonce, openId],
    );
    return won.rowCount ? 'first' : 'again';
  }

  /** The claimed signal could not be sent (Temporal unreachable): a later hit of the link may try again. */
  async releaseFailureSignal(nonce: string): Promise<void> {
    await this.pool.query('update oauth_states set failure_signalled_at = null where nonce = $1', [nonce]);
  }
}
