/**
 * Labs (docs/clinical-rules.md §2): per kind, the latest result with a usable number within the look-back
 * window, converted with UCUM, keeping its comparator (`<15` stays `<15`). Newer results that are not a
 * value are kept beside it so the cards can name them: a result with no number (dataAbsentReason, "platelet
 * clumps, unable to count"), a preliminary/registered one (named without its value), or one whose unit
 * cannot be read. A result with a number whose unit cannot be read stops the search: an older value would
 * hide it.
 */
import type { Observation, Quantity } from 'fhir/r4';
import { LAB_LOINC } from '../gaps';
import type { Comparator, LabSlot, LabValue, PatientFacts, RenalFunction, ReportedQuantity, UnusableResult } from '../types';
import { bilirubinUlnIn, bilirubinValue, clearanceInMlPerMin, countIn10e9PerL, enzymeInUPerL, quantityIn, type LabKind } from '../units';
import { asArray, asString } from '../shape';
import { LOINC, codesOf, codingsOf } from '../terminology/systems';
import { compareDates, isPendingObservation, observationDate, ref, withinDays } from './common';
import { observationsWithLoinc, pendingWithLoinc, type ResourceIndex } from './resource-index';

export { LAB_LOINC };

const COMPARATORS: ReadonlySet<string> = new Set(['<', '<=', '>=', '>']);
/** Unicode spellings labs use in strings. */
const COMPARATOR_TEXT: Readonly<Record<string, Comparator>> = { '<': '<', '<=': '<=', '>=': '>=', '>': '>', '≤': '<=', '≥': '>=' };
/** "<15", "> 60", "≥90 mL/min/1.73m2", "0.8": a number as a string, with an optional comparator and unit. */
const NUMERIC_STRING = /^\s*(<=|>=|<|>|≤|≥)?\s*(\d+(?:[.,]\d+)?)\s*(\S.*)?$/;

/** LOINC codes whose unit the code itself fixes, so a bare number as a string can be read ("eGFR >60"). */
const DEFAULT_UNIT: Readonly<Record<string, string>> = {
  '2164-2': 'mL/min',
  '35591-7': 'mL/min',
  '98979-8': 'mL/min/{1.73_m2}',
  '62238-1': 'mL/min/{1.73_m2}',
  '33914-3': 'mL/min/{1.73_m2}',
};

interface Reading {
  value: number;
  unit: string;
  uln?: number;
}

/** The quantity an Observation reports: valueQuantity, or a numeric valueString read as one. */
function reportedQuantity(o: Observation, loinc: string): { quantity: Quantity; comparator?: Comparator } | 'no-number' | { unreadable: string } {
  const q = o.valueQuantity;
  if (q && typeof q.value === 'number' && Number.isFinite(q.value)) {
    const comparator = asString(q.comparator);
    if (comparator !== undefined && !COMPARATORS.has(comparator)) return { unreadable: `comparator "${comparator}"` };
    return comparator ? { quantity: q, comparator: comparator as Comparator } : { quantity: q };
  }
  const text = asString(o.valueString);
  const m = text ? NUMERIC_STRING.exec(text) : null;
  if (m) {
    const value = Number((m[2] ?? '').replace(',', '.'));
    const unit = m[3]?.trim() || DEFAULT_UNIT[loinc];
    if (!unit) return { unreadable: `"${text?.trim() ?? ''}" has no unit` };
    const comparator = m[1] ? COMPARATOR_TEXT[m[1]] : undefined;
    return { quantity: { value, unit }, ...(comparator ? { comparator } : {}) };
  }
  return 'no-number';
}

/** What the lab wrote instead of a number, for the card: the string, the absent reason, the coded value. */
function noNumberText(o: Observation): string {
  const text =
    asString(o.valueString)?.trim() ||
    asString(o.dataAbsentReason?.text)?.trim() ||
    codingsOf(o.dataAbsentReason).map((c) => asString(c.display) ?? asString(c.code)).find((t) => t) ||
    asString(o.valueCodeableConcept?.text)?.trim() ||
    codingsOf(o.valueCodeableConcept).map((c) => asString(c.display)).find((t) => t) ||
    asArray(o.note).map((n) => asString(n.text)?.trim()).find((t) => t);
  return text || 'no value reported';
}

function reportedUnit(q: Quantity): string {
  return (asString(q.unit) ?? asString(q.code) ?? '').trim();
}

function upperLimit(o: Observation): Quantity | undefined {
  const high = asArray(o.referenceRange).find((r) => typeof r.high?.value === 'number')?.high;
  if (!high) return undefined;
  // A range without its own unit is in the unit of the value.
  if (high.unit === undefined && high.code === undefined && o.valueQuantity) {
    const { value: _v, comparator: _c, ...unit } = o.valueQuantity;
    return { ...unit, value: high.value };
  }
  return high;
}

type ReadLab = (q: Quantity, o: Observation) => Reading | undefined;

const readCount: ReadLab = (q) => {
  const v = countIn10e9PerL(q);
  return v === undefined ? undefined : { value: v, unit: '10*9/L' };
};

function readEnzyme(q: Quantity, o: Observation): Reading | undefined {
  const v = enzymeInUPerL(q);
  if (v === undefined) return undefined;
  const uln = quantityIn(upperLimit(o), 'U/L', 'enzyme' satisfies LabKind);
  return uln !== undefined ? { value: v, unit: 'U/L', uln } : { value: v, unit: 'U/L' };
}

