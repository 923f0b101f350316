import { daysAgo, finding, ids, order, outcome, runFor } from '../../../helpers/facts-factory';

describe('HEMATOLOGIC_HOLD', () => {
  it('holds imatinib for ANC 0.99 ×10^9/L', () => {
    const f = finding(runFor({ anc: 0.99 }), 'HEMATOLOGIC_HOLD');
    expect(f.indicator).toBe('critical');
    expect(f.summary).toBe('ANC 0.99 ×10⁹/L: hold imatinib until ANC ≥ 1.5 and platelets ≥ 75, then resume.');
    expect(f.facts[0]).toEqual(expect.objectContaining({ text: 'ANC 0.99 ×10⁹/L (below 1)', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }));
    expect(f.advice[0]).toMatch(/resume at the previous dose \(400 mg\/day\)\. If it recurs, withhold again and resume at 300 mg\/day/);
  });

  it('does not fire for ANC exactly 1.0 ×10^9/L', () => {
    expect(ids(runFor({ anc: 1.0 }))).not.toContain('HEMATOLOGIC_HOLD');
  });

  it('treats conversion noise at the threshold as the threshold (0.1 × 10 is not below 1)', () => {
    expect(ids(runFor({ anc: 0.1 * 10 }))).not.toContain('HEMATOLOGIC_HOLD');
    expect(ids(runFor({ anc: 1.0000001 - 0.0000001 }))).not.toContain('HEMATOLOGIC_HOLD');
  });

  it('holds imatinib for platelets 49.9 ×10^9/L and not for 50', () => {
    expect(finding(runFor({ platelets: 49.9 }), 'HEMATOLOGIC_HOLD').summary).toMatch(/^Platelets 49\.9 ×10⁹\/L: hold imatinib/);
    expect(ids(runFor({ platelets: 50 }))).not.toContain('HEMATOLOGIC_HOLD');
  });

  it('names both counts when both are low', () => {
    expect(finding(runFor({ anc: 0.5, platelets: 20 }), 'HEMATOLOGIC_HOLD').summary).toMatch(/^ANC 0\.5 and platelets 20 ×10⁹\/L:/);
  });

  it('adds the high-dose caveat (unverified wording) at 800 mg/day', () => {
    const f = finding(runFor({ anc: 0.5, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]), 'HEMATOLOGIC_HOLD');
    expect(f.advice.join(' ')).toMatch(/per older US labelling; confirm locally/);
  });

  it('is not checked without ANC or platelets in the window, and says so', () => {
    const run = runFor({});
    expect(outcome(run, 'HEMATOLOGIC_HOLD')).toEqual(expect.objectContaining({ status: 'not-checked', notes: ['no ANC in the last 30 days; no platelet count in the last 30 days'] }));
  });

  it('records the missing count when only one is available', () => {
    expect(outcome(runFor({ anc: 2 }), 'HEMATOLOGIC_HOLD').notes).toEqual([`ANC 2 ×10⁹/L on ${daysAgo(3)}`, 'no platelet count in the last 30 days']);
  });
});

describe('1.1 §2 labs: comparators and results without a number', () => {
  it('holds for ANC <0.5 (every allowed value is below 1.0) and shows the comparator', () => {
    const f = finding(runFor({ anc: { value: 0.5, comparator: '<' } }), 'HEMATOLOGIC_HOLD');
    expect(f.summary).toMatch(/^ANC <0\.5 ×10⁹\/L: hold imatinib/);
  });

  it('is not checked for ANC <1.5 against 1.0 (some allowed values are below), and says why', () => {
    const run = runFor({ anc: { value: 1.5, comparator: '<' }, platelets: 200 });
    expect(ids(run)).not.toContain('HEMATOLOGIC_HOLD');
    expect(outcome(run, 'HEMATOLOGIC_HOLD')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'ambiguous' }));
    expect(outcome(run, 'HEMATOLOGIC_HOLD').notes[0]).toMatch(/ANC <1\.5 ×10⁹\/L may be above or below 1 ×10⁹\/L/);
  });

  it('passes for platelets >100 (no allowed value is below 50)', () => {
    expect(outcome(runFor({ anc: 3, platelets: { value: 100, comparator: '>' } }), 'HEMATOLOGIC_HOLD').status).toBe('passed');
  });

  it('holds on the older numeric platelet count and names the newer result that has no number', () => {
    const f = finding(
      runFor({ platelets: { value: 40, unusable: [{ kind: 'no-number', date: daysAgo(1), text: 'platelet clumps, unable to count', sourceRef: 'Observation/clumps' }] } }),
      'HEMATOLOGIC_HOLD',
    );
    expect(f.summary).toMatch(/^Platelets 40 ×10⁹\/L: hold imatinib/);
    expect(f.facts.map((x) => x.text)).toContain(`Newer result: A platelet count result of ${daysAgo(1)} has no number: "platelet clumps, unable to count"`);
  });

  it('names a newer preliminary result without its value', () => {
    const f = finding(runFor({ anc: { value: 0.7, unusable: [{ kind: 'preliminary', date: daysAgo(1), sourceRef: 'Observation/pre' }] } }), 'HEMATOLOGIC_HOLD');
    expect(f.facts.map((x) => x.text)).toContain(`Newer result: A preliminary ANC result of ${daysAgo(1)} is pending`);
  });
});
