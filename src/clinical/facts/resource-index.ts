/**
 * One pass over the patient's resources, sorting them into what the fact extractors read. Real Observations
 * (final/amended/corrected) are indexed under each LOINC and SNOMED code they carry; preliminary/registered
 * ones apart (they are never a result, but labs and mutation tests name them, docs/clinical-rules.md §2).
 */
import type { Condition, FhirResource, Medication, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import { asArray, asString, asStrings } from '../shape';
import { LOINC, SNOMED, canonicalSystem, codingsOf } from '../terminology/systems';
import { isPendingObservation, isRealObservation, ref } from './common';

export interface ResourceIndex {
  /** All Conditions (filters differ per fact: pregnancy also needs "not abated"). */
  conditions: Condition[];
  conditionsByRef: Map<string, Condition>;
  /** Real Observations by "loinc|<code>" and "sct|<code>". */
  observationsByCode: Map<string, Observation[]>;
  /** Real Observations whose meta.profile names a genomics profile (they may lack the LOINC code). */
  observationsByProfile: Map<string, Observation[]>;
  /** Real Observations carrying the R4 core genetics extensions (legacy genetics shape). */
  legacyGenetics: Observation[];
  /** Preliminary/registered Observations by "loinc|<code>" and "sct|<code>". */
  pendingByCode: Map<string, Observation[]>;
  /** Preliminary/registered Observations with a genomics profile or the legacy genetics extensions. */
  pendingGenetics: Observation[];
  medicationRequests: MedicationRequest[];
  medicationStatements: MedicationStatement[];
  medications: Map<string, Medication>;
}

export function loincKey(code: string): string {
  return `loinc|${code}`;
}
export function snomedKey(code: string): string {
  return `sct|${code}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const LEGACY_GENETICS_EXT = 'http://hl7.org/fhir/StructureDefinition/observation-genetics';

function codeKeys(o: Observation): Set<string> {
  const keys = new Set<string>();
  for (const c of codingsOf(o.code)) {
    const code = asString(c.code)?.trim();
    if (!code) continue;
    const system = canonicalSystem(c.system);
    if (system === LOINC) keys.add(loincKey(code));
    else if (system === SNOMED) keys.add(snomedKey(code));
  }
  return keys;
}

export function indexResources(resources: readonly FhirResource[]): ResourceIndex {
  const idx: ResourceIndex = {
    conditions: [],
    conditionsByRef: new Map(),
    observationsByCode: new Map(),
    observationsByProfile: new Map(),
    legacyGenetics: [],
    pendingByCode: new Map(),
    pendingGenetics: [],
    medicationRequests: [],
    medicationStatements: [],
    medications: new Map(),
  };
  for (const r of asArray<FhirResource>(resources as FhirResource[])) {
    switch (r.resourceType) {
      case 'Condition':
        idx.conditions.push(r);
        if (asString(r.id)) idx.conditionsByRef.set(ref(r), r);
        break;
      case 'Observation': {
        const real = isRealObservation(r);
        if (!real && !isPendingObservation(r)) break;
        const keys = codeKeys(r);
        const genetic = asArray(r.extension).some((e) => asString(e.url)?.startsWith(LEGACY_GENETICS_EXT));
        if (!real) {
          for (const k of keys) push(idx.pendingByCode, k, r);
          if (genetic || asStrings(r.meta?.profile).length > 0) idx.pendingGenetics.push(r);
          break;
        }
        for (const k of keys) push(idx.observationsByCode, k, r);
        for (const p of asStrings(r.meta?.profile)) push(idx.observationsByProfile, p.replace(/\|.*$/, ''), r);
        if (genetic) idx.legacyGenetics.push(r);
        break;
      }
      case 'MedicationRequest':
        idx.medicationRequests.push(r);
        break;
      case 'MedicationStatement':
        idx.medicationStatements.push(r);
        break;
      case 'Medication':
        if (asString(r.id)) idx.medications.set(ref(r), r);
        break;
      default:
        break;
    }
  }
  return idx;
}

/** Real Observations carrying any of the LOINC codes, each once. */
export function observationsWithLoinc(idx: ResourceIndex, codes: Iterable<string>): Observation[] {
  return withCodes(idx.observationsByCode, codes);
}

/** Preliminary/registered Observations carrying any of the LOINC codes, each once. */
export function pendingWithLoinc(idx: ResourceIndex, codes: Iterable<string>): Observation[] {
  return withCodes(idx.pendingByCode, codes);
}

function withCodes(map: Map<string, Observation[]>, codes: Iterable<string>): Observation[] {
  const out = new Set<Observation>();
  for (const code of codes) for (const o of map.get(loincKey(code)) ?? []) out.add(o);
  return [...out];
}
