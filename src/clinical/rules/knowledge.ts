/**
 * The questions rules ask about the patient, answered yes / no / not known (tri.ts). A fact that was found is
 * "yes" whatever else is missing; its absence is "no" only when the data it could come from was obtained
 * (docs/clinical-rules.md §7). Lab values with a comparator answer "not known" when the comparator allows
 * values on both sides of a threshold (§2 labs, 1.1).
 */
import type { DataDomain } from '../gaps';
import { isUnknown, unknown, type Tri, type Unknown } from '../tri';
import type { Evidence, LabSlot, LabValue, RenalFunction } from '../types';
import { formatNumber, formatUnit, formatValue } from './format';
import type { RuleContext } from './types';

/** A fact found, else "no" when its data domains are complete, else not known. */
export function found(ctx: RuleContext, evidence: Evidence | undefined, ...domains: DataDomain[]): Tri {
  if (evidence) return true;
  return ctx.gaps.unknownFor(...domains) ?? false;
}

export function advanced(ctx: RuleContext): Tri {
  // Conditions are always obtained (else the request gets 412); TNM staging may be missing.
  return found(ctx, ctx.facts.advanced, 'staging');
}

export function kitExon9(ctx: RuleContext): Tri {
  return found(ctx, ctx.facts.genotype.kitExon9, 'genomics');
}

/** The imatinib history behind progression: not known when the medication data is missing or unidentified. */
function historyGap(ctx: RuleContext): Unknown | undefined {
  const gap = ctx.gaps.unknownFor('medicationRequests', 'medicationStatements');
  if (gap) return gap;
  const taking = ctx.facts.imatinib.taking;
  return isUnknown(taking) && !ctx.facts.imatinib.start ? taking : undefined;
}

/** Progression on imatinib (the 800 mg indication): a worsened status after the start of therapy. */
export function progressionOnImatinib(ctx: RuleContext): Tri {
  if (ctx.facts.progressionOnImatinib) return true;
  const status = ctx.gaps.unknownFor('diseaseStatus');
  if (status) return status;
  return ctx.facts.latestDiseaseStatus ? (historyGap(ctx) ?? false) : false;
}

/** Current progression: the latest status is worsened, after the start of therapy, within the window. */
export function currentProgression(ctx: RuleContext): Tri {
  if (ctx.facts.currentProgression) return true;
  const status = ctx.gaps.unknownFor('diseaseStatus');
  if (status) return status;
  return ctx.facts.latestDiseaseStatus ? (historyGap(ctx) ?? false) : false;
}

export interface Indication {
  reason: string;
  evidence: Evidence[];
}

/** An indication for 800 mg/day: advanced GIST with KIT exon 9, or advanced GIST that progressed on imatinib. */
export function highDoseIndication(ctx: RuleContext): Indication | false | Unknown {
  const { facts } = ctx;
  const adv = advanced(ctx);
  if (adv === false) return false;
  const exon9 = kitExon9(ctx);
  const progressed = progressionOnImatinib(ctx);
  if (adv === true && exon9 === true && facts.advanced && facts.genotype.kitExon9) {
    return { reason: 'advanced GIST with a KIT exon 9 mutation', evidence: [facts.genotype.kitExon9, facts.advanced] };
  }
  if (adv === true && progressed === true && facts.advanced && facts.progressionOnImatinib) {
    return { reason: 'advanced GIST that progressed on imatinib', evidence: [facts.progressionOnImatinib, facts.advanced] };
  }
  if (exon9 === false && progressed === false) return false;
  const reasons = [adv, exon9, progressed].flatMap((t) => (isUnknown(t) ? t.reasons : []));
  return unknown(...reasons);
}

// ---------------------------------------------------------------- labs

/** A lab answer: the value and whether it meets the test, or no value in the window, or data not obtained. */
export type LabCheck<V extends LabValue = LabValue> = { value: V; result: Tri } | { absent: true } | { unavailable: Unknown };

/** value < threshold for every value the comparator allows (true), for none (false), or for some (not known). */
export function below(lab: Pick<LabValue, 'value' | 'comparator'>, threshold: number): boolean | 'both' {
  const v = roundMeasure(lab.value);
  switch (lab.comparator) {
    case undefined:
      return v < threshold;
    case '<':
      return v <= threshold ? true : 'both';
    case '<=':
      return v < threshold ? true : 'both';
    case '>':
    case '>=':
      return v >= threshold ? false : 'both';
  }
}

