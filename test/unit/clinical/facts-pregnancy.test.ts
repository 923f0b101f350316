import type { FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { condition, daysAgo, hcgTest, LOINC, pregnancyStatus } from '../../helpers/fhir-builders';

const pregnancy = (resources: FhirResource[]) => derive(resources).pregnancy;

describe('pregnancy from Conditions', () => {
  it('is established by an active pregnancy Condition (SNOMED 77386006, Z33.1, O00–O9A)', () => {
    expect(pregnancy([condition({ id: 'p', snomed: '77386006' })])).toMatchObject({ sourceRef: 'Condition/p' });
    expect(pregnancy([condition({ icd10: 'Z33.1' })])).toBeDefined();
    expect(pregnancy([condition({ icd10: 'O09.91' })])).toBeDefined();
    expect(pregnancy([condition({ icd10: 'O9A.211' })])).toBeDefined();
  });

  it('is not established by an abated, resolved or entered-in-error pregnancy Condition', () => {
    expect(pregnancy([condition({ snomed: '77386006', abatement: '2025-12-01' })])).toBeUndefined();
    expect(pregnancy([condition({ snomed: '77386006', clinicalStatus: 'resolved' })])).toBeUndefined();
    expect(pregnancy([condition({ snomed: '77386006', verificationStatus: 'entered-in-error' })])).toBeUndefined();
  });
});

describe('pregnancy status Observations (82810-3)', () => {
  it('is established by the latest status valued pregnant (LOINC or SNOMED answer)', () => {
    expect(pregnancy([pregnancyStatus(true, daysAgo(20), { id: 's' })])).toEqual({ description: `Pregnancy status: pregnant on ${daysAgo(20)}`, date: daysAgo(20), sourceRef: 'Observation/s' });
    expect(pregnancy([pregnancyStatus(true, daysAgo(20), { snomed: true })])).toBeDefined();
  });

  it('is superseded by a later not-pregnant status', () => {
    expect(pregnancy([pregnancyStatus(true, daysAgo(20)), pregnancyStatus(false, daysAgo(5))])).toBeUndefined();
    expect(pregnancy([pregnancyStatus(true, daysAgo(20)), pregnancyStatus(false, daysAgo(5), { snomed: true })])).toBeUndefined();
    expect(pregnancy([pregnancyStatus(false, daysAgo(20)), pregnancyStatus(true, daysAgo(5))])).toBeDefined();
  });

  it('looks back 280 days only', () => {
    expect(pregnancy([pregnancyStatus(true, daysAgo(280))])).toBeDefined();
    expect(pregnancy([pregnancyStatus(true, daysAgo(281))])).toBeUndefined();
  });

  it('ignores non-final statuses', () => {
    expect(pregnancy([pregnancyStatus(true, daysAgo(3), { status: 'preliminary' })])).toBeUndefined();
  });
});

describe('hCG tests', () => {
  it('is established by a positive hCG within 30 days with no later negative', () => {
    expect(pregnancy([hcgTest('positive', daysAgo(3), { id: 'h' })])).toEqual({ description: `Positive hCG test on ${daysAgo(3)}`, date: daysAgo(3), sourceRef: 'Observation/h' });
    expect(pregnancy([hcgTest('positive', daysAgo(3), { loinc: LOINC.hcgUrine })])).toBeDefined();
    expect(pregnancy([hcgTest({ text: 'Positive' }, daysAgo(3))])).toBeDefined();
  });

  it('is cleared by a later negative hCG, not by an earlier one', () => {
    expect(pregnancy([hcgTest('positive', daysAgo(10)), hcgTest('negative', daysAgo(2))])).toBeUndefined();
    expect(pregnancy([hcgTest('negative', daysAgo(10)), hcgTest('positive', daysAgo(2))])).toBeDefined();
    expect(pregnancy([hcgTest('positive', daysAgo(10)), hcgTest({ text: 'negative' }, daysAgo(2))])).toBeUndefined();
  });

  it('looks back 30 days only, and ignores negative or unreadable results', () => {
    expect(pregnancy([hcgTest('positive', daysAgo(31))])).toBeUndefined();
    expect(pregnancy([hcgTest('negative', daysAgo(3))])).toBeUndefined();
    expect(pregnancy([hcgTest({ text: 'see note' }, daysAgo(3))])).toBeUndefined();
  });

  it('reads a result reported only through interpretation POS', () => {
    const obs = hcgTest({ text: '' }, daysAgo(3));
    delete obs.valueString;
    obs.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'POS' }] }];
    expect(pregnancy([obs])).toBeDefined();
  });
});
