/**
 * Pregnancy (docs/clinical-rules.md §2), any of: an active, not abated pregnancy Condition; the latest definite pregnancy
 * status (LOINC 82810-3) within the window saying pregnant; a positive hCG within its window with no later
 * negative one. An "unknown" pregnancy status neither establishes nor clears pregnancy.
 */
import type { CodeableConcept, Observation } from 'fhir/r4';
import type { ClinicalConfig } from '../../config';
import { pregnancyConditionCoding } from '../terminology/diagnoses';
import { asArray, asString, own } from '../shape';
import { LOINC, SNOMED, canonicalSystem, codingsOf, describeCoding } from '../terminology/systems';
import { presenceOfText } from '../terminology/genomics';
import type { Evidence } from '../types';
import { conditionDate, day, isAbated, isAfter, isRealCondition, latest, observationDate, ref, withinDays } from './common';
import { observationsWithLoinc, type ResourceIndex } from './resource-index';

const PREGNANCY_STATUS_LOINC = '82810-3';
const HCG_LOINC = ['2106-3', '2118-8'];

type Answer = 'yes' | 'no';

/** Answer codes by canonical system. */
const PREGNANT: Record<string, Answer> = {
  [`${SNOMED}|77386006`]: 'yes',
  [`${LOINC}|LA15173-0`]: 'yes',
  [`${SNOMED}|60001007`]: 'no',
  [`${LOINC}|LA26683-5`]: 'no',
};

const HCG: Record<string, Answer> = {
  [`${SNOMED}|10828004`]: 'yes', // Positive
  [`${SNOMED}|260373001`]: 'yes', // Detected
  [`${LOINC}|LA6576-8`]: 'yes', // Positive
  [`${LOINC}|LA11882-0`]: 'yes', // Detected
  [`${SNOMED}|260385009`]: 'no', // Negative
  [`${SNOMED}|260415000`]: 'no', // Not detected
  [`${LOINC}|LA6577-6`]: 'no', // Negative
  [`${LOINC}|LA11883-8`]: 'no', // Not detected
};

/** v3 ObservationInterpretation POS/NEG, for results reported only through interpretation. */
const INTERPRETATION: Record<string, Answer> = { POS: 'yes', NEG: 'no', DET: 'yes', ND: 'no' };

function answerOf(concept: CodeableConcept | undefined, table: Record<string, Answer>): Answer | undefined {
  for (const c of codingsOf(concept)) {
    const a = own(table, `${canonicalSystem(asString(c.system)) ?? ''}|${(asString(c.code) ?? '').trim()}`);
    if (a) return a;
  }
  return undefined;
}

function hcgAnswer(o: Observation): Answer | undefined {
  const coded = answerOf(o.valueCodeableConcept, HCG);
  if (coded) return coded;
  const text = presenceOfText(o.valueString ?? o.valueCodeableConcept?.text);
  if (text) return text === 'present' ? 'yes' : 'no';
  for (const i of asArray(o.interpretation)) {
    for (const c of codingsOf(i)) {
      const a = own(INTERPRETATION, (asString(c.code) ?? '').trim().toUpperCase());
      if (a) return a;
    }
  }
  return undefined;
}

interface Answered {
  o: Observation;
  answer: Answer;
}

function answered(obs: readonly Observation[], read: (o: Observation) => Answer | undefined, now: Date, days: number): Answered[] {
  const out: Answered[] = [];
  for (const o of obs) {
    const date = observationDate(o);
    const answer = read(o);
    if (answer && date && withinDays(date, now, days)) out.push({ o, answer });
  }
  return out;
}

export function derivePregnancy(idx: ResourceIndex, now: Date, cfg: ClinicalConfig): Evidence | undefined {
  for (const c of idx.conditions) {
    if (!isRealCondition(c) || isAbated(c)) continue;
    const coding = pregnancyConditionCoding(c.code);
    if (!coding) continue;
    const date = conditionDate(c);
    return { description: `Pregnancy: ${describeCoding(coding)}${date ? `, recorded ${day(date)}` : ''}`, ...(date ? { date } : {}), sourceRef: ref(c) };
  }

  const statuses = answered(observationsWithLoinc(idx, [PREGNANCY_STATUS_LOINC]), (o) => answerOf(o.valueCodeableConcept, PREGNANT), now, cfg.pregnancyStatusLookbackDays);
  const lastStatus = latest(statuses, (a) => observationDate(a.o));
  if (lastStatus?.item.answer === 'yes') {
    return { description: `Pregnancy status: pregnant on ${day(lastStatus.date)}`, date: lastStatus.date, sourceRef: ref(lastStatus.item.o) };
  }

  const hcg = answered(observationsWithLoinc(idx, HCG_LOINC), hcgAnswer, now, cfg.hcgLookbackDays);
  const positive = latest(
    hcg.filter((a) => a.answer === 'yes'),
    (a) => observationDate(a.o),
  );
  if (positive) {
    const laterNegative = hcg.some((a) => {
      const date = observationDate(a.o);
      return a.answer === 'no' && date !== undefined && isAfter(date, positive.date);
    });
    if (!laterNegative) return { description: `Positive hCG test on ${day(positive.date)}`, date: positive.date, sourceRef: ref(positive.item.o) };
  }
  return undefined;
}
