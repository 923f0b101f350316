/**
 * Unit conversion for lab values (docs/clinical-rules.md §2 labs), on top of UCUM (@lhncbc/ucum-lhc). Real data carries
 * UCUM codes, UCUM-like unit text and plain lab shorthand ("K/uL", "x10E3/uL", "IU/L", "mL/min/1.73m2"),
 * so each quantity is first mapped to UCUM candidates through a small alias table for its kind of lab.
 * Conversion factors are computed once per (from, to, molar mass) and cached; results are rounded to 12
 * significant digits so that 1.5 stays 1.5 and not 1.4999999999999998.
 */
import type { Quantity } from 'fhir/r4';
import { UcumLhcUtils } from '@lhncbc/ucum-lhc';
import { asString, own } from './shape';
import { UCUM, canonicalSystem } from './terminology/systems';

const ucum = UcumLhcUtils.getInstance();

/** Total bilirubin, C33H36N4O6 (g/mol): 1 mg/dL = 17.1 µmol/L. */
export const BILIRUBIN_MOLAR_MASS = 584.66;

export const COUNT_UNIT = '10*9/L';
export const ENZYME_UNIT = 'U/L';
export const CLEARANCE_UNIT = 'mL/min';
export type BilirubinUnit = 'mg/dL' | 'umol/L';

export type LabKind = 'count' | 'bilirubin' | 'enzyme' | 'clearance';

/** Unit text seen in lab feeds → UCUM, per kind of lab (keys lower-cased, spaces removed, µ → u). */
const ALIASES: Record<LabKind, Record<string, string>> = {
  count: {
    'k/ul': '10*3/uL',
    'k/mm3': '10*3/mm3',
    'k/cumm': '10*3/mm3',
    'thou/ul': '10*3/uL',
    'thou/mm3': '10*3/mm3',
    'x10e3/ul': '10*3/uL',
    'x10^3/ul': '10*3/uL',
    'x10*3/ul': '10*3/uL',
    '10e3/ul': '10*3/uL',
    '10^3/ul': '10*3/uL',
    '10^3/mm3': '10*3/mm3',
    'x10e9/l': '10*9/L',
    'x10^9/l': '10*9/L',
    'x10*9/l': '10*9/L',
    '10e9/l': '10*9/L',
    '10^9/l': '10*9/L',
    // "G/L" (giga per litre) is how French and Belgian labs write 10^9/L for cell counts.
    'g/l': '10*9/L',
    'giga/l': '10*9/L',
    'cells/ul': '/uL',
    '{cells}/ul': '/uL',
    'cells/mm3': '/mm3',
    '{cells}/mm3': '/mm3',
    'cells/cumm': '/mm3',
    '/cumm': '/mm3',
  },
  bilirubin: {
    'mg/dl': 'mg/dL',
    'umol/l': 'umol/L',
    'mmol/l': 'mmol/L',
    'mg/l': 'mg/L',
  },
  enzyme: {
    'u/l': 'U/L',
    'iu/l': 'U/L',
    '[iu]/l': 'U/L',
    'units/l': 'U/L',
    'unit/l': 'U/L',
    'ukat/l': 'ukat/L',
  },
  clearance: {
    'ml/min': 'mL/min',
    'ml/min/1.73m2': 'mL/min',
    'ml/min/1.73m^2': 'mL/min',
    'ml/min/1.73sqm': 'mL/min',
    'ml/min/{1.73_m2}': 'mL/min',
    'ml/min/1.73_m2': 'mL/min',
    'ml/s': 'mL/s',
  },
};

function aliasKey(unit: string): string {
  return unit.replace(/[µμ]/g, 'u').replace(/\s+/g, '').toLowerCase();
}

const CANDIDATES_MAX = 1024;
/** The few unit spellings of a lab feed come with every result: their candidates are worked out once (bounded: input). */
const candidatesCache = new Map<string, readonly string[]>();

/** UCUM codes to try for a quantity: the UCUM code first, then the aliases of its code and unit text, then the raw text. */
export function unitCandidates(q: Quantity, kind: LabKind): readonly string[] {
  const system = asString(q.system);
  const code = asString(q.code);
  const unit = asString(q.unit);
  const key = `${kind}\u0000${system ?? ''}\u0001${code ?? ''}\u0002${unit ?? ''}`;
  let found = candidatesCache.get(key);
  if (found === undefined) {
    found = Object.freeze(candidatesOf(kind, system, code, unit));
    if (candidatesCache.size >= CANDIDATES_MAX) candidatesCache.clear();
    candidatesCache.set(key, found);
  }
  return found;
}

function candidatesOf(kind: LabKind, rawSystem: string | undefined, code: string | undefined, unit: string | undefined): string[] {
  const out: string[] = [];
  const add = (u: string | undefined): void => {
    if (u && !out.includes(u)) out.push(u);
  };
  const system = canonicalSystem(rawSystem);
  if (code !== undefined && (system === undefined || system === UCUM)) add(own(ALIASES[kind], aliasKey(code)) ?? code);
  if (unit) {
    add(own(ALIASES[kind], aliasKey(unit)));
    add(unit.trim().replace(/[µμ]/g, 'u'));
  }
  return out;
}

