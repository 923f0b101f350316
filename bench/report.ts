/**
 * Numbers → report: latency percentiles, per-measurement metrics, the Markdown tables, the soak's RSS. Pure
 * functions only, unit-tested in test/unit/bench (the targets: bench/targets.ts; the sweep: bench/sweep.ts).
 */

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))] as number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summariseLatencies(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export interface Measurement {
  /** Scenario id: s1, s2, s3, s4, s1-cluster … */
  scenario: string;
  /** "baseline", "service", "service (2 workers)" … */
  server: string;
  workers: number;
  /** CPUs the server was pinned to ("all" when not pinned). */
  cpus: string;
  connections: number;
  durationSec: number;
  completed: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  rps: number;
  latency: LatencySummary;
  serverCpuMs: number;
  cpuMsPerRequest: number;
  /** Server CPU use over the run, % of one core. */
  serverCpuPct: number;
  /**
   * Busy time of the server's CPUs used by other processes (neighbours on a shared machine), % of those CPUs.
   * Above a few percent the server did not have its CPU to itself: req/s and latency understate it.
   */
  otherLoadPct: number;
  /** Peak RSS (VmHWM, reset before the run; summed over workers), MB. */
  peakRssMb: number;
  /** RSS at the end of the run, MB. */
  rssMb: number;
  /** Load generator CPU over the run, % of one core (near 100% = the load generator limits throughput). */
  loadGenCpuPct: number;
  tokens?: { poolSize: number; fromPool: number; mintedOnDemand: number; mintMs: number };
  /** Scenario 4: the local FHIR server's CPU per service request, ms. */
  fhirServerCpuMsPerRequest?: number;
  /** Fleet scenario: the state servers' CPU and the split over instances. */
  state?: StateCpu;
}

export interface StateCpu {
  /** PostgreSQL client backends connected to the run's database, CPU ms per request. */
  postgresBackendMsPerRequest?: number;
  /** PostgreSQL's own processes (checkpointer, walwriter …; shared with any other database on that server). */
  postgresAuxiliaryMsPerRequest?: number;
  /** redis-server (shared with anything else using that server), CPU ms per request. */
  redisMsPerRequest?: number;
  /** Busy time of every CPU not spent by the service, PostgreSQL, Redis or this runner, % of all CPUs. */
  machineOtherLoadPct: number;
  /** Each instance: its share of the responses, CPU ms per request it answered, peak RSS. */
  perInstance: { name: string; completed: number; cpuMsPerRequest: number; peakRssMb: number }[];
}

/** Service + PostgreSQL (backends and auxiliary) + Redis CPU per request, ms. */
export function totalCpuMsPerRequest(m: Measurement): number {
  const s = m.state;
  return m.cpuMsPerRequest + (s?.postgresBackendMsPerRequest ?? 0) + (s?.postgresAuxiliaryMsPerRequest ?? 0) + (s?.redisMsPerRequest ?? 0);
}

/** The fleet scenario's table: one row per setup (single instance, fleet), state servers' CPU in their own columns. */
export function fleetTable(rows: Measurement[]): string {
  const header = [
    'Setup',
    'Instances',
    'req/s',
    'p50 ms',
    'p99 ms',
    'Service CPU ms/req',
    'PostgreSQL backends ms/req',
    'PostgreSQL aux ms/req',
    'Redis ms/req',
    'Total CPU ms/req',
    'Peak RSS MB',
    'Errors',
    'Service CPU %',
    'Other load %',
    'Load gen CPU %',
  ];
  return markdownTable(
    header,
    rows.map((m) => [
      m.server,
      String(m.state?.perInstance.length ?? 1),
      fmt(m.rps, 0),
      fmt(m.latency.p50),
      fmt(m.latency.p99),
      fmt(m.cpuMsPerRequest, 3),
      fmt(m.state?.postgresBackendMsPerRequest, 3),
      fmt(m.state?.postgresAuxiliaryMsPerRequest, 3),
      fmt(m.state?.redisMsPerRequest, 3),
      fmt(totalCpuMsPerRequest(m), 3),
      fmt(m.peakRssMb, 0),
      String(m.non2xx + m.errors),
      fmt(m.serverCpuPct, 0),
      fmt(m.state?.machineOtherLoadPct, 0),
      fmt(m.loadGenCpuPct, 0),
    ]),
  );
}

/**
 * "Fleet vs single instance: 0.95× req/s, …" and, with the 1-instance PostgreSQL + Redis row, the split of the
 * difference into the state path and the second process (undefined when single or fleet is missing).
 */
export function fleetComparison(single: Measurement | undefined, fleet: Measurement | undefined, solo?: Measurement): string | undefined {
  if (!single || !fleet) return undefined;
  const out =
    `Fleet vs single instance: **${ratio(fleet.rps, single.rps)} req/s**, p99 ${ratio(fleet.latency.p99, single.latency.p99)}, service CPU/request ${ratio(fleet.cpuMsPerRequest, single.cpuMsPerRequest)}, ` +
    `total CPU/request (service + PostgreSQL + Redis) ${ratio(totalCpuMsPerRequest(fleet), totalCpuMsPerRequest(single))}.`;
  if (!solo) return out;
  const us = (a: number, b: number) => `${a - b >= 0 ? '+' : '−'}${Math.abs((a - b) * 1000).toFixed(0)} µs`;
  return (
    `${out} Where the extra CPU per request goes: the state path (1 instance on PostgreSQL + Redis vs the single instance) ${us(totalCpuMsPerRequest(solo), totalCpuMsPerRequest(single))} ` +
    `(service ${us(solo.cpuMsPerRequest, single.cpuMsPerRequest)}), the second process on the same CPU (fleet vs 1 instance on PostgreSQL + Redis) ${us(totalCpuMsPerRequest(fleet), totalCpuMsPerRequest(solo))}.`
  );
}

export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toFixed(digits);
}

