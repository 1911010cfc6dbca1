export { larkEventWorkflow } from './event-workflow';
export { larkUserWorkflow } from './user-workflow';
