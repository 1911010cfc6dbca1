/**
 * The Lark emulator with some of its users signed in: real Lark client, real token store on a fresh PostgreSQL
 * database (the run's server), real OAuth client against the emulator. What the tool activities need.
 */
import { randomBytes } from 'node:crypto';
import { startLarkEmulator, type LarkEmulator, type LarkEmulatorOptions } from '../../dev/emulator';
import { LarkClient } from '../../src/lark/client';
import { LarkOAuthClient } from '../../src/lark/oauth-client';
import { SecretBox } from '../../src/storage/secret-box';
import { UserTokenStore } from '../../src/storage/token-store';
import { freshDatabase } from './env';

export interface SignedInEmulator {
  emu: LarkEmulator;
  db: Awaited<ReturnType<typeof freshDatabase>>;
  store: UserTokenStore;
  lark: LarkClient;
  /** A user's open_id by the emulator's key ('lan', 'minh', ...). */
  id(key: string): string;
  stop(): Promise<void>;
}

export async function startSignedInEmulator(opts: {
  /** Emulator users to sign in (their tokens saved in the store, valid for 2 hours). */
  signIn: string[];
  scopes: string[];
  emulator?: LarkEmulatorOptions;
  /** The Lark client's per-request timeout. */
  timeoutMs?: number;
}): Promise<SignedInEmulator> {
  const emu = await startLarkEmulator(opts.emulator);
  const db = await freshDatabase();
  const id = (key: string) => emu.user(key).open_id;
  const oauth = new LarkOAuthClient({ baseUrl: emu.url, authorizeUrl: `${emu.url}/open-apis/authen/v1/authorize`, appId: emu.appId, appSecret: emu.appSecret });
  const store = new UserTokenStore(db.pool, new SecretBox(randomBytes(32)), oauth);
  for (const k of opts.signIn) {
    const t = emu.issueUserToken(id(k));
    await store.save(id(k), { accessToken: t.accessToken, refreshToken: t.refreshToken!, expiresAt: Date.now() + 7_200_000, scopes: opts.scopes });
  }
  const lark = new LarkClient({ baseUrl: emu.url, appId: emu.appId, appSecret: emu.appSecret, timeoutMs: opts.timeoutMs ?? 3000, userTokens: store });
  return {
    emu,
    db,
    store,
    lark,
    id,
    async stop() {
      await emu.stop();
      await db.drop();
    },
  };
}
