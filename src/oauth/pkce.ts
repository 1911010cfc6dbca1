import { createHash, randomBytes } from 'node:crypto';

/** PKCE S256: a random verifier kept server-side and its SHA-256 challenge sent to the authorize page. */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
