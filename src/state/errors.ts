/**
 * A piece of state the request needs is unavailable (Redis for the replay check or the shared rate limit):
 * the HTTP layer answers 503 with Retry-After and an OperationOutcome, never 200 without the check and never 401.
 */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
  constructor(
    /** What is unavailable, for the log and the OperationOutcome ("replay cache", "rate limiter"). */
    readonly what: string,
    /** Seconds the client should wait before retrying. */
    readonly retryAfterSec = 1,
  ) {
    super(`${what} unavailable`);
  }
}