/** value > threshold, as `below`. */
export function above(lab: Pick<LabValue, 'value' | 'comparator'>, threshold: number): boolean | 'both' {
  const v = roundMeasure(lab.value);
  switch (lab.comparator) {
    case undefined:
      return v > threshold;
    case '>':
      return v >= threshold ? true : 'both';
    case '>=':
      return v > threshold ? true : 'both';
    case '<':
    case '<=':
      return v <= threshold ? false : 'both';
  }
}

/** Drop conversion noise before comparing (ANC 1.0 converted is not below 1.0; 3.6 / 1.2 is exactly 3). */
function roundMeasure(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A one-sided comparison as a Tri, naming the value when the comparator straddles the threshold. */
export function compare(name: string, lab: LabValue, side: 'below' | 'above', threshold: number, thresholdText = `${formatNumber(threshold)} ${formatUnit(lab.unit)}`): Tri {
  const r = side === 'below' ? below(lab, threshold) : above(lab, threshold);
  if (r !== 'both') return r;
  return unknown({ text: `${name} ${formatValue(lab.value, lab.comparator)} ${formatUnit(lab.unit)} may be above or below ${thresholdText}`, cause: 'ambiguous' });
}

/** Check a lab slot: not known when its data was not obtained; absent when no value is in the window. */
export function checkLab<V extends LabValue>(ctx: RuleContext, domain: DataDomain, slot: LabSlot & { value?: V }, test: (value: V) => Tri): LabCheck<V> {
  const gap = ctx.gaps.unknownFor(domain);
  if (gap) return { unavailable: gap };
  if (!slot.value) return { absent: true };
  return { value: slot.value, result: test(slot.value) };
}

/** The ULN ratio test (value / ULN above the multiple); labs without a ULN are left to the caller. */
export function aboveUlnMultiple(name: string, lab: LabValue & { uln: number }, multiple: number): Tri {
  const ratio = { value: lab.value / lab.uln, ...(lab.comparator ? { comparator: lab.comparator } : {}) };
  const r = above(ratio, multiple);
  if (r !== 'both') return r;
  return unknown({ text: `${name} ${formatValue(lab.value, lab.comparator)} ${formatUnit(lab.unit)} may be above or below ${formatNumber(multiple)}× ULN`, cause: 'ambiguous' });
}

export function withUln(lab: LabValue | undefined): (LabValue & { uln: number }) | undefined {
  return lab && lab.uln !== undefined && lab.uln > 0 ? (lab as LabValue & { uln: number }) : undefined;
}

// ---------------------------------------------------------------- kidney function

export type RenalBand = 'severe' | 'moderate' | 'mild' | 'none';

/** "CrCl" or "eGFR". */
export function renalName(r: RenalFunction): string {
  return r.egfrProxy ? 'eGFR' : 'CrCl';
}

/** The label bands every value the comparator allows may fall in, most severe first. */
export function renalBands(ctx: RuleContext, r: RenalFunction): RenalBand[] {
  const { severeBelow, moderateBelow, mildBelow } = ctx.cfg.renal;
  const b20 = below(r, severeBelow);
  const b40 = below(r, moderateBelow);
  const b60 = below(r, mildBelow);
  const bands: RenalBand[] = [];
  if (b20 !== false) bands.push('severe');
  if (b20 !== true && b40 !== false) bands.push('moderate');
  if (b40 !== true && b60 !== false) bands.push('mild');
  if (b60 !== true) bands.push('none');
  return bands;
}

/** The dose cap of a band (undefined: no cap; severe has no established dose at all). */
export function renalCap(ctx: RuleContext, band: RenalBand): number | undefined {
  if (band === 'mild') return ctx.cfg.renal.mildCapMg;
  if (band === 'moderate') return ctx.cfg.renal.moderateCapMg;
  return undefined;
}

/** Kidney function below the mild threshold (dose increases are withheld): a Tri over the latest value. */
export function renalBelow(ctx: RuleContext, threshold: number): Tri | 'absent' {
  const check = checkLab(ctx, 'renal', ctx.facts.labs.renal, (r) => compare(renalName(r), r, 'below', threshold));
  if ('unavailable' in check) return check.unavailable;
  if ('absent' in check) return 'absent';
  return check.result;
}
