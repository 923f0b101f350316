import type { FhirResource } from 'fhir/r4';
import { clinicalSchema } from '../../../src/config';
import { deriveFacts } from '../../../src/clinical/facts';
import defaults from '../../../config/default.json';
import { daysAgo, lab, LOINC, NOW } from '../../helpers/fhir-builders';

const cfg = clinicalSchema.parse(defaults.clinical);
const labs = (resources: FhirResource[]) => deriveFacts(resources, { now: NOW, cfg, excludeOrderRefs: [] }).labs;

describe('ANC and platelets', () => {
  it('reads ANC in 10^9/L with date, code and source', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', '2026-05-20', undefined, { id: 'a' })]).anc).toEqual({
      value: 0.8,
      unit: '10*9/L',
      date: '2026-05-20',
      loinc: '751-8',
      sourceRef: 'Observation/a',
    });
  });

  it('converts per-microlitre counts (990 /uL = 0.99 ×10^9/L) and 10*3/uL', () => {
    expect(labs([lab(LOINC.ancManual, 990, '/uL', daysAgo(1))]).anc?.value).toBe(0.99);
    expect(labs([lab(LOINC.ancAny, 1.5, '10*3/uL', daysAgo(1))]).anc?.value).toBe(1.5);
    expect(labs([lab(LOINC.platelets, 45, '10*3/uL', daysAgo(1), undefined, { unitTextOnly: true, unitText: 'K/uL' })]).platelets?.value).toBe(45);
    expect(labs([lab(LOINC.plateletsAny, 45000, '/uL', daysAgo(1))]).platelets?.value).toBe(45);
  });

  it('ignores neutrophils % (26511-6): it is not an absolute count', () => {
    expect(labs([lab(LOINC.neutrophilPercent, 0.5, '%', daysAgo(1))]).anc).toBeUndefined();
  });

  it('takes the latest result in the look-back window', () => {
    const l = labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(10)), lab(LOINC.anc, 2.1, '10*9/L', daysAgo(2), undefined, { id: 'new' }), lab(LOINC.anc, 0.5, '10*9/L', daysAgo(20))]);
    expect(l.anc).toMatchObject({ value: 2.1, sourceRef: 'Observation/new' });
  });

  it('includes a result dated exactly at the edge of the window and excludes one a day older', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(30))]).anc).toBeDefined();
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(31))]).anc).toBeUndefined();
  });

  it('ignores preliminary and cancelled results', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'preliminary' })]).anc).toBeUndefined();
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'cancelled' })]).anc).toBeUndefined();
  });

  it('counts amended and corrected results', () => {
    expect(labs([lab(LOINC.anc, 0.8, '10*9/L', daysAgo(1), undefined, { status: 'amended' })]).anc?.value).toBe(0.8);
  });

  it('does not fall back to an older value when the latest has an unreadable unit', () => {
    expect(labs([lab(LOINC.anc, 2.0, '10*9/L', daysAgo(10)), lab(LOINC.anc, 0.4, 'bananas', daysAgo(1))]).anc).toBeUndefined();
  });
});

describe('liver tests', () => {
  it('keeps bilirubin in its own unit with the ULN from the reference range', () => {
    expect(labs([lab(LOINC.bilirubin, 3.9, 'mg/dL', daysAgo(1), 1.2)]).bilirubin).toMatchObject({ value: 3.9, unit: 'mg/dL', uln: 1.2 });
    expect(labs([lab(LOINC.bilirubinMolar, 70, 'umol/L', daysAgo(1), 21)]).bilirubin).toMatchObject({ value: 70, unit: 'umol/L', uln: 21, loinc: '14631-6' });
  });

  it('converts a ULN in another unit into the unit of the value', () => {
    const obs = lab(LOINC.bilirubin, 3.9, 'mg/dL', daysAgo(1), 1.2);
    const range = obs.referenceRange?.[0];
    if (range) range.high = { value: 21, unit: 'umol/L', system: 'http://unitsofmeasure.org', code: 'umol/L' };
    expect(labs([obs]).bilirubin?.uln).toBeCloseTo(1.228, 3);
  });

  it('takes a ULN without a unit to be in the unit of the value', () => {
    const obs = lab(LOINC.alt, 250, 'U/L', daysAgo(1), 40);
    const range = obs.referenceRange?.[0];
    if (range) range.high = { value: 40 };
    expect(labs([obs]).alt).toMatchObject({ value: 250, unit: 'U/L', uln: 40 });
  });

  it('has no ULN when there is no reference range', () => {
    const l = labs([lab(LOINC.ast, 250, 'U/L', daysAgo(1))]);
    expect(l.ast).toBeDefined();
    expect(l.ast?.uln).toBeUndefined();
  });

  it('reads IU/L as U/L', () => {
    expect(labs([lab(LOINC.alt, 250, 'IU/L', daysAgo(1), 40, { unitTextOnly: true })]).alt).toMatchObject({ value: 250, uln: 40 });
  });
});

describe('renal function', () => {
  it('prefers creatinine clearance to eGFR', () => {
    const r = labs([lab(LOINC.crclCockcroftGault, 45, 'mL/min', daysAgo(5), undefined, { id: 'cg' }), lab(LOINC.egfr, 70, 'mL/min/{1.73_m2}', daysAgo(1))]).renal;
    expect(r).toMatchObject({ value: 45, unit: 'mL/min', egfrProxy: false, loinc: '35591-7', sourceRef: 'Observation/cg' });
    expect(labs([lab(LOINC.crcl24h, 38, 'mL/min', daysAgo(5))]).renal).toMatchObject({ value: 38, egfrProxy: false });
  });

  it('uses eGFR as a proxy when no CrCl is in the window, and says so', () => {
    const r = labs([lab(LOINC.crclCockcroftGault, 45, 'mL/min', daysAgo(40)), lab(LOINC.egfrCkdEpi2009, 55, 'mL/min/{1.73_m2}', daysAgo(1))]).renal;
    expect(r).toMatchObject({ value: 55, unit: 'mL/min', egfrProxy: true, loinc: '62238-1' });
    expect(labs([lab(LOINC.egfrMdrd, 25, 'mL/min/1.73m2', daysAgo(1), undefined, { unitTextOnly: true })]).renal).toMatchObject({ value: 25, egfrProxy: true });
  });

  it('is absent when neither is in the window', () => {
    expect(labs([lab(LOINC.egfr, 25, 'mL/min/{1.73_m2}', daysAgo(45))]).renal).toBeUndefined();
  });
});
