/** Dose rules: high dose without an indication, above the maximum, and orders whose dose cannot be computed. */
import { isUnknown, reasonText } from '../tri';
import { SOURCES } from './evidence';
import { evidenceFact, formatMg, formatNumber, orderedDoseFact } from './format';
import { highDoseIndication } from './knowledge';
import { notChecked } from './outcomes';
import { defineRule, type RuleContext, type TriggerFact } from './types';

/** Why there is no high-dose indication, stated as facts (setting, exon 9, progression). */
function missingIndicationFacts(ctx: RuleContext): TriggerFact[] {
  const { facts } = ctx;
  const out: TriggerFact[] = [];
  out.push(facts.advanced ? evidenceFact(facts.advanced, 'Advanced disease') : { text: 'Advanced disease not established (adjuvant or unknown setting)' });
  if (!facts.genotype.mutationTested) out.push({ text: 'KIT/PDGFRA genotype not tested (an untested genotype is no indication)' });
  else if (!facts.genotype.kitExon9) out.push({ text: 'No KIT exon 9 mutation on file' });
  if (!facts.progressionOnImatinib) out.push({ text: 'No progression on imatinib documented' });
  return out;
}

export const highDoseWithoutIndication = defineRule<{ standard: string }>({
  id: 'HIGH_DOSE_WITHOUT_INDICATION',
  title: 'Imatinib above the standard dose without an indication',
  indicator: 'warning',
  trigger: (cfg) =>
    `Ordered dose above the standard ${formatMg(cfg.standardDoseMg)}, and neither (advanced and KIT exon 9) nor (advanced and progression on imatinib); an untested genotype is no indication. Above the maximum, DOSE_ABOVE_MAX replaces it.`,
  suggestion: (cfg) => `dose → ${formatNumber(cfg.standardDoseMg)} mg once daily (the standard dose)`,
  summary: (p) => `Imatinib above ${p.standard} mg/day without an indication for high dose (advanced GIST with KIT exon 9 or progression).`,
  example: (cfg) => ({ standard: formatNumber(cfg.standardDoseMg) }),
  thresholds: [{ key: 'standardDoseMg', meaning: 'standard dose (mg/day)' }],
  evidence: [SOURCES.gronchi2010, SOURCES.eortc62005, SOURCES.metaGist2010],
  needsDose: true,
  evaluate(ctx) {
    const { cfg, doseMg = 0 } = ctx;
    if (!(doseMg > cfg.standardDoseMg)) return { status: 'passes', basis: [`ordered ${formatMg(doseMg)}, not above the standard ${formatMg(cfg.standardDoseMg)}`] };
    const indication = highDoseIndication(ctx);
    if (isUnknown(indication)) return notChecked(`whether a high dose is indicated is not known: ${reasonText(indication)}`, indication);
    if (indication) return { status: 'passes', basis: [`high dose indicated: ${indication.reason}`] };
    return {
      status: 'fires',
      params: { standard: formatNumber(cfg.standardDoseMg) },
      facts: [orderedDoseFact(ctx.orders, ctx.total), ...missingIndicationFacts(ctx)],
      advice: [
        `The standard dose for GIST is ${formatMg(cfg.standardDoseMg)}. ${formatMg(cfg.highDoseMg)} is recommended only for advanced GIST with a KIT exon 9 mutation or after progression on the standard dose, and never in the adjuvant setting.`,
        'Without these indications the high dose adds toxicity without proven benefit (EORTC 62005: dose reductions in 60% vs 16% of patients).',
      ],
      dose: { kind: 'decrease', mgPerDay: cfg.standardDoseMg },
    };
  },
});

