/** Dose rules: high dose without an indication, above the maximum, and orders whose dose cannot be computed. */
import { highDoseTarget, standardDoseTarget } from './dose-targets';
import { SOURCES } from './evidence';
import { formatMg, formatNumber, orderName, orderedDoseFact } from './format';
import { highDoseIndication } from './indication';
import type { Rule, RuleContext, TriggerFact } from './types';

/** Why there is no high-dose indication, stated as facts (setting, exon 9, progression). */
function missingIndicationFacts(ctx: RuleContext): TriggerFact[] {
  const { facts } = ctx;
  const out: TriggerFact[] = [];
  out.push(facts.advanced ? { text: `Advanced disease: ${facts.advanced.description}`, sourceRef: facts.advanced.sourceRef } : { text: 'Advanced disease not established (adjuvant or unknown setting)' });
  if (!facts.genotype.mutationTested) out.push({ text: 'KIT/PDGFRA genotype not tested (an untested genotype is no indication)' });
  else if (!facts.genotype.kitExon9) out.push({ text: 'No KIT exon 9 mutation on file' });
  if (!facts.progressionOnImatinib) out.push({ text: 'No progression on imatinib documented' });
  return out;
}

export const highDoseWithoutIndication: Rule = {
  id: 'HIGH_DOSE_WITHOUT_INDICATION',
  title: 'Imatinib above the standard dose without an indication',
  indicator: 'warning',
  trigger:
    'Standard dose < ordered dose ≤ maximum dose, and neither (advanced and KIT exon 9) nor (advanced and progression on imatinib); an untested genotype is no indication.',
  summaryTemplate: 'Imatinib above 400 mg/day without an indication for high dose (advanced GIST with KIT exon 9 or progression).',
  suggestion: 'dose → 400 mg once daily (the standard dose)',
  thresholds: [
    { key: 'standardDoseMg', meaning: 'standard dose (mg/day)' },
    { key: 'maxDoseMg', meaning: 'maximum dose for GIST (mg/day)' },
  ],
  evidence: [SOURCES.gronchi2010, SOURCES.eortc62005, SOURCES.metaGist2010],
  needsDose: true,
  evaluate(ctx) {
    const { cfg, doseMg } = ctx;
    if (doseMg === undefined || !(doseMg > cfg.standardDoseMg && doseMg <= cfg.maxDoseMg)) return undefined;
    if (highDoseIndication(ctx.facts)) return undefined;
    const target = standardDoseTarget(cfg);
    return {
      ruleId: 'HIGH_DOSE_WITHOUT_INDICATION',
      indicator: 'warning',
      summary: `Imatinib above ${formatNumber(cfg.standardDoseMg)} mg/day without an indication for high dose (advanced GIST with KIT exon 9 or progression).`,
      facts: [orderedDoseFact(ctx.orders, doseMg), ...missingIndicationFacts(ctx)],
      advice: [
        `The standard dose for GIST is ${formatNumber(cfg.standardDoseMg)} mg/day. ${formatNumber(cfg.highDoseMg)} mg/day is recommended only for advanced GIST with a KIT exon 9 mutation or after progression on the standard dose, and never in the adjuvant setting.`,
        'Without these indications the high dose adds toxicity without proven benefit (EORTC 62005: dose reductions in 60% vs 16% of patients).',
      ],
      orders: ctx.orders,
      doseTargets: [target],
    };
  },
  coverage(ctx) {
    const indication = highDoseIndication(ctx.facts);
    return { status: 'checked', basis: [indication ? `high dose indicated: ${indication.reason}` : 'no high-dose indication on file'] };
  },
};

export const doseAboveMax: Rule = {
  id: 'DOSE_ABOVE_MAX',
  title: 'Imatinib above the maximum dose for GIST',
  indicator: 'critical',
  trigger: 'Ordered dose (total of the evaluated orders) > maximum dose.',
  summaryTemplate: 'Imatinib dose exceeds 800 mg/day, the maximum for GIST; experience above 800 mg is limited.',
  suggestion: 'dose → 400 mg twice daily if advanced and (KIT exon 9 or progression on imatinib), else 400 mg once daily',
  thresholds: [
    { key: 'maxDoseMg', meaning: 'maximum dose for GIST (mg/day)' },
    { key: 'highDoseMg', meaning: 'target when high dose is indicated (mg/day)' },
    { key: 'standardDoseMg', meaning: 'target otherwise (mg/day)' },
  ],
  evidence: [SOURCES.usLabel, SOURCES.gronchi2010],
  needsDose: true,
  evaluate(ctx) {
    const { cfg, doseMg } = ctx;
    if (doseMg === undefined || !(doseMg > cfg.maxDoseMg)) return undefined;
    const indication = highDoseIndication(ctx.facts);
    const target = indication ? highDoseTarget(cfg) : standardDoseTarget(cfg);
    const advice = [
      `Give at most ${formatNumber(cfg.maxDoseMg)} mg/day (as ${highDoseTarget(cfg).regimen}). Experience above ${formatNumber(cfg.maxDoseMg)} mg/day is limited; overdoses of 1,200-1,600 mg caused nausea, vomiting, oedema and cytopenias.`,
      indication
        ? `The patient has an indication for high dose (${indication.reason}): ${target.label}.`
        : `No indication for high dose is on file: the standard dose is ${target.label}.`,
    ];
    if (ctx.orders.length > 1) advice.push(`The total comes from ${ctx.orders.length} imatinib orders: check for duplicate orders.`);
    return {
      ruleId: 'DOSE_ABOVE_MAX',
      indicator: 'critical',
      summary: `Imatinib dose exceeds ${formatNumber(cfg.maxDoseMg)} mg/day, the maximum for GIST; experience above ${formatNumber(cfg.maxDoseMg)} mg is limited.`,
      facts: [orderedDoseFact(ctx.orders, doseMg), ...(indication ? indication.facts : [])],
      advice,
      orders: ctx.orders,
      doseTargets: [target],
    };
  },
  coverage(ctx) {
    return { status: 'checked', basis: ctx.doseMg === undefined ? [] : [`ordered ${formatMg(ctx.doseMg)}, maximum ${formatMg(ctx.cfg.maxDoseMg)}`] };
  },
};

export const doseUnparseable: Rule = {
  id: 'DOSE_UNPARSEABLE',
  title: 'Imatinib daily dose could not be computed',
  indicator: 'info',
  trigger: 'An evaluated imatinib order whose daily dose cannot be computed (e.g. free-text dosing only).',
  summaryTemplate: 'Could not compute the imatinib daily dose from this order; dose checks were not run.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const unparseable = ctx.orders.filter((o) => o.dose.kind === 'unparseable');
    if (unparseable.length === 0) return undefined;
    return {
      ruleId: 'DOSE_UNPARSEABLE',
      indicator: 'info',
      summary:
        unparseable.length === 1
          ? 'Could not compute the imatinib daily dose from this order; dose checks were not run.'
          : `Could not compute the imatinib daily dose from ${unparseable.length} orders; dose checks were not run.`,
      facts: unparseable.map((o) => ({ text: `${orderName(o)}: ${o.dose.kind === 'unparseable' ? o.dose.reason : ''}`, sourceRef: o.reference })),
      advice: [
        'Enter the dose as a quantity in mg (or tablets of a known strength) with a frequency (e.g. once or twice daily), so the maximum-dose, high-dose-indication, KIT exon 9, progression and kidney checks can run.',
      ],
      orders: unparseable,
    };
  },
  coverage() {
    return { status: 'checked', basis: ['every evaluated order has a computable daily dose'] };
  },
};
