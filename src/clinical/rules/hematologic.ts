/** HEMATOLOGIC_HOLD: neutropenia or thrombocytopenia below the label's hold thresholds. */
import { isUnknown, or, reasonText, type Tri } from '../tri';
import type { LabSlot } from '../types';
import { SOURCES, UNVERIFIED_NOTE } from './evidence';
import { formatMg, formatNumber, formatValue, labBasis, labFact, sentence, unusableFacts } from './format';
import { checkLab, compare, type LabCheck } from './knowledge';
import { absent, notChecked } from './outcomes';
import { defineRule, type RuleContext, type TriggerFact } from './types';

interface Count {
  name: string;
  /** Lower-case name for sentences and "no … in the last N days". */
  noun: string;
  check: LabCheck;
  slot: LabSlot;
  threshold: number;
}

function counts(ctx: RuleContext): Count[] {
  const h = ctx.cfg.hematologic;
  const { anc, platelets } = ctx.facts.labs;
  return [
    { name: 'ANC', noun: 'ANC', slot: anc, threshold: h.ancHoldBelow, check: checkLab(ctx, 'anc', anc, (v) => compare('ANC', v, 'below', h.ancHoldBelow)) },
    { name: 'Platelets', noun: 'platelet count', slot: platelets, threshold: h.plateletsHoldBelow, check: checkLab(ctx, 'platelets', platelets, (v) => compare('Platelets', v, 'below', h.plateletsHoldBelow)) },
  ];
}

function resultOf(c: Count): Tri {
  if ('unavailable' in c.check) return c.check.unavailable;
  if ('absent' in c.check) return false;
  return c.check.result;
}

export const hematologicHold = defineRule<{ what: string; ancResume: string; plateletsResume: string }>({
  id: 'HEMATOLOGIC_HOLD',
  title: 'Neutropenia or thrombocytopenia: hold imatinib',
  indicator: 'critical',
  trigger: (cfg) =>
    `Latest ANC (look-back ${cfg.labLookbackDays} days) below ${formatNumber(cfg.hematologic.ancHoldBelow)} ×10⁹/L, or latest platelets below ${formatNumber(cfg.hematologic.plateletsHoldBelow)} ×10⁹/L.`,
  suggestion: () => 'Cancel this imatinib order (when it is a draft); no dose change while the hold applies',
  summary: (p) => `${p.what} ×10⁹/L: hold imatinib until ANC ≥ ${p.ancResume} and platelets ≥ ${p.plateletsResume}, then resume.`,
  example: (cfg) => ({
    what: `ANC < ${formatNumber(cfg.hematologic.ancHoldBelow)} or platelets < ${formatNumber(cfg.hematologic.plateletsHoldBelow)}`,
    ancResume: formatNumber(cfg.hematologic.ancResumeAtLeast),
    plateletsResume: formatNumber(cfg.hematologic.plateletsResumeAtLeast),
  }),
  thresholds: [
    { key: 'hematologic.ancHoldBelow', meaning: 'ANC below which imatinib is held (×10⁹/L)' },
    { key: 'hematologic.plateletsHoldBelow', meaning: 'platelets below which imatinib is held (×10⁹/L)' },
    { key: 'hematologic.ancResumeAtLeast', meaning: 'ANC at which imatinib may resume (×10⁹/L)' },
    { key: 'hematologic.plateletsResumeAtLeast', meaning: 'platelets at which imatinib may resume (×10⁹/L)' },
    { key: 'hematologic.recurrenceResumeDoseMg', meaning: 'dose to resume at after a second episode (mg/day)' },
    { key: 'hematologic.highDoseResumeDoseMg', meaning: 'reduced dose to resume at from the high dose (mg/day; unverified for GIST)' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.euSmpc, SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const { cfg, doseMg, currentDoseMg } = ctx;
    const h = cfg.hematologic;
    const all = counts(ctx);
    const trigger = or(...all.map(resultOf));
    if (isUnknown(trigger)) return notChecked(`not known: ${reasonText(trigger)}`, trigger);
    const days = cfg.labLookbackDays;
    if (!trigger) {
      const present = all.filter((c) => 'value' in c.check);
      if (present.length === 0) return absent(all.map((c) => labBasis(c.name, c.noun, c.slot, days)).join('; '));
      return { status: 'passes', basis: all.map((c) => labBasis(c.name, c.noun, c.slot, days)) };
    }
    const low = all.filter((c) => 'value' in c.check && c.check.result === true);
    const found: TriggerFact[] = [];
    for (const c of all) {
      if (!('value' in c.check)) continue;
      const isLow = c.check.result === true;
      found.push(labFact(c.name, c.check.value, isLow ? `below ${formatNumber(c.threshold)}` : undefined));
      found.push(...unusableFacts(c.noun, c.slot.unusable, true));
    }
    const what = sentence(low.map((c) => ('value' in c.check ? `${c.name === 'ANC' ? 'ANC' : 'platelets'} ${formatValue(c.check.value.value, c.check.value.comparator)}` : c.name)).join(' and '));
    const resume = `ANC ≥ ${formatNumber(h.ancResumeAtLeast)} and platelets ≥ ${formatNumber(h.plateletsResumeAtLeast)} ×10⁹/L`;
    const advice = [
      `Withhold imatinib until ${resume}, then resume at the previous dose (${formatMg(cfg.standardDoseMg)}). If it recurs, withhold again and resume at ${formatMg(h.recurrenceResumeDoseMg)}.`,
    ];
    if (Math.max(doseMg ?? 0, currentDoseMg ?? 0) >= cfg.highDoseMg) {
      advice.push(
        `At ${formatMg(cfg.highDoseMg)} no GIST-specific schedule exists: resume at a reduced dose (the label's ${formatNumber(cfg.highDoseMg)} mg schedule for another indication resumes at ${formatMg(h.highDoseResumeDoseMg)}, ${UNVERIFIED_NOTE}).`,
      );
    }
    return {
      status: 'fires',
      params: { what, ancResume: formatNumber(h.ancResumeAtLeast), plateletsResume: formatNumber(h.plateletsResumeAtLeast) },
      facts: found,
      advice,
    };
  },
});
