/** Structured JSON logs. Secret-bearing fields are redacted wherever they appear. */
import pino from 'pino';

export const REDACTED_KEYS = [
  'access_token',
  'refresh_token',
  'tenant_access_token',
  'app_secret',
  'encrypt',
  'encryptKey',
  'appSecret',
  'accessToken',
  'refreshToken',
  'authorization',
  'password',
  'apiKey',
  'api_key',
  'x-api-key',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'lark-agent', destination?: pino.DestinationStream) {
  return pino(
    {
      name,
      level,
      base: { service: name },
      redact: {
        paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type Logger = pino.Logger;
