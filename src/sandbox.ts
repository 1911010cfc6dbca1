/** The local run without a Lark app: point the app's Lark settings at the emulator. */
import type { Config } from './config';
import type { LarkEmulator } from './emulator';
import type { SandboxReminderSource } from './emulator/sandbox';
import { formatWhen } from './i18n/dates';
import { describeSchedule, isRecurring } from './reminders/schedule';
import type { ReminderStore } from './reminders/store';

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

/** The side panel's reminders: the app's index, in the words the bot uses. */
export function sandboxReminders(store: ReminderStore, defaultTimezone: string): SandboxReminderSource {
  return async (openId) =>
    (await store.listActive(openId)).map((r) => ({
      text: r.kind === 'agenda' ? 'Daily agenda' : r.text,
      // The calendar beside it is shown in the default zone: a reminder in the user's own zone says which.
      when:
        r.nextFireAtMs !== undefined
          ? formatWhen(r.nextFireAtMs, undefined, r.timezone || defaultTimezone, 'en', Date.now()) + (r.timezone && r.timezone !== defaultTimezone ? ` (${r.timezone})` : '')
          : '',
      ...(isRecurring(r.schedule) ? { repeats: describeSchedule(r.schedule, r.timezone, 'en') } : {}),
    }));
}