/** Round away binary noise: 12 significant digits. */
export function roundSignificant(x: number): number {
  // Integers (most counts and enzymes) have no binary noise to round away.
  return Number.isInteger(x) && Math.abs(x) < 1e12 ? x : Number(x.toPrecision(12));
}

const FACTOR_CACHE_MAX = 512;
/** UCUM expressions have no spaces; ucum-lhc also console.logs when handed one, so such text never reaches it. */
const UCUM_SHAPED = /^\S{1,64}$/;
/** from → to → factor, per molecular weight (none, or bilirubin's): nested maps, so no key string per conversion. */
const factorCache = new Map<number | undefined, Map<string, Map<string, number | null>>>();
let factorCount = 0;

/** Multiplicative factor from → to (null when not convertible or not linear). */
function factor(from: string, to: string, molecularWeight?: number): number | null {
  let byFrom = factorCache.get(molecularWeight);
  if (!byFrom) factorCache.set(molecularWeight, (byFrom = new Map()));
  let byTo = byFrom.get(from);
  if (!byTo) byFrom.set(from, (byTo = new Map()));
  const cached = byTo.get(to);
  if (cached !== undefined) return cached;
  let f: number | null = null;
  if (from === to) f = 1;
  else if (!UCUM_SHAPED.test(from)) f = null;
  else {
    const options = molecularWeight !== undefined ? { molecularWeight } : {};
    const one = ucum.convertUnitTo(from, 1, to, options);
    const zero = ucum.convertUnitTo(from, 0, to, options);
    // Only ratio units are cached as factors; offset units (temperatures) never reach these labs.
    if (one.status === 'succeeded' && typeof one.toVal === 'number' && Number.isFinite(one.toVal) && zero.toVal === 0) f = one.toVal;
  }
  if (factorCount >= FACTOR_CACHE_MAX) {
    // unit strings come from requests: bound the cache
    factorCache.clear();
    factorCount = 0;
    byTo = new Map();
    factorCache.set(molecularWeight, new Map([[from, byTo]]));
  }
  byTo.set(to, f);
  factorCount++;
  return f;
}

/** Convert a number between two UCUM units; undefined when not commensurable. */
export function convertValue(value: number, from: string, to: string, molecularWeight?: number): number | undefined {
  const f = factor(from, to, molecularWeight);
  return f === null ? undefined : roundSignificant(value * f);
}

/** A quantity's value in `to`, trying each UCUM candidate of its unit; undefined when no value or not convertible. */
export function quantityIn(q: Quantity | undefined, to: string, kind: LabKind, molecularWeight?: number): number | undefined {
  if (!q || typeof q.value !== 'number' || !Number.isFinite(q.value)) return undefined;
  for (const unit of unitCandidates(q, kind)) {
    const v = convertValue(q.value, unit, to, molecularWeight);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** ANC or platelets in 10^9/L (10*3/uL = 10*9/L; /uL ÷ 1000). */
export function countIn10e9PerL(q: Quantity | undefined): number | undefined {
  return quantityIn(q, COUNT_UNIT, 'count');
}

/** ALT/AST in U/L (IU/L taken as U/L). */
export function enzymeInUPerL(q: Quantity | undefined): number | undefined {
  return quantityIn(q, ENZYME_UNIT, 'enzyme');
}

/** CrCl or eGFR in mL/min (the /1.73 m2 normalisation is an annotation, not a unit change). */
export function clearanceInMlPerMin(q: Quantity | undefined): number | undefined {
  return quantityIn(q, CLEARANCE_UNIT, 'clearance');
}

/** Bilirubin kept in its own kind of unit: mass concentration → mg/dL, molar → umol/L. */
export function bilirubinValue(q: Quantity | undefined): { value: number; unit: BilirubinUnit } | undefined {
  const mass = quantityIn(q, 'mg/dL', 'bilirubin');
  if (mass !== undefined) return { value: mass, unit: 'mg/dL' };
  const molar = quantityIn(q, 'umol/L', 'bilirubin');
  if (molar !== undefined) return { value: molar, unit: 'umol/L' };
  return undefined;
}

/** A bilirubin ULN in the unit of the value, across mass/molar via the molar mass when needed. */
export function bilirubinUlnIn(uln: Quantity | undefined, unit: BilirubinUnit): number | undefined {
  return quantityIn(uln, unit, 'bilirubin', BILIRUBIN_MOLAR_MASS);
}

const DISPLAY: Record<string, string> = { '10*9/L': '×10^9/L', 'umol/L': 'µmol/L' };

/** Unit for card text: "×10^9/L", "µmol/L", otherwise the UCUM code. */
export function displayUnit(unit: string): string {
  return DISPLAY[unit] ?? unit;
}
