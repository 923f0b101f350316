/** mCODE CancerDiseaseStatus (LOINC 97509-4) and progression on imatinib (docs/clinical-rules.md §2). */
import type { Observation } from 'fhir/r4';
import type { DiseaseStatus, Evidence } from '../types';
import { asString, own } from '../shape';
import { SNOMED, findCoding } from '../terminology/systems';
import { day, isAfter, latest, observationDate, ref, withinDays } from './common';
import { observationsWithLoinc, type ResourceIndex } from './resource-index';

export const DISEASE_STATUS_LOINC = '97509-4';
export const WORSENED = '271299001';

/** mCODE ConditionStatusTrendVS. */
const STATUS_DISPLAY: Record<string, string> = {
  '271299001': 'worsened',
  '268910001': 'improved',
  '359746009': 'stable',
  '709137006': 'undetermined',
  '260415000': 'not detected',
  '281900007': 'no abnormality detected',
};

interface DatedStatus {
  status: DiseaseStatus;
  observation: Observation;
}

function readStatus(o: Observation): DatedStatus | undefined {
  const coding = findCoding(o.valueCodeableConcept, SNOMED, () => true);
  const date = observationDate(o);
  if (!coding?.code || !date) return undefined;
  const code = coding.code.trim();
  return { status: { code, display: own(STATUS_DISPLAY, code) ?? asString(coding.display) ?? code, date, sourceRef: ref(o) }, observation: o };
}

export interface ProgressionFacts {
  latestDiseaseStatus?: DiseaseStatus;
  progressionOnImatinib?: Evidence;
  currentProgression?: Evidence;
}

function progressionEvidence(s: DiseaseStatus, start: string, what: string): Evidence {
  return { description: `${what} on ${day(s.date)} (imatinib started ${day(start)})`, date: s.date, sourceRef: s.sourceRef };
}

export function deriveProgression(idx: ResourceIndex, therapyStart: string | undefined, now: Date, windowDays: number): ProgressionFacts {
  const statuses = observationsWithLoinc(idx, [DISEASE_STATUS_LOINC])
    .map(readStatus)
    .filter((s): s is DatedStatus => s !== undefined);
  const facts: ProgressionFacts = {};
  // Same-date ties: the worsened one wins, so a conflicting same-day stable report does not hide progression.
  const ordered = [...statuses].sort((a, b) => Number(a.status.code === WORSENED) - Number(b.status.code === WORSENED));
  const last = latest(ordered, (s) => s.status.date);
  if (last) facts.latestDiseaseStatus = last.item.status;
  if (!therapyStart) return facts;

  const worsenedOnTherapy = latest(
    statuses.filter((s) => s.status.code === WORSENED && isAfter(s.status.date, therapyStart)),
    (s) => s.status.date,
  );
  if (worsenedOnTherapy) facts.progressionOnImatinib = progressionEvidence(worsenedOnTherapy.item.status, therapyStart, 'Disease worsened');

  const l = last?.item.status;
  if (l && l.code === WORSENED && isAfter(l.date, therapyStart) && withinDays(l.date, now, windowDays)) {
    facts.currentProgression = progressionEvidence(l, therapyStart, 'Latest disease status: worsened');
  }
  return facts;
}
