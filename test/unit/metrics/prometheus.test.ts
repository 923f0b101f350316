/** The prom-client Metrics: names, types, labels and values, and the bound on label cardinality. */
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { DATA_INCOMPLETE_CODE } from '../../../src/clinical/incomplete';
import { VERIFICATION_SUMMARY_CODE } from '../../../src/clinical/verification';
import {
  AUTH_REASONS,
  createPrometheusMetrics,
  DEFAULT_PREFETCH_KEYS,
  DEFAULT_SERVICE_IDS,
  EXTRA_VALUES_PER_LABEL,
  LATENCY_BUCKETS_SECONDS,
  NON_RULE_CARD_CODES,
} from '../../../src/metrics/prometheus';
import type { Metrics } from '../../../src/metrics/types';
import { sample } from '../../fixtures/metrics/http';

const SIGN = 'imatinib-order-sign';

function fresh(options: Parameters<typeof createPrometheusMetrics>[1] = {}): { metrics: Metrics; registry: Registry } {
  return createPrometheusMetrics(new Registry(), { defaultMetrics: false, ...options });
}

/** Every series (label set) of one metric, as label objects, with values. */
async function series(registry: Registry, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return metric.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe('createPrometheusMetrics', () => {
  it('registers every metric with its Prometheus name and type', async () => {
    const { registry } = fresh();
    const text = await registry.metrics();
    const types = Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(types).toEqual({
      imatinib_cds_http_requests_total: 'counter',
      imatinib_cds_http_request_duration_seconds: 'histogram',
      imatinib_cds_cards_total: 'counter',
      imatinib_cds_feedback_total: 'counter',
      imatinib_cds_prefetch_keys_total: 'counter',
      imatinib_cds_auth_rejections_total: 'counter',
      imatinib_cds_state_errors_total: 'counter',
      imatinib_cds_outbox_rows: 'gauge',
    });
  });

  it('counts requests and observes their latency by route, service and status', async () => {
    const { metrics, registry } = fresh();
    metrics.requestObserved({ route: 'service', service: SIGN, status: 200 }, 0.003);
    metrics.requestObserved({ route: 'service', service: SIGN, status: 200 }, 0.2);
    metrics.requestObserved({ route: 'discovery', service: '', status: 200 }, 0.0005);
    metrics.requestObserved({ route: 'service', service: SIGN, status: 412 }, 0.04);
    const text = await registry.metrics();
    const l = `route="service",service="${SIGN}",status="200"`;
    expect(sample(text, `imatinib_cds_http_requests_total{${l}}`)).toBe(2);
    expect(sample(text, `imatinib_cds_http_requests_total{route="service",service="${SIGN}",status="412"}`)).toBe(1);
    expect(sample(text, 'imatinib_cds_http_requests_total{route="discovery",service="",status="200"}')).toBe(1);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_bucket{le="0.0025",${l}}`)).toBe(0);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_bucket{le="0.005",${l}}`)).toBe(1);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_bucket{le="0.1",${l}}`)).toBe(1);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_bucket{le="0.25",${l}}`)).toBe(2);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_bucket{le="+Inf",${l}}`)).toBe(2);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_count{${l}}`)).toBe(2);
    expect(sample(text, `imatinib_cds_http_request_duration_seconds_sum{${l}}`)).toBeCloseTo(0.203, 9);
    const les = [...text.matchAll(new RegExp(`^imatinib_cds_http_request_duration_seconds_bucket\\{le="([^"]+)",${l}\\}`, 'gm'))].map((m) => m[1]);
    expect(les).toEqual([...LATENCY_BUCKETS_SECONDS.map(String), '+Inf']);
  });

  it('latency buckets resolve 1–500 ms', () => {
    const inRange = LATENCY_BUCKETS_SECONDS.filter((b) => b >= 0.001 && b <= 0.5);
    expect(inRange.length).toBeGreaterThanOrEqual(8);
    expect([...LATENCY_BUCKETS_SECONDS].sort((a, b) => a - b)).toEqual(LATENCY_BUCKETS_SECONDS);
  });

  it('counts cards, feedback, prefetch keys, auth rejections and state errors; sets the outbox depth', async () => {
    const { metrics, registry } = fresh();
    metrics.cardsIssued(SIGN, [
      { ruleId: 'PREGNANCY', indicator: 'critical' },
      { ruleId: 'EXON9_HIGH_DOSE', indicator: 'warning' },
      { ruleId: 'PREGNANCY', indicator: 'critical' },
    ]);
    metrics.cardsIssued('imatinib-pharmacy-verify', [{ ruleId: 'VERIFICATION_SUMMARY', indicator: 'info' }]);
    metrics.cardsIssued(SIGN, []);
    metrics.feedbackRecorded([
      { ruleId: 'PREGNANCY', outcome: 'overridden' },
      { ruleId: 'unknown', outcome: 'accepted' },
    ]);
    metrics.prefetchKey('labs', 'fetched');
    metrics.prefetchKey('labs', 'fetched');
    metrics.prefetchKey('patient', 'prefetch-null');
    metrics.authRejected('replayed_jti');
    metrics.authRejected('bad_signature');
    metrics.authRejected('bad_signature');
    metrics.stateError('redis');
    metrics.outboxDepth(7);
    metrics.outboxDepth(3);
    const text = await registry.metrics();
    expect(sample(text, `imatinib_cds_cards_total{service="${SIGN}",rule_id="PREGNANCY",indicator="critical"}`)).toBe(2);
    expect(sample(text, `imatinib_cds_cards_total{service="${SIGN}",rule_id="EXON9_HIGH_DOSE",indicator="warning"}`)).toBe(1);
    expect(sample(text, 'imatinib_cds_cards_total{service="imatinib-pharmacy-verify",rule_id="VERIFICATION_SUMMARY",indicator="info"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_feedback_total{rule_id="PREGNANCY",outcome="overridden"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_feedback_total{rule_id="unknown",outcome="accepted"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_prefetch_keys_total{key="labs",result="fetched"}')).toBe(2);
    expect(sample(text, 'imatinib_cds_prefetch_keys_total{key="patient",result="prefetch-null"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_auth_rejections_total{reason="bad_signature"}')).toBe(2);
    expect(sample(text, 'imatinib_cds_auth_rejections_total{reason="replayed_jti"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_state_errors_total{component="redis"}')).toBe(1);
    expect(sample(text, 'imatinib_cds_outbox_rows')).toBe(3);
  });

  it('registers the default process metrics unless told not to', async () => {
    const withDefaults = createPrometheusMetrics(new Registry());
    const text = await withDefaults.registry.metrics();
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
    expect(await fresh().registry.metrics()).not.toMatch(/process_cpu_user_seconds_total/);
  });

  it('uses a registry of its own when none is given, so two instances do not collide', async () => {
    const a = createPrometheusMetrics(undefined, { defaultMetrics: false });
    const b = createPrometheusMetrics(undefined, { defaultMetrics: false });
    expect(a.registry).not.toBe(b.registry);
    a.metrics.stateError('store');
    expect(sample(await a.registry.metrics(), 'imatinib_cds_state_errors_total{component="store"}')).toBe(1);
    expect(sample(await b.registry.metrics(), 'imatinib_cds_state_errors_total{component="store"}')).toBeUndefined();
  });

  it('never throws on bad numbers: a bad duration is counted but not observed, a bad depth is ignored', async () => {
    const { metrics, registry } = fresh();
    const labels = { route: 'health', service: '', status: 200 };
    expect(() => {
      metrics.requestObserved(labels, Number.NaN);
      metrics.requestObserved(labels, -1);
      metrics.requestObserved(labels, Number.POSITIVE_INFINITY);
      metrics.outboxDepth(5);
      metrics.outboxDepth(Number.NaN);
      metrics.outboxDepth(-2);
    }).not.toThrow();
    const text = await registry.metrics();
    expect(sample(text, 'imatinib_cds_http_requests_total{route="health",service="",status="200"}')).toBe(3);
    expect(sample(text, 'imatinib_cds_http_request_duration_seconds_count{route="health",service="",status="200"}')).toBeUndefined();
    expect(sample(text, 'imatinib_cds_outbox_rows')).toBe(5);
  });
});

