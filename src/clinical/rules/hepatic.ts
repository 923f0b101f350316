/**
 * Liver rules. Bilirubin above its ULN multiple means HEPATOTOXICITY_HOLD for a patient already taking
 * imatinib and HEPATIC_IMPAIRMENT for one who is not, never both. No ULN on a result ⇒ that result is not used.
 */
import type { LabValue } from '../types';
import { exceedsUlnMultiple, roundDose, ulnRatio } from './compare';
import { doseTarget } from './dose-targets';
import { SOURCES } from './evidence';
import { evidenceFact, formatMg, formatNumber, formatUnit, labText } from './format';
import type { Coverage, RuleContext, Rule, TriggerFact } from './types';

/** Label reduction after a hepatotoxicity hold: mg/day before → mg/day after. */
export const HEPATOTOXICITY_REDUCED_DOSE: ReadonlyArray<readonly [number, number]> = [
  [400, 300],
  [600, 400],
  [800, 600],
];

const LIVER_LABS = [
  ['bilirubin', 'Bilirubin'],
  ['alt', 'ALT'],
  ['ast', 'AST'],
] as const;

type LiverLab = (typeof LIVER_LABS)[number][0];

function ulnFact(name: string, lab: LabValue & { uln: number }, multiple: number): TriggerFact {
  return {
    text: `${labText(name, lab)} = ${formatNumber(ulnRatio(lab.value, lab.uln))}× ULN (ULN ${formatNumber(lab.uln)} ${formatUnit(lab.unit)}; threshold ${formatNumber(multiple)}×)`,
    date: lab.date,
    sourceRef: lab.sourceRef,
  };
}

function withUln(lab: LabValue | undefined): (LabValue & { uln: number }) | undefined {
  return lab && lab.uln !== undefined && lab.uln > 0 ? (lab as LabValue & { uln: number }) : undefined;
}

function multipleFor(ctx: RuleContext, lab: LiverLab): number {
  return lab === 'bilirubin' ? ctx.cfg.hepatic.bilirubinUlnMultiple : ctx.cfg.hepatic.transaminaseUlnMultiple;
}

/** The liver results above their ULN multiple. */
function elevatedLiverLabs(ctx: RuleContext, which: readonly LiverLab[]): Array<{ key: LiverLab; name: string; lab: LabValue & { uln: number } }> {
  const out: Array<{ key: LiverLab; name: string; lab: LabValue & { uln: number } }> = [];
  for (const [key, name] of LIVER_LABS) {
    if (!which.includes(key)) continue;
    const lab = withUln(ctx.facts.labs[key]);
    if (lab && exceedsUlnMultiple(lab.value, lab.uln, multipleFor(ctx, key))) out.push({ key, name, lab });
  }
  return out;
}

/** Per liver result: usable (value + ULN), or why not ("no ULN on bilirubin result"). */
function liverDataNotes(ctx: RuleContext, which: readonly LiverLab[]): { usable: string[]; missing: string[] } {
  const usable: string[] = [];
  const missing: string[] = [];
  for (const [key, name] of LIVER_LABS) {
    if (!which.includes(key)) continue;
    const lab = ctx.facts.labs[key];
    if (!lab) missing.push(`no ${name === 'Bilirubin' ? 'bilirubin' : name} in the last ${ctx.cfg.labLookbackDays} days`);
    else if (!withUln(lab)) missing.push(`no ULN on ${name === 'Bilirubin' ? 'bilirubin' : name} result`);
    else usable.push(`${labText(name, lab)} (${formatNumber(ulnRatio(lab.value, lab.uln as number))}× ULN)`);
  }
  return { usable, missing };
}

function reducedDoseAdvice(mgPerDay: number | undefined): string {
  const steps = HEPATOTOXICITY_REDUCED_DOSE.map(([from, to]) => `${from} → ${to}`).join(', ');
  const step = mgPerDay === undefined ? undefined : HEPATOTOXICITY_REDUCED_DOSE.find(([from]) => from === roundDose(mgPerDay));
  if (step) return `then resume at a reduced dose: ${formatMg(step[0])} → ${formatMg(step[1])} (label steps: ${steps} mg/day).`;
  return `then resume at a reduced dose (label steps: ${steps} mg/day).`;
}

