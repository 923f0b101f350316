/**
 * Imatinib history (RULES.md §2): start of therapy over every imatinib MedicationRequest/Statement but
 * entered-in-error (the orders under evaluation excluded), and the current dose over active/on-hold records.
 */
import type { MedicationRequest, MedicationStatement, Reference } from 'fhir/r4';
import { dailyDose, totalDose } from '../dose';
import { isImatinibMedication, medicationLabel, productStrength, resolveMedication, type MedicationLookup, type MedicationRecord } from '../medication';
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

export function deriveImatinibHistory(idx: ResourceIndex, lookup: MedicationLookup, excludeOrderRefs: ReadonlySet<string>): ImatinibHistory {
  const records: MedicationRecord[] = [];
  const consider = (r: MedicationRequest | MedicationStatement): void => {
    if (r.status === 'entered-in-error' || excludeOrderRefs.has(ref(r))) return;
    if (isImatinibMedication(resolveMedication(r, lookup))) records.push(r);
  };
  idx.medicationRequests.forEach(consider);
  idx.medicationStatements.forEach(consider);

  let start: Evidence | undefined;
  for (const r of records) {
    const date = startOf(r);
    if (!isDate(date)) continue;
    if (!start?.date || compareDates(date, start.date) < 0) {
      const label = medicationLabel(resolveMedication(r, lookup));
      start = { description: `Imatinib started ${day(date)} (${label}, ${r.resourceType} ${asString(r.status) ?? 'without status'})`, date, sourceRef: ref(r) };
    }
  }

  const current = records.filter((r) => CURRENT.has(r.status));
  const currentRequestRefs = new Set(current.filter((r) => r.resourceType === 'MedicationRequest').map(ref));
  const counted = current.filter((r) => r.resourceType !== 'MedicationStatement' || !statementSources(r).some((s) => currentRequestRefs.has(s)));
  const history: ImatinibHistory = { alreadyTaking: current.length > 0, activeRecords: current.map(ref) };
  if (start) history.start = start;
  if (counted.length > 0) {
    const doses = counted.map((r) => {
      const resolved = resolveMedication(r, lookup);
      return dailyDose(dosagesOf(r), productStrength(resolved));
    });
    history.currentDose = totalDose(doses, counted.length > 1 ? counted.map(ref) : undefined);
  }
  return history;
}
