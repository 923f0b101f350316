import { slope, growthPct, markdownTable, percentile, ratio, resultsTable, summariseLatencies, targetChecks, type Measurement } from '../../../bench/report';

function measurement(scenario: string, server: string, over: Partial<Measurement> = {}): Measurement {
  return {
    scenario,
    server,
    workers: 1,
    cpus: '0',
    connections: 10,
    durationSec: 10,
    completed: 10000,
    ok: 10000,
    non2xx: 0,
    errors: 0,
    statusCodes: { 200: 10000 },
    rps: 1000,
    latency: { p50: 5, p90: 8, p99: 12, max: 30, mean: 5.5 },
    serverCpuMs: 5000,
    cpuMsPerRequest: 0.5,
    serverCpuPct: 50,
    otherLoadPct: 0,
    peakRssMb: 100,
    rssMb: 95,
    loadGenCpuPct: 40,
    ...over,
  };
}

describe('bench report', () => {
  it('computes nearest-rank percentiles', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted latencies', () => {
    const s = summariseLatencies([9, 1, 5, 3, 7]);
    expect(s).toEqual({ p50: 5, p90: 9, p99: 9, max: 9, mean: 5 });
  });

  it('formats ratios and leaves missing or zero denominators blank', () => {
    expect(ratio(1.3, 1)).toBe('1.30×');
    expect(ratio(1, 0)).toBe('–');
    expect(ratio(undefined, 1)).toBe('–');
  });

  it('right-aligns numeric columns of a Markdown table', () => {
    expect(markdownTable(['Name', 'n'], [['a', '1'], ['bb', '10']])).toBe(['| Name |  n |', '|------|---:|', '| a    |  1 |', '| bb   | 10 |'].join('\n'));
  });

  it('shows the service against the baseline of the same scenario', () => {
    const table = resultsTable([measurement('s1', 'baseline'), measurement('s1', 'service', { cpuMsPerRequest: 0.65, rps: 800 })]);
    const serviceRow = table.split('\n').find((l) => l.includes('| service'));
    expect(serviceRow).toContain('1.30×');
    expect(serviceRow).toContain('0.80×');
  });

  it('checks the targets: CPU ratios, p99, errors, the ES384 allowance and soak growth', () => {
    const ms = [
      measurement('s1', 'baseline'),
      measurement('s1', 'service', { cpuMsPerRequest: 0.7, latency: { p50: 5, p90: 8, p99: 30, max: 40, mean: 6 } }),
      measurement('s2', 'service', { cpuMsPerRequest: 1.5 }),
      measurement('s3', 'baseline'),
      measurement('s3', 'service', { cpuMsPerRequest: 0.52, non2xx: 2 }),
    ];
    const checks = targetChecks(ms, { rs384VerifyUs: 40, es384VerifyUs: 900 }, { durationSec: 120, rps: 500, rssStartMb: 100, rssEndMb: 105, growthPct: 5, peakRssMb: 110, errors: 0, loadGenCpuPct: 50, servedBefore: 1000, servedAfter: 61000, replayCacheSize: 100000, samples: [], minMb: 99, maxMb: 110, slopeMbPerMin: 2.5 });
    expect(checks.find((c) => c.target.startsWith('scenario 1: server CPU'))?.met).toBe(false);
    expect(checks.find((c) => c.target.startsWith('scenario 3: server CPU'))?.met).toBe(true);
    expect(checks.find((c) => c.target.startsWith('scenario 2'))?.met).toBe(true); // +800 µs ≤ 900 µs
    expect(checks.find((c) => c.target.startsWith('scenario 1: p99'))?.met).toBe(false);
    expect(checks.find((c) => c.target.startsWith('zero errors'))?.measured).toBe('2');
    expect(checks.find((c) => c.target.startsWith('RSS growth'))?.met).toBe(true);
  });

  it('fits the RSS trend by least squares', () => {
    expect(slope([[0, 100], [60, 110], [120, 120]])).toBeCloseTo(1 / 6);
    expect(slope([[5, 100]])).toBe(0);
  });

  it('reports RSS growth in percent', () => {
    expect(growthPct(100, 108)).toBeCloseTo(8);
    expect(growthPct(0, 10)).toBeNaN();
  });
});
