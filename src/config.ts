/**
 * Configuration from environment variables, validated once at start.
 * Every problem is collected so one run names all that is missing or wrong.
 */
import path from 'node:path';
import { DEFAULT_TIMEZONE, isValidTimeZone } from './lark/time';

export type LarkBrand = 'lark' | 'feishu';

/**
 * How Lark's events and card callbacks reach the app: POSTs to /webhook/event and /webhook/card (a public HTTPS
 * address), the long connection the app opens to Lark (src/webhook/long-connection.ts), or both at once.
 */
export type LarkEventMode = 'webhook' | 'websocket' | 'both';
export const LARK_EVENT_MODES: readonly LarkEventMode[] = ['webhook', 'websocket', 'both'];

/** An app id as Lark issues it; the SDK's long-connection client refuses to start with any other. */
export const LARK_APP_ID_FORMAT = /^cli_[0-9a-fA-F]{16}$/;

export const webhookIntakeOn = (mode: LarkEventMode): boolean => mode !== 'websocket';
export const longConnectionOn = (mode: LarkEventMode): boolean => mode !== 'webhook';

/** One key of the payload codec's keyring (src/temporal/payload-codec.ts). */
export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses `keyId:base64key,keyId2:base64key` (first = active). Returns the problems instead of throwing so
 * config.ts can report them with the rest. Problems never include key material.
 */
