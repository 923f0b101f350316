import { slope, growthPct, markdownTable, percentile, ratio, resultsTable, rssCheckpoints, summariseLatencies, summariseRss, type Measurement } from '../../../bench/report';

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

  it('fits the RSS trend by least squares', () => {
    expect(slope([[0, 100], [60, 110], [120, 120]])).toBeCloseTo(1 / 6);
    expect(slope([[5, 100]])).toBe(0);
  });

  it('reports RSS growth in percent', () => {
    expect(growthPct(100, 108)).toBeCloseTo(8);
    expect(growthPct(0, 10)).toBeNaN();
  });

  it('picks the soak RSS after warm-up, at each 30 s and at the end', () => {
    const samples: [number, number][] = Array.from({ length: 25 }, (_, i) => [i * 5 + 0.1 * (i % 2), 200 + i] as [number, number]);
    // 0 … 120.0 s in 5-s steps (with timer jitter): start, 30, 60, 90, end.
    expect(rssCheckpoints(samples).map(([s]) => Math.round(s))).toEqual([0, 30, 60, 90, 120]);
    // A mark just before the end is not repeated as a separate point.
    expect(rssCheckpoints([[0, 1], [29, 2], [31, 3]], 30)).toEqual([[0, 1], [31, 3]]);
    expect(rssCheckpoints([])).toEqual([]);
  });

  it('summarises a soak from after warm-up to the end', () => {
    const s = summariseRss([[0, 200], [30, 230], [60, 190], [90, 215], [120, 216]]);
    expect(s).toMatchObject({ startMb: 200, endMb: 216, growthPct: 8, minMb: 190, maxMb: 230, windowSec: 20 });
    expect(s.checkpoints).toHaveLength(5);
    expect(s.slopeMbPerMin).toBeGreaterThan(0);
    expect(summariseRss([]).growthPct).toBeNaN();
  });

  it('reads start and end from the post-collection level, so garbage-collection peaks do not decide the growth', () => {
    // A flat 220 MB with a 250 MB peak every 15 s, the first and the last sample on a peak.
    const samples: [number, number][] = Array.from({ length: 61 }, (_, i) => [i * 2, i % 15 === 0 ? 250 : 220] as [number, number]);
    samples[60] = [120, 250];
    const s = summariseRss(samples);
    expect([s.startMb, s.endMb, s.growthPct]).toEqual([220, 220, 0]);
    expect(s.checkpoints[0]).toEqual([0, 250]);
    // Every other sample on a peak (as measured at 1,000 req/s), peaks growing: a median would follow the peaks
    // at one end and the troughs at the other; the lower quartile stays on the troughs.
    const sawtooth: [number, number][] = Array.from({ length: 121 }, (_, i) => [i, i % 2 ? 230 + i / 4 : 220] as [number, number]);
    expect(summariseRss(sawtooth)).toMatchObject({ startMb: 220, endMb: 220, growthPct: 0 });
    // A short soak: windows of a quarter of it.
    expect(summariseRss([[0, 100], [4, 100], [8, 110], [12, 110]]).windowSec).toBe(3);
  });
});
