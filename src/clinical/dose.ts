/**
 * Daily dose of imatinib in mg/day (docs/clinical-rules.md §3), from FHIR Dosage. Pure and synchronous.
 *
 * Per instruction: dose quantity (R4 doseAndRate[].doseQuantity/doseRange.high, or the STU3-shaped
 * Dosage.doseQuantity/doseRange) in mg or g, or as a count of tablets/capsules × the product strength; times
 * the administrations per day from timing.repeat or timing.code. Instructions with the same sequence (or none)
 * run together and add up; different sequences are consecutive phases and the largest daily total counts.
 * Anything we cannot read makes the whole result unparseable: a dose check on a guess is worse than none.
 */
import type { Coding, Dosage, Quantity, Range, Timing } from 'fhir/r4';
import type { DoseResult } from './types';
import { asArray, asString, own } from './shape';
import { UCUM, canonicalSystem } from './terminology/systems';

/** Strength of one unit of the product: mg per tablet/capsule, or mg per mL for a liquid. */
export interface ProductStrength {
  mg: number;
  per: 'unit' | 'mL';
  /** Noun for the derivation text: "tablet", "capsule". */
  form: string;
  /** Where the strength came from, e.g. "RxNorm 403879" or "Medication.ingredient.strength". */
  source: string;
}

// ---------------------------------------------------------------- units of the dose quantity

const MG_PER_MASS_UNIT: Record<string, number> = {
  mg: 1,
  milligram: 1,
  milligrams: 1,
  g: 1000,
  gm: 1000,
  gram: 1000,
  grams: 1000,
  ug: 0.001,
  mcg: 0.001,
  microgram: 0.001,
  micrograms: 0.001,
};

/** Units that count tablets/capsules (UCUM annotations, v3 orderableDrugForm codes, and plain words). */
const COUNT_UNITS: Record<string, string> = {
  '{pill}': 'tablet',
  '{pills}': 'tablet',
  '{tbl}': 'tablet',
  '{tab}': 'tablet',
  '{tablet}': 'tablet',
  '{tablets}': 'tablet',
  '{capsule}': 'capsule',
  '{capsules}': 'capsule',
  '{cap}': 'capsule',
  tab: 'tablet',
  tabs: 'tablet',
  tablet: 'tablet',
  tablets: 'tablet',
  'tablet(s)': 'tablet',
  pill: 'tablet',
  pills: 'tablet',
  cap: 'capsule',
  caps: 'capsule',
  capsule: 'capsule',
  capsules: 'capsule',
  'capsule(s)': 'capsule',
  '1': 'unit',
  '{unit}': 'unit',
  '{dose}': 'unit',
};

const VOLUME_ML: Record<string, number> = { ml: 1, milliliter: 1, milliliters: 1, l: 1000 };

type Amount =
  | { kind: 'mg'; mg: number; text: string }
  | { kind: 'count'; count: number; form: string; text: string }
  | { kind: 'volume'; ml: number; text: string };

function unitKeys(q: Quantity): string[] {
  const keys: string[] = [];
  const system = canonicalSystem(q.system);
  // A UCUM code or a code without system is authoritative; unit text is the fallback (case-insensitive).
  const code = asString(q.code);
  const unit = asString(q.unit);
  if (code && (system === undefined || system === UCUM || /orderableDrugForm/i.test(asString(q.system) ?? ''))) keys.push(code.trim().toLowerCase());
  if (unit) keys.push(unit.trim().toLowerCase());
  return keys;
}

function fmt(n: number): string {
  return String(Number(n.toFixed(3)));
}

function amountOf(q: Quantity, fromRange: boolean): Amount | string {
  if (typeof q.value !== 'number' || !Number.isFinite(q.value) || q.value <= 0) return 'the dose quantity has no positive value';
  const v = q.value;
  const prefix = fromRange ? 'up to ' : '';
  for (const key of unitKeys(q)) {
    const factor = own(MG_PER_MASS_UNIT, key);
    if (factor !== undefined) {
      const mg = v * factor;
      const text = factor === 1 ? `${prefix}${fmt(v)} mg` : `${prefix}${fmt(v)} ${key} (${fmt(mg)} mg)`;
      return { kind: 'mg', mg, text };
    }
    const form = own(COUNT_UNITS, key);
    if (form !== undefined) return { kind: 'count', count: v, form, text: `${prefix}${fmt(v)}` };
    const ml = own(VOLUME_ML, key);
    if (ml !== undefined) return { kind: 'volume', ml: v * ml, text: `${prefix}${fmt(v * ml)} mL` };
  }
  const shown = asString(q.code) ?? asString(q.unit);
  return shown ? `the dose unit "${shown}" is not mg, g or a tablet/capsule count` : 'the dose quantity has no unit';
}

