import type { Measurement, SoakResult } from '../../../bench/report';
import type { SweepPoint } from '../../../bench/sweep';
import { evaluatePaths, failures, goldenCheck, mark, otherChecks, pathsTable, PATH_TARGETS, soakCheck } from '../../../bench/targets';

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

const pair = (scenario: string, floor: number, service: number, over: Partial<Measurement> = {}) => [
  measurement(scenario, 'baseline', { cpuMsPerRequest: floor }),
  measurement(scenario, 'service', { cpuMsPerRequest: service, ...over }),
];

function soak(over: Partial<SoakResult> = {}): SoakResult {
  return {
    durationSec: 120,
    rps: 1000,
    rssStartMb: 200,
    rssEndMb: 210,
    growthPct: 5,
    windowSec: 20,
    peakRssMb: 215,
    errors: 0,
    loadGenCpuPct: 40,
    warmupSec: 30,
    servedBefore: 2000,
    servedAfter: 122000,
    replayCacheSize: 100000,
    samples: [],
    minMb: 199,
    maxMb: 212,
    slopeMbPerMin: 4,
    checkpoints: [[0, 200], [30, 204], [60, 207], [90, 209], [120, 210]],
    defaultReplayCache: true,
    ...over,
  };
}

describe('bench targets (issue #12)', () => {
  it('judges paths 1 and 2 beyond the signature, 4 and 5 on raw CPU, 3 in absolute ms', () => {
    const ms = [...pair('s1', 0.2, 0.47), ...pair('s3', 0.2, 0.33), ...pair('s4', 0.16, 1.4), ...pair('s5', 4.78, 7.7), ...pair('s6', 4.8, 5.6)];
    const r = evaluatePaths(ms, 30); // one RS384 verify = 30 µs
    const by = (path: number) => r.find((x) => x.path === path);
    // (0.47 − 0.03) / 0.2 = 2.2: on the limit is met.
    expect(by(1)?.judgedMs).toBeCloseTo(0.44);
    expect(by(1)?.ratio).toBeCloseTo(2.2);
    expect(by(1)?.met).toBe(true);
    // (0.33 − 0.03) / 0.2 = 1.5 met; raw would be 1.65.
    expect(by(2)?.ratio).toBeCloseTo(1.5);
    expect(by(2)?.met).toBe(true);
    expect(by(3)?.judgedMs).toBe(1.4);
    expect(by(3)?.met).toBe(true);
    // Raw: 7.7 / 4.78 = 1.61 > 1.6, although beyond the signature (7.67 / 4.78 = 1.60) it would pass.
    expect(by(4)?.beyondSignatureMs).toBeCloseTo(7.67);
    expect(by(4)?.ratio).toBeCloseTo(1.611, 3);
    expect(by(4)?.met).toBe(false);
    expect(by(5)?.ratio).toBeCloseTo(1.1667, 3);
    expect(by(5)?.met).toBe(false);
  });

  it('leaves a path not run, or with no floor, unjudged', () => {
    const r = evaluatePaths([measurement('s1', 'service', { cpuMsPerRequest: 0.4 })], 30);
    expect(r.find((x) => x.path === 1)).toMatchObject({ serviceMs: 0.4, floorMs: undefined, met: undefined });
    expect(r.find((x) => x.path === 3)?.serviceMs).toBeUndefined();
    expect(r).toHaveLength(PATH_TARGETS.length);
    // Without the signature cost, a beyond-the-signature path cannot be judged; a raw one can.
    expect(evaluatePaths(pair('s1', 0.2, 0.3), undefined)[0]?.met).toBeUndefined();
    expect(evaluatePaths(pair('s4', 0.2, 1.6), undefined).find((x) => x.path === 3)?.met).toBe(false);
  });

  it('prints one row per path with ✓, ✗ or – and the larger other-load reading', () => {
    const ms = [...pair('s1', 0.2, 0.9, { otherLoadPct: 12 }), ...pair('s4', 0.16, 1.2)];
    const table = pathsTable(evaluatePaths(ms, 30));
    const row = (n: number) => table.split('\n').find((l) => l.startsWith(`| ${n} `)) ?? '';
    expect(row(1)).toContain('4.35×');
    expect(row(1)).toContain('✗');
    expect(row(1)).toMatch(/\| +12 \|$/);
    expect(row(3)).toContain('≤ 1.5 ms, raw (absolute');
    expect(row(3)).toContain('✓');
    expect(row(2)).toContain('not run');
    expect(mark(undefined)).toBe('–');
  });

  it('judges the soak only when it lasted 2 minutes with the default replay cache', () => {
    expect(soakCheck(soak()).met).toBe(true);
    expect(soakCheck(soak()).measured).toContain('[0 s: 200, 30 s: 204, 60 s: 207, 90 s: 209, 120 s: 210]');
    expect(soakCheck(soak({ growthPct: 12 })).met).toBe(false);
    expect(soakCheck(soak({ durationSec: 20 })).met).toBeUndefined();
    expect(soakCheck(soak({ durationSec: 119.6 })).met).toBe(true);
    expect(soakCheck(soak({ defaultReplayCache: false, replayCacheSize: 1000 })).measured).toContain('not the default');
    expect(soakCheck(undefined).met).toBeUndefined();
  });

  it('fails the run on errors or a changed clinical answer, never on a missed target', () => {
    const ms = [...pair('s1', 0.2, 0.9, { latency: { p50: 9, p90: 20, p99: 31, max: 40, mean: 10 } }), ...pair('s3', 0.2, 0.3, { non2xx: 3 })];
    const golden = [
      { scenario: 's1', check: { golden: 'a', same: true, detail: '1 card: X (as golden)' } },
      { scenario: 's3', check: { golden: 'b', same: false, detail: '1 card: X; golden 0: no card' } },
    ];
    const checks = otherChecks({ measurements: ms, sweep: [], soak: soak({ errors: 1 }), golden });
    const find = (prefix: string) => checks.find((c) => c.target.startsWith(prefix));
    expect(find('path 1')?.met).toBe(false);
    expect(find('path 2')?.met).toBe(true);
    expect(find('zero errors (non-2xx + socket errors), service')?.measured).toBe('4');
    expect(find('zero errors (non-2xx + socket errors), floor')?.met).toBe(true);
    expect(find('clinical')?.measured).toBe('1 of 2 differ: s3: 1 card: X; golden 0: no card');
    const why = failures(checks);
    expect(why).toHaveLength(2);
    expect(why.join()).not.toContain('p99');
  });

  it('counts an unmade golden comparison as not judged', () => {
    expect(goldenCheck([{ scenario: 's1', check: { golden: 'a', same: undefined, detail: 'test/fixtures/golden/hot-path.json not found' } }])).toMatchObject({ met: undefined, measured: 'test/fixtures/golden/hot-path.json not found' });
  });

  it('includes the sweep check and the sweep runs in the error count', () => {
    const point = (size: number, resources: number, floor: number, service: number, over: Partial<Measurement> = {}): SweepPoint => ({
      size,
      resources,
      bodyBytes: resources * 640,
      floor: measurement(`sweep-${size}`, 'baseline', { cpuMsPerRequest: floor }),
      service: measurement(`sweep-${size}`, 'service', { cpuMsPerRequest: service, ...over }),
    });
    const checks = otherChecks({ measurements: [], sweep: [point(1000, 1000, 4.8, 9.6), point(3000, 3000, 14, 27, { errors: 2 })], golden: [] });
    expect(checks.find((c) => c.target.startsWith('sweep'))?.met).toBe(true);
    expect(checks.find((c) => c.target.startsWith('zero errors (non-2xx + socket errors), service'))?.measured).toBe('2');
  });
});
