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
  /** "Condition/<id>" of every Condition, built on first use (only findings that point at a Condition need it). */
  readonly conditionRefs: ReadonlySet<string>;
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

const INDEX_KEYS_MAX = 4096;
/** Index keys by system and code: the same few lab codes come with every request, so each key string is built (and hashed) once. */
const indexKeys = { loinc: new Map<string, string>(), sct: new Map<string, string>() };

function indexKey(system: 'loinc' | 'sct', code: string): string {
  const keys = indexKeys[system];
  let key = keys.get(code);
  if (key === undefined) {
    key = system === 'loinc' ? loincKey(code) : snomedKey(code);
    if (keys.size >= INDEX_KEYS_MAX) keys.clear(); // codes come from requests: bounded
    keys.set(code, key);
  }
  return key;
}

/** The index keys of an Observation's LOINC and SNOMED codes, each once (usually one or two). */
function codeKeys(o: Observation): string[] {
  const keys: string[] = [];
  for (const c of codingsOf(o.code)) {
    const code = asString(c.code)?.trim();
    if (!code) continue;
    const system = canonicalSystem(c.system);
    const key = system === LOINC ? indexKey('loinc', code) : system === SNOMED ? indexKey('sct', code) : undefined;
    if (key !== undefined && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

export function indexResources(resources: readonly FhirResource[]): ResourceIndex {
  let conditionRefs: Set<string> | undefined;
  const idx: ResourceIndex = {
    conditions: [],
    get conditionRefs(): ReadonlySet<string> {
      conditionRefs ??= new Set(idx.conditions.filter((c) => asString(c.id)).map(ref));
      return conditionRefs;
    },
    observationsByCode: new Map(),
    observationsByProfile: new Map(),
    legacyGenetics: [],
    pendingByCode: new Map(),
    pendingGenetics: [],
    medicationRequests: [],
    medicationStatements: [],
    medications: new Map(),
  };
  // Lookups hand out the index lists as they are: the resources are distinct objects (parsed from JSON).
  for (const r of asArray<FhirResource>(resources as FhirResource[])) {
    switch (r.resourceType) {
      case 'Condition':
        idx.conditions.push(r);
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

/** Real Observations carrying any of the LOINC codes (shared: do not modify). */
export function observationsWithLoinc(idx: ResourceIndex, codes: Iterable<string>): readonly Observation[] {
  return withCodes(idx.observationsByCode, codes);
}

/** Preliminary/registered Observations carrying any of the LOINC codes (shared: do not modify). */
export function pendingWithLoinc(idx: ResourceIndex, codes: Iterable<string>): readonly Observation[] {
  return withCodes(idx.pendingByCode, codes);
}

const LOOKUP_KEYS_MAX = 1024;
/** "loinc|<code>" for the rules' own code lists, built once (a fresh concatenation would be hashed on every lookup). */
const lookupKeys = new Map<string, string>();

function lookupKey(code: string): string {
  let key = lookupKeys.get(code);
  if (key === undefined) {
    key = loincKey(code);
    if (lookupKeys.size >= LOOKUP_KEYS_MAX) lookupKeys.clear();
    lookupKeys.set(code, key);
  }
  return key;
}

const NONE: readonly Observation[] = Object.freeze([]);

function withCodes(map: Map<string, Observation[]>, codes: Iterable<string>): readonly Observation[] {
  // Usually one code matches: its list is the answer, without a copy. Several lists are merged, each once.
  let first: Observation[] | undefined;
  let merged: Set<Observation> | undefined;
  for (const code of codes) {
    const list = map.get(lookupKey(code));
    if (!list) continue;
    if (!first) first = list;
    else {
      merged ??= new Set(first);
      for (const o of list) merged.add(o);
    }
  }
  return merged ? [...merged] : (first ?? NONE);
}
