import type { FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { condition, gistCondition, metastasisCondition, SYSTEMS, tnmDistantMetastasis } from '../../helpers/fhir-builders';

const facts = (resources: FhirResource[]) => derive(resources);

describe('GIST diagnosis', () => {
  it('is established by ICD-10-CM C49.A* and says so with the code and date', () => {
    const f = facts([gistCondition({ id: 'g1', icd10: 'C49.A2' })]);
    expect(f.gist).toEqual({ description: 'GIST: ICD-10-CM C49.A2, recorded 2025-01-10', date: '2025-01-10', sourceRef: 'Condition/g1' });
  });

  it('is established by SNOMED CT 420120006', () => {
    expect(facts([gistCondition({ snomed: '420120006' })]).gist).toBeDefined();
  });

  it('counts active, recurrence, relapse and absent clinical status', () => {
    for (const clinicalStatus of ['active', 'recurrence', 'relapse', null] as const) {
      expect(facts([gistCondition({ clinicalStatus })]).gist).toBeDefined();
    }
  });

  it('ignores entered-in-error and refuted diagnoses', () => {
    expect(facts([gistCondition({ verificationStatus: 'entered-in-error' })]).gist).toBeUndefined();
    expect(facts([gistCondition({ verificationStatus: 'refuted' })]).gist).toBeUndefined();
    expect(facts([gistCondition({ clinicalStatus: 'remission', verificationStatus: 'refuted' })]).gist).toBeUndefined();
  });

  it.each(['remission', 'resolved', 'inactive'] as const)('1.1 §1: counts a GIST in %s (adjuvant therapy after resection), naming its status', (clinicalStatus) => {
    expect(facts([gistCondition({ clinicalStatus })]).gist?.description).toMatch(new RegExp(`^GIST \\(${clinicalStatus}\\): ICD-10-CM C49.A2`));
  });

  it('1.1 §1: names an active GIST before one in remission', () => {
    const f = facts([gistCondition({ id: 'old', clinicalStatus: 'remission' }), gistCondition({ id: 'now', clinicalStatus: 'recurrence' })]);
    expect(f.gist?.sourceRef).toBe('Condition/now');
  });

  it('1.1 §2: a GIST in remission with no other evidence is not advanced', () => {
    expect(facts([gistCondition({ clinicalStatus: 'remission' })]).advanced).toBeUndefined();
    expect(facts([gistCondition({ clinicalStatus: 'remission' }), metastasisCondition()]).advanced).toBeDefined();
    expect(facts([gistCondition({ clinicalStatus: 'remission', stageSummaryText: 'Stage IV' })]).advanced).toBeDefined();
  });

  it('is absent for a benign GIST code (D21.4) or another sarcoma', () => {
    expect(facts([condition({ icd10: 'D21.4' }), condition({ icd10: 'C49.4' })]).gist).toBeUndefined();
  });
});

describe('advanced disease', () => {
  it('is established by a secondary malignancy Condition (ICD-10-CM C78.7)', () => {
    const f = facts([gistCondition(), metastasisCondition({ id: 'm1' })]);
    expect(f.advanced).toEqual({ description: 'Metastatic disease: ICD-10-CM C78.7, recorded 2025-02-01', date: '2025-02-01', sourceRef: 'Condition/m1' });
  });

  it.each(['C78.6', 'C77.2', 'C79.51', 'C7B.04'])('is established by ICD-10-CM %s', (icd10) => {
    expect(facts([gistCondition(), metastasisCondition({ icd10 })]).advanced).toBeDefined();
  });

  it('is established by SNOMED metastasis codes', () => {
    expect(facts([gistCondition(), metastasisCondition({ snomed: '94381002' })]).advanced).toBeDefined();
    expect(facts([gistCondition(), metastasisCondition({ snomed: '128462008' })]).advanced).toBeDefined();
  });

  it('needs a GIST diagnosis', () => {
    expect(facts([metastasisCondition()]).advanced).toBeUndefined();
  });

  it('ignores an entered-in-error or resolved metastasis', () => {
    expect(facts([gistCondition(), metastasisCondition({ verificationStatus: 'entered-in-error' })]).advanced).toBeUndefined();
    expect(facts([gistCondition(), metastasisCondition({ clinicalStatus: 'resolved' })]).advanced).toBeUndefined();
  });

  it('ignores a metastasis that the record ties to another primary cancer', () => {
    const breast = condition({ id: 'breast', icd10: 'C50.911' });
    const met = metastasisCondition();
    met.extension = [{ url: 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition', valueReference: { reference: 'Condition/breast' } }];
    expect(facts([gistCondition(), breast, met]).advanced).toBeUndefined();
    const gist = gistCondition({ id: 'gist' });
    met.extension = [{ url: 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition', valueReference: { reference: 'Condition/gist' } }];
    expect(facts([gist, breast, met]).advanced).toBeDefined();
  });

  it.each(['Metastatic', 'locally advanced, unresectable', 'Stage IV', 'IV', 'stage group IVB', 'T3 N1 M1', 'cM1a'])('is established by GIST stage summary "%s"', (text) => {
    expect(facts([gistCondition({ stageSummaryText: text })]).advanced).toBeDefined();
  });

  it.each(['non-metastatic', 'not metastatic', 'no metastatic disease', 'resectable', 'Stage III', 'Stage IIIB', 'T2 N0 M0', 'M10'])('is not established by GIST stage summary "%s"', (text) => {
    expect(facts([gistCondition({ stageSummaryText: text })]).advanced).toBeUndefined();
  });

  it('reads a stage summary coding display', () => {
    const f = facts([gistCondition({ stageSummaryCoding: { system: 'http://cancerstaging.org', code: 'IV', display: 'Stage IV' } })]);
    expect(f.advanced?.description).toContain('Stage IV');
  });

  it('is established by an mCODE TNM distant-metastasis Observation valued M1', () => {
    expect(facts([gistCondition(), tnmDistantMetastasis({ id: 'tnm' })]).advanced).toMatchObject({ sourceRef: 'Observation/tnm' });
    for (const code of ['1229904003', '1229907005', '1229910003', '1229916009']) {
      expect(facts([gistCondition(), tnmDistantMetastasis({ value: { system: SYSTEMS.snomed, code } })]).advanced).toBeDefined();
    }
    const loincCoded = tnmDistantMetastasis({ code: { system: SYSTEMS.loinc, code: '21907-1' }, value: { system: 'http://cancerstaging.org', code: 'cM1' } });
    expect(facts([gistCondition(), loincCoded]).advanced).toBeDefined();
    const pm = tnmDistantMetastasis({ code: { system: SYSTEMS.snomed, code: '371497001' }, value: { system: 'http://cancerstaging.org', code: 'pM1' } });
    expect(facts([gistCondition(), pm]).advanced).toBeDefined();
  });

  it('is not established by M0, a non-final TNM Observation, or one about another cancer', () => {
    expect(facts([gistCondition(), tnmDistantMetastasis({ value: { system: SYSTEMS.snomed, code: '1229901006' } })]).advanced).toBeUndefined();
    expect(facts([gistCondition(), tnmDistantMetastasis({ status: 'preliminary' })]).advanced).toBeUndefined();
    const other = tnmDistantMetastasis();
    other.focus = [{ reference: 'Condition/breast' }];
    expect(facts([gistCondition(), condition({ id: 'breast', icd10: 'C50.911' }), other]).advanced).toBeUndefined();
  });
});

describe('severe hepatic impairment (coded)', () => {
  it('is established by ICD-10-CM K72.1*/K72.9* or SNOMED 59927004', () => {
    expect(facts([condition({ id: 'h', icd10: 'K72.10' })]).severeHepaticImpairment).toMatchObject({ sourceRef: 'Condition/h' });
    expect(facts([condition({ icd10: 'K72.91' })]).severeHepaticImpairment).toBeDefined();
    expect(facts([condition({ snomed: '59927004' })]).severeHepaticImpairment).toBeDefined();
  });

  it('is not established by acute hepatic failure (K72.0*), an entered-in-error record or a resolved one', () => {
    expect(facts([condition({ icd10: 'K72.00' })]).severeHepaticImpairment).toBeUndefined();
    expect(facts([condition({ icd10: 'K72.10', verificationStatus: 'entered-in-error' })]).severeHepaticImpairment).toBeUndefined();
    expect(facts([condition({ icd10: 'K72.10', clinicalStatus: 'resolved' })]).severeHepaticImpairment).toBeUndefined();
  });
});

describe('no data', () => {
  it('gives empty facts, never guesses', () => {
    expect(facts([])).toEqual({
      genotype: { mutationTested: false, kitTested: false, pdgfraTested: false, kitVariantPresent: false, pdgfraVariantPresent: false, pending: [] },
      imatinib: { taking: false, currentRecords: [], unidentifiedCurrent: [] },
      labs: { anc: { unusable: [] }, platelets: { unusable: [] }, bilirubin: { unusable: [] }, alt: { unusable: [] }, ast: { unusable: [] }, renal: { unusable: [] } },
      coMedications: { cyp3a4Inducers: [], cyp3a4Inhibitors: [], warfarin: [] },
    });
  });
});
