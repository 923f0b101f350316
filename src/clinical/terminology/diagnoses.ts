/**
 * Diagnosis codes (docs/clinical-rules.md §2; docs/clinical-evidence.md §C and §3 of its verification update). ICD-10-CM codes are
 * compared without the dot and upper-cased, because EHRs send both "C49.A2" and "C49A2".
 */
import type { CodeableConcept, Coding } from 'fhir/r4';
import { ICD10CM, SNOMED, codingsOf, isSystem } from './systems';

const ICD10_CACHE_MAX = 2048;
/** Each Condition's code is tested by several rules, and a patient's codes recur: bounded (they come from outside). */
const icd10Cache = new Map<string, string>();

export function normaliseIcd10(code: string): string {
  let normal = icd10Cache.get(code);
  if (normal === undefined) {
    normal = code.trim().toUpperCase().replace(/\./g, '');
    if (icd10Cache.size >= ICD10_CACHE_MAX) icd10Cache.clear();
    icd10Cache.set(code, normal);
  }
  return normal;
}

function icdCoding(concept: CodeableConcept | undefined, test: (normalised: string) => boolean): Coding | undefined {
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && isSystem(c, ICD10CM) && test(normaliseIcd10(c.code))) return c;
  }
  return undefined;
}

function snomedCoding(concept: CodeableConcept | undefined, codes: ReadonlySet<string>): Coding | undefined {
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && isSystem(c, SNOMED) && codes.has(c.code.trim())) return c;
  }
  return undefined;
}

/** GIST: ICD-10-CM C49.A* or SNOMED CT 420120006. */
const GIST_SNOMED = new Set(['420120006']);
export function gistCoding(concept: CodeableConcept | undefined): Coding | undefined {
  return icdCoding(concept, (c) => c.startsWith('C49A')) ?? snomedCoding(concept, GIST_SNOMED);
}

/**
 * Secondary malignancy. ICD-10-CM C77-C79 and C7B (secondary neuroendocrine tumours; mCODE
 * SecondaryCancerDisorderVS includes C7B.*). SNOMED: the parent 128462008 and common sites of metastasis
 * (liver 94381002, bone 94222008, brain 94225005, lung 94391008, pleura 94493005, adrenal 94161006).
 */
const SECONDARY_ICD_PREFIXES = ['C77', 'C78', 'C79', 'C7B'];
export const SECONDARY_MALIGNANCY_SNOMED: ReadonlySet<string> = new Set([
  '128462008',
  '94381002',
  '94222008',
  '94225005',
  '94391008',
  '94493005',
  '94161006',
]);
/**
 * Without a terminology server we cannot test is-a 128462008; the fully specified names of its descendants
 * follow two patterns, so a SNOMED coding whose display starts with one of them is taken as a descendant.
 * Anchored at the start so that "History of secondary malignant neoplasm …" (a situation) does not count.
 */
const SECONDARY_SNOMED_DISPLAY = /^\s*(secondary malignant neoplasm|metastatic malignant neoplasm|malignant neoplasm metastatic)\s+(of|to)\b/i;

export function secondaryMalignancyCoding(concept: CodeableConcept | undefined): Coding | undefined {
  const icd = icdCoding(concept, (c) => SECONDARY_ICD_PREFIXES.some((p) => c.startsWith(p)));
  if (icd) return icd;
  const listed = snomedCoding(concept, SECONDARY_MALIGNANCY_SNOMED);
  if (listed) return listed;
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && typeof c.display === 'string' && isSystem(c, SNOMED) && SECONDARY_SNOMED_DISPLAY.test(c.display)) return c;
  }
  return undefined;
}

/** Pregnancy Condition: SNOMED 77386006, ICD-10-CM Z33.1 or O00–O9A (chapter 15). */
const PREGNANCY_SNOMED = new Set(['77386006']);
const PREGNANCY_ICD = /^(Z331|O\d\d|O9A)/;
export function pregnancyConditionCoding(concept: CodeableConcept | undefined): Coding | undefined {
  return icdCoding(concept, (c) => PREGNANCY_ICD.test(c)) ?? snomedCoding(concept, PREGNANCY_SNOMED);
}

/** Severe hepatic impairment: ICD-10-CM K72.1* (chronic hepatic failure), K72.9* (hepatic failure, unspecified), SNOMED 59927004. */
const HEPATIC_FAILURE_SNOMED = new Set(['59927004']);
export function severeHepaticImpairmentCoding(concept: CodeableConcept | undefined): Coding | undefined {
  return icdCoding(concept, (c) => c.startsWith('K721') || c.startsWith('K729')) ?? snomedCoding(concept, HEPATIC_FAILURE_SNOMED);
}

/** Neurofibromatosis type 1: SNOMED 92824003, ICD-10-CM Q85.01. */
const NF1_SNOMED = new Set(['92824003']);
export function nf1ConditionCoding(concept: CodeableConcept | undefined): Coding | undefined {
  return icdCoding(concept, (c) => c === 'Q8501') ?? snomedCoding(concept, NF1_SNOMED);
}