export const hepatotoxicityHold: Rule = {
  id: 'HEPATOTOXICITY_HOLD',
  title: 'Hepatotoxicity on imatinib: withhold, then reduce',
  indicator: 'critical',
  trigger: 'Already taking imatinib and (latest bilirubin > its ULN multiple or latest ALT/AST > their ULN multiple); ULN from referenceRange.high.',
  summaryTemplate: 'Bilirubin > 3× or ALT/AST > 5× ULN: withhold imatinib until < 1.5× / < 2.5× ULN, then reduce the dose.',
  suggestion: 'none (the detail names the reduced dose: 400 → 300, 600 → 400, 800 → 600 mg/day)',
  thresholds: [
    { key: 'hepatic.bilirubinUlnMultiple', meaning: 'bilirubin above this × ULN triggers the hold' },
    { key: 'hepatic.transaminaseUlnMultiple', meaning: 'ALT or AST above this × ULN triggers the hold' },
    { key: 'hepatic.bilirubinResumeBelowUlnMultiple', meaning: 'resume when bilirubin is below this × ULN' },
    { key: 'hepatic.transaminaseResumeBelowUlnMultiple', meaning: 'resume when ALT/AST are below this × ULN' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg } = ctx;
    if (!facts.imatinib.alreadyTaking) return undefined;
    const elevated = elevatedLiverLabs(ctx, ['bilirubin', 'alt', 'ast']);
    if (elevated.length === 0) return undefined;
    const h = cfg.hepatic;
    const resume = `bilirubin < ${formatNumber(h.bilirubinResumeBelowUlnMultiple)}× and ALT/AST < ${formatNumber(h.transaminaseResumeBelowUlnMultiple)}× ULN`;
    const what = elevated.map((e) => `${e.name === 'Bilirubin' ? 'bilirubin' : e.name} ${formatNumber(ulnRatio(e.lab.value, e.lab.uln))}×`).join(', ');
    const specific = `${what.charAt(0).toUpperCase()}${what.slice(1)} ULN: withhold imatinib until ${resume}, then reduce the dose.`;
    const generic = `Bilirubin > ${formatNumber(h.bilirubinUlnMultiple)}× or ALT/AST > ${formatNumber(h.transaminaseUlnMultiple)}× ULN: withhold imatinib until < ${formatNumber(h.bilirubinResumeBelowUlnMultiple)}× / < ${formatNumber(h.transaminaseResumeBelowUlnMultiple)}× ULN, then reduce the dose.`;
    const start = facts.imatinib.start;
    const found = elevated.map((e) => ulnFact(e.name, e.lab, multipleFor(ctx, e.key)));
    found.push(start ? evidenceFact(start, 'Taking imatinib') : { text: 'Taking imatinib (active or on-hold record)' });
    return {
      ruleId: 'HEPATOTOXICITY_HOLD',
      indicator: 'critical',
      summary: specific.length < 140 ? specific : generic,
      facts: found,
      advice: [
        `Withhold imatinib until ${resume}, ${reducedDoseAdvice(ctx.doseMg ?? ctx.currentDoseMg)}`,
        'Check liver function monthly or as clinically indicated.',
      ],
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    if (!ctx.facts.imatinib.alreadyTaking) return { status: 'checked', basis: ['not already taking imatinib (HEPATIC_IMPAIRMENT covers a new start)'] };
    const { usable, missing } = liverDataNotes(ctx, ['bilirubin', 'alt', 'ast']);
    if (usable.length === 0) return { status: 'not-checked', reason: missing.join('; ') };
    return { status: 'checked', basis: [...usable, ...missing] };
  },
};

export const hepaticImpairment: Rule = {
  id: 'HEPATIC_IMPAIRMENT',
  title: 'Severe hepatic impairment: lower imatinib dose',
  indicator: 'warning',
  trigger: 'Not already taking imatinib and (latest bilirubin > its ULN multiple, or a coded severe hepatic impairment: K72.1*, K72.9*, SNOMED 59927004).',
  summaryTemplate: 'Severe hepatic impairment: the label advises a 25% lower imatinib dose (e.g. 300 mg/day for 400 mg).',
  suggestion: 'dose → 75% of the ordered dose',
  thresholds: [
    { key: 'hepatic.bilirubinUlnMultiple', meaning: 'bilirubin above this × ULN counts as severe impairment' },
    { key: 'hepatic.impairmentDoseFactor', meaning: 'fraction of the dose to give in severe impairment' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.hepaticPk2008, SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg, doseMg } = ctx;
    if (facts.imatinib.alreadyTaking) return undefined;
    const bilirubin = elevatedLiverLabs(ctx, ['bilirubin'])[0];
    const coded = facts.severeHepaticImpairment;
    if (!bilirubin && !coded) return undefined;
    const factor = cfg.hepatic.impairmentDoseFactor;
    const percent = formatNumber(Math.round((1 - factor) * 1000) / 10);
    const exampleFrom = doseMg ?? cfg.standardDoseMg;
    const reduced = roundDose(exampleFrom * factor);
    const found: TriggerFact[] = [];
    if (bilirubin) found.push(ulnFact('Bilirubin', bilirubin.lab, cfg.hepatic.bilirubinUlnMultiple));
    if (coded) found.push(evidenceFact(coded, 'Severe hepatic impairment'));
    const advice = [
      `The US label advises a ${percent}% lower dose in severe hepatic impairment (bilirubin > 3-10× ULN); the EU SmPC instead advises the minimum dose of ${formatNumber(cfg.standardDoseMg)} mg/day with caution. Monitor liver function and blood counts.`,
    ];
    let doseTargets;
    if (doseMg === undefined) advice.push('The ordered daily dose could not be computed, so no reduced dose is suggested.');
    else if (reduced > cfg.maxDoseMg) advice.push(`${percent}% less than the ordered ${formatMg(doseMg)} still exceeds the maximum; see the maximum-dose alert.`);
    else doseTargets = [doseTarget(reduced, cfg)];
    return {
      ruleId: 'HEPATIC_IMPAIRMENT',
      indicator: 'warning',
      summary: `Severe hepatic impairment: the label advises a ${percent}% lower imatinib dose (e.g. ${formatNumber(reduced)} mg/day for ${formatNumber(exampleFrom)} mg).`,
      facts: doseMg === undefined ? found : [...found, { text: `Ordered dose ${formatMg(doseMg)}` }],
      advice,
      orders: ctx.orders,
      ...(doseTargets ? { doseTargets } : {}),
    };
  },
  coverage(ctx): Coverage {
    if (ctx.facts.imatinib.alreadyTaking) return { status: 'checked', basis: ['already taking imatinib (HEPATOTOXICITY_HOLD applies instead)'] };
    const { usable, missing } = liverDataNotes(ctx, ['bilirubin']);
    const coded = ctx.facts.severeHepaticImpairment ? 'coded severe hepatic impairment on file' : 'no coded severe hepatic impairment';
    return { status: 'checked', basis: [...usable, ...missing, coded] };
  },
};
