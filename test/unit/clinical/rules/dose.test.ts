import { finding, ids, order, outcome, runFor, suggested } from '../../../helpers/facts-factory';

describe('HIGH_DOSE_WITHOUT_INDICATION', () => {
  it('suggests 400 mg once daily for 600 mg/day without an indication', () => {
    const f = finding(runFor({}, [order({ mgPerDay: 600 })]), 'HIGH_DOSE_WITHOUT_INDICATION');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Imatinib above 400 mg/day without an indication for high dose (advanced GIST with KIT exon 9 or progression).');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 400, perAdministrationMg: 400, timesPerDay: 1 }));
  });

  it('fires at 400.001 mg/day and not at 400 mg/day', () => {
    expect(ids(runFor({}, [order({ mgPerDay: 400.001 })]))).toContain('HIGH_DOSE_WITHOUT_INDICATION');
    expect(ids(runFor({}, [order({ mgPerDay: 400 })]))).not.toContain('HIGH_DOSE_WITHOUT_INDICATION');
  });

  it('fires at exactly 800 mg/day (the upper end of its range)', () => {
    expect(ids(runFor({}, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual(['HIGH_DOSE_WITHOUT_INDICATION']);
  });

  it('treats an untested genotype as no indication', () => {
    const run = runFor({ advanced: true, genotype: 'untested' }, [order({ mgPerDay: 800, timesPerDay: 2 })]);
    expect(ids(run)).toContain('HIGH_DOSE_WITHOUT_INDICATION');
    expect(finding(run, 'HIGH_DOSE_WITHOUT_INDICATION').facts.map((f) => f.text)).toContain('KIT/PDGFRA genotype not tested (an untested genotype is no indication)');
  });

  it('accepts advanced KIT exon 9 as an indication', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual([]);
  });

  it('does not accept KIT exon 9 without advanced disease (adjuvant) as an indication', () => {
    expect(ids(runFor({ genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual(['HIGH_DOSE_WITHOUT_INDICATION']);
  });

  it('accepts progression on imatinib outside the progression window as an indication', () => {
    const run = runFor(
      { advanced: true, taking: { mgPerDay: 400, start: '2024-01-01' }, progression: { date: '2025-06-01', current: false }, latestStatus: { code: '359746009', display: 'stable', date: '2026-05-01' } },
      [order({ mgPerDay: 800, timesPerDay: 2 })],
    );
    expect(ids(run)).toEqual([]);
  });
});

describe('DOSE_ABOVE_MAX', () => {
  it('is critical above 800 mg/day and replaces HIGH_DOSE_WITHOUT_INDICATION', () => {
    const run = runFor({}, [order({ mgPerDay: 800.001 })]);
    expect(ids(run)).toEqual(['DOSE_ABOVE_MAX']);
    const f = finding(run, 'DOSE_ABOVE_MAX');
    expect(f.indicator).toBe('critical');
    expect(f.summary).toBe('Imatinib dose exceeds 800 mg/day, the maximum for GIST; experience above 800 mg is limited.');
  });

  it('does not fire at exactly 800 mg/day', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).not.toContain('DOSE_ABOVE_MAX');
  });

  it('targets 400 mg twice daily for advanced KIT exon 9 GIST', () => {
    const f = finding(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 1200, timesPerDay: 2 })]), 'DOSE_ABOVE_MAX');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 800, perAdministrationMg: 400, timesPerDay: 2 }));
  });

  it('targets 400 mg twice daily for advanced GIST that progressed on imatinib', () => {
    const f = finding(runFor({ advanced: true, taking: { mgPerDay: 400 }, progression: { date: '2025-09-01', current: false } }, [order({ mgPerDay: 1000 })]), 'DOSE_ABOVE_MAX');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 800, timesPerDay: 2 }));
  });

  it('targets 400 mg once daily without an indication', () => {
    const f = finding(runFor({ genotype: 'kit-exon9' }, [order({ mgPerDay: 1200, timesPerDay: 2 })]), 'DOSE_ABOVE_MAX');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 400, perAdministrationMg: 400, timesPerDay: 1 }));
  });

  it('sums several orders and names them all in one finding', () => {
    const a = order({ id: 'ord-a', mgPerDay: 400 });
    const b = order({ id: 'ord-b', mgPerDay: 600 });
    const f = finding(runFor({}, [a, b]), 'DOSE_ABOVE_MAX');
    expect(f.orders.map((o) => o.reference)).toEqual(['MedicationRequest/ord-a', 'MedicationRequest/ord-b']);
    expect(f.facts[0]?.text).toBe('Ordered total 1000 mg/day = 400 mg/day + 600 mg/day (2 imatinib orders)');
    expect(f.advice.join(' ')).toMatch(/2 imatinib orders: check for duplicate orders/);
  });

  it('treats two 400 mg orders as 800 mg/day (no DOSE_ABOVE_MAX, but high dose without indication)', () => {
    expect(ids(runFor({}, [order({ id: 'o1' }), order({ id: 'o2' })]))).toEqual(['HIGH_DOSE_WITHOUT_INDICATION']);
  });
});

describe('DOSE_UNPARSEABLE', () => {
  it('informs that the dose could not be computed and runs no dose-comparing rule', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 'unparseable' })]);
    expect(ids(run)).toEqual(['DOSE_UNPARSEABLE']);
    const f = finding(run, 'DOSE_UNPARSEABLE');
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('Could not compute the imatinib daily dose from this order; dose checks were not run.');
    for (const id of ['EXON9_HIGH_DOSE', 'HIGH_DOSE_WITHOUT_INDICATION', 'DOSE_ABOVE_MAX', 'PROGRESSION_ESCALATE']) {
      expect(outcome(run, id).status).toBe('not-checked');
    }
  });

  it('suppresses dose rules for the whole request when one of two orders is unparseable', () => {
    const run = runFor({}, [order({ id: 'ok', mgPerDay: 1200 }), order({ id: 'bad', mgPerDay: 'unparseable' })]);
    expect(ids(run)).toEqual(['DOSE_UNPARSEABLE']);
    expect(finding(run, 'DOSE_UNPARSEABLE').orders.map((o) => o.reference)).toEqual(['MedicationRequest/bad']);
  });

  it('does not fire when every order has a computable dose', () => {
    expect(ids(runFor({}, [order({ mgPerDay: 400 })]))).not.toContain('DOSE_UNPARSEABLE');
  });

  it('does not stop safety rules that do not compare the dose', () => {
    const run = runFor({ anc: 0.5, pregnant: true, crcl: 15 }, [order({ mgPerDay: 'unparseable' })]);
    expect(ids(run)).toEqual(expect.arrayContaining(['HEMATOLOGIC_HOLD', 'PREGNANCY', 'RENAL_DOSE_LIMIT', 'DOSE_UNPARSEABLE']));
  });
});
