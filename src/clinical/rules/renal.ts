/** RENAL_DOSE_LIMIT: label dose caps by creatinine clearance (eGFR as a proxy when no CrCl is in the window). */
import type { RenalFunction } from '../types';
import { isBelow } from './compare';
import { doseTarget } from './dose-targets';
import { SOURCES } from './evidence';
import { formatMg, formatNumber, formatUnit, orderedDoseFact } from './format';
import type { Rule, RuleContext, TriggerFact } from './types';

/** "CrCl 45 mL/min" or "eGFR 45 mL/min/1.73 m²". */
function renalText(r: RenalFunction): string {
  return `${r.egfrProxy ? 'eGFR' : 'CrCl'} ${formatNumber(r.value)} ${formatUnit(r.unit)}`;
}

function renalFact(r: RenalFunction): TriggerFact {
  const text = r.egfrProxy ? `${renalText(r)} (LOINC ${r.loinc}), used in place of creatinine clearance` : `${renalText(r)} (LOINC ${r.loinc})`;
  return { text, date: r.date, sourceRef: r.sourceRef };
}

type RenalBand = { kind: 'severe' } | { kind: 'moderate' | 'mild'; capMg: number; range: string };

/** Which label band the renal function falls in; undefined = no limit (≥ the mild threshold). */
export function renalBand(value: number, ctx: RuleContext): RenalBand | undefined {
  const r = ctx.cfg.renal;
  if (isBelow(value, r.severeBelow)) return { kind: 'severe' };
  if (isBelow(value, r.moderateBelow)) return { kind: 'moderate', capMg: r.moderateCapMg, range: `${formatNumber(r.severeBelow)} to < ${formatNumber(r.moderateBelow)} mL/min` };
  if (isBelow(value, r.mildBelow)) return { kind: 'mild', capMg: r.mildCapMg, range: `${formatNumber(r.moderateBelow)} to < ${formatNumber(r.mildBelow)} mL/min` };
  return undefined;
}

export const renalDoseLimit: Rule = {
  id: 'RENAL_DOSE_LIMIT',
  title: 'Reduced kidney function: imatinib dose limit',
  indicator: 'warning',
  trigger:
    'Latest CrCl (or eGFR proxy) in the look-back window: moderate-to-mild band (40 ≤ CrCl < 60) and dose > 600 mg/day; moderate band (20 ≤ CrCl < 40) and dose > 400 mg/day; severe (CrCl < 20), any dose.',
  summaryTemplate: 'Reduced kidney function (CrCl N mL/min): imatinib above X mg/day is not recommended.',
  suggestion: 'dose → the cap (600 or 400 mg once daily); none below 20 mL/min',
  thresholds: [
    { key: 'renal.mildBelow', meaning: 'CrCl below this is mild impairment (mL/min)' },
    { key: 'renal.moderateBelow', meaning: 'CrCl below this is moderate impairment (mL/min)' },
    { key: 'renal.severeBelow', meaning: 'CrCl below this is severe impairment (mL/min)' },
    { key: 'renal.mildCapMg', meaning: 'highest recommended dose in mild impairment (mg/day)' },
    { key: 'renal.moderateCapMg', meaning: 'highest recommended dose in moderate impairment (mg/day)' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.renalPk2008, SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const renal = ctx.facts.labs.renal;
    if (!renal) return undefined;
    const band = renalBand(renal.value, ctx);
    if (!band) return undefined;
    const proxyNote = renal.egfrProxy
      ? [`No creatinine clearance in the last ${ctx.cfg.labLookbackDays} days: the eGFR is used as a proxy; confirm with a creatinine clearance if the dose decision depends on it.`]
      : [];
    const measure = renal.egfrProxy ? `eGFR ${formatNumber(renal.value)}, used for CrCl` : `CrCl ${formatNumber(renal.value)} mL/min`;
    if (band.kind === 'severe') {
      return {
        ruleId: 'RENAL_DOSE_LIMIT',
        indicator: 'warning',
        summary: `Severely reduced kidney function (${measure}): use imatinib with caution; no safe dose is established.`,
        facts: ctx.doseMg === undefined ? [renalFact(renal)] : [renalFact(renal), orderedDoseFact(ctx.orders, ctx.doseMg)],
        advice: [
          `Below ${formatNumber(ctx.cfg.renal.severeBelow)} mL/min use imatinib with caution: 100 mg/day was tolerated in two patients with severe impairment. The EU SmPC advises starting at the minimum ${formatNumber(ctx.cfg.standardDoseMg)} mg/day with caution.`,
          ...proxyNote,
        ],
        orders: ctx.orders,
      };
    }
    const doseMg = ctx.doseMg;
    if (doseMg === undefined || !(doseMg > band.capMg)) return undefined;
    const moderate = band.kind === 'moderate';
    return {
      ruleId: 'RENAL_DOSE_LIMIT',
      indicator: 'warning',
      summary: `Reduced kidney function (${measure}): imatinib above ${formatNumber(band.capMg)} mg/day is not recommended.`,
      facts: [renalFact(renal), orderedDoseFact(ctx.orders, doseMg)],
      advice: [
        `With CrCl ${band.range}, doses above ${formatMg(band.capMg)} are not recommended${moderate ? '; the label advises starting at 50% of the recommended dose and increasing as tolerated' : ''}.`,
        ...proxyNote,
      ],
      orders: ctx.orders,
      doseTargets: [doseTarget(band.capMg, ctx.cfg)],
    };
  },
  coverage(ctx) {
    const renal = ctx.facts.labs.renal;
    if (!renal) return { status: 'not-checked', reason: `no creatinine clearance or eGFR in the last ${ctx.cfg.labLookbackDays} days` };
    const band = renalBand(renal.value, ctx);
    const basis = [`${renalText(renal)}${renal.egfrProxy ? ' (eGFR used in place of CrCl)' : ''}`];
    if (band && band.kind !== 'severe' && ctx.doseMg === undefined) return { status: 'not-checked', reason: `${basis[0]}: the ${formatMg(band.capMg)} cap could not be checked (daily dose unknown)` };
    return { status: 'checked', basis };
  },
};