interface DoseQuantity {
  quantity: Quantity;
  fromRange: boolean;
  /** The range's low value, when the dose is a doseRange that has one. */
  low?: Quantity;
}

/** The STU3 shape some clients still send: doseQuantity/doseRange directly on the Dosage. */
type Stu3Dosage = Dosage & { doseQuantity?: Quantity; doseRange?: Range };

function hasCode(codings: Coding[] | undefined, code: string): boolean {
  return asArray(codings).some((c) => c.code === code);
}

function doseQuantityOf(d: Dosage): DoseQuantity | undefined {
  const entries = asArray(d.doseAndRate);
  // An "ordered" dose wins over a "calculated" one when both are present.
  const ordered = entries.filter((e) => hasCode(e.type?.coding, 'ordered'));
  for (const e of [...ordered, ...entries]) {
    if (e.doseQuantity) return { quantity: e.doseQuantity, fromRange: false };
    if (e.doseRange?.high) return { quantity: e.doseRange.high, fromRange: true, ...(e.doseRange.low ? { low: e.doseRange.low } : {}) };
  }
  const stu3 = d as Stu3Dosage;
  if (stu3.doseQuantity) return { quantity: stu3.doseQuantity, fromRange: false };
  if (stu3.doseRange?.high) return { quantity: stu3.doseRange.high, fromRange: true, ...(stu3.doseRange.low ? { low: stu3.doseRange.low } : {}) };
  return undefined;
}

// ---------------------------------------------------------------- frequency

/** Administrations per day for timing.code (HL7 v3 GTSAbbreviation and common timing events), by upper-case code. */
const PER_DAY_BY_CODE: Record<string, number> = {
  QD: 1,
  QAM: 1,
  QPM: 1,
  QHS: 1,
  HS: 1,
  AM: 1,
  PM: 1,
  BID: 2,
  TID: 3,
  QID: 4,
  Q1H: 24,
  Q2H: 12,
  Q3H: 8,
  Q4H: 6,
  Q6H: 4,
  Q8H: 3,
  Q12H: 2,
  Q24H: 1,
  QOD: 0.5,
  QWK: 1 / 7,
};

const DAYS_PER_UNIT: Readonly<Record<string, number>> = {
  min: 1 / 1440,
  h: 1 / 24,
  d: 1,
  wk: 7,
};

const UNIT_WORD: Record<string, [string, string]> = { min: ['minute', 'minutes'], h: ['hour', 'hours'], d: ['day', 'days'], wk: ['week', 'weeks'] };

const ONCE_DAILY_TEXT = /once (a )?daily|\bQD\b/i;

interface Frequency {
  perDay: number;
  text: string;
}

function repeatText(frequency: number, period: number, unit: string): string {
  const [one, many] = own(UNIT_WORD, unit) ?? [unit, unit];
  const every = period === 1 ? one : `${fmt(period)} ${many}`;
  return frequency === 1 ? `every ${every}` : `${fmt(frequency)}× per ${every}`;
}

function fromRepeat(repeat: NonNullable<Timing['repeat']>): Frequency | string | undefined {
  const { frequency, period, periodUnit } = repeat;
  if (frequency === undefined && period === undefined && periodUnit === undefined) return undefined;
  if (typeof period !== 'number' || typeof periodUnit !== 'string') return 'timing.repeat has no period/periodUnit';
  if (frequency !== undefined && typeof frequency !== 'number') return 'timing.repeat frequency is not a number';
  const days = own(DAYS_PER_UNIT, periodUnit);
  if (days === undefined) return `timing.repeat periodUnit "${periodUnit}" is not supported (h, d, wk, min)`;
  if (!(period > 0)) return 'timing.repeat period is not positive';
  // FHIR: no frequency means once per period. frequencyMax (a range) is not used: the ordered frequency counts.
  const times = frequency ?? 1;
  if (!(times > 0)) return 'timing.repeat frequency is not positive';
  return { perDay: times / (period * days), text: repeatText(times, period, periodUnit) };
}

function fromCode(timing: Timing): Frequency | undefined {
  const candidates = [...asArray(timing.code?.coding).map((c) => c.code), timing.code?.text];
  for (const raw of candidates) {
    const code = asString(raw)?.trim().toUpperCase();
    const perDay = code ? own(PER_DAY_BY_CODE, code) : undefined;
    if (code && perDay !== undefined) return { perDay, text: code };
  }
  return undefined;
}

