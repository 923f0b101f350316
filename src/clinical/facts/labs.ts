/**
 * Labs (RULES.md §2): per kind, the latest real result within the look-back window, converted with UCUM.
 * "Latest result" means the latest Observation with a numeric valueQuantity; when its unit cannot be read
 * the lab is unknown (undefined) rather than falling back to an older value.
 */
import type { Observation, Quantity } from 'fhir/r4';
import type { LabValue, PatientFacts, RenalFunction } from '../types';
import { bilirubinUlnIn, bilirubinValue, clearanceInMlPerMin, countIn10e9PerL, enzymeInUPerL, quantityIn, type LabKind } from '../units';
import { asArray } from '../shape';
import { LOINC, codesOf } from '../terminology/systems';
import { latest, observationDate, ref, withinDays } from './common';
import { observationsWithLoinc, type ResourceIndex } from './resource-index';

/** LOINC codes per lab. Neutrophils % (26511-6) is deliberately absent: it is not an absolute count. */
export const LAB_LOINC = {
  anc: ['751-8', '753-4', '26499-4'],
  platelets: ['777-3', '26515-7'],
  bilirubin: ['1975-2', '14631-6'],
  alt: ['1742-6'],
  ast: ['1920-8'],
  crcl: ['2164-2', '35591-7'],
  egfr: ['98979-8', '62238-1', '33914-3'],
} as const;

interface Reading {
  value: number;
  unit: string;
  uln?: number;
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

function readCount(o: Observation): Reading | undefined {
  const v = countIn10e9PerL(o.valueQuantity);
  return v === undefined ? undefined : { value: v, unit: '10*9/L' };
}

function readWithUln(o: Observation, unit: string, kind: LabKind, read: (q: Quantity | undefined) => number | undefined): Reading | undefined {
  const v = read(o.valueQuantity);
  if (v === undefined) return undefined;
  const uln = quantityIn(upperLimit(o), unit, kind);
  return { value: v, unit, ...(uln !== undefined ? { uln } : {}) };
}

function readBilirubin(o: Observation): Reading | undefined {
  const v = bilirubinValue(o.valueQuantity);
  if (!v) return undefined;
  const uln = bilirubinUlnIn(upperLimit(o), v.unit);
  return { value: v.value, unit: v.unit, ...(uln !== undefined ? { uln } : {}) };
}

function readClearance(o: Observation): Reading | undefined {
  const v = clearanceInMlPerMin(o.valueQuantity);
  return v === undefined ? undefined : { value: v, unit: 'mL/min' };
}

function latestLab(idx: ResourceIndex, codes: readonly string[], now: Date, lookbackDays: number, read: (o: Observation) => Reading | undefined): LabValue | undefined {
  const candidates = observationsWithLoinc(idx, codes).filter((o) => {
    if (typeof o.valueQuantity?.value !== 'number') return false;
    const date = observationDate(o);
    return date !== undefined && withinDays(date, now, lookbackDays);
  });
  const last = latest(candidates, observationDate);
  if (!last) return undefined;
  const reading = read(last.item);
  if (!reading) return undefined;
  const loinc = codesOf(last.item.code, LOINC).find((c) => codes.includes(c)) ?? codes[0] ?? '';
  return { ...reading, date: last.date, loinc, sourceRef: ref(last.item) };
}

export function deriveLabs(idx: ResourceIndex, now: Date, lookbackDays: number): PatientFacts['labs'] {
  const labs: PatientFacts['labs'] = {};
  const anc = latestLab(idx, LAB_LOINC.anc, now, lookbackDays, readCount);
  const platelets = latestLab(idx, LAB_LOINC.platelets, now, lookbackDays, readCount);
  const bilirubin = latestLab(idx, LAB_LOINC.bilirubin, now, lookbackDays, readBilirubin);
  const alt = latestLab(idx, LAB_LOINC.alt, now, lookbackDays, (o) => readWithUln(o, 'U/L', 'enzyme', enzymeInUPerL));
  const ast = latestLab(idx, LAB_LOINC.ast, now, lookbackDays, (o) => readWithUln(o, 'U/L', 'enzyme', enzymeInUPerL));
  if (anc) labs.anc = anc;
  if (platelets) labs.platelets = platelets;
  if (bilirubin) labs.bilirubin = bilirubin;
  if (alt) labs.alt = alt;
  if (ast) labs.ast = ast;
  const crcl = latestLab(idx, LAB_LOINC.crcl, now, lookbackDays, readClearance);
  const renal: RenalFunction | undefined = crcl
    ? { ...crcl, egfrProxy: false }
    : (() => {
        const egfr = latestLab(idx, LAB_LOINC.egfr, now, lookbackDays, readClearance);
        return egfr ? { ...egfr, egfrProxy: true } : undefined;
      })();
  if (renal) labs.renal = renal;
  return labs;
}
