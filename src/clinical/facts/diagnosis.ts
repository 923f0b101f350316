/**
 * GIST diagnosis, advanced disease, coded severe hepatic impairment (docs/clinical-rules.md §2).
 * The GIST diagnosis counts in any clinical status (1.1: adjuvant imatinib follows a resected GIST, recorded
 * in remission or resolved); only a refuted or entered-in-error one does not. Remission alone is never
 * advanced disease: advanced needs its own evidence (stage, a secondary malignancy, TNM M1).
 */
import type { CodeableConcept, Coding, Condition, Observation } from 'fhir/r4';
import type { Evidence } from '../types';
import { gistCoding, secondaryMalignancyCoding, severeHepaticImpairmentCoding } from '../terminology/diagnoses';
import { asArray, asString } from '../shape';
import { LOINC, SNOMED, codingsOf, describeCoding, isSystem, textsOf } from '../terminology/systems';
import { clinicalStatusOf, conditionDate, day, isRealCondition, isVoidCondition, observationDate, ref } from './common';
import { TNM_M_LOINC, TNM_M_SNOMED } from '../gaps';
import { observationsWithLoinc, snomedKey, type ResourceIndex } from './resource-index';

function dated(date: string | undefined, verb = 'recorded'): string {
  return date ? `, ${verb} ${day(date)}` : '';
}

function conditionEvidence(c: Condition, coding: Coding, what: string): Evidence {
  const date = conditionDate(c);
  return { description: `${what}: ${describeCoding(coding)}${dated(date)}`, ...(date ? { date } : {}), sourceRef: ref(c) };
}

export interface GistFacts {
  evidence?: Evidence;
  conditions: Condition[];
}

const LIVE_STATUS = new Set(['active', 'recurrence', 'relapse']);

export function deriveGist(idx: ResourceIndex): GistFacts {
  const conditions: Condition[] = [];
  let live: Evidence | undefined;
  let other: Evidence | undefined;
  for (const c of idx.conditions) {
    if (isVoidCondition(c)) continue;
    const coding = gistCoding(c.code);
    if (!coding) continue;
    conditions.push(c);
    const status = clinicalStatusOf(c);
    // The evidence names a live diagnosis first; a GIST in remission is named with its status.
    if (status === undefined || LIVE_STATUS.has(status)) live ??= conditionEvidence(c, coding, 'GIST');
    else other ??= conditionEvidence(c, coding, `GIST (${status})`);
  }
  const evidence = live ?? other;
  return { ...(evidence ? { evidence } : {}), conditions };
}

// ---------------------------------------------------------------- advanced disease

/** "metastatic"/"unresectable", not negated ("non-metastatic", "not unresectable", "no metastatic disease"). */
const ADVANCED_WORDS = /(?<!\b(?:non|not|no)[-\s]?)\b(metastatic|unresectable)\b/i;
const STAGE_IV = /(^\s*(stage\s*)?IV[A-C]?\s*$)|\bstage\s*(group\s*)?IV[A-C]?\b/i;
const M1_TEXT = /(?<![A-Za-z])[cp]?M1[a-d]?(?![0-9A-Za-z])/;
const AJCC_M1_CODE = /^[cpy]?M1[a-d]?$/i;


/** SNOMED AJCC M1 values: cM1, cM1a, cM1b, cM1c, pM1. */
const M1_SNOMED = new Set(['1229903009', '1229904003', '1229907005', '1229910003', '1229916009']);

function m1Coding(concept: CodeableConcept | undefined): Coding | undefined {
  for (const c of codingsOf(concept)) {
    const code = asString(c.code)?.trim();
    if (!code) continue;
    if (isSystem(c, SNOMED)) {
      if (M1_SNOMED.has(code)) return c;
    } else if (!isSystem(c, LOINC) && AJCC_M1_CODE.test(code)) {
      return c; // AJCC (cancerstaging.org) or local staging code systems
    }
  }
  const text = asString(concept?.text)?.trim();
  if (text && AJCC_M1_CODE.test(text)) return { code: text };
  return undefined;
}

