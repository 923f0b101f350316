/** docs/clinical-rules.md §4, 1.1: one safe dose target per request, shown once, withheld during holds. */
import { finding, ids, order, runFor, suggested } from '../../../helpers/facts-factory';
import type { RuleRun } from '../../../../src/clinical/rules/run';

/** The dose suggestions of a run: [rule id, mg/day]. */
function doseSuggestions(run: RuleRun): Array<[string, number]> {
  return run.findings.flatMap((f) => {
    const t = suggested(f);
    return t ? [[f.ruleId, t.mgPerDay] as [string, number]] : [];
  });
}

describe('1.1 §4 one safe target per request', () => {
  it('DOSE_ABOVE_MAX (indicated: 800) with CrCl 45: one suggestion of 600 mg/day, on the critical card', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9', crcl: 45 }, [order({ mgPerDay: 1200 })]);
    expect(ids(run)).toEqual(['DOSE_ABOVE_MAX', 'RENAL_DOSE_LIMIT']);
    expect(doseSuggestions(run)).toEqual([['DOSE_ABOVE_MAX', 600]]);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toBe("This card's target of 800 mg/day is lowered to 600 mg/day by the kidney-function cap of 600 mg/day.");
    expect(finding(run, 'RENAL_DOSE_LIMIT').doseNote).toMatch(/^The dose change of this request \(600 mg once daily\) is offered on the card "Imatinib above the maximum dose for GIST \(DOSE_ABOVE_MAX\)"/);
  });

  it('DOSE_ABOVE_MAX beside RENAL_DOSE_LIMIT at CrCl 35: 400 mg once daily, never 400 mg twice daily', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9', crcl: 35 }, [order({ mgPerDay: 1200 })]);
    expect(doseSuggestions(run)).toEqual([['DOSE_ABOVE_MAX', 400]]);
    expect(suggested(finding(run, 'DOSE_ABOVE_MAX'))).toEqual(expect.objectContaining({ timesPerDay: 1, regimen: '400 mg once daily' }));
  });

  it('1200 mg/day not indicated with severe hepatic impairment: 400 then 25% lower, 300 mg/day', () => {
    const run = runFor({ severeHepaticImpairment: true }, [order({ mgPerDay: 1200 })]);
    expect(doseSuggestions(run)).toEqual([['DOSE_ABOVE_MAX', 300]]);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toMatch(/lowered to 300 mg\/day by the 25% reduction for severe hepatic impairment \(400 mg\/day → 300 mg\/day\)/);
    expect(finding(run, 'HEPATIC_IMPAIRMENT').doseNote).toMatch(/offered on the card .*DOSE_ABOVE_MAX.*; it includes this card's reduction\./);
  });

  it('HIGH_DOSE_WITHOUT_INDICATION (400) with CrCl 50 and hepatic impairment: 300 mg/day on the first warning card', () => {
    const run = runFor({ severeHepaticImpairment: true, crcl: 50 }, [order({ mgPerDay: 700 })]);
    expect(doseSuggestions(run)).toEqual([['HIGH_DOSE_WITHOUT_INDICATION', 300]]);
  });

  it('ties on indicator go to the rule order of the table (HIGH_DOSE_WITHOUT_INDICATION before RENAL_DOSE_LIMIT)', () => {
    const run = runFor({ crcl: 35 }, [order({ mgPerDay: 600 })]);
    expect(doseSuggestions(run)).toEqual([['HIGH_DOSE_WITHOUT_INDICATION', 400]]);
    expect(finding(run, 'RENAL_DOSE_LIMIT').doseNote).toMatch(/it also respects this card's limit/);
  });

  it('HEPATIC_IMPAIRMENT alone reduces 300 mg/day to 200 mg/day on its own card', () => {
    const run = runFor({ severeHepaticImpairment: true }, [order({ mgPerDay: 300 })]);
    expect(doseSuggestions(run)).toEqual([['HEPATIC_IMPAIRMENT', 200]]);
  });

  it('negative: a single dose rule keeps its own target and gets no note', () => {
    const run = runFor({}, [order({ mgPerDay: 600 })]);
    expect(doseSuggestions(run)).toEqual([['HIGH_DOSE_WITHOUT_INDICATION', 400]]);
    expect(finding(run, 'HIGH_DOSE_WITHOUT_INDICATION').doseNote).toBeUndefined();
  });

  it('with an unknown indication (genomics missing), DOSE_ABOVE_MAX fires but its target is withheld', () => {
    const run = runFor({ advanced: true, genotype: 'untested' }, [order({ mgPerDay: 1200 })], undefined, [
      { key: 'genomics', label: 'mutation tests', reason: 'FHIR server answered HTTP 500', resourceType: 'Observation', codes: ['http://loinc.org|69548-6'] },
    ]);
    expect(ids(run)).toContain('DOSE_ABOVE_MAX');
    expect(doseSuggestions(run)).toEqual([]);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toMatch(/^No dose change is suggested: whether a high dose is indicated is not known/);
  });
});

