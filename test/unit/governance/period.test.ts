import { DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, parseDay, parsePeriod, periodBounds, periodDays, repeatWindowStart } from '../../../src/governance/period';

const NOW = new Date('2026-03-31T15:42:00.000Z');
const SERVICES = ['imatinib-order-select', 'imatinib-order-sign', 'imatinib-pharmacy-verify'];

function problems(params: Parameters<typeof parsePeriod>[0], known?: readonly string[]): string[] {
  const parsed = parsePeriod(params, NOW, known);
  if (parsed.ok) throw new Error(`expected problems, got ${JSON.stringify(parsed.query)}`);
  return parsed.problems;
}

describe('parsePeriod', () => {
  it('defaults to the last 90 days up to today (UTC), both inclusive', () => {
    expect(parsePeriod({}, NOW)).toEqual({ ok: true, query: { from: '2026-01-01', to: '2026-03-31' } });
    expect(DEFAULT_PERIOD_DAYS).toBe(90);
    expect(periodDays({ from: '2026-01-01', to: '2026-03-31' })).toBe(90);
  });

  it('takes today in UTC, not local time', () => {
    expect(parsePeriod({}, new Date('2026-03-31T23:59:59.999Z'))).toEqual({ ok: true, query: { from: '2026-01-01', to: '2026-03-31' } });
    expect(parsePeriod({}, new Date('2026-04-01T00:00:00.000Z'))).toEqual({ ok: true, query: { from: '2026-01-02', to: '2026-04-01' } });
  });

  it('defaults from to 89 days before a given to, and to to today for a given from', () => {
    expect(parsePeriod({ to: '2026-01-31' }, NOW)).toEqual({ ok: true, query: { from: '2025-11-03', to: '2026-01-31' } });
    expect(parsePeriod({ from: '2026-03-01' }, NOW)).toEqual({ ok: true, query: { from: '2026-03-01', to: '2026-03-31' } });
  });

  it('accepts a one-day period and keeps a known service', () => {
    expect(parsePeriod({ from: '2026-02-28', to: '2026-02-28', service: 'imatinib-order-sign' }, NOW, SERVICES)).toEqual({
      ok: true,
      query: { from: '2026-02-28', to: '2026-02-28', service: 'imatinib-order-sign' },
    });
  });

  it('accepts any service when no list of known services is given', () => {
    expect(parsePeriod({ service: 'x' }, NOW)).toEqual({ ok: true, query: { from: '2026-01-01', to: '2026-03-31', service: 'x' } });
  });

  it.each([
    ['2026-02-30', 'not a real day'],
    ['2025-02-29', 'not a leap year'],
    ['2026-13-01', 'month 13'],
    ['2026-00-10', 'month 0'],
    ['2026-04-31', 'April has 30 days'],
    ['2026-1-5', 'no zero padding'],
    ['2026-01-05T00:00:00Z', 'a timestamp'],
    ['20260105', 'no dashes'],
    [' 2026-01-05', 'leading space'],
    ['', 'empty'],
  ])('rejects from=%j (%s) naming the parameter', (value) => {
    const p = problems({ from: value, to: '2026-03-31' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^from: expected a calendar date YYYY-MM-DD, got /);
  });

  it('accepts 29 February of leap years (2024, 2000) and rejects it in 1900', () => {
    expect(parsePeriod({ from: '2024-02-29', to: '2024-02-29' }, NOW).ok).toBe(true);
    expect(parsePeriod({ from: '2000-02-29', to: '2000-03-01' }, NOW).ok).toBe(true);
    expect(problems({ from: '1900-02-29', to: '1900-03-01' })).toHaveLength(1);
  });

  it('rejects repeated and structured values', () => {
    expect(problems({ from: ['2026-01-01', '2026-02-01'] })).toEqual(['from: give one value, got 2']);
    expect(problems({ to: { gt: '2026-01-01' } })).toEqual(['to: expected a single text value']);
    expect(problems({ service: ['a', 'b'] }, SERVICES)).toEqual(['service: give one value, got 2']);
  });

  it('rejects from after to', () => {
    expect(problems({ from: '2026-03-02', to: '2026-03-01' })).toEqual(['from (2026-03-02) must not be after to (2026-03-01)']);
    expect(problems({ from: '2026-04-01' })).toEqual(['from (2026-04-01) must not be after to (2026-03-31)']);
  });

  it('allows at most 3660 days', () => {
    expect(MAX_PERIOD_DAYS).toBe(3660);
    // 2016-03-24 is 3659 days before 2026-03-31: 3660 days with both ends.
    expect(parsePeriod({ from: '2016-03-24', to: '2026-03-31' }, NOW)).toEqual({ ok: true, query: { from: '2016-03-24', to: '2026-03-31' } });
    expect(periodDays({ from: '2016-03-24', to: '2026-03-31' })).toBe(3660);
    expect(problems({ from: '2016-03-23', to: '2026-03-31' })).toEqual(['the period from 2016-03-23 to 2026-03-31 covers 3661 days; at most 3660']);
  });

  it('rejects an unknown or empty service, listing the known ones', () => {
    expect(problems({ service: 'imatinib-order-sig' }, SERVICES)).toEqual([
      'service: unknown service "imatinib-order-sig"; known: imatinib-order-select, imatinib-order-sign, imatinib-pharmacy-verify',
    ]);
    expect(problems({ service: '' }, SERVICES)).toEqual(['service: must not be empty']);
  });

  it('reports every problem at once, and a long value only in part', () => {
    const long = 'x'.repeat(200);
    const p = problems({ from: long, to: '2026-02-30', service: 'nope' }, SERVICES);
    expect(p).toHaveLength(3);
    expect(p[0]).toBe(`from: expected a calendar date YYYY-MM-DD, got "${'x'.repeat(40)}…"`);
    expect(p[1]).toBe('to: expected a calendar date YYYY-MM-DD, got "2026-02-30"');
    expect(p[2]).toMatch(/^service: unknown service "nope"/);
  });
});

describe('parseDay', () => {
  it('gives midnight UTC, also for years below 100', () => {
    expect(parseDay('2026-12-31')?.toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(parseDay('0099-01-01')?.getUTCFullYear()).toBe(99);
    expect(parseDay('0000-01-01')).toBeUndefined();
  });
});

describe('periodBounds and repeatWindowStart', () => {
  it('give [from 00:00Z, day after to 00:00Z) and 30 days before the start', () => {
    const q = { from: '2026-01-01', to: '2026-03-31' };
    expect(periodBounds(q)).toEqual({ start: new Date('2026-01-01T00:00:00.000Z'), end: new Date('2026-04-01T00:00:00.000Z') });
    expect(repeatWindowStart(q)).toEqual(new Date('2025-12-02T00:00:00.000Z'));
  });

  it('end crosses a year and a leap day correctly', () => {
    expect(periodBounds({ from: '2026-12-31', to: '2026-12-31' }).end).toEqual(new Date('2027-01-01T00:00:00.000Z'));
    expect(periodBounds({ from: '2024-02-28', to: '2024-02-29' }).end).toEqual(new Date('2024-03-01T00:00:00.000Z'));
    expect(repeatWindowStart({ from: '2024-03-01', to: '2024-03-01' })).toEqual(new Date('2024-01-31T00:00:00.000Z'));
  });

  it('throws on a query that did not come from parsePeriod', () => {
    expect(() => periodBounds({ from: '2026-02-30', to: '2026-03-01' })).toThrow(RangeError);
  });
});

// The report command line (scripts/report.ts) turns its options into the same PeriodQuery.
describe('report CLI parseArgs', () => {
  // Imported lazily: the script pulls in the stores, which only this block needs.
  const load = () => import('../../../scripts/report');

  it('parses --name value and --name=value, and takes the format from --out', async () => {
    const { parseArgs } = await load();
    expect(parseArgs(['--from', '2026-01-01', '--to=2026-03-31', '--service', 'imatinib-order-sign', '--format', 'csv', '--out', '/tmp/r.csv'], NOW)).toEqual({
      kind: 'run',
      args: { query: { from: '2026-01-01', to: '2026-03-31', service: 'imatinib-order-sign' }, format: 'csv', out: '/tmp/r.csv' },
    });
    expect(parseArgs(['--out', 'report.HTML'], NOW)).toEqual({ kind: 'run', args: { query: { from: '2026-01-01', to: '2026-03-31' }, format: 'html', out: 'report.HTML' } });
    expect(parseArgs(['--out', 'x.txt', '--format', 'json'], NOW)).toMatchObject({ kind: 'run', args: { format: 'json' } });
  });

  it('answers --help whatever else is given', async () => {
    const { parseArgs } = await load();
    expect(parseArgs(['--from', 'nonsense', '--help'], NOW)).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'], NOW)).toEqual({ kind: 'help' });
  });

  it('reports every problem, naming the option', async () => {
    const { parseArgs } = await load();
    expect(parseArgs(['--from', '2026-02-30', '--format', 'pdf', '--bogus', 'x', 'stray'], NOW)).toEqual({
      kind: 'error',
      problems: [
        'unknown option --bogus',
        'unexpected argument "stray"',
        '--from: expected a calendar date YYYY-MM-DD, got "2026-02-30"',
        '--out is required: the file to write',
        '--format: expected html, csv or json, got "pdf"',
      ],
    });
    expect(parseArgs(['--out'], NOW)).toEqual({ kind: 'error', problems: ['--out needs a value', '--out is required: the file to write'] });
    expect(parseArgs(['--out', 'a.csv', '--out', 'b.csv'], NOW)).toEqual({ kind: 'error', problems: ['--out is given more than once'] });
    expect(parseArgs(['--out', 'report'], NOW)).toEqual({ kind: 'error', problems: ['--format is required (the extension of --out is not html, csv or json)'] });
    expect(parseArgs(['--from', '2026-04-02', '--out', 'r.json'], NOW)).toEqual({ kind: 'error', problems: ['from (2026-04-02) must not be after to (2026-03-31)'] });
    expect(parseArgs(['--to', '--out', 'r.json'], NOW)).toEqual({ kind: 'error', problems: ['--to needs a value'] });
  });
});