export function parsePayloadKeys(raw: string): { keys: PayloadKey[]; problems: string[] } {
  const keys: PayloadKey[] = [];
  const problems: string[] = [];
  for (const [i, part] of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .entries()) {
    const sep = part.indexOf(':');
    const id = sep > 0 ? part.slice(0, sep) : '';
    const b64 = sep > 0 ? part.slice(sep + 1) : '';
    const where = `PAYLOAD_ENCRYPTION_KEYS entry ${i + 1}`;
    if (!KEY_ID.test(id)) {
      problems.push(`${where} must be keyId:base64key with a key id of letters, digits, _ . - (up to 64)`);
      continue;
    }
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || key.length !== 32) {
      problems.push(`${where} ("${id}") must hold base64 of 32 bytes (openssl rand -base64 32)`);
      continue;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${where}: key id "${id}" is used twice`);
      continue;
    }
    keys.push({ id, key });
  }
  if (!keys.length && !problems.length) problems.push('PAYLOAD_ENCRYPTION_KEYS has no key');
  return { keys, problems };
}

/**
 * TOKEN_ENCRYPTION_OLD_KEYS: `base64key,base64key` (keys a rotation replaced; each opens what it sealed). Problems
 * name the entry, never the key.
 */
function parseTokenOldKeys(raw: string | undefined, current: string | undefined, problems: string[]): string[] {
  if (!raw) return [];
  if (!current) {
    problems.push('TOKEN_ENCRYPTION_OLD_KEYS needs TOKEN_ENCRYPTION_KEY (the new key that seals; the old ones only open)');
    return [];
  }
  const keys: string[] = [];
  for (const [i, b64] of raw
    .split(',')
    .map((p) => p.trim())
    .entries()) {
    if (!b64) continue;
    const where = `TOKEN_ENCRYPTION_OLD_KEYS entry ${i + 1}`;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, 'base64').length !== 32) {
      problems.push(`${where} must be base64 of 32 bytes (a key TOKEN_ENCRYPTION_KEY held before)`);
    } else if (Buffer.from(b64, 'base64').equals(Buffer.from(current, 'base64'))) {
      problems.push(`${where} is TOKEN_ENCRYPTION_KEY itself: list only the keys it replaced`);
    } else {
      keys.push(b64);
    }
  }
  return keys;
}

/** The per-user workflow's settings, read from the environment by loadConfig: the only place with their defaults. */
export interface UserSettings {
  /** How many accepted message_ids a per-user workflow remembers for dedup. */
  dedupWindow: number;
  /** How long a request waits for the user to authorize before it expires. */
  authWaitTimeoutMs: number;
  /**
   * While waiting for sign-in, re-check the token store this often (AUTH_RECHECK_SECONDS, the one setting both
   * sign-in waits use: workflows/sign-in-wait.ts). Optional: settings from before it read as 5 minutes.
   */
  authRecheckMs?: number;
  /** How long a Confirm / Cancel card waits for a click. */
  confirmTimeoutMs: number;
  /** Model steps per request before the agent stops and says so. */
  stepCap: number;
  /** A per-user workflow continues as new past this many history events. */
  historyEventCap: number;
  /** A message older than this when it arrives gets a notice instead of an action. */
  maxMessageAgeMs: number;
  /** A fresh login card at most this often per user (after a failed sign-in, a new message, or the card's button). */
  loginCardIntervalMs: number;
  /** A request not answered within this long gets one status message that follows the work (0: off). */
  statusAfterMs: number;
  /**
   * Streamed answers (LARK_STREAM_ANSWERS): the answer grows in one CardKit card that also carries the status;
   * without the cardkit:card:write scope a request falls back to the status message and one text answer.
   * Optional: settings from before it read as off.
   */
  streamAnswers?: boolean;
  /**
   * LLM_FIRST_STEP_LOCAL: the turn's first model call as a local activity (a no-tool reply in one workflow task) while
   * nothing else in the run needs its task. On by default; settings from before it read as on.
   */
  firstStepLocal?: boolean;
  /** How long the Undo button on an answer's changes works. */
  undoValidMs: number;
  /** IANA zone for reading and showing users' times until a user's own zone is known (DEFAULT_TIMEZONE). */
  timezone: string;
  /** Whether changes and undos are written as audit rows (LARK_BASE_AUDIT_TABLE_ID is set). */
  audit: boolean;
  /**
   * Whether each turn is written to the Base table (LARK_BASE_APP_TOKEN and LARK_BASE_TABLE_ID set). Optional:
   * settings from before it read as on (the turn-log step ran, and wrote nothing without a table).
   */
  turnLog?: boolean;
}

/**
 * A reminder workflow's settings, read from the environment by loadConfig (the only place with their defaults).
 * They travel in the reminder's input: a reminder keeps the settings it was set with, across continue-as-new.
 */
export interface ReminderSettings {
  /** A fire later than this after its time carries "(late: ...)". */
  lateAfterMs: number;
  /** How long a one-off reminder's card stays clickable after it fired. */
  clickWindowMs: number;
  /** How long a fire that needs the user's sign-in waits for it (default: AUTH_WAIT_TIMEOUT_SECONDS). */
  authWaitMs: number;
  /** While waiting for sign-in, re-check the token store this often (default: AUTH_RECHECK_SECONDS). */
  authRecheckMs: number;
  /** A meeting-linked reminder re-reads its event this often while waiting (a meeting moved earlier is caught). */
  eventCheckMs: number;
  /** A fire that keeps failing (Lark down) is retried for this long before the occurrence is given up. */
  fireRetryForMs: number;
  /**
   * An urgent reminder ("remind me urgently ...") whose card nobody clicked this long after it fired gets one
   * in-app buzz. Optional: runs started before urgent reminders existed carry settings without it.
   */
  urgentAfterMs?: number;
}

/** A token bucket: `burst` at once, refilled at `perMinute` (0: no limit). See src/rate-limit.ts. */
export interface RateSpec {
  burst: number;
  perMinute: number;
}

export interface Config {
  port: number;
  host: string;
  /** Port of the local Lark emulator and its /sandbox chat page (local run without a Lark app). */
  sandboxPort: number;
  logLevel: string;
  dataDir: string;
  lark: {
    appId?: string;
    appSecret?: string;
    encryptKey?: string;
    verificationToken?: string;
    /** LARK_ALLOW_UNENCRYPTED=true: run without an Encrypt Key (no signatures, no replay window); logged loudly. */
    allowUnencrypted: boolean;
    brand: LarkBrand;
    /** Open API base URL, e.g. https://open.larksuite.com (no trailing slash). */
    baseUrl: string;
    /** Per-request timeout for Open API calls (one HTTP request, not a whole retry sequence). */
    requestTimeoutMs: number;
    /** LARK_EVENT_MODE, or the default chosen from the other Lark settings (eventModeReason says which). */
    eventMode: LarkEventMode;
    eventModeExplicit: boolean;
    /** One sentence for the start-up log: the mode and why. */
    eventModeReason: string;
  };
  /** The long connection (LARK_EVENT_MODE websocket or both). */
  longConnection: {
    /** Down (not connected) longer than this: /webhook/health answers 503, so an orchestrator restarts the process. */
    maxDownMs: number;
    /** After each ping, no frame from Lark within this long: the socket is cut and reconnected (0: off). */
    pingTimeoutSeconds: number;
  };
  webhook: {
    maxBodyBytes: number;
    timestampToleranceSeconds: number;
    /** How long the webhook waits for Temporal to accept a start before answering 503. */
    startTimeoutMs: number;
    /**
     * Reverse proxies in front of the webhook whose X-Forwarded-For entries are trusted (0: none, the TCP peer
     * is the client). The client is the entry that many places from the right, as the nearest proxies append.
     */
    trustProxyHops: number;
    /** GET /oauth/callback: per client address and overall; past it, 429 with Retry-After. */
    oauthCallbackLimit: { ip: RateSpec; total: RateSpec };
    /** Card clicks that would reach Temporal, per clicking user (open_id); past it, a toast asks to wait. */
    cardClickLimit: RateSpec;
  };
  intake: {
    /**
     * Messages one sender may hand to their per-user workflow (src/storage/intake-limits.ts), shared by every
     * worker through PostgreSQL; past it a message is refused and named in one notice per burst.
     */
    userLimit: RateSpec;
  };
  temporal: {
    /** Unset means: run a local dev server (main command only). */
    address?: string;
    namespace: string;
    taskQueue: string;
    cliPath?: string;
    /** Frontend port of the local dev server (the main command, when TEMPORAL_ADDRESS is unset). */
    devPort: number;
    uiPort: number;
    /** Register a missing namespace and search attributes at start (true), or only check and exit naming the command. */
    autoSetup: boolean;
    /**
     * Workflows a worker keeps in memory (sticky cache). An evicted user's next task replays its history (a few
     * ms): the cap bounds memory with thousands of idle users instead of growing with them.
     */
    maxCachedWorkflows: number;
  };
  /** Unset means: run the embedded PostgreSQL (PGlite) in dataDir (main command only). */
  databaseUrl?: string;
  /** What every per-user workflow runs with (it travels with each message: workflows/contract.ts). */
  user: UserSettings;
  /** Conversation log to Lark Base; both set or both unset. auditTableId: one row per change and per undo. */
  base?: { appToken: string; tableId: string; auditTableId?: string };
  oauth: {
    /** The brand's authorize page (or the emulator's, when LARK_BASE_URL is set). */
    authorizeUrl: string;
    redirectUri: string;
    scopes: string[];
    /** HMAC key for the signed state. Unset: the local run generates one in DATA_DIR. */
    stateSecret?: string;
    stateTtlMs: number;
    /** base64 of 32 bytes, AES-256-GCM for tokens at rest. Unset: the local run generates one in DATA_DIR. */
    tokenEncryptionKey?: string;
    /**
     * Keys that sealed tokens and reminders before a rotation (TOKEN_ENCRYPTION_OLD_KEYS): they still open; what
     * they opened is sealed again with tokenEncryptionKey when read. Empty when none.
     */
    tokenEncryptionOldKeys: string[];
  };
  llm: LlmSettings;
  /** Reminders and the daily agenda (workflows/reminder-workflow.ts). */
  reminders: {
    /** Active reminders per user (the daily agenda counts as one). */
    maxActive: number;
    settings: ReminderSettings;
  };
  /**
   * Payload encryption and its codec endpoint for the Temporal UI/CLI. Without keys the local run generates one
   * (dev/local-run.ts) and the webhook and worker processes refuse to start (checkPayloadEncryption), unless
   * PAYLOAD_ALLOW_UNENCRYPTED=true.
   */
  privacy: {
    /** First = active key for new payloads; the rest decode older ones (rotation). */
    payloadKeys?: PayloadKey[];
    /** PAYLOAD_ALLOW_UNENCRYPTED=true: run without keys (payloads in clear); logged as a warning at start. */
    allowUnencrypted: boolean;
    /** Enables POST /codec/{encode,decode}; callers send `Authorization: Bearer <token>`. */
    codecAuthToken?: string;
    codecCorsOrigins: string[];
    /**
     * Origins of the local run's own Temporal Web UI (set by dev/main.ts, never read from the environment): a
     * browser on this machine at one of them may call the codec endpoint without the bearer, as that UI has no
     * sign-in whose token it could pass. Empty elsewhere.
     */
    localUiOrigins: string[];
  };
  /** Find-a-time and the sanity checks before booking: working hours, days, lunch, people's zones. */
  scheduling: SchedulingConfig;
  metrics: {
    /** A worker process alone serves GET /metrics on this port (its Lark error and LLM token counters). */
    workerPort?: number;
    /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
    authToken?: string;
    /** Port for the Temporal SDK's own Prometheus exporter (worker processes), bound on HOST. */
    temporalPort?: number;
  };
}

/** Sized so a worker with 1,000 idle users stays under 300 MB RSS: 294 MB measured (docs/benchmark.md). */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

export const DEFAULT_SCOPES = [
  'offline_access',
  'calendar:calendar',
  'task:task:write',
  'task:tasklist:write',
  'task:section:read',
  'contact:user.id:readonly',
  'contact:user.base:readonly',
];

const BRAND_AUTHORIZE_URL: Record<LarkBrand, string> = {
  lark: 'https://accounts.larksuite.com/open-apis/authen/v1/authorize',
  feishu: 'https://accounts.feishu.cn/open-apis/authen/v1/authorize',
};

export interface LlmSettings {
  /**
   * Unset means: a worker started from source (dev/) runs the offline stand-in model (dev/llm/offline-model.ts) on
   * 127.0.0.1; the production worker refuses to start (requireModelKey).
   */
  apiKey?: string;
  /** LLM_ALLOW_OFFLINE=true: a worker from source (dev/) for a real Lark app may answer with the offline stand-in (see checkModel). */
  allowOffline?: boolean;
  /** Messages API base URL; unset means the SDK default (https://api.anthropic.com). */
  baseUrl?: string;
  model: string;
  /** max_tokens of one agent step. */
  maxTokens: number;
  /** One HTTP attempt's timeout; Temporal retries, the SDK does not. */
  requestTimeoutMs: number;
  /** Streamed answers: at least this long between two text updates of one card (Lark allows 10 a second). */
  streamIntervalMs?: number;
}

/** Working time that find-a-time proposes, read in each person's own zone. Minutes after local midnight. */
export interface SchedulingConfig {
  workStartMin: number;
  workEndMin: number;
  /** 0 = Sunday ... 6 = Saturday. */
  workDays: number[];
  /** No meetings proposed over lunch; undefined with LUNCH=none. */
  lunch?: { startMin: number; endMin: number };
  /**
   * IANA zone per person, keyed by lower-case e-mail or open_id. Lark's Contact v3 user has no time-zone
   * field, so the directory cannot tell; people not listed work in the requesting user's zone.
   */
  timezones: Record<string, string>;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** WORK_HOURS, WORK_DAYS, LUNCH, WORK_TIMEZONES; each problem is pushed to `problems`. */
export function loadSchedulingConfig(env: Env = process.env, problems: string[] = []): SchedulingConfig {
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const range = (name: string, raw: string): { startMin: number; endMin: number } | undefined => {
    const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(raw);
    const [sh, sm, eh, em] = m ? ([m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number]) : [NaN, NaN, NaN, NaN];
    const startMin = sh * 60 + sm;
    const endMin = eh * 60 + em;
    if (!m || sm > 59 || em > 59 || startMin >= endMin || endMin > 24 * 60) {
      problems.push(`${name} must be a range like 09:00-18:00 (got "${raw}")`);
      return undefined;
    }
    return { startMin, endMin };
  };
  const hours = range('WORK_HOURS', str('WORK_HOURS') ?? '09:00-18:00') ?? { startMin: 540, endMin: 1080 };
  const lunchRaw = str('LUNCH') ?? '12:00-13:30';
  const lunch = /^(none|off|no)$/i.test(lunchRaw) ? undefined : range('LUNCH', lunchRaw);
  const days = new Set<number>();
  const daysRaw = str('WORK_DAYS') ?? 'Mon-Fri';
  for (const part of daysRaw.split(',').map((p) => p.trim().toLowerCase().slice(0, 7))) {
    const [a, b] = part.split('-').map((x) => DAY_NAMES.indexOf(x.trim().slice(0, 3)));
    if (a === undefined || a < 0 || (b !== undefined && b < 0)) {
      problems.push(`WORK_DAYS must list days like Mon-Fri or Mon,Tue,Thu (got "${daysRaw}")`);
      break;
    }
    // Mon-Fri, or a range over the weekend such as Sun-Thu.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (b === undefined || d === b) break;
    }
  }
  const timezones: Record<string, string> = {};
  for (const pair of (str('WORK_TIMEZONES') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [who, zone] = pair.split('=').map((x) => x?.trim() ?? '');
    if (!who || !zone || !isValidTimeZone(zone)) {
      problems.push(`WORK_TIMEZONES must be e-mail=IANA zone pairs like alice@example.com=Europe/Berlin (got "${pair}")`);
      continue;
    }
    timezones[who.toLowerCase()] = zone;
  }
  return { workStartMin: hours.startMin, workEndMin: hours.endMin, workDays: [...days].sort(), ...(lunch ? { lunch } : {}), timezones };
}

/** A current Sonnet-class model (claude-sonnet-4-5 is deprecated in the SDK's list). */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

const BRAND_BASE_URL: Record<LarkBrand, string> = {
  lark: 'https://open.larksuite.com',
  feishu: 'https://open.feishu.cn',
};

type Env = Record<string, string | undefined>;

/**
 * `sandbox`: the local run (dev/main.ts). Without a Lark app the emulator supplies the app's credentials after
 * loading: a long-connection mode is not refused for lack of LARK_APP_ID. A payload key PAYLOAD_ENCRYPTION_KEYS
 * does not give is generated into DATA_DIR (dev/local-run.ts), so CODEC_AUTH_TOKEN does not need it set.
 * Streamed answers (LARK_STREAM_ANSWERS) default to on there.
 */
export function loadConfig(env: Env = process.env, opts: { sandbox?: boolean } = {}): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const url = (name: string): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!/^https?:$|^postgres(ql)?:$/.test(u.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a URL (got "${raw}")`);
      return undefined;
    }
  };

  const brandRaw = (str('LARK_BRAND') ?? 'lark').toLowerCase();
  let brand: LarkBrand = 'lark';
  if (brandRaw === 'lark' || brandRaw === 'feishu') brand = brandRaw;
  else problems.push(`LARK_BRAND must be "lark" or "feishu" (got "${brandRaw}")`);

  const appId = str('LARK_APP_ID');
  const appSecret = str('LARK_APP_SECRET');
  if (appId && !appSecret) problems.push('LARK_APP_SECRET is required when LARK_APP_ID is set');
  if (appSecret && !appId) problems.push('LARK_APP_ID is required when LARK_APP_SECRET is set');

  const encryptKey = str('LARK_ENCRYPT_KEY');
  const verificationToken = str('LARK_VERIFICATION_TOKEN');
  const modeRaw = str('LARK_EVENT_MODE')?.toLowerCase();
  let eventMode: LarkEventMode;
  let eventModeReason: string;
  if (modeRaw !== undefined) {
    eventMode = LARK_EVENT_MODES.includes(modeRaw as LarkEventMode) ? (modeRaw as LarkEventMode) : 'webhook';
    if (eventMode !== modeRaw) problems.push(`LARK_EVENT_MODE must be webhook, websocket or both (got "${modeRaw}")`);
    eventModeReason = `LARK_EVENT_MODE=${eventMode}`;
  } else if (appId && !encryptKey && !verificationToken) {
    eventMode = 'websocket';
    eventModeReason = 'LARK_EVENT_MODE unset and no webhook secrets (LARK_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN): events come over the long connection';
  } else {
    eventMode = 'webhook';
    eventModeReason = appId
      ? 'LARK_EVENT_MODE unset and the webhook secrets are set (a callback URL is configured): events come to /webhook/event'
      : 'LARK_EVENT_MODE unset and no Lark app (LARK_APP_ID): events come to /webhook/event';
  }
  // (An app id without its secret is already named above.)
  if (longConnectionOn(eventMode) && !appId && !opts.sandbox) {
    problems.push(`LARK_EVENT_MODE=${eventMode} needs LARK_APP_ID and LARK_APP_SECRET: the long connection signs in to Lark with them`);
  } else if (longConnectionOn(eventMode) && appId && !LARK_APP_ID_FORMAT.test(appId)) {
    problems.push(`LARK_APP_ID must be cli_ followed by 16 hex digits, as the console shows it, for the long connection (got "${appId.slice(0, 40)}")`);
  }

  const allowRaw = (str('LARK_ALLOW_UNENCRYPTED') ?? 'false').toLowerCase();
  if (allowRaw !== 'true' && allowRaw !== 'false') problems.push(`LARK_ALLOW_UNENCRYPTED must be "true" or "false" (got "${allowRaw}")`);

  const address = str('TEMPORAL_ADDRESS');
  if (address && !/^[\w.-]+:\d{1,5}$/.test(address)) {
    problems.push(`TEMPORAL_ADDRESS must be host:port (got "${address}")`);
  }
  const autoSetupRaw = (str('TEMPORAL_AUTO_SETUP') ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(autoSetupRaw)) problems.push(`TEMPORAL_AUTO_SETUP must be "true" or "false" (got "${autoSetupRaw}")`);
  const defaultTimezone = str('DEFAULT_TIMEZONE') ?? DEFAULT_TIMEZONE;
  if (!isValidTimeZone(defaultTimezone)) {
    problems.push(`DEFAULT_TIMEZONE must be an IANA time zone such as Asia/Ho_Chi_Minh (got "${defaultTimezone}")`);
  }

  const databaseUrl = url('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:/.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');

  const port = int('PORT', 7778, 0, 65535);
  const baseUrlOverride = url('LARK_BASE_URL');
  const tokenKey = str('TOKEN_ENCRYPTION_KEY');
  if (tokenKey && Buffer.from(tokenKey, 'base64').length !== 32) {
    problems.push('TOKEN_ENCRYPTION_KEY must be base64 of 32 bytes (openssl rand -base64 32)');
  }
  const tokenOldKeys = parseTokenOldKeys(str('TOKEN_ENCRYPTION_OLD_KEYS'), tokenKey, problems);
  const baseAppToken = str('LARK_BASE_APP_TOKEN');
  const baseTableId = str('LARK_BASE_TABLE_ID');
  if (Boolean(baseAppToken) !== Boolean(baseTableId)) problems.push('LARK_BASE_APP_TOKEN and LARK_BASE_TABLE_ID must be set together');
  const baseAuditTableId = str('LARK_BASE_AUDIT_TABLE_ID');
  if (baseAuditTableId && !baseAppToken) problems.push('LARK_BASE_AUDIT_TABLE_ID needs LARK_BASE_APP_TOKEN and LARK_BASE_TABLE_ID');
  const stateSecret = str('OAUTH_STATE_SECRET');
  if (stateSecret && stateSecret.length < 16) problems.push('OAUTH_STATE_SECRET must be at least 16 characters');

  const model = str('ANTHROPIC_MODEL') ?? DEFAULT_ANTHROPIC_MODEL;
  if (!/^[\w.:@/-]+$/.test(model)) problems.push(`ANTHROPIC_MODEL must be a model id like ${DEFAULT_ANTHROPIC_MODEL} (got "${model}")`);
  const allowOfflineRaw = (str('LLM_ALLOW_OFFLINE') ?? 'false').toLowerCase();
  if (allowOfflineRaw !== 'true' && allowOfflineRaw !== 'false') problems.push(`LLM_ALLOW_OFFLINE must be "true" or "false" (got "${allowOfflineRaw}")`);
  const llm: LlmSettings = {
    apiKey: str('ANTHROPIC_API_KEY'),
    allowOffline: allowOfflineRaw === 'true',
    baseUrl: url('ANTHROPIC_BASE_URL'),
    model,
    maxTokens: int('ANTHROPIC_MAX_TOKENS', 1024, 16, 64000),
    requestTimeoutMs: int('ANTHROPIC_TIMEOUT_MS', 60000, 1000, 600000),
    // 150 ms is under Lark's 10 updates a second per card with room for the status line's updates.
    streamIntervalMs: int('LARK_STREAM_INTERVAL_MS', 250, 150, 10_000),
  };
  const firstStepLocalRaw = (str('LLM_FIRST_STEP_LOCAL') ?? 'true').toLowerCase();
  if (firstStepLocalRaw !== 'true' && firstStepLocalRaw !== 'false')
    problems.push(`LLM_FIRST_STEP_LOCAL must be "true" or "false" (got "${firstStepLocalRaw}")`);
  // On in the local run (the sandbox shows the answer growing), off elsewhere unless set.
  const streamRaw = (str('LARK_STREAM_ANSWERS') ?? (opts.sandbox ? 'true' : 'false')).toLowerCase();
  if (streamRaw !== 'true' && streamRaw !== 'false') problems.push(`LARK_STREAM_ANSWERS must be "true" or "false" (got "${streamRaw}")`);
  const payloadKeysRaw = str('PAYLOAD_ENCRYPTION_KEYS');
  const payloadKeys = payloadKeysRaw ? parsePayloadKeys(payloadKeysRaw) : undefined;
  if (payloadKeys) problems.push(...payloadKeys.problems);
  const payloadAllowRaw = (str('PAYLOAD_ALLOW_UNENCRYPTED') ?? 'false').toLowerCase();
  if (payloadAllowRaw !== 'true' && payloadAllowRaw !== 'false')
    problems.push(`PAYLOAD_ALLOW_UNENCRYPTED must be "true" or "false" (got "${payloadAllowRaw}")`);
  const codecAuthToken = str('CODEC_AUTH_TOKEN');
  if (codecAuthToken && codecAuthToken.length < 16) problems.push('CODEC_AUTH_TOKEN must be at least 16 characters');
  // The local run generates a key when none is given, unless told to run without.
  if (codecAuthToken && !payloadKeysRaw && (!opts.sandbox || payloadAllowRaw === 'true')) {
    problems.push('CODEC_AUTH_TOKEN needs PAYLOAD_ENCRYPTION_KEYS (the codec endpoint decodes with them)');
  }
  const codecCorsOrigins = (str('CODEC_CORS_ORIGINS') ?? 'http://localhost:8233').split(/[\s,]+/).filter(Boolean);
  for (const o of codecCorsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) problems.push(`CODEC_CORS_ORIGINS must list origins like http://localhost:8233 (got "${o}")`);
  }
  const metricsAuthToken = str('METRICS_AUTH_TOKEN');
  if (metricsAuthToken && metricsAuthToken.length < 16) problems.push('METRICS_AUTH_TOKEN must be at least 16 characters');
  const temporalMetricsPort = str('TEMPORAL_METRICS_PORT') === undefined ? undefined : int('TEMPORAL_METRICS_PORT', 0, 1, 65535);

  const scheduling = loadSchedulingConfig(env, problems);

  const config: Config = {
    port,
    host: str('HOST') ?? '0.0.0.0',
    sandboxPort: int('SANDBOX_PORT', 7790, 0, 65535),
    logLevel: str('LOG_LEVEL') ?? 'info',
    dataDir: path.resolve(str('DATA_DIR') ?? '.data'),
    lark: {
      appId,
      appSecret,
      encryptKey,
      verificationToken,
      allowUnencrypted: allowRaw === 'true',
      brand,
      baseUrl: baseUrlOverride ?? BRAND_BASE_URL[brand],
      requestTimeoutMs: int('LARK_REQUEST_TIMEOUT_MS', 10000, 100, 120000),
      eventMode,
      eventModeExplicit: modeRaw !== undefined,
      eventModeReason,
    },
    longConnection: {
      maxDownMs: int('LARK_WS_MAX_DOWN_SECONDS', 300, 5, 86400) * 1000,
      pingTimeoutSeconds: int('LARK_WS_PING_TIMEOUT_SECONDS', 30, 0, 600),
    },
    webhook: {
      maxBodyBytes: int('WEBHOOK_MAX_BODY_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
      timestampToleranceSeconds: int('WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS', 300, 1, 86400),
      startTimeoutMs: int('WEBHOOK_START_TIMEOUT_MS', 2000, 100, 60000),
      trustProxyHops: int('TRUST_PROXY_HOPS', 0, 0, 10),
      oauthCallbackLimit: {
        ip: { burst: int('OAUTH_CALLBACK_IP_BURST', 10, 1, 100_000), perMinute: int('OAUTH_CALLBACK_IP_PER_MINUTE', 20, 0, 1_000_000) },
        total: { burst: int('OAUTH_CALLBACK_TOTAL_BURST', 100, 1, 1_000_000), perMinute: int('OAUTH_CALLBACK_TOTAL_PER_MINUTE', 1200, 0, 10_000_000) },
      },
      cardClickLimit: { burst: int('CARD_CLICK_USER_BURST', 10, 1, 10_000), perMinute: int('CARD_CLICK_USER_PER_MINUTE', 30, 0, 100_000) },
    },
    intake: {
      userLimit: { burst: int('INTAKE_USER_BURST', 20, 1, 1_000_000), perMinute: int('INTAKE_USER_PER_MINUTE', 30, 0, 1_000_000) },
    },
    temporal: {
      address,
      namespace: str('TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: str('TEMPORAL_TASK_QUEUE') ?? 'lark-agent',
      cliPath: str('TEMPORAL_CLI_PATH'),
      devPort: int('TEMPORAL_DEV_PORT', 7233, 1, 65535),
      uiPort: int('TEMPORAL_UI_PORT', 8233, 1, 65535),
      autoSetup: autoSetupRaw !== 'false',
      maxCachedWorkflows: int('WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS, 0, 100_000),
    },
    databaseUrl,
    user: {
      dedupWindow: int('USER_DEDUP_WINDOW', 1000, 10, 100000),
      authWaitTimeoutMs: int('AUTH_WAIT_TIMEOUT_SECONDS', 86400, 1, 30 * 86400) * 1000,
      authRecheckMs: int('AUTH_RECHECK_SECONDS', 300, 1, 86400) * 1000,
      confirmTimeoutMs: int('CONFIRM_TIMEOUT_SECONDS', 900, 5, 7 * 86400) * 1000,
      stepCap: int('AGENT_STEP_CAP', 8, 1, 50),
      historyEventCap: int('USER_HISTORY_EVENT_CAP', 5000, 20, 40000),
      maxMessageAgeMs: int('MESSAGE_MAX_AGE_SECONDS', 1800, 10, 30 * 86400) * 1000,
      loginCardIntervalMs: int('LOGIN_CARD_MIN_INTERVAL_SECONDS', 60, 1, 3600) * 1000,
      statusAfterMs: int('STATUS_MESSAGE_AFTER_MS', 1500, 0, 600_000),
      streamAnswers: streamRaw === 'true',
      firstStepLocal: firstStepLocalRaw === 'true',
      undoValidMs: int('UNDO_VALID_SECONDS', 86400, 1, 7 * 86400) * 1000,
      timezone: defaultTimezone,
      audit: Boolean(baseAppToken && baseTableId && baseAuditTableId),
      turnLog: Boolean(baseAppToken && baseTableId),
    },
    base:
      baseAppToken && baseTableId
        ? { appToken: baseAppToken, tableId: baseTableId, ...(baseAuditTableId ? { auditTableId: baseAuditTableId } : {}) }
        : undefined,
    oauth: {
      authorizeUrl: baseUrlOverride ? `${baseUrlOverride}/open-apis/authen/v1/authorize` : BRAND_AUTHORIZE_URL[brand],
      redirectUri: url('LARK_OAUTH_REDIRECT_URI') ?? `http://localhost:${port || 7778}/oauth/callback`,
      scopes: (str('LARK_OAUTH_SCOPES') ?? DEFAULT_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean),
      stateSecret,
      stateTtlMs: int('OAUTH_STATE_TTL_SECONDS', 900, 30, 86400) * 1000,
      tokenEncryptionKey: tokenKey,
      tokenEncryptionOldKeys: tokenOldKeys,
    },
    llm,
    scheduling,
    reminders: {
      maxActive: int('REMINDER_MAX_ACTIVE', 100, 1, 10000),
      settings: {
        lateAfterMs: int('REMINDER_LATE_AFTER_SECONDS', 180, 1, 86400) * 1000,
        clickWindowMs: int('REMINDER_CLICK_WINDOW_SECONDS', 86400, 10, 30 * 86400) * 1000,
        authWaitMs: int('REMINDER_AUTH_WAIT_SECONDS', int('AUTH_WAIT_TIMEOUT_SECONDS', 86400, 1, 30 * 86400), 1, 30 * 86400) * 1000,
        authRecheckMs: int('REMINDER_AUTH_RECHECK_SECONDS', int('AUTH_RECHECK_SECONDS', 300, 1, 86400), 1, 86400) * 1000,
        eventCheckMs: int('REMINDER_EVENT_CHECK_MINUTES', 30, 1, 1440) * 60_000,
        urgentAfterMs: int('REMINDER_URGENT_AFTER_SECONDS', 600, 1, 86400) * 1000,
        fireRetryForMs: 24 * 3600_000,
      },
    },
    privacy: { payloadKeys: payloadKeys?.keys, allowUnencrypted: payloadAllowRaw === 'true', codecAuthToken, codecCorsOrigins, localUiOrigins: [] },
    metrics: {
      authToken: metricsAuthToken,
      temporalPort: temporalMetricsPort,
      workerPort: str('WORKER_METRICS_PORT') === undefined ? undefined : int('WORKER_METRICS_PORT', 0, 1, 65535),
    },
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${config.logLevel}")`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** For processes that cannot run without a value the local main command would otherwise provide. */
export function requireSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new ConfigError([`${name} is required for this process`]);
  return value;
}

/** A start-up refusal: one line naming what is missing, printed as is by the entry points (exit code 1). */
export class StartupRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupRefusal';
  }
}

/**
 * The Lark secrets a process that faces (or acts for) a real Lark app must have: without the verification
 * token and the Encrypt Key anyone could post a made-up event for any open_id. LARK_ALLOW_UNENCRYPTED=true
 * waives the Encrypt Key only; the caller logs that loudly. Returns the warning to log, if any.
 * With LARK_EVENT_MODE=websocket nothing arrives over HTTP (the webhook's event and card routes are off): events
 * come over the connection the app opened to Lark with its App Secret, and neither secret is needed.
 */
export function checkLarkSecrets(config: Config): { warning?: string } {
  if (!webhookIntakeOn(config.lark.eventMode)) return {};
  const { verificationToken, encryptKey, allowUnencrypted } = config.lark;
  const missing = [...(verificationToken ? [] : ['LARK_VERIFICATION_TOKEN']), ...(encryptKey || allowUnencrypted ? [] : ['LARK_ENCRYPT_KEY'])];
  if (missing.length) {
    throw new StartupRefusal(
      `Refusing to start: ${missing.join(' and ')} must be set for LARK_EVENT_MODE=${config.lark.eventMode} (Lark Developer Console > Events & Callbacks > Encryption Strategy)` +
        (encryptKey || allowUnencrypted ? '' : '; LARK_ALLOW_UNENCRYPTED=true runs without an Encrypt Key, the verification token is still required') +
        (config.lark.eventMode === 'webhook' && config.lark.appId ? '; without a public URL, LARK_EVENT_MODE=websocket needs neither' : ''),
    );
  }
  if (!encryptKey) {
    return {
      warning:
        'LARK_ALLOW_UNENCRYPTED=true: events are NOT signed or encrypted; only the verification token authenticates them and replays are not refused. Set LARK_ENCRYPT_KEY in production.',
    };
  }
  return {};
}

/**
 * A worker that answers a real Lark app's users (Lark's own Open API, not an emulator) needs a real model: without
 * ANTHROPIC_API_KEY it would answer them with the offline stand-in's rules, which only a test or a demo wants.
 * LLM_ALLOW_OFFLINE=true runs it anyway (trying a new app before a key), with a warning. Names the variable, never a key.
 * The stand-in runs from source only (dev/: scripts/start.sh, npm run dev:worker); the production worker has none
 * and also refuses to start without a key (requireModelKey).
 */
export function checkModel(config: Config): { warning?: string } {
  const realLark = Object.values(BRAND_BASE_URL).includes(config.lark.baseUrl);
  if (config.llm.apiKey || !realLark) return {};
  if (config.llm.allowOffline) {
    return {
      warning:
        'LLM_ALLOW_OFFLINE=true: the real Lark app is answered by the offline stand-in model (its fixed rules, not Claude). Set ANTHROPIC_API_KEY for real use.',
    };
  }
  throw new StartupRefusal(
    `Refusing to start: ANTHROPIC_API_KEY must be set for a real Lark app (${config.lark.baseUrl}): without it your users would be answered by the offline stand-in model; LLM_ALLOW_OFFLINE=true runs with it anyway`,
  );
}

/**
 * The production worker (src/worker.ts, dist/ and the image) is built without the offline stand-in model (dev/ is
 * not compiled into it): without ANTHROPIC_API_KEY it has no model, so it refuses to start, whichever Lark it faces
 * and whatever LLM_ALLOW_OFFLINE says. Names the variable, never a key.
 */
export function requireModelKey(config: Config): void {
  if (config.llm.apiKey) return;
  throw new StartupRefusal(
    'Refusing to start: ANTHROPIC_API_KEY must be set: this worker is built without the offline stand-in model, which runs from source only (scripts/start.sh, npm run dev:worker' +
      (config.llm.allowOffline ? ', where LLM_ALLOW_OFFLINE=true lets it answer a real Lark app)' : ')'),
  );
}

/**
 * The webhook and worker processes: Temporal stores every workflow input, signal and activity result (chat text,
 * names, event titles, reminder texts), so they refuse to start without PAYLOAD_ENCRYPTION_KEYS, as they do
 * without TOKEN_ENCRYPTION_KEY. PAYLOAD_ALLOW_UNENCRYPTED=true runs without; the caller logs the warning returned.
 * Names the variable, never a key.
 */
export function checkPayloadEncryption(config: Config): { warning?: string } {
  if (config.privacy.payloadKeys?.length) return {};
  if (config.privacy.allowUnencrypted) {
    return {
      warning: 'PAYLOAD_ALLOW_UNENCRYPTED=true: Temporal stores chat text, names and event titles in clear. Set PAYLOAD_ENCRYPTION_KEYS in production.',
    };
  }
  throw new StartupRefusal(
    'Refusing to start: PAYLOAD_ENCRYPTION_KEYS must be set (keyId:base64key, the key from openssl rand -base64 32; the same in every webhook and worker): without it Temporal stores chat text, names and event titles in clear; PAYLOAD_ALLOW_UNENCRYPTED=true runs without',
  );
}
