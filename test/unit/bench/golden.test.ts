import path from 'node:path';
import { cardIdentities, compareWithGolden, loadGolden, type GoldenFile } from '../../../bench/golden';
import { buildScenarios, buildSweepPoint, ROOT } from '../../../bench/setup';

const card = (code: string, summary: string, indicator = 'warning') => ({ uuid: 'x', indicator, summary, source: { topic: { code } } });
const golden: GoldenFile = {
  one: { answer: { status: 200, body: { cards: [card('EXON9_HIGH_DOSE', 'KIT exon 9 GIST: favour 800 mg/day (reported 2025-04-22)')] } } },
  none: { answer: { status: 200, body: { cards: [] } } },
};

describe('bench clinical answers vs the golden file', () => {
  it('identifies cards by indicator, rule code and summary, dates masked', () => {
    expect(cardIdentities({ cards: [card('A', 'on 2026-11-30T07:30:00Z and 2026-11-01')] })).toEqual(['warning A on <date> and <date>']);
    expect(cardIdentities(null)).toEqual([]);
  });

  it('accepts the same cards at another date and reports what differs', () => {
    const live = JSON.stringify({ cards: [card('EXON9_HIGH_DOSE', 'KIT exon 9 GIST: favour 800 mg/day (reported 2026-04-22)')] });
    expect(compareWithGolden(golden, 'one', 200, live)).toEqual({ golden: 'one', same: true, detail: '1 card: EXON9_HIGH_DOSE (as golden)' });
    expect(compareWithGolden(golden, 'none', 200, live)).toMatchObject({ same: false, detail: '1 card: EXON9_HIGH_DOSE; golden 0: no card' });
    const info = JSON.stringify({ cards: [card('EXON9_HIGH_DOSE', 'KIT exon 9 GIST: favour 800 mg/day (reported 2026-04-22)', 'info')] });
    expect(compareWithGolden(golden, 'one', 200, info).detail).toContain('indicator or summary differs');
    expect(compareWithGolden(golden, 'one', 401, '{}')).toMatchObject({ same: false, detail: 'HTTP 401, golden HTTP 200' });
    expect(compareWithGolden(golden, 'one', 200, 'oops')).toMatchObject({ same: false });
  });

  it('does not judge without a golden file or case', () => {
    expect(compareWithGolden(undefined, 'one', 200, '{}').same).toBeUndefined();
    expect(compareWithGolden(golden, 'missing', 200, '{}')).toMatchObject({ same: undefined, detail: 'no golden case "missing"' });
  });

  it('names a golden case that exists for every scenario and sweep size', () => {
    const file = loadGolden(ROOT);
    expect(file).toBeDefined();
    const now = new Date('2026-06-01T12:00:00Z');
    const all = [...buildScenarios(now, 'http://127.0.0.1:9/fhir'), ...[10, 100, 1000, 3000].map((size) => buildSweepPoint(now, size))];
    for (const sc of all) expect([sc.id, file?.[sc.golden] ? 'found' : sc.golden]).toEqual([sc.id, 'found']);
    expect(loadGolden(path.join(ROOT, 'no-such-dir'))).toBeUndefined();
  });

  it('builds the large-record scenarios and sweep points with their resource counts', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const byId = Object.fromEntries(buildScenarios(now, undefined).map((s) => [s.id, s]));
    expect(byId.s1?.resources).toBe(13);
    expect(byId.s4?.resources).toBe(0);
    expect(byId.s5?.resources).toBe(1000);
    expect(byId.s6?.resources).toBe(1000);
    expect(byId.s5?.bytes).toBeGreaterThan(600_000);
    expect(byId.s6?.body.join('')).toContain('"308191"');
    const p = buildSweepPoint(now, 10);
    expect([p.id, p.resources, p.golden]).toEqual(['sweep-10', 13, 'imatinib, 14-resource record in prefetch']);
  });
});