describe('1.1 §4 no dose suggestion at all', () => {
  it('ANC 0.8 and pregnancy: no "change to 400 mg", only "Cancel this imatinib order" on both critical cards', () => {
    const run = runFor({ anc: 0.8, pregnant: true }, [order({ id: 'draft-1', mgPerDay: 1200 })]);
    expect(ids(run)).toEqual(['DOSE_ABOVE_MAX', 'HEMATOLOGIC_HOLD', 'PREGNANCY']);
    expect(doseSuggestions(run)).toEqual([]);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toBe(
      'No dose change is suggested: it is withheld while Neutropenia or thrombocytopenia: hold imatinib (HEMATOLOGIC_HOLD) and Imatinib in pregnancy (PREGNANCY) fire.',
    );
    for (const id of ['HEMATOLOGIC_HOLD', 'PREGNANCY']) {
      expect(finding(run, id).suggestion).toEqual({ kind: 'cancel', orders: [expect.objectContaining({ reference: 'MedicationRequest/draft-1' })] });
    }
    expect(finding(run, 'DOSE_ABOVE_MAX').suggestion).toBeUndefined();
  });

  it('HEPATOTOXICITY_HOLD also carries the cancel suggestion', () => {
    const run = runFor({ taking: { mgPerDay: 400 }, alt: { value: 300, uln: 40 } }, [order({ mgPerDay: 600 })]);
    expect(finding(run, 'HEPATOTOXICITY_HOLD').suggestion?.kind).toBe('cancel');
    expect(doseSuggestions(run)).toEqual([]);
  });

  it('no cancel suggestion when no evaluated order is a draft (a revised active order)', () => {
    const run = runFor({ pregnant: true }, [order({ status: 'active', mgPerDay: 400 })]);
    expect(finding(run, 'PREGNANCY').suggestion).toBeUndefined();
  });

  it('CrCl below 20: RENAL_DOSE_LIMIT says use with caution, and the other dose cards say their change is withheld', () => {
    const run = runFor({ crcl: 15 }, [order({ mgPerDay: 1200 })]);
    expect(ids(run)).toEqual(['DOSE_ABOVE_MAX', 'RENAL_DOSE_LIMIT']);
    expect(doseSuggestions(run)).toEqual([]);
    expect(finding(run, 'DOSE_ABOVE_MAX').doseNote).toMatch(/withheld because CrCl 15 mL\/min is below 20 mL\/min, where no dose is established/);
    expect(finding(run, 'RENAL_DOSE_LIMIT').advice[0]).toMatch(/100 mg\/day was tolerated in two patients/);
  });

  it('negative: a hold with no dose rule firing still offers the cancel suggestion and no dose note', () => {
    const run = runFor({ anc: 0.5 }, [order({ mgPerDay: 400 })]);
    expect(finding(run, 'HEMATOLOGIC_HOLD').suggestion?.kind).toBe('cancel');
    expect(finding(run, 'HEMATOLOGIC_HOLD').doseNote).toBeUndefined();
  });
});
