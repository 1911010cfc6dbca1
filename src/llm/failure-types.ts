/** LLM failure type names: pure constants, so workflow code can use them in retry policies. */
/** Failure types the workflow can name in a retry policy or match on. */
export const LLM_FAILURE = {
  rateLimited: 'AnthropicRateLimited',
  overloaded: 'AnthropicOverloaded',
  serverError: 'AnthropicServerError',
  connection: 'AnthropicConnectionError',
  badRequest: 'AnthropicBadRequest',
  authentication: 'AnthropicAuthentication',
  permissionDenied: 'AnthropicPermissionDenied',
  notFound: 'AnthropicNotFound',
  rejected: 'AnthropicRequestRejected',
  invalidInput: 'ModelInputRefused',
} as const;

export const NON_RETRYABLE_LLM_FAILURES = [
  LLM_FAILURE.badRequest,
  LLM_FAILURE.authentication,
  LLM_FAILURE.permissionDenied,
  LLM_FAILURE.notFound,
  LLM_FAILURE.rejected,
  LLM_FAILURE.invalidInput,
];

/**
 * A local model step declined for want of room in the worker (activities/llm.ts, LOCAL_MODEL_STEPS): not a model
 * failure; the workflow calls the model as a regular activity instead.
 */
export const LOCAL_STEP_DECLINED = 'LocalModelStepDeclined';