function stageEvidence(c: Condition): Evidence | undefined {
  for (const stage of asArray(c.stage)) {
    const texts = textsOf(stage.summary);
    const codes = codingsOf(stage.summary).map((x) => asString(x.code) ?? '');
    const advanced = texts.find((t) => ADVANCED_WORDS.test(t));
    const stageIv = [...texts, ...codes].find((t) => STAGE_IV.test(t));
    const m1 = texts.find((t) => M1_TEXT.test(t));
    const hit = advanced ?? stageIv ?? m1;
    if (hit) {
      const date = conditionDate(c);
      return { description: `GIST stage: "${hit}"${dated(date)}`, ...(date ? { date } : {}), sourceRef: ref(c) };
    }
  }
  return undefined;
}

/** A reference this resource makes to a Condition we hold that is not a GIST: then the finding belongs to another cancer. */
function pointsToOtherCancer(refs: Array<string | undefined>, idx: ResourceIndex, gistRefs: ReadonlySet<string>): boolean {
  const known = refs.filter((r): r is string => r !== undefined && idx.conditionRefs.has(r));
  return known.length > 0 && !known.some((r) => gistRefs.has(r));
}

const RELATED_PRIMARY = /related-primary-cancer-condition$/;

function secondaryConditionEvidence(idx: ResourceIndex, gistRefs: ReadonlySet<string>): Evidence | undefined {
  for (const c of idx.conditions) {
    if (!isRealCondition(c)) continue;
    const coding = secondaryMalignancyCoding(c.code);
    if (!coding) continue;
    const related = asArray(c.extension)
      .filter((e) => RELATED_PRIMARY.test(asString(e.url) ?? ''))
      .map((e) => asString(e.valueReference?.reference));
    if (pointsToOtherCancer(related, idx, gistRefs)) continue;
    return conditionEvidence(c, coding, 'Metastatic disease');
  }
  return undefined;
}

function tnmEvidence(idx: ResourceIndex, gistRefs: ReadonlySet<string>): Evidence | undefined {
  const observations = new Set<Observation>(observationsWithLoinc(idx, TNM_M_LOINC));
  for (const code of TNM_M_SNOMED) for (const o of idx.observationsByCode.get(snomedKey(code)) ?? []) observations.add(o);
  for (const o of observations) {
    const m1 = m1Coding(o.valueCodeableConcept);
    if (!m1) continue;
    if (pointsToOtherCancer(asArray(o.focus).map((f) => asString(f.reference)), idx, gistRefs)) continue;
    const date = observationDate(o);
    return {
      description: `Distant metastasis stage ${asString(m1.display) ?? asString(m1.code) ?? 'M1'}${dated(date, 'on')}`,
      ...(date ? { date } : {}),
      sourceRef: ref(o),
    };
  }
  return undefined;
}

/** Advanced (metastatic/unresectable) GIST, or undefined = not established. Requires a GIST diagnosis. */
export function deriveAdvanced(idx: ResourceIndex, gist: GistFacts): Evidence | undefined {
  if (!gist.evidence) return undefined;
  const gistRefs = new Set(gist.conditions.map(ref));
  for (const c of gist.conditions) {
    const staged = stageEvidence(c);
    if (staged) return staged;
  }
  return secondaryConditionEvidence(idx, gistRefs) ?? tnmEvidence(idx, gistRefs);
}

export function deriveSevereHepaticImpairment(idx: ResourceIndex): Evidence | undefined {
  for (const c of idx.conditions) {
    if (!isRealCondition(c)) continue;
    const coding = severeHepaticImpairmentCoding(c.code);
    if (coding) return conditionEvidence(c, coding, 'Severe hepatic impairment');
  }
  return undefined;
}
