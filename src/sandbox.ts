/** The local run without a Lark app: point the app's Lark settings at the emulator. */
import type { Config } from './config';
import type { LarkEmulator } from './emulator';

export function withEmulator(config: Config, emu: LarkEmulator): Config {
  return {
    ...config,
    lark: { ...config.lark, appId: emu.appId, appSecret: emu.appSecret, baseUrl: emu.url },
    oauth: { ...config.oauth, authorizeUrl: `${emu.url}/open-apis/authen/v1/authorize` },
    // The emulator knows where its people work (Lark's directory does not say): WORK_TIMEZONES entries win.
    scheduling: {
      ...config.scheduling,
      timezones: { ...Object.fromEntries(emu.state.users.map((u) => [u.email.toLowerCase(), u.timezone])), ...config.scheduling.timezones },
    },
  };
}