describe('label cardinality bound', () => {
  it('collapses unknown service ids to "unknown", whatever a client puts in the URL', async () => {
    const { metrics, registry } = fresh();
    for (let i = 0; i < 500; i++) {
      metrics.requestObserved({ route: 'service', service: `evil-${i}`, status: 404 }, 0.001);
      metrics.cardsIssued(`x${i}`, [{ ruleId: 'PREGNANCY', indicator: 'critical' }]);
    }
    metrics.requestObserved({ route: 'service', service: '../../etc/passwd', status: 404 }, 0.001);
    metrics.requestObserved({ route: 'service', service: SIGN.toUpperCase(), status: 404 }, 0.001);
    const req = await series(registry, 'imatinib_cds_http_requests_total');
    expect(req).toEqual([{ labels: { route: 'service', service: 'unknown', status: '404' }, value: 502 }]);
    expect(await series(registry, 'imatinib_cds_cards_total')).toEqual([{ labels: { service: 'unknown', rule_id: 'PREGNANCY', indicator: 'critical' }, value: 500 }]);
  });

  it('admits the configured service ids instead of the defaults', async () => {
    const { metrics, registry } = fresh({ serviceIds: ['svc-a'] });
    metrics.requestObserved({ route: 'service', service: 'svc-a', status: 200 }, 0.001);
    metrics.requestObserved({ route: 'service', service: SIGN, status: 200 }, 0.001);
    expect((await series(registry, 'imatinib_cds_http_requests_total')).map((s) => s.labels.service).sort()).toEqual(['svc-a', 'unknown']);
  });

  it('maps routes, statuses, indicators, outcomes, results and components outside their sets to "other"', async () => {
    const { metrics, registry } = fresh();
    metrics.requestObserved({ route: '/cds-services/x', service: '', status: 999 }, 0.001);
    metrics.requestObserved({ route: 'feedback', service: '', status: 200.5 }, 0.001);
    metrics.requestObserved({ route: 'health', service: '', status: 42 }, 0.001);
    metrics.cardsIssued(SIGN, [{ ruleId: 'PREGNANCY', indicator: 'hard-stop' }]);
    metrics.feedbackRecorded([{ ruleId: 'PREGNANCY', outcome: 'ignored <script>' }]);
    metrics.prefetchKey('labs', 'cached' as never);
    metrics.stateError('disk' as never);
    expect((await series(registry, 'imatinib_cds_http_requests_total')).map((s) => s.labels)).toEqual([
      { route: 'other', service: '', status: 'other' },
      { route: 'feedback', service: '', status: 'other' },
      { route: 'health', service: '', status: 'other' },
    ]);
    expect((await series(registry, 'imatinib_cds_cards_total'))[0]?.labels.indicator).toBe('other');
    expect((await series(registry, 'imatinib_cds_feedback_total'))[0]?.labels.outcome).toBe('other');
    expect((await series(registry, 'imatinib_cds_prefetch_keys_total'))[0]?.labels.result).toBe('other');
    expect((await series(registry, 'imatinib_cds_state_errors_total'))[0]?.labels.component).toBe('other');
  });

  it('admits a bounded number of unlisted rule ids, reasons and prefetch keys, and only well-formed ones', async () => {
    const { metrics, registry } = fresh();
    for (let i = 0; i < 200; i++) {
      metrics.feedbackRecorded([{ ruleId: `NEW_RULE_${i}`, outcome: 'accepted' }]);
      metrics.authRejected(`new_reason_${i}`);
      metrics.prefetchKey(`key${i}`, 'missing');
    }
    // Not well-formed: spaces, punctuation, lower/upper case mixed up, too long, not a string.
    for (const bad of ['jwt malformed', 'a'.repeat(49), 'Bad-Reason', '', '<script>']) metrics.authRejected(bad);
    metrics.feedbackRecorded([{ ruleId: 'pregnancy', outcome: 'accepted' }, { ruleId: 'A'.repeat(49), outcome: 'accepted' }, { ruleId: 42 as never, outcome: 'accepted' }]);
    metrics.prefetchKey('{{context.patientId}}', 'missing');
    metrics.prefetchKey('labs', 'missing');

    const feedback = await series(registry, 'imatinib_cds_feedback_total');
    expect(feedback).toHaveLength(EXTRA_VALUES_PER_LABEL + 1);
    expect(feedback.find((s) => s.labels.rule_id === 'other')?.value).toBe(200 - EXTRA_VALUES_PER_LABEL + 3);
    expect(feedback.filter((s) => s.labels.rule_id !== 'other').every((s) => /^NEW_RULE_\d+$/.test(String(s.labels.rule_id)) && s.value === 1)).toBe(true);

    const auth = await series(registry, 'imatinib_cds_auth_rejections_total');
    expect(auth).toHaveLength(EXTRA_VALUES_PER_LABEL + 1);
    expect(auth.find((s) => s.labels.reason === 'other')?.value).toBe(200 - EXTRA_VALUES_PER_LABEL + 5);

    const keys = await series(registry, 'imatinib_cds_prefetch_keys_total');
    expect(keys).toHaveLength(EXTRA_VALUES_PER_LABEL + 2); // the extras, "other" and the listed "labs"
    expect(keys.find((s) => s.labels.key === 'other')?.value).toBe(200 - EXTRA_VALUES_PER_LABEL + 1);

    // Listed values always pass, even after the extras are used up; an extra already admitted keeps counting.
    metrics.authRejected('expired');
    metrics.authRejected('new_reason_0');
    const after = await series(registry, 'imatinib_cds_auth_rejections_total');
    expect(after.find((s) => s.labels.reason === 'expired')?.value).toBe(1);
    expect(after.find((s) => s.labels.reason === 'new_reason_0')?.value).toBe(2);
  });

  it('admits every catalogue rule id, the two non-rule card codes and every auth failure reason as they are', async () => {
    const { metrics, registry } = fresh();
    const { RULE_IDS } = await import('../../../src/clinical/rules/types');
    const ruleIds = [...RULE_IDS, VERIFICATION_SUMMARY_CODE, DATA_INCOMPLETE_CODE, 'unknown'];
    metrics.feedbackRecorded(ruleIds.map((ruleId) => ({ ruleId, outcome: 'accepted' })));
    for (const r of AUTH_REASONS) metrics.authRejected(r);
    // None of these used an extra slot: 16 unlisted values still pass afterwards.
    for (let i = 0; i < EXTRA_VALUES_PER_LABEL; i++) metrics.authRejected(`later_${i}`);
    expect((await series(registry, 'imatinib_cds_feedback_total')).map((s) => s.labels.rule_id).sort()).toEqual([...ruleIds].sort());
    expect((await series(registry, 'imatinib_cds_auth_rejections_total')).some((s) => s.labels.reason === 'other')).toBe(false);
    expect([...NON_RULE_CARD_CODES].sort()).toEqual([DATA_INCOMPLETE_CODE, VERIFICATION_SUMMARY_CODE].sort());
  });

  it('lists every AuthFailureReason of src/auth/types.ts', () => {
    const source = fs.readFileSync(path.resolve(__dirname, '../../../src/auth/types.ts'), 'utf8');
    const union = /export type AuthFailureReason =([^;]+);/.exec(source)?.[1] ?? '';
    const reasons = [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(reasons.length).toBeGreaterThan(0);
    expect([...AUTH_REASONS].sort()).toEqual(reasons.sort());
  });

  it('defaults to the service ids and prefetch keys of hooks/*.json', () => {
    const dir = path.resolve(__dirname, '../../../hooks');
    const defs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { id: string; prefetch: Record<string, string> });
    expect([...DEFAULT_SERVICE_IDS].sort()).toEqual(defs.map((d) => d.id).sort());
    expect([...DEFAULT_PREFETCH_KEYS].sort()).toEqual([...new Set(defs.flatMap((d) => Object.keys(d.prefetch)))].sort());
  });
});
