export { larkEventWorkflow } from './event-workflow';
export { larkUserWorkflow } from './user-workflow';
export { larkReminderWorkflow } from './reminder-workflow';
