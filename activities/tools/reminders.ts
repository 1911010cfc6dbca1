/**
 * The reminders family's activities: each call goes to the reminder service (activities/reminders.ts,
 * createReminderTools), which keeps reminders, the daily agenda and the user's zone; without it (a deployment
 * without reminders) the tools answer that reminders are off.
 */
import type { ReminderInputs } from '../../src/tools/reminders/spec';
import type { ReminderTools } from '../reminders';
import { ToolInputError } from '../tool-results';
import type { Handlers } from './shared';

export function createReminderToolHandlers(reminders: ReminderTools | undefined): Handlers<ReminderInputs> {
  const reminderTools = (): ReminderTools => {
    if (!reminders) throw new ToolInputError('Reminders are not available in this deployment. Tell the user.');
    return reminders;
  };
  return {
    set_reminder: (input, ctx) => reminderTools().set_reminder(input, ctx),
    list_reminders: (input, ctx) => reminderTools().list_reminders(input, ctx),
    cancel_reminder: (input, ctx) => reminderTools().cancel_reminder(input, ctx),
    daily_agenda: (input, ctx) => reminderTools().daily_agenda(input, ctx),
    set_timezone: (input, ctx) => reminderTools().set_timezone(input, ctx),
  };
}
