/**
 * The prom-client implementation of `Metrics`. Every metric is registered once per registry; in a cluster each
 * worker registers them in prom-client's global registry (see `workerMetrics()` in ./server.ts) and the primary
 * aggregates them (counters and histograms summed over workers).
 *
 * Metric names (all prefixed `imatinib_cds_`) and their labels:
 *
 * | name | type | labels |
 * |---|---|---|
 * | `imatinib_cds_http_requests_total` | counter | route, service, status |
 * | `imatinib_cds_http_request_duration_seconds` | histogram | route, service, status |
 * | `imatinib_cds_cards_total` | counter | service, rule_id, indicator |
 * | `imatinib_cds_feedback_total` | counter | rule_id, outcome |
 * | `imatinib_cds_prefetch_keys_total` | counter | key, result |
 * | `imatinib_cds_auth_rejections_total` | counter | reason |
 * | `imatinib_cds_state_errors_total` | counter | component |
 * | `imatinib_cds_outbox_rows` | gauge | (none) |
 *
 * plus prom-client's default process metrics (`process_*`, `nodejs_*`, unprefixed as dashboards expect them).
 *
 * **Cardinality bound.** Some label values come from requests (the service id in the URL, prefetch keys, card
 * and feedback data), so each label passes through a bound before it reaches the registry; a value outside
 * the bound becomes a fixed fallback, never the raw string:
 *
 * - `route`: one of service, feedback, discovery, health, other; anything else → "other".
 * - `service`: "" or one of the configured service ids (default: the three services in hooks/); anything else
 *   → "unknown". No client-chosen service id is ever a label value.
 * - `status`: an integer 100–599 as its decimal string (the server chooses it, not the client); else "other".
 * - `indicator`: info, warning, critical; else "other". `outcome`: accepted, overridden; else "other".
 * - `result`: the four PrefetchResult values; else "other". `component`: store, outbox, redis; else "other".
 * - `rule_id`: the rule ids of the clinical catalogue, VERIFICATION_SUMMARY, DATA_INCOMPLETE and "unknown";
 *   `reason`: every AuthFailureReason; `key`: the prefetch keys of hooks/. Each of these three also admits up
 *   to EXTRA_VALUES_PER_LABEL (16) further values per process that match a strict pattern (identifier
 *   characters, at most 48 long), so a rule or reason added later still shows up; beyond that, or not
 *   matching, → "other".
 *
 * So per process: requests ≤ 5 routes × (services + 2) × 501 statuses (in practice about 15 statuses), cards ≤
 * (services + 2) × 37 × 4, feedback ≤ 37 × 3, prefetch keys ≤ (keys + 17) × 5, auth ≤ (22 + 17), state ≤ 4
 * series; across a cluster the extra values can differ per worker, so multiply the extras by the worker count.
 *
 * The methods never throw (instrumented code must not fail a request because of metrics): a non-finite or
 * negative duration is counted in the request counter but not observed in the histogram, and a non-finite or
 * negative outbox depth is ignored.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RULE_IDS } from '../clinical/rules/types';
import type { AuthFailureReason } from '../auth/types';
import type { Metrics, PrefetchResult, StateComponent } from './types';

export const METRIC_PREFIX = 'imatinib_cds_';

/** Latency buckets (seconds): dense over 1–500 ms where the service answers, a few above for FHIR fetches (2 s budget). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The services defined in hooks/*.json (a unit test keeps this list in step with the directory). */
export const DEFAULT_SERVICE_IDS: readonly string[] = ['imatinib-order-select', 'imatinib-order-sign', 'imatinib-pharmacy-verify'];

/** The prefetch keys used by hooks/*.json (a unit test keeps this list in step with the directory). */
export const DEFAULT_PREFETCH_KEYS: readonly string[] = ['patient', 'conditions', 'genomics', 'diseaseStatus', 'staging', 'labs', 'pregnancy', 'medicationRequests', 'medicationStatements'];

export const ROUTES = ['service', 'feedback', 'discovery', 'health', 'other'] as const;
export const INDICATORS = ['info', 'warning', 'critical'] as const;
export const OUTCOMES = ['accepted', 'overridden'] as const;
export const PREFETCH_RESULTS = ['prefetch', 'prefetch-null', 'fetched', 'missing'] as const satisfies readonly PrefetchResult[];
export const STATE_COMPONENTS = ['store', 'outbox', 'redis'] as const satisfies readonly StateComponent[];

/** Card codes that are not catalogue rules (src/clinical/verification.ts, src/clinical/incomplete.ts). */
export const NON_RULE_CARD_CODES = ['VERIFICATION_SUMMARY', 'DATA_INCOMPLETE'] as const;

export const AUTH_REASONS = [
  'missing_authorization',
  'not_bearer',
  'malformed_token',
  'alg_not_allowed',
  'bad_typ',
  'unsupported_crit',
  'missing_kid',
  'unknown_iss',
  'unknown_kid',
  'jku_not_allowed',
  'jwks_unavailable',
  'key_alg_mismatch',
  'bad_signature',
  'bad_claims',
  'wrong_aud',
  'expired',
  'iat_in_future',
  'not_yet_valid',
  'lifetime_too_long',
  'tenant_not_allowed',
  'replayed_jti',
  'internal_error',
] as const satisfies readonly AuthFailureReason[];

/** Values admitted beyond an allow-list (per label, per process) when they match the label's pattern. */
export const EXTRA_VALUES_PER_LABEL = 16;

/** The value every out-of-bound label value becomes (service ids use "unknown"). */
export const OTHER = 'other';

/**
 * Maps a raw value to a bounded label value: allow-listed values pass; others matching `pattern` pass while
 * fewer than `extras` such values have been seen; everything else becomes `fallback`.
 */
