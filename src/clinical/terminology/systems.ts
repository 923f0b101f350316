/**
 * Code systems and coding helpers. Systems are matched through alias sets because real data carries the
 * OID form or an http/https variant of the canonical URI; codes are compared exactly unless said otherwise.
 */
import type { CodeableConcept, Coding } from 'fhir/r4';
import { asArray, asString } from '../shape';

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const HGNC = 'http://www.genenames.org';
export const UCUM = 'http://unitsofmeasure.org';

/** Canonical system → accepted spellings (lower-cased, no trailing slash). */
const ALIASES: Record<string, readonly string[]> = {
  [LOINC]: [LOINC, 'https://loinc.org', 'urn:oid:2.16.840.1.113883.6.1'],
  [SNOMED]: [SNOMED, 'https://snomed.info/sct', 'urn:oid:2.16.840.1.113883.6.96'],
  [ICD10CM]: [ICD10CM, 'https://hl7.org/fhir/sid/icd-10-cm', 'urn:oid:2.16.840.1.113883.6.90', 'http://www.cms.gov/medicare/coding/icd10'],
  [RXNORM]: [RXNORM, 'https://www.nlm.nih.gov/research/umls/rxnorm', 'urn:oid:2.16.840.1.113883.6.88'],
  [HGNC]: [HGNC, 'https://www.genenames.org', 'http://www.genenames.org/geneid', 'https://www.genenames.org/geneid', 'urn:oid:2.16.840.1.113883.6.281'],
  [UCUM]: [UCUM, 'https://unitsofmeasure.org', 'urn:oid:2.16.840.1.113883.6.8'],
};

const CANONICAL = new Map<string, string>();
for (const [canonical, spellings] of Object.entries(ALIASES)) {
  for (const s of spellings) CANONICAL.set(s.toLowerCase(), canonical);
}

const SEEN_MAX = 1024;
/** Spellings seen in requests → canonical; bounded because the strings come from outside. */
const seen = new Map<string, string>();

/** The canonical URI of a system spelling, or the spelling itself when it is not one we know. */
export function canonicalSystem(system: string | undefined): string | undefined {
  if (typeof system !== 'string') return undefined;
  const hit = seen.get(system);
  if (hit !== undefined) return hit;
  const key = system.trim().replace(/\/+$/, '').toLowerCase();
  const canonical = CANONICAL.get(key) ?? system;
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(system, canonical);
  return canonical;
}

export function isSystem(coding: Coding, system: string): boolean {
  return canonicalSystem(coding.system) === system;
}

/** Codings of a concept (empty when absent). */
export function codingsOf(concept: CodeableConcept | undefined): readonly Coding[] {
  return asArray(concept?.coding);
}

/** Codes of `system` carried by a concept, trimmed. */
export function codesOf(concept: CodeableConcept | undefined, system: string): string[] {
  const out: string[] = [];
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && isSystem(c, system)) out.push(c.code.trim());
  }
  return out;
}

/** True when the concept has a coding of `system` whose code is in `codes`. */
export function hasCode(concept: CodeableConcept | undefined, system: string, codes: ReadonlySet<string>): boolean {
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && codes.has(c.code.trim()) && isSystem(c, system)) return true;
  }
  return false;
}

/** The first coding of `system` whose code passes `test`. */
export function findCoding(concept: CodeableConcept | undefined, system: string, test: (code: string) => boolean): Coding | undefined {
  for (const c of codingsOf(concept)) {
    if (typeof c.code === 'string' && isSystem(c, system) && test(c.code.trim())) return c;
  }
  return undefined;
}

/** All human-readable text of a concept: its text and every coding display. */
export function textsOf(concept: CodeableConcept | undefined): string[] {
  const out: string[] = [];
  const text = asString(concept?.text);
  if (text) out.push(text);
  for (const c of codingsOf(concept)) if (typeof c.display === 'string') out.push(c.display);
  return out;
}

const SYSTEM_LABEL: Record<string, string> = {
  [LOINC]: 'LOINC',
  [SNOMED]: 'SNOMED CT',
  [ICD10CM]: 'ICD-10-CM',
  [RXNORM]: 'RxNorm',
  [HGNC]: 'HGNC',
};

/** "ICD-10-CM C78.7 (Secondary malignant neoplasm of liver)" for card text. */
export function describeCoding(coding: Coding): string {
  const system = canonicalSystem(asString(coding.system));
  const label = (system && SYSTEM_LABEL[system]) ?? system ?? 'code';
  const display = asString(coding.display);
  return `${label} ${asString(coding.code) ?? ''}${display ? ` (${display})` : ''}`;
}
