/**
 * Imatinib history (docs/clinical-rules.md §2): start of therapy over every imatinib MedicationRequest or
 * Statement but entered-in-error (the orders under evaluation excluded), "already taking" and the current dose
 * over the active/on-hold ones.
 *
 * 1.1: a record whose medication nothing identifies (an unresolved reference without a display) may be
 * imatinib. When such a record is current and no identified one is, "already taking" is unknown; when the
 * medication data could not be obtained at all, it is unknown too. An evaluated order that is itself
 * active/on-hold (a revised order) means imatinib is already taken; the patient's stored version of that order
 * (same id) still gives the dose being taken now.
 */
import type { MedicationRequest, MedicationStatement, Reference } from 'fhir/r4';
import { dailyDose, totalDose } from '../dose';
import type { DataGaps } from '../gaps';
import { isImatinibMedication, medicationLabel, productStrength, resolveMedication, type MedicationLookup, type MedicationRecord } from '../medication';
import { unknown, type Tri } from '../tri';
import type { Evidence, ImatinibHistory } from '../types';
import { asArray, asString } from '../shape';
import { compareDates, day, firstDate, isDate, ref } from './common';
import type { ResourceIndex } from './resource-index';

const CURRENT = new Set(['active', 'on-hold']);

function startOf(r: MedicationRecord): string | undefined {
  if (r.resourceType === 'MedicationRequest') return firstDate(r.authoredOn);
  return firstDate(r.effectivePeriod?.start, r.effectiveDateTime);
}

function dosagesOf(r: MedicationRecord) {
  return r.resourceType === 'MedicationRequest' ? r.dosageInstruction : r.dosage;
}

/** References by which a statement says it restates a request (so one therapy is not counted twice). */
function statementSources(s: MedicationStatement): string[] {
  return [...asArray<Reference>(s.basedOn), ...asArray<Reference>(s.derivedFrom), ...asArray<Reference>(s.partOf)]
    .map((x) => asString(x.reference))
    .filter((x): x is string => x !== undefined);
}

export interface HistoryInput {
  /** The orders under evaluation, as received. */
  evaluated: ReadonlyArray<{ reference: string; resource: MedicationRequest }>;
  gaps: DataGaps;
}

export function deriveImatinibHistory(idx: ResourceIndex, lookup: MedicationLookup, input: HistoryInput): ImatinibHistory {
  const evaluatedRefs = new Set(input.evaluated.map((o) => o.reference));
  const imatinib: MedicationRecord[] = [];
  const unidentifiedCurrent: string[] = [];
  const consider = (r: MedicationRequest | MedicationStatement): void => {
    if (r.status === 'entered-in-error') return;
    const resolved = resolveMedication(r, lookup);
    if (resolved.via === 'unidentified') {
      if (CURRENT.has(r.status) && !evaluatedRefs.has(ref(r))) unidentifiedCurrent.push(ref(r));
      return;
    }
    if (isImatinibMedication(resolved)) imatinib.push(r);
  };
  idx.medicationRequests.forEach(consider);
  idx.medicationStatements.forEach(consider);

  let start: Evidence | undefined;
  for (const r of imatinib) {
    if (evaluatedRefs.has(ref(r))) continue;
    const date = startOf(r);
    if (!isDate(date)) continue;
    if (!start?.date || compareDates(date, start.date) < 0) {
      const label = medicationLabel(resolveMedication(r, lookup));
      const kind = r.resourceType === 'MedicationRequest' ? 'order' : 'medication list entry';
      start = { description: `Imatinib started ${day(date)} (${label}, ${kind} ${asString(r.status) ?? 'without status'})`, date, sourceRef: ref(r) };
    }
  }

  // The stored version of a revised order (same id as an evaluated order) is the dose taken now.
  const current = imatinib.filter((r) => CURRENT.has(r.status));
  const revised = input.evaluated.some((o) => CURRENT.has(o.resource.status));
  const medicationGap = input.gaps.unknownFor('medicationRequests', 'medicationStatements');
  const history: ImatinibHistory = { taking: false, currentRecords: current.map(ref), unidentifiedCurrent };
  if (start) history.start = start;

  let taking: Tri = false;
  if (current.length > 0 || revised) taking = true;
  else if (unidentifiedCurrent.length > 0) {
    const n = unidentifiedCurrent.length;
    taking = unknown({ text: `${n === 1 ? 'an active medication record' : `${n} active medication records`} whose medication could not be identified`, cause: 'unidentified' });
  } else if (medicationGap) taking = medicationGap;
  history.taking = taking;

  const currentRequestRefs = new Set(current.filter((r) => r.resourceType === 'MedicationRequest').map(ref));
  const counted = current.filter((r) => r.resourceType !== 'MedicationStatement' || !statementSources(r).some((s) => currentRequestRefs.has(s)));
  if (counted.length > 0 && unidentifiedCurrent.length === 0 && !medicationGap) {
    const doses = counted.map((r) => dailyDose(dosagesOf(r), productStrength(resolveMedication(r, lookup))));
    history.currentDose = totalDose(doses, counted.length > 1 ? counted.map(ref) : undefined);
  } else if (taking !== false) {
    history.currentDoseUnknownBecause =
      counted.length === 0 && revised && taking === true
        ? 'the only current imatinib order is the one being revised, and its stored version is not on file'
        : unidentifiedCurrent.length > 0
          ? 'an active medication record could not be identified, so the total may be incomplete'
          : 'the medication records could not be obtained from the EHR';
  }
  return history;
}