export class LabelBound {
  private readonly allowed: ReadonlySet<string>;
  private readonly seenExtra = new Set<string>();

  constructor(
    allowed: Iterable<string>,
    private readonly fallback: string,
    private readonly pattern?: RegExp,
    private readonly extras = 0,
  ) {
    this.allowed = new Set(allowed);
  }

  value(raw: unknown): string {
    if (typeof raw !== 'string') return this.fallback;
    if (this.allowed.has(raw)) return raw;
    if (!this.pattern || !this.pattern.test(raw)) return this.fallback;
    if (this.seenExtra.has(raw)) return raw;
    if (this.seenExtra.size >= this.extras) return this.fallback;
    this.seenExtra.add(raw);
    return raw;
  }
}

function statusLabel(status: unknown): string {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER;
}

export interface PrometheusMetricsOptions {
  /** Service ids admitted as `service` label values (default DEFAULT_SERVICE_IDS); others become "unknown". */
  serviceIds?: readonly string[];
  /** Prefetch keys admitted as `key` label values besides the pattern-bounded extras (default DEFAULT_PREFETCH_KEYS). */
  prefetchKeys?: readonly string[];
  /** Register prom-client's default process metrics in the registry (default true). Once per registry. */
  defaultMetrics?: boolean;
}

/**
 * Registers the service's metrics (and, unless disabled, the default process metrics) in `registry` (a new
 * Registry when omitted) and returns the Metrics that update them. Call once per registry: registering the
 * same names twice in one registry throws.
 */
export function createPrometheusMetrics(registry: Registry = new Registry(), options: PrometheusMetricsOptions = {}): { metrics: Metrics; registry: Registry } {
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const registers = [registry];
  const requests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by route, service id and status code.',
    labelNames: ['route', 'service', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, in seconds, by route, service id and status code.',
    labelNames: ['route', 'service', 'status'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const cards = new Counter({
    name: `${METRIC_PREFIX}cards_total`,
    help: 'CDS cards returned, by service id, rule id and indicator.',
    labelNames: ['service', 'rule_id', 'indicator'] as const,
    registers,
  });
  const feedback = new Counter({
    name: `${METRIC_PREFIX}feedback_total`,
    help: 'Card feedback items stored, by the rule id of the card ("unknown" when the card is not known) and outcome.',
    labelNames: ['rule_id', 'outcome'] as const,
    registers,
  });
  const prefetch = new Counter({
    name: `${METRIC_PREFIX}prefetch_keys_total`,
    help: 'Prefetch keys of service calls, by key and how each was satisfied (prefetch, prefetch-null, fetched, missing).',
    labelNames: ['key', 'result'] as const,
    registers,
  });
  const authRejections = new Counter({
    name: `${METRIC_PREFIX}auth_rejections_total`,
    help: 'Client JWTs refused, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const stateErrors = new Counter({
    name: `${METRIC_PREFIX}state_errors_total`,
    help: 'Errors talking to a piece of state, by component (store, outbox, redis).',
    labelNames: ['component'] as const,
    registers,
  });
  const outbox = new Gauge({
    name: `${METRIC_PREFIX}outbox_rows`,
    help: 'Rows waiting in the local outbox for PostgreSQL.',
    registers,
    // Workers of one instance share one outbox file, so each reports the same depth: the cluster view takes
    // the largest report instead of summing them.
    aggregator: 'max',
  });

  const route = new LabelBound(ROUTES, OTHER);
  const service = new LabelBound(['', ...(options.serviceIds ?? DEFAULT_SERVICE_IDS)], 'unknown');
  const ruleId = new LabelBound([...RULE_IDS, ...NON_RULE_CARD_CODES, 'unknown'], OTHER, /^[A-Z][A-Z0-9_]{0,47}$/, EXTRA_VALUES_PER_LABEL);
  const indicator = new LabelBound(INDICATORS, OTHER);
  const outcome = new LabelBound(OUTCOMES, OTHER);
  const prefetchKey = new LabelBound(options.prefetchKeys ?? DEFAULT_PREFETCH_KEYS, OTHER, /^[A-Za-z][A-Za-z0-9_-]{0,47}$/, EXTRA_VALUES_PER_LABEL);
  const prefetchResult = new LabelBound(PREFETCH_RESULTS, OTHER);
  const reason = new LabelBound(AUTH_REASONS, OTHER, /^[a-z][a-z0-9_]{0,47}$/, EXTRA_VALUES_PER_LABEL);
  const component = new LabelBound(STATE_COMPONENTS, OTHER);

  const metrics: Metrics = {
    requestObserved(labels, seconds) {
      const l = { route: route.value(labels.route), service: service.value(labels.service), status: statusLabel(labels.status) };
      requests.inc(l);
      if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) duration.observe(l, seconds);
    },
    cardsIssued(serviceId, issued) {
      const s = service.value(serviceId);
      for (const card of issued) cards.inc({ service: s, rule_id: ruleId.value(card.ruleId), indicator: indicator.value(card.indicator) });
    },
    feedbackRecorded(items) {
      for (const item of items) feedback.inc({ rule_id: ruleId.value(item.ruleId), outcome: outcome.value(item.outcome) });
    },
    prefetchKey(key, result) {
      prefetch.inc({ key: prefetchKey.value(key), result: prefetchResult.value(result) });
    },
    authRejected(r) {
      authRejections.inc({ reason: reason.value(r) });
    },
    stateError(c) {
      stateErrors.inc({ component: component.value(c) });
    },
    outboxDepth(rows) {
      if (typeof rows === 'number' && Number.isFinite(rows) && rows >= 0) outbox.set(rows);
    },
  };
  return { metrics, registry };
}