const readBilirubin: ReadLab = (q, o) => {
  const v = bilirubinValue(q);
  if (!v) return undefined;
  const uln = bilirubinUlnIn(upperLimit(o), v.unit);
  return uln !== undefined ? { value: v.value, unit: v.unit, uln } : { value: v.value, unit: v.unit };
};

function readClearance(unit: string): ReadLab {
  return (q) => {
    const v = clearanceInMlPerMin(q);
    return v === undefined ? undefined : { value: v, unit };
  };
}

interface LatestLab {
  slot: LabSlot;
  /** The latest result with a number whose unit could not be read (the search stopped there). */
  blocked: boolean;
}

function asReported(q: Quantity, comparator: Comparator | undefined): ReportedQuantity {
  const reported: ReportedQuantity = { value: q.value as number, unit: reportedUnit(q) };
  if (comparator) reported.comparator = comparator;
  return reported;
}

function latestLab(idx: ResourceIndex, codes: readonly string[], now: Date, lookbackDays: number, read: ReadLab, canonicalUnit?: (loinc: string) => string): LatestLab {
  // Each candidate's date and status read once (the sort compares them O(n log n) times).
  const candidates: Array<{ o: Observation; date: string; pending: boolean }> = [];
  for (const list of [observationsWithLoinc(idx, codes), pendingWithLoinc(idx, codes)]) {
    for (const o of list) {
      const date = observationDate(o);
      if (date !== undefined && withinDays(date, now, lookbackDays)) candidates.push({ o, date, pending: isPendingObservation(o) });
    }
  }
  // Newest first; on the same date a final result goes before a preliminary one.
  candidates.sort((a, b) => compareDates(b.date, a.date) || Number(a.pending) - Number(b.pending));
  const unusable: UnusableResult[] = [];
  for (const { o, date, pending } of candidates) {
    const sourceRef = ref(o);
    if (pending) {
      unusable.push({ kind: 'preliminary', date, sourceRef });
      continue;
    }
    const loinc = codesOf(o.code, LOINC).find((c) => codes.includes(c)) ?? codes[0] ?? '';
    const reported = reportedQuantity(o, loinc);
    if (reported === 'no-number') {
      unusable.push({ kind: 'no-number', date, text: noNumberText(o), sourceRef });
      continue;
    }
    if ('unreadable' in reported) {
      unusable.push({ kind: 'unreadable-unit', date, text: reported.unreadable, sourceRef });
      return { slot: { unusable }, blocked: true };
    }
    const reading = read(reported.quantity, o);
    if (!reading) {
      const unit = reportedUnit(reported.quantity);
      unusable.push({ kind: 'unreadable-unit', date, text: unit ? `unit "${unit}"` : 'no unit', sourceRef });
      return { slot: { unusable }, blocked: true };
    }
    const unit = canonicalUnit ? canonicalUnit(loinc) : reading.unit;
    const high = upperLimit(o);
    const value: LabValue = { value: reading.value, unit, date, loinc, sourceRef };
    if (reported.comparator) value.comparator = reported.comparator;
    if (reportedUnit(reported.quantity) !== '' && !sameUnit(reported.quantity, unit)) value.reported = asReported(reported.quantity, reported.comparator);
    if (reading.uln !== undefined) {
      value.uln = reading.uln;
      if (high && typeof high.value === 'number') value.ulnReported = asReported(high, undefined);
    }
    return { slot: { value, unusable }, blocked: false };
  }
  return { slot: { unusable }, blocked: false };
}

/** The reported unit already is the canonical one (so the text need not repeat it). */
function sameUnit(q: Quantity, canonical: string): boolean {
  const key = (u: string) => u.replace(/[µμ]/g, 'u').replace(/\s+/g, '').toLowerCase();
  const code = asString(q.code);
  const unit = asString(q.unit);
  return (code !== undefined && key(code) === key(canonical)) || (unit !== undefined && key(unit) === key(canonical));
}

const isEgfr = (loinc: string): boolean => (LAB_LOINC.egfr as readonly string[]).includes(loinc);

export function deriveLabs(idx: ResourceIndex, now: Date, lookbackDays: number): PatientFacts['labs'] {
  const lab = (codes: readonly string[], read: ReadLab) => latestLab(idx, codes, now, lookbackDays, read).slot;
  const crcl = latestLab(idx, LAB_LOINC.crcl, now, lookbackDays, readClearance('mL/min'));
  let renal: LabSlot & { value?: RenalFunction };
  if (crcl.slot.value || crcl.blocked) {
    renal = { unusable: crcl.slot.unusable, ...(crcl.slot.value ? { value: { ...crcl.slot.value, egfrProxy: false } } : {}) };
  } else {
    // No creatinine clearance in the window: the eGFR stands in (the card says so), in mL/min/1.73 m².
    const egfr = latestLab(idx, LAB_LOINC.egfr, now, lookbackDays, readClearance('mL/min/{1.73_m2}'), (loinc) => (isEgfr(loinc) ? 'mL/min/{1.73_m2}' : 'mL/min'));
    renal = { unusable: [...egfr.slot.unusable, ...crcl.slot.unusable], ...(egfr.slot.value ? { value: { ...egfr.slot.value, egfrProxy: true } } : {}) };
  }
  return {
    anc: lab(LAB_LOINC.anc, readCount),
    platelets: lab(LAB_LOINC.platelets, readCount),
    bilirubin: lab(LAB_LOINC.bilirubin, readBilirubin),
    alt: lab(LAB_LOINC.alt, readEnzyme),
    ast: lab(LAB_LOINC.ast, readEnzyme),
    renal,
  };
}
