/**
 * The record-size sweep: the imatinib order with patient records of 10 to 3,000 resources in the prefetch, service
 * and floor (the baseline) at each size. Pure functions only: sizes, warm-up amounts, per-resource costs, the
 * "no higher per resource at 3,000 than at 1,000" check and the table (unit-tested in test/unit/bench).
 */
import { markdownTable, ratio, round, type Measurement } from './report';

export const DEFAULT_SWEEP_SIZES = [10, 100, 1000, 3000];

/** BENCH_SWEEP_SIZES: "10,100,1000,3000" → ascending distinct sizes; anything else is an error. */
export function parseSweepSizes(raw: string): number[] {
  const sizes = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_SWEEP_SIZES: "${s}" is not a positive whole number`);
      return n;
    });
  if (!sizes.length) throw new Error(`BENCH_SWEEP_SIZES: no size in "${raw}"`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** Bytes of body the fixed-count part of a warm-up sends at most (200 requests of the 10 KB body fit easily). */
const WARMUP_BODY_BUDGET = 50 * 1024 * 1024;

/**
 * Requests of the fixed-count warm-up for a body of `bodyBytes`: `requested`, but no more than ~50 MB of body, and
 * at least two per connection. A 1.9 MB body exercises the parser's hot loops as much in one request as a 10 KB
 * body in two hundred, and 200 of them would cost the service seconds per warm-up.
 */
export function warmupAmount(bodyBytes: number, requested: number, connections: number): number {
  const byBudget = Math.floor(WARMUP_BODY_BUDGET / Math.max(1, bodyBytes));
  return Math.max(connections * 2, Math.min(requested, byBudget));
}

export interface SweepPoint {
  /** patientRecord's size argument. */
  size: number;
  /** Resources actually in the prefetch (size 10 gives the bench patient's 13). */
  resources: number;
  bodyBytes: number;
  floor: Measurement;
  service: Measurement;
}

/** CPU µs per resource of one measurement. */
export function cpuUsPerResource(m: Measurement, resources: number): number {
  return resources > 0 ? (m.cpuMsPerRequest * 1000) / resources : NaN;
}

/** What the service spends per resource beyond the floor's parsing of the same body: (service − floor) ÷ resources, µs. */
export function extraUsPerResource(p: Pick<SweepPoint, 'resources' | 'floor' | 'service'>): number {
  return p.resources > 0 ? ((p.service.cpuMsPerRequest - p.floor.cpuMsPerRequest) * 1000) / p.resources : NaN;
}

export interface ScalingCheck {
  target: string;
  measured: string;
  /** undefined when either size was not measured. */
  met: boolean | undefined;
}

/**
 * "Per-resource cost at `large` is no higher than at `small`": (service − floor) CPU per resource, compared
 * strictly. Cost that grows faster than the record (a quadratic step) shows up as a higher number at 3,000.
 */
export function perResourceCheck(points: SweepPoint[], small = 1000, large = 3000): ScalingCheck {
  const target = `sweep: per-resource cost (service − floor) at ${large.toLocaleString('en')} resources ≤ at ${small.toLocaleString('en')}`;
  const a = points.find((p) => p.size === small);
  const b = points.find((p) => p.size === large);
  if (!a || !b) return { target, measured: `not run (sizes ${points.map((p) => p.size).join(', ') || 'none'})`, met: undefined };
  const ua = extraUsPerResource(a);
  const ub = extraUsPerResource(b);
  return {
    target,
    measured: `${ub.toFixed(2)} µs at ${b.resources} vs ${ua.toFixed(2)} µs at ${a.resources} (${(ub / ua).toFixed(2)}×)`,
    // Compared as printed (2 decimals): equal figures are "no higher".
    met: Number.isFinite(ua) && Number.isFinite(ub) ? round(ub, 2) <= round(ua, 2) : undefined,
  };
}

const f = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** One row per size and server: throughput, latency, CPU per request and per resource, peak RSS, errors. */
export function sweepTable(points: SweepPoint[]): string {
  const header = ['Record (size → resources)', 'Body kB', 'Server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'CPU µs/resource', 'Service − floor µs/resource', 'CPU/req vs floor', 'Peak RSS MB', 'Errors', 'Other load %'];
  const rows: string[][] = [];
  for (const p of points) {
    for (const [name, m] of [['floor', p.floor], ['service', p.service]] as const) {
      const isService = name === 'service';
      rows.push([
        `${p.size} → ${p.resources}`,
        f(p.bodyBytes / 1000, 0),
        name,
        f(m.rps, 0),
        f(m.latency.p50, 2),
        f(m.latency.p99, 2),
        f(m.cpuMsPerRequest, 3),
        f(cpuUsPerResource(m, p.resources), 2),
        isService ? f(extraUsPerResource(p), 2) : '',
        isService ? ratio(p.service.cpuMsPerRequest, p.floor.cpuMsPerRequest) : '1.00×',
        f(m.peakRssMb, 0),
        String(m.non2xx + m.errors),
        f(m.otherLoadPct, 0),
      ]);
    }
  }
  return markdownTable(header, rows);
}
