/** An error that maps to one HTTP answer: a status and a short machine-readable reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A health check's problem described in our own words (names and states only), safe to show on /webhook/health. */
export class HealthProblem extends Error {
  constructor(state: string) {
    super(state);
    this.name = 'HealthProblem';
  }
}
