import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { daysAgo, diseaseStatus, imatinibRecord } from '../../helpers/fhir-builders';

const facts = (resources: FhirResource[]) => derive(resources);
const onImatinib = imatinibRecord({ status: 'active', start: '2025-03-01' });

describe('disease status and progression', () => {
  it('reads the latest disease status', () => {
    const f = facts([diseaseStatus('stable', '2025-06-01'), diseaseStatus('improved', '2025-09-01', { id: 's2' })]);
    expect(f.latestDiseaseStatus).toEqual({ code: '268910001', display: 'improved', date: '2025-09-01', sourceRef: 'Observation/s2' });
  });

  it('finds progression on imatinib: worsened after the start, with both dates in the text', () => {
    const f = facts([onImatinib, diseaseStatus('worsened', '2025-10-01', { id: 'w' })]);
    expect(f.progressionOnImatinib).toEqual({ description: 'Disease worsened on 2025-10-01 (imatinib started 2025-03-01)', date: '2025-10-01', sourceRef: 'Observation/w' });
  });

  it('does not count a worsened status dated before (or on the day of) the start of imatinib', () => {
    expect(facts([onImatinib, diseaseStatus('worsened', '2025-01-15')]).progressionOnImatinib).toBeUndefined();
    expect(facts([onImatinib, diseaseStatus('worsened', '2025-03-01')]).progressionOnImatinib).toBeUndefined();
  });

  it('has no progression on imatinib without imatinib history', () => {
    const f = facts([diseaseStatus('worsened', daysAgo(10))]);
    expect(f.progressionOnImatinib).toBeUndefined();
    expect(f.currentProgression).toBeUndefined();
    expect(f.latestDiseaseStatus?.display).toBe('worsened');
  });

  it('finds current progression: latest status worsened, after the start, within the window', () => {
    const f = facts([onImatinib, diseaseStatus('stable', daysAgo(100)), diseaseStatus('worsened', daysAgo(30), { id: 'w' })]);
    expect(f.currentProgression).toMatchObject({ sourceRef: 'Observation/w', date: daysAgo(30) });
  });

  it('clears current progression when a later status is stable or improved (progression on imatinib stays)', () => {
    const f = facts([onImatinib, diseaseStatus('worsened', daysAgo(60)), diseaseStatus('improved', daysAgo(10))]);
    expect(f.currentProgression).toBeUndefined();
    expect(f.progressionOnImatinib).toBeDefined();
  });

  it('has no current progression outside the window, though progression on imatinib has no window', () => {
    const f = facts([onImatinib, diseaseStatus('worsened', daysAgo(181))]);
    expect(f.currentProgression).toBeUndefined();
    expect(f.progressionOnImatinib).toBeDefined();
    expect(facts([onImatinib, diseaseStatus('worsened', daysAgo(180))]).currentProgression).toBeDefined();
  });

  it('ignores preliminary and entered-in-error statuses', () => {
    expect(facts([onImatinib, diseaseStatus('worsened', daysAgo(10), { obsStatus: 'preliminary' })]).progressionOnImatinib).toBeUndefined();
    const f = facts([onImatinib, diseaseStatus('worsened', daysAgo(20)), diseaseStatus('stable', daysAgo(5), { obsStatus: 'entered-in-error' })]);
    expect(f.currentProgression).toBeDefined();
  });

  it('reads the mCODE example disease status (improved)', () => {
    const obs = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/mcode/Observation-cancer-disease-status-jenny-m.json'), 'utf8')) as FhirResource;
    expect(facts([obs]).latestDiseaseStatus).toEqual({ code: '268910001', display: 'improved', date: '2018-11-01', sourceRef: 'Observation/cancer-disease-status-jenny-m' });
  });
});
