/** The agent's tools (README "Layout"): the registry, validation, and each family's constants. Pure. */
export * from './registry';
export * from './validate';
export type { ConfirmationFacts, JsonSchema, ToolSpec } from './spec';
export { DEFAULT_EVENT_MINUTES, INVITATION_DAYS, INVITATION_RESPONSES, MAX_FIND_DAYS, MAX_RANGE_DAYS, MAX_SLOTS, type RoomNeed } from './calendar/spec';
