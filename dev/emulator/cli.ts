/**
 * Runs the Lark emulator for a person: `npx tsx dev/emulator/cli.ts`.
 * Env: LARK_EMULATOR_PORT (default 7790), LARK_APP_ID / LARK_APP_SECRET (the app's credentials, so
 * the app can use its own config), LARK_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN, and
 * LARK_EMULATOR_WEBHOOK_URL (default http://127.0.0.1:$PORT/webhook/event, PORT defaulting to 7778), and
 * LARK_EMULATOR_SUBSCRIPTION: webhook (default) or long-connection (events and card clicks are pushed over the
 * WebSocket the app opens; run the app with LARK_EVENT_MODE=websocket and LARK_BASE_URL pointing here).
 * Type `lan: hello` on stdin to send a message event from a seeded user.
 */
import { createInterface } from 'node:readline';
import { startLarkEmulator } from './index';

function env(name: string): string | undefined {
  const v = process.env[name]?.trim();
  return v ? v : undefined;
}

async function main(): Promise<void> {
  const port = Number(env('LARK_EMULATOR_PORT') ?? '7790');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('LARK_EMULATOR_PORT must be a port number');
  const secretFromEnv = env('LARK_APP_SECRET');
  const webhookUrl = env('LARK_EMULATOR_WEBHOOK_URL') ?? `http://127.0.0.1:${env('PORT') ?? '7778'}/webhook/event`;
  const via = env('LARK_EMULATOR_SUBSCRIPTION') ?? 'webhook';
  if (via !== 'webhook' && via !== 'long-connection') throw new Error('LARK_EMULATOR_SUBSCRIPTION must be webhook or long-connection');
  const emu = await startLarkEmulator({
    subscription: { events: via, callbacks: via },
    port,
    appId: env('LARK_APP_ID'),
    appSecret: secretFromEnv,
    webhook: { url: webhookUrl, encryptKey: env('LARK_ENCRYPT_KEY'), verificationToken: env('LARK_VERIFICATION_TOKEN') },
  });

  const out = (s = '') => process.stdout.write(s + '\n');
  out(`Lark emulator listening on ${emu.url}  (set LARK_BASE_URL=${emu.url})`);
  out(`  app_id:     ${emu.appId}`);
  // A secret supplied through the environment is never echoed; the built-in sandbox one is.
  out(`  app_secret: ${secretFromEnv ? '(from LARK_APP_SECRET)' : emu.appSecret}`);
  out(`  tenant_key: ${emu.tenantKey}`);
  if (via === 'long-connection') out(`  events:     pushed over the long connection (the app asks ${emu.url}/callback/ws/endpoint)`);
  else out(`  webhook:    ${webhookUrl}${env('LARK_ENCRYPT_KEY') ? ' (encrypted, signed)' : ' (plain)'}`);
  out(`  OAuth page: ${emu.url}/open-apis/authen/v1/authorize?client_id=${emu.appId}&redirect_uri=<your callback>`);
  out('Users:');
  for (const u of emu.state.users) out(`  ${u.key.padEnd(8)} ${u.name.padEnd(18)} ${u.open_id}  ${u.email}`);
  out(`Group chat: ${emu.groupChat.chat_id}`);
  out('Type "<user>: <text>" (e.g. "lan: hello") to send a message event; Ctrl-C to stop.');

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const m = /^\s*(\w+)\s*:\s*(.+)$/.exec(line);
    if (!m) return;
    try {
      const payload = emu.events.message({ from: m[1] as string, text: m[2] as string });
      const d = emu.sendEvent(undefined, payload);
      void d.done.then((a) => out(`  -> delivery ${d.id}: ${a.status ?? a.error} after ${d.attempts.length} attempt(s)`));
    } catch (e) {
      out(`  ! ${(e as Error).message}`);
    }
  });

  const shutdown = () => {
    rl.close();
    void emu.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`lark emulator failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
