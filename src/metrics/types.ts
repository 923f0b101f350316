/**
 * What the service reports to Prometheus, as one small interface the rest of the code calls. The prom-client
 * implementation (./prometheus.ts) registers the metrics once per process; NO_METRICS is the default when no
 * metrics listener is configured, so instrumented code never checks whether metrics are on.
 */

export type PrefetchResult = 'prefetch' | 'prefetch-null' | 'fetched' | 'missing';
export type StateComponent = 'store' | 'outbox' | 'redis';

export interface Metrics {
  /** One HTTP request finished: route ("service", "feedback", "discovery", "health", "rules", "admin", "other"), service id or "", status, seconds. */
  requestObserved(labels: { route: string; service: string; status: number }, seconds: number): void;
  /** Cards returned by a service call. */
  cardsIssued(serviceId: string, cards: ReadonlyArray<{ ruleId: string; indicator: string }>): void;
  /** Feedback items stored, by the rule of the card they are about ("unknown" when the card is not known). */
  feedbackRecorded(items: ReadonlyArray<{ ruleId: string; outcome: string }>): void;
  /** How each prefetch key of a service call was satisfied. */
  prefetchKey(key: string, result: PrefetchResult): void;
  /** A client JWT refused, by reason (e.g. "bad_signature", "replay"). */
  authRejected(reason: string): void;
  /** An error talking to a piece of state (PostgreSQL store, local outbox, Redis). */
  stateError(component: StateComponent): void;
  /** Rows waiting in the local outbox for PostgreSQL. */
  outboxDepth(rows: number): void;
}

/** Metrics off: every call is a no-op. */
export const NO_METRICS: Metrics = {
  requestObserved: () => undefined,
  cardsIssued: () => undefined,
  feedbackRecorded: () => undefined,
  prefetchKey: () => undefined,
  authRejected: () => undefined,
  stateError: () => undefined,
  outboxDepth: () => undefined,
};