export const doseAboveMax = defineRule<{ max: string }>({
  id: 'DOSE_ABOVE_MAX',
  title: 'Imatinib above the maximum dose for GIST',
  indicator: 'critical',
  trigger: (cfg) => `Ordered dose (total of the evaluated orders) above ${formatMg(cfg.maxDoseMg)}.`,
  suggestion: (cfg) =>
    `dose → ${formatNumber(cfg.highDoseMg / 2)} mg twice daily if advanced and (KIT exon 9 or progression on imatinib), else ${formatNumber(cfg.standardDoseMg)} mg once daily`,
  summary: (p) => `Imatinib dose exceeds ${p.max} mg/day, the maximum for GIST; experience above ${p.max} mg is limited.`,
  example: (cfg) => ({ max: formatNumber(cfg.maxDoseMg) }),
  thresholds: [
    { key: 'maxDoseMg', meaning: 'maximum dose for GIST (mg/day)' },
    { key: 'highDoseMg', meaning: 'target when high dose is indicated (mg/day)' },
    { key: 'standardDoseMg', meaning: 'target otherwise (mg/day)' },
  ],
  evidence: [SOURCES.usLabel, SOURCES.gronchi2010],
  needsDose: true,
  evaluate(ctx) {
    const { cfg, doseMg = 0 } = ctx;
    if (!(doseMg > cfg.maxDoseMg)) return { status: 'passes', basis: [`ordered ${formatMg(doseMg)}, maximum ${formatMg(cfg.maxDoseMg)}`] };
    const indication = highDoseIndication(ctx);
    const advice = [
      `Give at most ${formatMg(cfg.maxDoseMg)} (as ${formatNumber(cfg.highDoseMg / 2)} mg twice daily). Experience above ${formatMg(cfg.maxDoseMg)} is limited; overdoses of 1,200-1,600 mg caused nausea, vomiting, oedema and cytopenias.`,
    ];
    if (isUnknown(indication)) advice.push(`Whether a high dose is indicated is not known (${reasonText(indication)}): choose between ${formatMg(cfg.highDoseMg)} and the standard ${formatMg(cfg.standardDoseMg)} once it is.`);
    else if (indication) advice.push(`The patient has an indication for high dose (${indication.reason}): ${formatMg(cfg.highDoseMg)} as ${formatNumber(cfg.highDoseMg / 2)} mg twice daily.`);
    else advice.push(`No indication for high dose is on file: the standard dose is ${formatNumber(cfg.standardDoseMg)} mg once daily.`);
    if (ctx.orders.length > 1) advice.push(`The total comes from ${ctx.orders.length} imatinib orders: check for duplicate orders.`);
    return {
      status: 'fires',
      params: { max: formatNumber(cfg.maxDoseMg) },
      facts: [orderedDoseFact(ctx.orders, ctx.total), ...(indication && !isUnknown(indication) ? indication.evidence.map((e) => evidenceFact(e)) : [])],
      advice,
      dose: isUnknown(indication)
        ? { kind: 'undecided', reason: `whether a high dose is indicated is not known (${reasonText(indication)})` }
        : { kind: 'decrease', mgPerDay: indication ? cfg.highDoseMg : cfg.standardDoseMg },
    };
  },
});

export const doseUnparseable = defineRule<{ count: number }>({
  id: 'DOSE_UNPARSEABLE',
  title: 'Imatinib daily dose could not be computed',
  indicator: 'info',
  trigger: () => 'An evaluated imatinib order whose daily dose cannot be computed (e.g. free-text dosing only).',
  suggestion: () => 'none',
  summary: (p) =>
    p.count === 1
      ? 'Could not compute the imatinib daily dose from this order; dose checks were not run.'
      : `Could not compute the imatinib daily dose from ${p.count} orders; dose checks were not run.`,
  example: () => ({ count: 1 }),
  thresholds: [],
  evidence: [SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const unparseable = ctx.orders.filter((o) => o.dose.kind === 'unparseable');
    if (unparseable.length === 0) return { status: 'passes', basis: ['every evaluated order has a computable daily dose'] };
    return {
      status: 'fires',
      params: { count: unparseable.length },
      orders: unparseable,
      facts: unparseable.map((o) => ({ text: `${o.medicationLabel}: ${o.dose.kind === 'unparseable' ? o.dose.reason : ''}`, sourceRef: o.reference })),
      advice: [
        'Enter the dose as a quantity in mg (or tablets of a known strength) with a frequency (e.g. once or twice daily), so the maximum-dose, high-dose-indication, KIT exon 9, progression and kidney checks can run.',
      ],
    };
  },
});