/** `a / b` as "1.23×" ("–" when either is missing or b is 0). */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/** A GitHub-flavoured Markdown table; numeric-looking columns right-aligned. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-–]?$|^[\d.,]+[×%]?$|^–$/.test(r[i] ?? '')));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export const SCENARIO_TITLES: Record<string, string> = {
  s1: '1 imatinib, full prefetch, RS384',
  s2: '2 imatinib, full prefetch, ES384',
  s3: '3 no imatinib, full prefetch, RS384',
  s4: '4 imatinib, no prefetch (FHIR fetch), RS384',
  s5: '5 imatinib, 1,000-resource record, RS384',
  s6: '6 no imatinib, 1,000-resource record, RS384',
  fleet: 'fleet: request 1 on 2 instances, PostgreSQL + Redis',
};

/** The main table: per scenario a baseline row and a service row with the service/baseline ratios. */
export function resultsTable(measurements: Measurement[]): string {
  const header = ['Scenario', 'Server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'CPU/req vs base', 'req/s vs base', 'Peak RSS MB', 'Errors', 'Server CPU %', 'Other load %', 'Load gen CPU %'];
  const rows: string[][] = [];
  for (const m of measurements) {
    const base = measurements.find((b) => b.scenario === m.scenario && b.server === 'baseline');
    const isBase = m.server === 'baseline';
    rows.push([
      SCENARIO_TITLES[m.scenario] ?? m.scenario,
      m.server,
      fmt(m.rps, 0),
      fmt(m.latency.p50),
      fmt(m.latency.p99),
      fmt(m.cpuMsPerRequest, 3),
      isBase ? '1.00×' : ratio(m.cpuMsPerRequest, base?.cpuMsPerRequest),
      isBase ? '1.00×' : ratio(m.rps, base?.rps),
      fmt(m.peakRssMb, 0),
      String(m.non2xx + m.errors),
      fmt(m.serverCpuPct, 0),
      fmt(m.otherLoadPct, 0),
      fmt(m.loadGenCpuPct, 0),
    ]);
  }
  return markdownTable(header, rows);
}

export interface SoakResult {
  durationSec: number;
  rps: number;
  /** RSS at the start (after warm-up) and at the end, MB: lower quartiles of the first and last `windowSec` of samples. */
  rssStartMb: number;
  rssEndMb: number;
  /** rssEndMb vs rssStartMb, % (what the target judges). */
  growthPct: number;
  /** Seconds of samples each end's reading covers. */
  windowSec: number;
  peakRssMb: number;
  errors: number;
  loadGenCpuPct: number;
  /** Seconds of load between the fixed warm-up requests and the first sample. */
  warmupSec: number;
  /** Requests the service had answered before and after the soak (the jti replay cache fills with them). */
  servedBefore: number;
  servedAfter: number;
  replayCacheSize: number;
  /** RSS samples [seconds since start, MB]. */
  samples: [number, number][];
  minMb: number;
  maxMb: number;
  /** Least-squares slope of the samples, MB per minute (GC makes single readings noisy). */
  slopeMbPerMin: number;
  /** RSS after warm-up, every 30 s, and at the end ([seconds since start, MB]). */
  checkpoints: [number, number][];
  /** Whether the run used config/default.json's auth.replayCacheSize (the target is about the default). */
  defaultReplayCache: boolean;
}

export interface RssSummary {
  startMb: number;
  endMb: number;
  growthPct: number;
  windowSec: number;
  minMb: number;
  maxMb: number;
  slopeMbPerMin: number;
  checkpoints: [number, number][];
}

/**
 * The sample nearest each multiple of `everySec` (after the first sample), with the first and the last: the
 * soak's RSS "after warm-up, at 30 s intervals and at the end". Samples are [seconds since start, MB], in order.
 */
export function rssCheckpoints(samples: [number, number][], everySec = 30): [number, number][] {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return [];
  const out: [number, number][] = [first];
  for (let mark = first[0] + everySec; mark < last[0] - everySec / 6; mark += everySec) {
    const nearest = samples.reduce((best, s) => (Math.abs(s[0] - mark) < Math.abs(best[0] - mark) ? s : best));
    if (nearest !== out[out.length - 1]) out.push(nearest);
  }
  if (last !== out[out.length - 1]) out.push(last);
  return out;
}

/** Lower quartile (nearest rank) of the MB of `samples`; NaN when empty. */
function lowerQuartileMb(samples: [number, number][]): number {
  return percentile(Float64Array.from(samples, ([, mb]) => mb).sort(), 25);
}

/**
 * Start, end, growth %, range, trend and 30-s checkpoints of a soak's RSS samples. Start and end are the lower
 * quartiles of the first and last `windowSec` (at most a quarter of the soak). RSS swings between garbage
 * collections — up to +15 % over its post-collection level every few seconds at 1,000 req/s, more than the 10 %
 * target — so two single readings would judge the phase of the collector, and even a median flips between the
 * troughs and the peaks of that sawtooth. The lower quartile follows the post-collection level, which is what a
 * leak or a filling cache raises.
 */
export function summariseRss(samples: [number, number][], everySec = 30, windowSec = 20): RssSummary {
  const mbs = samples.map(([, mb]) => mb);
  const t0 = samples[0]?.[0] ?? 0;
  const t1 = samples[samples.length - 1]?.[0] ?? 0;
  const w = Math.min(windowSec, (t1 - t0) / 4);
  const startMb = lowerQuartileMb(samples.filter(([t]) => t <= t0 + w));
  const endMb = lowerQuartileMb(samples.filter(([t]) => t >= t1 - w));
  return {
    startMb,
    endMb,
    growthPct: round(growthPct(startMb, endMb), 2),
    windowSec: round(w, 1),
    minMb: mbs.length ? Math.min(...mbs) : NaN,
    maxMb: mbs.length ? Math.max(...mbs) : NaN,
    slopeMbPerMin: round(slope(samples) * 60, 2),
    checkpoints: rssCheckpoints(samples, everySec),
  };
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two distinct x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function growthPct(start: number, end: number): number {
  return start > 0 ? ((end - start) / start) * 100 : NaN;
}

export interface CryptoCost {
  /** µs per verification with node:crypto. */
  rs384VerifyUs: number;
  es384VerifyUs: number;
  /** µs per jsonwebtoken.verify (what the service calls), key pre-imported. */
  rs384JwtVerifyUs?: number;
  es384JwtVerifyUs?: number;
}
