/**
 * The local run's defaults (dev/main.ts): secrets it was not given are generated once into DATA_DIR
 * (dev/local-secrets.ts, 0600), and the local Temporal Web UI reads payloads through the webhook's codec endpoint.
 * test/privacy-scan.test.ts runs a conversation on exactly these defaults.
 */
import { ConfigError, type Config } from '../src/config';
import { ensureLocalSecret } from './local-secrets';

/** The id of the generated payload key (PAYLOAD_ENCRYPTION_KEYS=local:<the file's content> keeps reading it). */
export const LOCAL_PAYLOAD_KEY_ID = 'local';
/** Its file in DATA_DIR is `<name>.key`. */
const LOCAL_PAYLOAD_KEY_NAME = 'payload-encryption';

/**
 * Without a Lark app, the Encrypt Key and verification token the emulator signs and encrypts with. Without
 * PAYLOAD_ENCRYPTION_KEYS (and PAYLOAD_ALLOW_UNENCRYPTED unset), a payload key: Temporal then holds the local
 * run's chat text, names and reminder texts only as ciphertext, as in a deployment. Without TOKEN_ENCRYPTION_KEY
 * and OAUTH_STATE_SECRET, those (src/services.ts refuses to build without them; the processes must be given them).
 */
export function withLocalSecrets(config: Config): Config {
  let out: Config = {
    ...config,
    oauth: {
      ...config.oauth,
      tokenEncryptionKey: config.oauth.tokenEncryptionKey ?? ensureLocalSecret(config.dataDir, 'token-encryption'),
      stateSecret: config.oauth.stateSecret ?? ensureLocalSecret(config.dataDir, 'oauth-state'),
    },
  };
  if (!config.lark.appId) {
    out = {
      ...out,
      lark: {
        ...out.lark,
        encryptKey: out.lark.encryptKey ?? ensureLocalSecret(out.dataDir, 'lark-encrypt'),
        verificationToken: out.lark.verificationToken ?? ensureLocalSecret(out.dataDir, 'lark-verification'),
      },
    };
  }
  if (!out.privacy.payloadKeys?.length && !out.privacy.allowUnencrypted) {
    const key = Buffer.from(ensureLocalSecret(out.dataDir, LOCAL_PAYLOAD_KEY_NAME), 'base64');
    // A file edited by hand: name it, never its content.
    if (key.length !== 32)
      throw new ConfigError([`${out.dataDir}/${LOCAL_PAYLOAD_KEY_NAME}.key must hold base64 of 32 bytes (delete it to have a new one generated)`]);
    out = { ...out, privacy: { ...out.privacy, payloadKeys: [{ id: LOCAL_PAYLOAD_KEY_ID, key }] } };
  }
  return out;
}

/**
 * The codec endpoint the local dev server's Web UI calls from the browser (`--ui-codec-endpoint`), and the config
 * that lets that UI's origins call it without a bearer (from this machine only: src/webhook/codec-endpoint.ts).
 * Undefined when there is nothing to decode (no keys) or the browser could not reach the webhook on this
 * machine's loopback (PORT=0, or HOST bound to another interface).
 */
export function localUiCodec(config: Config, uiPort: number): { endpoint: string; config: Config } | undefined {
  if (!config.privacy.payloadKeys?.length || !config.port) return undefined;
  const host = ['0.0.0.0', '::', 'localhost'].includes(config.host) ? 'localhost' : /^127\.\d+\.\d+\.\d+$/.test(config.host) ? config.host : undefined;
  if (!host) return undefined;
  const localUiOrigins = [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
  return {
    endpoint: `http://${host}:${config.port}/codec`,
    config: { ...config, privacy: { ...config.privacy, localUiOrigins } },
  };
}