function frequencyOf(d: Dosage): Frequency | string {
  const timing = typeof d.timing === 'object' && d.timing !== null ? d.timing : undefined;
  if (typeof timing?.repeat === 'object' && timing.repeat !== null) {
    const r = fromRepeat(timing.repeat);
    const byCode = fromCode(timing);
    // An explicit repeat.frequency wins; a repeat that only implies "once per period" yields to a timing.code.
    if (typeof r === 'object' && (timing.repeat.frequency !== undefined || !byCode)) return r;
    if (byCode) return byCode;
    if (typeof r === 'string') return r;
  } else if (timing) {
    const byCode = fromCode(timing);
    if (byCode) return byCode;
  }
  const text = asString(d.text);
  if (text && ONCE_DAILY_TEXT.test(text)) return { perDay: 1, text: 'once daily, from the dosage text' };
  return timing ? 'the timing gives no frequency (no timing.repeat period or known timing.code)' : 'the dosage has no timing';
}

// ---------------------------------------------------------------- one instruction, one medication

interface LineDose {
  mgPerDay: number;
  derivation: string;
  /** From a doseRange: the daily dose at the range's low value (undefined when it has none or it cannot be read). */
  range?: { lowMgPerDay?: number };
}

/** mg per administration of an amount, or why not. */
function mgOf(amount: Amount, strength: ProductStrength | undefined): { mg: number; text: string } | string {
  if (amount.kind === 'mg') return { mg: amount.mg, text: amount.text };
  if (amount.kind === 'count') {
    if (!strength) return `the dose is ${fmt(amount.count)} ${amount.form}(s) but the strength per ${amount.form} is unknown`;
    if (strength.per !== 'unit') return `the dose is a ${amount.form} count but the product strength is per mL`;
    const form = amount.form === 'unit' ? strength.form : amount.form;
    return { mg: amount.count * strength.mg, text: `${amount.text} × ${fmt(strength.mg)} mg ${form}` };
  }
  if (!strength || strength.per !== 'mL') return 'the dose is a volume but the concentration (mg per mL) is unknown';
  return { mg: amount.ml * strength.mg, text: `${amount.text} × ${fmt(strength.mg)} mg/mL` };
}

function lineDose(d: Dosage, strength: ProductStrength | undefined): LineDose | string {
  const dq = doseQuantityOf(d);
  const text = asString(d.text);
  if (!dq) return text ? `free-text dosing only ("${truncate(text)}")` : 'the dosage has no dose quantity';
  const amount = amountOf(dq.quantity, dq.fromRange);
  if (typeof amount === 'string') return amount;
  const each = mgOf(amount, strength);
  if (typeof each === 'string') return each;
  const freq = frequencyOf(d);
  if (typeof freq === 'string') return freq;
  const mgPerDay = each.mg * freq.perDay;
  if (!Number.isFinite(mgPerDay)) return 'the dose or frequency is out of range';
  const line: LineDose = { mgPerDay, derivation: `${each.text} × ${fmt(freq.perDay)}/day (${freq.text}) = ${fmt(mgPerDay)} mg/day` };
  if (dq.fromRange) {
    const lowAmount = dq.low ? amountOf(dq.low, false) : undefined;
    const low = lowAmount && typeof lowAmount !== 'string' ? mgOf(lowAmount, strength) : undefined;
    line.range = low && typeof low !== 'string' ? { lowMgPerDay: low.mg * freq.perDay } : {};
  }
  return line;
}

