import type { Measurement } from '../../../bench/report';
import { cpuUsPerResource, extraUsPerResource, parseSweepSizes, perResourceCheck, sweepTable, warmupAmount, type SweepPoint } from '../../../bench/sweep';

function m(cpuMsPerRequest: number, over: Partial<Measurement> = {}): Measurement {
  return {
    scenario: 'sweep',
    server: 'service',
    workers: 1,
    cpus: '0',
    connections: 10,
    durationSec: 5,
    completed: 500,
    ok: 500,
    non2xx: 0,
    errors: 0,
    statusCodes: { 200: 500 },
    rps: 100,
    latency: { p50: 50, p90: 80, p99: 120, max: 130, mean: 55 },
    serverCpuMs: 5000,
    cpuMsPerRequest,
    serverCpuPct: 100,
    otherLoadPct: 0,
    peakRssMb: 300,
    rssMb: 250,
    loadGenCpuPct: 20,
    ...over,
  };
}

const point = (size: number, resources: number, floor: number, service: number): SweepPoint => ({ size, resources, bodyBytes: resources * 644, floor: m(floor, { server: 'baseline' }), service: m(service) });

describe('bench record-size sweep', () => {
  it('parses BENCH_SWEEP_SIZES into ascending distinct sizes', () => {
    expect(parseSweepSizes('3000, 10,100,1000,100')).toEqual([10, 100, 1000, 3000]);
    expect(() => parseSweepSizes('10,abc')).toThrow('"abc" is not a positive whole number');
    expect(() => parseSweepSizes('0')).toThrow('not a positive');
    expect(() => parseSweepSizes(' , ')).toThrow('no size');
  });

  it('caps the fixed-count warm-up by body size, never below two requests per connection', () => {
    expect(warmupAmount(10_000, 200, 10)).toBe(200);
    expect(warmupAmount(644_000, 200, 10)).toBe(81);
    expect(warmupAmount(1_931_000, 200, 10)).toBe(27);
    expect(warmupAmount(40_000_000, 200, 10)).toBe(20);
  });

  it('computes CPU per resource and what the service adds per resource beyond the floor', () => {
    const p = point(1000, 1000, 4.8, 9.6);
    expect(cpuUsPerResource(p.service, 1000)).toBeCloseTo(9.6);
    expect(extraUsPerResource(p)).toBeCloseTo(4.8);
    expect(cpuUsPerResource(p.service, 0)).toBeNaN();
  });

  it('checks that the per-resource cost at 3,000 is no higher than at 1,000', () => {
    // 4.8 µs at 1,000; (27 − 14) / 3000 = 4.33 µs at 3,000: met.
    expect(perResourceCheck([point(1000, 1000, 4.8, 9.6), point(3000, 3000, 14, 27)]).met).toBe(true);
    // Growing faster than the record: (30 − 14) / 3000 = 5.33 µs.
    const worse = perResourceCheck([point(1000, 1000, 4.8, 9.6), point(3000, 3000, 14, 30)]);
    expect(worse.met).toBe(false);
    expect(worse.measured).toBe('5.33 µs at 3000 vs 4.80 µs at 1000 (1.11×)');
    // Equal is "no higher".
    expect(perResourceCheck([point(1000, 1000, 5, 10), point(3000, 3000, 15, 30)]).met).toBe(true);
    expect(perResourceCheck([point(1000, 1000, 5, 10)]).met).toBeUndefined();
  });

  it('prints a floor row and a service row per size', () => {
    const table = sweepTable([point(10, 13, 0.2, 0.9), point(1000, 1000, 4.8, 9.6)]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(2 + 4);
    const svc = lines.find((l) => l.startsWith('| 1000 → 1000') && l.includes('service')) ?? '';
    expect(svc).toContain('2.00×');
    expect(svc).toContain('4.80');
    expect(lines.find((l) => l.startsWith('| 10 → 13') && l.includes('floor'))).toContain('15.38');
  });
});
