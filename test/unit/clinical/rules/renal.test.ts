import { finding, ids, order, outcome, runFor } from '../../../helpers/facts-factory';

describe('RENAL_DOSE_LIMIT', () => {
  it('caps at 600 mg/day for CrCl 59.9 and an ordered 800 mg/day', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9', crcl: 59.9 }, [order({ mgPerDay: 800, timesPerDay: 2 })]);
    const f = finding(run, 'RENAL_DOSE_LIMIT');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Reduced kidney function (CrCl 59.9 mL/min): imatinib above 600 mg/day is not recommended.');
    expect(f.doseTargets).toEqual([expect.objectContaining({ mgPerDay: 600, perAdministrationMg: 600, timesPerDay: 1 })]);
  });

  it('does not fire at CrCl 60 mL/min', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9', crcl: 60 }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual([]);
  });

  it('does not fire at CrCl 40-59 for 600 mg/day (at the cap)', () => {
    expect(ids(runFor({ crcl: 45, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 600 })]))).not.toContain('RENAL_DOSE_LIMIT');
  });

  it('caps at 400 mg/day for CrCl 39.9 and an ordered 600 mg/day', () => {
    const f = finding(runFor({ crcl: 39.9 }, [order({ mgPerDay: 600 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Reduced kidney function (CrCl 39.9 mL/min): imatinib above 400 mg/day is not recommended.');
    expect(f.doseTargets).toEqual([expect.objectContaining({ mgPerDay: 400, timesPerDay: 1 })]);
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
    expect(f.doseTargets).toBeUndefined();
  });

  it('says when an eGFR stands in for the creatinine clearance', () => {
    const f = finding(runFor({ egfr: 35 }, [order({ mgPerDay: 600 })]), 'RENAL_DOSE_LIMIT');
    expect(f.summary).toBe('Reduced kidney function (eGFR 35, used for CrCl): imatinib above 400 mg/day is not recommended.');
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