function truncate(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function roundMg(mg: number): number {
  return Math.round(mg * 1000) / 1000;
}

/** The range of a sum: undefined when no part is a range; the low end unknown when any range part lacks one. */
function rangeOfSum(parts: ReadonlyArray<{ mgPerDay: number; range?: { lowMgPerDay?: number } }>): { lowMgPerDay?: number } | undefined {
  if (!parts.some((p) => p.range)) return undefined;
  let low = 0;
  for (const p of parts) {
    const partLow = p.range ? p.range.lowMgPerDay : p.mgPerDay;
    if (partLow === undefined) return {};
    low += partLow;
  }
  return { lowMgPerDay: roundMg(low) };
}

function withRange(result: Extract<DoseResult, { kind: 'computed' }>, range: { lowMgPerDay?: number } | undefined): DoseResult {
  return range ? { ...result, range } : result;
}

/**
 * mg/day of one order's (or statement's) dosage instructions.
 * Lines without a sequence run alongside every phase (FHIR gives them no place in the order of phases).
 */
export function dailyDose(dosages: Dosage[] | undefined, strength?: ProductStrength): DoseResult {
  const list = asArray(dosages);
  if (list.length === 0) return { kind: 'unparseable', reason: 'no dosage instructions' };
  const lines: Array<{ sequence: number | undefined; dose: LineDose }> = [];
  for (const [i, d] of list.entries()) {
    const dose = lineDose(d, strength);
    if (typeof dose === 'string') return { kind: 'unparseable', reason: list.length > 1 ? `instruction ${i + 1}: ${dose}` : dose };
    lines.push({ sequence: typeof d.sequence === 'number' ? d.sequence : undefined, dose });
  }
  const unsequenced = lines.filter((l) => l.sequence === undefined).map((l) => l.dose);
  const sequences = [...new Set(lines.map((l) => l.sequence).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  if (sequences.length <= 1) {
    const all = lines.map((l) => l.dose);
    return computed(all, sequences.length === 1 && unsequenced.length === 0 && all.length > 1 ? 'same sequence, taken together' : undefined);
  }
  const phases = sequences.map((s) => {
    const doses = [...lines.filter((l) => l.sequence === s).map((l) => l.dose), ...unsequenced];
    const mg = doses.reduce((sum, x) => sum + x.mgPerDay, 0);
    return { s, mg, text: doses.map((x) => x.derivation).join(' + '), range: rangeOfSum(doses) };
  });
  const largest = phases.reduce((a, b) => (b.mg > a.mg ? b : a));
  const mgPerDay = roundMg(largest.mg);
  if (!Number.isFinite(mgPerDay)) return { kind: 'unparseable', reason: 'the dose or frequency is out of range' };
  const derivation = `${phases.map((p) => `sequence ${p.s}: ${p.text}${p.text.includes('+') ? ` → ${fmt(p.mg)} mg/day` : ''}`).join('; ')}; consecutive phases, the largest counts: ${fmt(mgPerDay)} mg/day`;
  return withRange({ kind: 'computed', mgPerDay, derivation }, largest.range);
}

function computed(doses: LineDose[], note: string | undefined): DoseResult {
  const mgPerDay = roundMg(doses.reduce((sum, x) => sum + x.mgPerDay, 0));
  if (!Number.isFinite(mgPerDay)) return { kind: 'unparseable', reason: 'the dose or frequency is out of range' };
  const range = rangeOfSum(doses);
  if (doses.length === 1 && doses[0]) return withRange({ kind: 'computed', mgPerDay, derivation: doses[0].derivation }, range);
  const derivation = `${doses.map((x) => x.derivation).join(' + ')} → ${fmt(mgPerDay)} mg/day${note ? ` (${note})` : ' (taken together)'}`;
  return withRange({ kind: 'computed', mgPerDay, derivation }, range);
}

/**
 * Total over several orders (or current records). Unparseable when any part is: a total that leaves out an
 * order would understate the dose. `labels` (same order as `results`) name the parts in the derivation.
 */
export function totalDose(results: DoseResult[], labels?: string[]): DoseResult {
  const unparseable = results.flatMap((r, i) => (r.kind === 'unparseable' ? [labels?.[i] ? `${labels[i]}: ${r.reason}` : r.reason] : []));
  if (unparseable.length > 0) return { kind: 'unparseable', reason: unparseable.join('; ') };
  const parts = results.filter((r): r is Extract<DoseResult, { kind: 'computed' }> => r.kind === 'computed');
  const mgPerDay = roundMg(parts.reduce((sum, r) => sum + r.mgPerDay, 0));
  if (parts.length === 0) return { kind: 'computed', mgPerDay: 0, derivation: 'no imatinib orders: 0 mg/day' };
  const range = rangeOfSum(parts);
  if (parts.length === 1 && parts[0]) {
    const only = parts[0];
    return withRange({ kind: 'computed', mgPerDay, derivation: labels?.[0] ? `${labels[0]}: ${only.derivation}` : only.derivation }, range);
  }
  const derivation = `${parts.map((r, i) => `${labels?.[i] ? `${labels[i]}: ` : ''}${r.derivation}`).join('; ')}; total ${parts.map((r) => fmt(r.mgPerDay)).join(' + ')} = ${fmt(mgPerDay)} mg/day`;
  return withRange({ kind: 'computed', mgPerDay, derivation }, range);
}
