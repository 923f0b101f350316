import type { FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { daysAgo, lab, LOINC } from '../../helpers/fhir-builders';

const labs = (resources: FhirResource[]) => derive(resources).labs;

describe('ANC and platelets', () => {
  it('reads ANC in 10^9/L with date, code and source', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', '2026-05-20', undefined, { id: 'a' })]).anc.value).toEqual({
      value: 0.8,
      unit: '10*9/L',
      date: '2026-05-20',
      loinc: '751-8',
      sourceRef: 'Observation/a',
    });
  });

  it('converts per-microlitre counts (990 /uL = 0.99 ×10^9/L) and 10*3/uL', () => {
    expect(labs([lab(LOINC.ancManual, 990, '/uL', daysAgo(1))]).anc.value?.value).toBe(0.99);
    expect(labs([lab(LOINC.ancAny, 1.5, '10*3/uL', daysAgo(1))]).anc.value?.value).toBe(1.5);
    expect(labs([lab(LOINC.platelets, 45, '10*3/uL', daysAgo(1), undefined, { unitTextOnly: true, unitText: 'K/uL' })]).platelets.value?.value).toBe(45);
    expect(labs([lab(LOINC.plateletsAny, 45000, '/uL', daysAgo(1))]).platelets.value?.value).toBe(45);
  });

  it('ignores neutrophils % (26511-6): it is not an absolute count', () => {
    expect(labs([lab(LOINC.neutrophilPercent, 0.5, '%', daysAgo(1))]).anc.value).toBeUndefined();
  });

  it('takes the latest result in the look-back window', () => {
    const l = labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(10)), lab(LOINC.anc, 2.1, '10*9/L', daysAgo(2), undefined, { id: 'new' }), lab(LOINC.anc, 0.5, '10*9/L', daysAgo(20))]);
    expect(l.anc.value).toMatchObject({ value: 2.1, sourceRef: 'Observation/new' });
  });

  it('includes a result dated exactly at the edge of the window and excludes one a day older', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(30))]).anc.value).toBeDefined();
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(31))]).anc.value).toBeUndefined();
  });

  it('never uses a preliminary or cancelled result as the value', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'preliminary' })]).anc.value).toBeUndefined();
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'cancelled' })]).anc).toEqual({ unusable: [] });
  });

  it('counts amended and corrected results', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'amended' })]).anc.value?.value).toBe(0.8);
  });

  it('does not fall back to an older value when the latest has an unreadable unit, and names it', () => {
    const anc = labs([lab(LOINC.anc, 2.0, '10*9/L', daysAgo(10)), lab(LOINC.anc, 0.4, 'bananas', daysAgo(1), undefined, { id: 'odd' })]).anc;
    expect(anc.value).toBeUndefined();
    expect(anc.unusable).toEqual([{ kind: 'unreadable-unit', date: daysAgo(1), text: 'unit "bananas"', sourceRef: 'Observation/odd' }]);
  });
});

describe('liver tests', () => {
  it('keeps bilirubin in its own unit with the ULN from the reference range', () => {
    expect(labs([lab(LOINC.bilirubin, 3.9, 'mg/dL', daysAgo(1), 1.2)]).bilirubin.value).toMatchObject({ value: 3.9, unit: 'mg/dL', uln: 1.2 });
    expect(labs([lab(LOINC.bilirubinMolar, 70, 'umol/L', daysAgo(1), 21)]).bilirubin.value).toMatchObject({ value: 70, unit: 'umol/L', uln: 21, loinc: '14631-6' });
  });

  it('converts a ULN in another unit into the unit of the value', () => {
    const obs = lab(LOINC.bilirubin, 3.9, 'mg/dL', daysAgo(1), 1.2);
    const range = obs.referenceRange?.[0];
    if (range) range.high = { value: 21, unit: 'umol/L', system: 'http://unitsofmeasure.org', code: 'umol/L' };
    expect(labs([obs]).bilirubin.value?.uln).toBeCloseTo(1.228, 3);
  });

  it('takes a ULN without a unit to be in the unit of the value', () => {
    const obs = lab(LOINC.alt, 250, 'U/L', daysAgo(1), 40);
    const range = obs.referenceRange?.[0];
    if (range) range.high = { value: 40 };
    expect(labs([obs]).alt.value).toMatchObject({ value: 250, unit: 'U/L', uln: 40 });
  });

  it('has no ULN when there is no reference range', () => {
    const l = labs([lab(LOINC.ast, 250, 'U/L', daysAgo(1))]);
    expect(l.ast.value).toBeDefined();
    expect(l.ast.value?.uln).toBeUndefined();
  });

  it('reads IU/L as U/L', () => {
    expect(labs([lab(LOINC.alt, 250, 'IU/L', daysAgo(1), 40, { unitTextOnly: true })]).alt.value).toMatchObject({ value: 250, uln: 40 });
  });
});

describe('renal function', () => {
  it('prefers creatinine clearance to eGFR', () => {
    const r = labs([lab(LOINC.crclCockcroftGault, 45, 'mL/min', daysAgo(5), undefined, { id: 'cg' }), lab(LOINC.egfr, 70, 'mL/min/{1.73_m2}', daysAgo(1))]).renal.value;
    expect(r).toMatchObject({ value: 45, unit: 'mL/min', egfrProxy: false, loinc: '35591-7', sourceRef: 'Observation/cg' });
    expect(labs([lab(LOINC.crcl24h, 38, 'mL/min', daysAgo(5))]).renal.value).toMatchObject({ value: 38, egfrProxy: false });
  });

  it('uses eGFR as a proxy when no CrCl is in the window, and says so', () => {
    const r = labs([lab(LOINC.crclCockcroftGault, 45, 'mL/min', daysAgo(40)), lab(LOINC.egfrCkdEpi2009, 55, 'mL/min/{1.73_m2}', daysAgo(1))]).renal.value;
    expect(r).toMatchObject({ value: 55, unit: 'mL/min/{1.73_m2}', egfrProxy: true, loinc: '62238-1' });
    expect(labs([lab(LOINC.egfrMdrd, 25, 'mL/min/1.73m2', daysAgo(1), undefined, { unitTextOnly: true })]).renal.value).toMatchObject({ value: 25, egfrProxy: true });
  });

  it('is absent when neither is in the window', () => {
    expect(labs([lab(LOINC.egfr, 25, 'mL/min/{1.73_m2}', daysAgo(45))]).renal.value).toBeUndefined();
  });
});

