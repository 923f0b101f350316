import { finding, ids, order, outcome, runFor, suggested } from '../../../helpers/facts-factory';

describe('RENAL_DOSE_LIMIT', () => {
  it('caps at 600 mg/day for CrCl 59.9 and an ordered 800 mg/day', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9', crcl: 59.9 }, [order({ mgPerDay: 800, timesPerDay: 2 })]);
    const f = finding(run, 'RENAL_DOSE_LIMIT');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Reduced kidney function (CrCl 59.9 mL/min): imatinib above 600 mg/day is not recommended.');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 600, perAdministrationMg: 600, timesPerDay: 1 }));
  });

  it('does not fire at CrCl 60 mL/min', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9', crcl: 60 }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual([]);
  });

  it('does not fire at CrCl 40-59 for 600 mg/day (at the cap)', () => {
    expect(ids(runFor({ crcl: 45, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 600 })]))).not.toContain('RENAL_DOSE_LIMIT');
  });

  it('caps at 400 mg/day for CrCl 39.9 and an ordered 600 mg/day (advanced exon 9: no other dose card)', () => {
    const f = finding(runFor({ crcl: 39.9, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 600 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Reduced kidney function (CrCl 39.9 mL/min): imatinib above 400 mg/day is not recommended.');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 400, timesPerDay: 1 }));
    expect(f.advice[0]).toMatch(/50% of the recommended dose/);
  });

  it('uses the 600 mg cap at CrCl 40 (not the 400 mg cap)', () => {
    expect(ids(runFor({ crcl: 40 }, [order({ mgPerDay: 600 })]))).not.toContain('RENAL_DOSE_LIMIT');
    expect(finding(runFor({ crcl: 40 }, [order({ mgPerDay: 600.001 })]), 'RENAL_DOSE_LIMIT').summary).toMatch(/above 600 mg\/day/);
  });

  it('does not fire at CrCl 20-39 for 400 mg/day', () => {
    expect(ids(runFor({ crcl: 20 }, [order({ mgPerDay: 400 })]))).toEqual([]);
  });

  it('warns at CrCl 19.9 for any dose, without a suggestion', () => {
    const f = finding(runFor({ crcl: 19.9 }, [order({ mgPerDay: 100 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Severely reduced kidney function (CrCl 19.9 mL/min): use imatinib with caution; no safe dose is established.');
    expect(suggested(f)).toBeUndefined();
  });

  it('says when an eGFR stands in for the creatinine clearance', () => {
    const f = finding(runFor({ egfr: 35 }, [order({ mgPerDay: 600 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Reduced kidney function (eGFR 35 mL/min/1.73 m²): imatinib above 400 mg/day is not recommended.');
    expect(f.facts[0]?.text).toBe('eGFR 35 mL/min/1.73 m² (LOINC 98979-8), used in place of creatinine clearance');
    expect(f.advice.join(' ')).toMatch(/eGFR is used as a proxy/);
  });

  it('is not checked without CrCl or eGFR in the window, and says so', () => {
    expect(outcome(runFor({}, [order({ mgPerDay: 800, timesPerDay: 2 })]), 'RENAL_DOSE_LIMIT')).toEqual(
      expect.objectContaining({ status: 'not-checked', notes: ['no creatinine clearance or eGFR in the last 30 days'] }),
    );
  });

  it('is not checked in the capped bands when the dose is unknown', () => {
    const run = runFor({ crcl: 45 }, [order({ mgPerDay: 'unparseable' })]);
    expect(ids(run)).toEqual(['DOSE_UNPARSEABLE']);
    expect(outcome(run, 'RENAL_DOSE_LIMIT').status).toBe('not-checked');
  });
});

describe('1.1 §2 labs: a CrCl or eGFR with a comparator', () => {
  it('fires in the severe band for eGFR <15 and shows the comparator', () => {
    const f = finding(runFor({ egfr: { value: 15, comparator: '<' } }, [order({ mgPerDay: 400 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Severely reduced kidney function (eGFR <15 mL/min/1.73 m²): use imatinib with caution; no safe dose is established.');
    expect(f.facts[0]?.text).toMatch(/^eGFR <15 mL\/min\/1\.73 m²/);
    expect(suggested(f)).toBeUndefined();
  });

  it('is not checked for CrCl <60 against the 400 mg/day cap of the 20-39 band (500 mg/day ordered), and says why', () => {
    const run = runFor({ crcl: { value: 60, comparator: '<' }, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 500 })]);
    expect(ids(run)).not.toContain('RENAL_DOSE_LIMIT');
    expect(outcome(run, 'RENAL_DOSE_LIMIT')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'ambiguous' }));
    expect(outcome(run, 'RENAL_DOSE_LIMIT').notes[0]).toMatch(/^CrCl <60 mL\/min allows values on both sides of a limit/);
  });

  it('fires for CrCl <60 when every allowed value fires (1200 mg/day), but suggests no dose: the bands disagree', () => {
    const run = runFor({ crcl: { value: 60, comparator: '<' }, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 1200 })]);
    const renal = finding(run, 'RENAL_DOSE_LIMIT');
    expect(renal.summary).toBe('Reduced kidney function (CrCl <60 mL/min): imatinib above 600 mg/day is not recommended.');
    expect(run.findings.some((f) => suggested(f))).toBe(false);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toMatch(/No dose change is suggested: CrCl may be below 20 mL\/min/);
  });

  it('passes for CrCl >60 at any dose and for CrCl ≥45 at 600 mg/day', () => {
    expect(outcome(runFor({ crcl: { value: 60, comparator: '>' } }, [order({ mgPerDay: 800, timesPerDay: 2 })]), 'RENAL_DOSE_LIMIT').status).toBe('passed');
    expect(outcome(runFor({ crcl: { value: 45, comparator: '>=' } }, [order({ mgPerDay: 600 })]), 'RENAL_DOSE_LIMIT').status).toBe('passed');
  });

  it('suggests the one target every allowed value agrees on (CrCl >45, 1200 mg/day not indicated → 400 mg once daily)', () => {
    const run = runFor({ crcl: { value: 45, comparator: '>' } }, [order({ mgPerDay: 1200 })]);
    expect(suggested(finding(run, 'DOSE_ABOVE_MAX'))).toEqual(expect.objectContaining({ mgPerDay: 400, timesPerDay: 1 }));
  });
});
