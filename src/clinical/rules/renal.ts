/**
 * RENAL_DOSE_LIMIT: label dose caps by creatinine clearance (eGFR as a proxy when no CrCl is in the window).
 * A value with a comparator may fall in several bands: the rule fires when it fires in every band the value
 * allows, and its cap is suggested only when every band gives the same one (the dose plan decides).
 */
import type { RenalFunction } from '../types';
import { SOURCES } from './evidence';
import { formatMg, formatNumber, formatValue, labBasis, labText, orderedDoseFact, unusableFacts } from './format';
import { checkLab, renalBands, renalCap, renalName, type RenalBand } from './knowledge';
import { absent, notChecked } from './outcomes';
import { defineRule, type RuleContext, type TriggerFact } from './types';

function renalFact(r: RenalFunction): TriggerFact {
  const text = r.egfrProxy ? `${labText('eGFR', r)} (LOINC ${r.loinc}), used in place of creatinine clearance` : `${labText('CrCl', r)} (LOINC ${r.loinc})`;
  return { text, date: r.date, sourceRef: r.sourceRef };
}

/** Whether the rule fires in a band, for the ordered dose. */
function firesIn(ctx: RuleContext, band: RenalBand, doseMg: number | undefined): boolean | 'dose-unknown' {
  if (band === 'severe') return true;
  const cap = renalCap(ctx, band);
  if (cap === undefined) return false;
  if (doseMg === undefined) return 'dose-unknown';
  return doseMg > cap;
}

/** "CrCl 45 mL/min" / "eGFR <15 mL/min/1.73 m²" for summaries. */
function measure(r: RenalFunction): string {
  return `${renalName(r)} ${formatValue(r.value, r.comparator)} ${r.egfrProxy ? 'mL/min/1.73 m²' : 'mL/min'}`;
}

export const renalDoseLimit = defineRule<{ measure: string; cap?: string }>({
  id: 'RENAL_DOSE_LIMIT',
  title: 'Reduced kidney function: imatinib dose limit',
  indicator: 'warning',
  trigger: (cfg) => {
    const r = cfg.renal;
    return `Latest CrCl (or eGFR proxy) in ${cfg.labLookbackDays} days: ${formatNumber(r.moderateBelow)} ≤ CrCl < ${formatNumber(r.mildBelow)} and dose > ${formatMg(r.mildCapMg)}; ${formatNumber(r.severeBelow)} ≤ CrCl < ${formatNumber(r.moderateBelow)} and dose > ${formatMg(r.moderateCapMg)}; CrCl < ${formatNumber(r.severeBelow)} at any dose. A value with a comparator fires only when every value it allows does.`;
  },
  suggestion: (cfg) => `dose → the cap (${formatNumber(cfg.renal.mildCapMg)} or ${formatNumber(cfg.renal.moderateCapMg)} mg once daily); no dose suggestion at all below ${formatNumber(cfg.renal.severeBelow)} mL/min`,
  summary: (p) =>
    p.cap
      ? `Reduced kidney function (${p.measure}): imatinib above ${p.cap} mg/day is not recommended.`
      : `Severely reduced kidney function (${p.measure}): use imatinib with caution; no safe dose is established.`,
  example: () => ({ measure: 'CrCl N mL/min', cap: 'X' }),
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
    const slot = ctx.facts.labs.renal;
    const check = checkLab(ctx, 'renal', slot, () => true);
    if ('unavailable' in check) return notChecked(`kidney function not known: ${check.unavailable.reasons.map((r) => r.text).join('; ')}`, check.unavailable);
    const days = ctx.cfg.labLookbackDays;
    if ('absent' in check) return absent(labBasis('CrCl', 'creatinine clearance or eGFR', slot, days));
    const renal = check.value;
    const bands = renalBands(ctx, renal);
    const verdicts = bands.map((b) => firesIn(ctx, b, ctx.doseMg));
    const basis = `${labBasis(renalName(renal), renalName(renal), slot, days)}${renal.egfrProxy ? ' (eGFR used in place of CrCl)' : ''}`;
    if (verdicts.every((v) => v === false)) return { status: 'passes', basis: [basis] };
    if (verdicts.includes('dose-unknown')) return { status: 'not-checked', reason: `${basis}: the dose cap could not be checked (daily dose unknown)`, cause: 'dose-unknown' };
    if (!verdicts.every((v) => v === true)) {
      const capBands = bands.filter((b) => b !== 'none').map((b) => (b === 'severe' ? `below ${formatNumber(ctx.cfg.renal.severeBelow)}` : `${formatMg(renalCap(ctx, b) ?? 0)} cap`));
      return {
        status: 'not-checked',
        reason: `${measure(renal)} allows values on both sides of a limit (${capBands.join(', ')}); the ordered ${formatMg(ctx.doseMg ?? 0)} may or may not exceed it`,
        cause: 'ambiguous',
      };
    }
    const proxyNote = renal.egfrProxy
      ? [`No creatinine clearance in the last ${days} days: the eGFR is used as a proxy; confirm with a creatinine clearance if the dose decision depends on it.`]
      : [];
    const facts = [renalFact(renal), ...unusableFacts(renalName(renal), slot.unusable, true), ...(ctx.doseMg === undefined ? [] : [orderedDoseFact(ctx.orders, ctx.total)])];
    const only = bands.length === 1 ? bands[0] : undefined;
    if (only === 'severe') {
      return {
        status: 'fires',
        params: { measure: measure(renal) },
        facts,
        advice: [
          `Below ${formatNumber(ctx.cfg.renal.severeBelow)} mL/min use imatinib with caution: 100 mg/day was tolerated in two patients with severe impairment. The EU SmPC advises starting at the minimum ${formatMg(ctx.cfg.standardDoseMg)} with caution. No dose is suggested: none is established.`,
          ...proxyNote,
        ],
      };
    }
    // One band, or several that all fire: the loosest cap is what every allowed value rules out.
    const caps = bands.map((b) => renalCap(ctx, b)).filter((c): c is number => c !== undefined);
    const loosest = Math.max(...caps);
    const advice = bands.map((b) => {
      if (b === 'severe') return `Below ${formatNumber(ctx.cfg.renal.severeBelow)} mL/min no safe dose is established (100 mg/day was tolerated in two patients).`;
      const r = ctx.cfg.renal;
      const range = b === 'mild' ? `${formatNumber(r.moderateBelow)} to < ${formatNumber(r.mildBelow)} mL/min` : `${formatNumber(r.severeBelow)} to < ${formatNumber(r.moderateBelow)} mL/min`;
      return `With CrCl ${range}, doses above ${formatMg(renalCap(ctx, b) ?? 0)} are not recommended${b === 'moderate' ? '; the label advises starting at 50% of the recommended dose and increasing as tolerated' : ''}.`;
    });
    if (bands.length > 1) advice.unshift(`${measure(renal)} allows more than one band of kidney function: each is listed below.`);
    return {
      status: 'fires',
      params: { measure: measure(renal), cap: formatNumber(loosest) },
      facts,
      advice: [...advice, ...proxyNote],
      dose: { kind: 'renal-cap' },
    };
  },
});
