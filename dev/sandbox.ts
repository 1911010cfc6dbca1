/** The local run without a Lark app: point the app's Lark settings at the emulator. */
import type { Config } from '../src/config';
import type { LarkEmulator } from './emulator';
import type { SandboxReminderSource, SandboxZoneSource } from './emulator/sandbox';
import { formatWhen } from '../src/i18n/dates';
import { describeSchedule, isRecurring } from '../src/reminders/schedule';
import type { ReminderRow, ReminderStore } from '../src/reminders/store';

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

/** Each user's own zone as the bot knows it (set_timezone), else the deployment's default: the side panel's times. */
export function sandboxZones(store: ReminderStore, defaultTimezone: string): SandboxZoneSource {
  return async (openId) => (await store.timezoneOf(openId)) ?? defaultTimezone;
}

/**
 * Next time, or, for one that went off and waits on its card (Snooze or Done), when it went off: never blank
 * (list_reminders says the same). A snooze shows its new time once the reminder's run has indexed it.
 */
function whenOf(r: ReminderRow, zone: string, other: string): string {
  if (r.nextFireAtMs !== undefined) return formatWhen(r.nextFireAtMs, undefined, zone, 'en', Date.now()) + (other && !isRecurring(r.schedule) ? other : '');
  const at = r.lastFiredAtMs ?? (r.schedule.kind === 'once' ? r.schedule.atMs : undefined);
  return at !== undefined ? `went off ${formatWhen(at, undefined, zone, 'en', Date.now())}` : '';
}

/** The side panel's reminders: the app's index, in the words the bot uses, in the user's own zone. */
export function sandboxReminders(store: ReminderStore, defaultTimezone: string): SandboxReminderSource {
  return async (openId) => {
    const zone = (await store.timezoneOf(openId)) ?? defaultTimezone;
    return (await store.listActive(openId)).map((r) => {
      // A reminder that keeps another zone (its repeats are that zone's wall times) names it.
      const other = r.timezone && r.timezone !== zone ? ` (${r.timezone})` : '';
      return {
        text: r.kind === 'agenda' ? 'Daily agenda' : r.text,
        when: whenOf(r, zone, other),
        ...(isRecurring(r.schedule) ? { repeats: describeSchedule(r.schedule, r.timezone, 'en') + other } : {}),
      };
    });
  };
}