describe('1.1 §2 labs: comparators are kept', () => {
  it('keeps the comparator of valueQuantity (eGFR <15)', () => {
    const obs = lab(LOINC.egfr, 15, 'mL/min/{1.73_m2}', daysAgo(2));
    obs.valueQuantity = { ...obs.valueQuantity, comparator: '<' };
    expect(labs([obs]).renal.value).toMatchObject({ value: 15, comparator: '<', egfrProxy: true, unit: 'mL/min/{1.73_m2}' });
  });

  it('reads a numeric string with a comparator, in the unit the LOINC code fixes (eGFR ">60")', () => {
    const obs = lab(LOINC.egfr, 0, 'mL/min/{1.73_m2}', daysAgo(2));
    delete obs.valueQuantity;
    obs.valueString = '>60';
    expect(labs([obs]).renal.value).toMatchObject({ value: 60, comparator: '>', egfrProxy: true });
    obs.valueString = '≥ 90 mL/min/1.73m2';
    expect(labs([obs]).renal.value).toMatchObject({ value: 90, comparator: '>=' });
  });

  it('does not read a bare number string whose unit the code does not fix (ANC "0.8")', () => {
    const obs = lab(LOINC.anc, 0, '10*9/L', daysAgo(2), undefined, { id: 'bare' });
    delete obs.valueQuantity;
    obs.valueString = '0.8';
    const anc = labs([obs]).anc;
    expect(anc.value).toBeUndefined();
    expect(anc.unusable[0]).toMatchObject({ kind: 'unreadable-unit', sourceRef: 'Observation/bare' });
  });

  it('treats the FHIR comparator "ad" as unreadable, not as a number', () => {
    const obs = lab(LOINC.anc, 2, '10*9/L', daysAgo(2));
    obs.valueQuantity = { ...obs.valueQuantity, comparator: 'ad' as unknown as '<' };
    expect(labs([obs]).anc.value).toBeUndefined();
  });
});

describe('1.1 §2 labs: results without a number and preliminary results', () => {
  it('uses the latest numeric result and names a newer result without a number (platelet clumps)', () => {
    const clumps = lab(LOINC.platelets, 0, '10*9/L', daysAgo(1), undefined, { id: 'clumps' });
    delete clumps.valueQuantity;
    clumps.valueString = 'platelet clumps, unable to count';
    const platelets = labs([lab(LOINC.platelets, 40, '10*9/L', daysAgo(4), undefined, { id: 'p40' }), clumps]).platelets;
    expect(platelets.value).toMatchObject({ value: 40, sourceRef: 'Observation/p40' });
    expect(platelets.unusable).toEqual([{ kind: 'no-number', date: daysAgo(1), text: 'platelet clumps, unable to count', sourceRef: 'Observation/clumps' }]);
  });

  it('names a dataAbsentReason result by its reason', () => {
    const absent = lab(LOINC.anc, 0, '10*9/L', daysAgo(1));
    delete absent.valueQuantity;
    absent.dataAbsentReason = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'error', display: 'Error' }] };
    const anc = labs([lab(LOINC.anc, 2.5, '10*9/L', daysAgo(6)), absent]).anc;
    expect(anc.value?.value).toBe(2.5);
    expect(anc.unusable).toMatchObject([{ kind: 'no-number', text: 'Error' }]);
  });

  it('names a newer preliminary result without its value', () => {
    const anc = labs([lab(LOINC.anc, 2.5, '10*9/L', daysAgo(6)), lab(LOINC.anc, 0.3, '10*9/L', daysAgo(1), undefined, { status: 'preliminary', id: 'pre' })]).anc;
    expect(anc.value?.value).toBe(2.5);
    expect(anc.unusable).toEqual([{ kind: 'preliminary', date: daysAgo(1), sourceRef: 'Observation/pre' }]);
  });

  it('does not name results older than the value used', () => {
    const old = lab(LOINC.anc, 0, '10*9/L', daysAgo(9));
    delete old.valueQuantity;
    old.valueString = 'clotted';
    expect(labs([old, lab(LOINC.anc, 2.5, '10*9/L', daysAgo(2))]).anc.unusable).toEqual([]);
  });
});

describe('1.1 §5 units as reported', () => {
  it('keeps the reported value and unit when it differs from the canonical unit', () => {
    expect(labs([lab(LOINC.anc, 900, '/uL', daysAgo(1))]).anc.value).toMatchObject({ value: 0.9, unit: '10*9/L', reported: { value: 900, unit: '/uL' } });
  });

  it('keeps the ULN as the lab reported it (21 µmol/L) beside the converted one', () => {
    const obs = lab(LOINC.bilirubin, 3.9, 'mg/dL', daysAgo(1), 1.2);
    const range = obs.referenceRange?.[0];
    if (range) range.high = { value: 21, unit: 'µmol/L', system: 'http://unitsofmeasure.org', code: 'umol/L' };
    expect(labs([obs]).bilirubin.value).toMatchObject({ ulnReported: { value: 21, unit: 'µmol/L' } });
  });
});
