/** Workflow ids readable in the Temporal UI. The event id makes the start idempotent. */
export const eventWorkflowId = (eventId: string): string => `lark-event-${eventId}`;
export const userWorkflowId = (openId: string): string => `lark-user-${openId}`;
