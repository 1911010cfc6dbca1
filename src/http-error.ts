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
