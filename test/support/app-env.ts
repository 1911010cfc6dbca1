/** The app's environment when the Lark emulator and the offline model stand in for Lark and Anthropic (tests, chaos). */
import { randomBytes } from 'node:crypto';
import type { LarkEmulator } from '../../dev/emulator';

export interface TestSecrets {
  encryptKey: string;
  tokenKey: string;
  stateSecret: string;
}

export function newTestSecrets(): TestSecrets {
  return { encryptKey: `ek-${randomBytes(8).toString('hex')}`, tokenKey: randomBytes(32).toString('base64'), stateSecret: randomBytes(24).toString('hex') };
}

export function appEnv(p: {
  emu: LarkEmulator;
  modelUrl: string;
  port: number;
  secrets: TestSecrets;
  taskQueue: string;
  verificationToken: string;
}): Record<string, string> {
  return {
    PORT: String(p.port),
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: p.taskQueue,
    LARK_APP_ID: p.emu.appId,
    LARK_APP_SECRET: p.emu.appSecret,
    LARK_BASE_URL: p.emu.url,
    LARK_ENCRYPT_KEY: p.secrets.encryptKey,
    LARK_VERIFICATION_TOKEN: p.verificationToken,
    TOKEN_ENCRYPTION_KEY: p.secrets.tokenKey,
    OAUTH_STATE_SECRET: p.secrets.stateSecret,
    LARK_OAUTH_REDIRECT_URI: `http://127.0.0.1:${p.port}/oauth/callback`,
    ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
    ANTHROPIC_BASE_URL: p.modelUrl,
    // Tests send bursts from one user to exercise other things; the intake limit still decides (and records)
    // every message. test/flood.test.ts and test/intake-limits.test.ts run it at the production defaults.
    INTAKE_USER_BURST: '100000',
  };
}
