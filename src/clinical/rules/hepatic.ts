/**
 * Liver rules. Liver values above their ULN multiple mean HEPATOTOXICITY_HOLD for a patient already taking
 * imatinib, or when that is not known (withholding is safe either way, 1.1), and HEPATIC_IMPAIRMENT for one
 * known not to be taking it: their triggers never overlap. No ULN on a result ⇒ that result is not used.
 */
import { isUnknown, or, reasonText, type Tri } from '../tri';
import type { LabKey, LabValue } from '../types';
import { roundDose } from './compare';
import { SOURCES } from './evidence';
import { evidenceFact, formatMg, formatNumber, labBasis, labText, ratioText, ulnText, unusableFacts } from './format';
import { aboveUlnMultiple, checkLab, withUln } from './knowledge';
import { absent, notChecked } from './outcomes';
import { defineRule, type RuleContext, type TriggerFact } from './types';

type LiverLab = Extract<LabKey, 'bilirubin' | 'alt' | 'ast'>;

const LIVER: ReadonlyArray<{ key: LiverLab; name: string; noun: string }> = [
  { key: 'bilirubin', name: 'Bilirubin', noun: 'bilirubin' },
  { key: 'alt', name: 'ALT', noun: 'ALT' },
  { key: 'ast', name: 'AST', noun: 'AST' },
];

function multipleFor(ctx: RuleContext, lab: LiverLab): number {
  return lab === 'bilirubin' ? ctx.cfg.hepatic.bilirubinUlnMultiple : ctx.cfg.hepatic.transaminaseUlnMultiple;
}

interface LiverResult {
  key: LiverLab;
  name: string;
  noun: string;
  /** above the multiple: yes / no / not known; 'absent' = no value in the window; 'no-uln' = no ULN on the result. */
  result: Tri | 'absent' | 'no-uln';
  lab?: LabValue & { uln: number };
}

function liverResults(ctx: RuleContext, which: readonly LiverLab[]): LiverResult[] {
  return LIVER.filter((l) => which.includes(l.key)).map((l) => {
    const slot = ctx.facts.labs[l.key];
    const check = checkLab(ctx, l.key, slot, (v) => {
      const lab = withUln(v);
      return lab ? aboveUlnMultiple(l.name, lab, multipleFor(ctx, l.key)) : false;
    });
    if ('unavailable' in check) return { ...l, result: check.unavailable };
    if ('absent' in check) return { ...l, result: 'absent' };
    const lab = withUln(check.value);
    return lab ? { ...l, result: check.result, lab } : { ...l, result: 'no-uln' };
  });
}

function elevated(results: LiverResult[]): Array<LiverResult & { lab: LabValue & { uln: number } }> {
  return results.filter((r): r is LiverResult & { lab: LabValue & { uln: number } } => r.result === true && r.lab !== undefined);
}

function triOf(results: LiverResult[]): Tri {
  return or(...results.map((r) => (r.result === 'absent' || r.result === 'no-uln' ? false : r.result)));
}

function ulnFact(ctx: RuleContext, r: LiverResult & { lab: LabValue & { uln: number } }): TriggerFact {
  return {
    text: `${labText(r.name, r.lab)} = ${ratioText(r.lab)}× ULN (${ulnText(r.lab)}; threshold ${formatNumber(multipleFor(ctx, r.key))}×)`,
    date: r.lab.date,
    sourceRef: r.lab.sourceRef,
  };
}

/** Per liver result for the summary: the value and its ratio, or why it could not be used. */
function liverBasis(ctx: RuleContext, results: LiverResult[]): string[] {
  return results.map((r) => {
    const slot = ctx.facts.labs[r.key];
    if (r.result === 'no-uln') return `no ULN on the ${r.noun} result (${slot.value ? labText(r.name, slot.value) : ''})`;
    if (r.lab) return `${labBasis(r.name, r.noun, slot, ctx.cfg.labLookbackDays)}, ${ratioText(r.lab)}× ULN`;
    return labBasis(r.name, r.noun, slot, ctx.cfg.labLookbackDays);
  });
}

function newerFacts(ctx: RuleContext, results: LiverResult[]): TriggerFact[] {
  return results.flatMap((r) => (r.lab ? unusableFacts(r.noun, ctx.facts.labs[r.key].unusable, true) : []));
}

/** The label's reduced dose after the hold, from the configured table. */
function reducedDoseAdvice(ctx: RuleContext, mgPerDay: number | undefined): string {
  const table = ctx.cfg.hepatic.reducedDoseAfterHold;
  const steps = table.map((s) => `${s.fromMg} → ${s.toMg}`).join(', ');
  const step = mgPerDay === undefined ? undefined : table.find((s) => s.fromMg === roundDose(mgPerDay));
  if (step) return `then resume at a reduced dose: ${formatMg(step.fromMg)} → ${formatMg(step.toMg)} (label steps: ${steps} mg/day).`;
  return `then resume at a reduced dose (label steps: ${steps} mg/day).`;
}

export const hepatotoxicityHold = defineRule<{ what?: string; bili: string; tx: string; biliResume: string; txResume: string }>({
  id: 'HEPATOTOXICITY_HOLD',
  title: 'Hepatotoxicity on imatinib: withhold, then reduce',
  indicator: 'critical',
  trigger: (cfg) =>
    `Already taking imatinib (or not known whether) and (latest bilirubin > ${formatNumber(cfg.hepatic.bilirubinUlnMultiple)}× ULN or latest ALT/AST > ${formatNumber(cfg.hepatic.transaminaseUlnMultiple)}× ULN); ULN from referenceRange.high.`,
  suggestion: (cfg) =>
    `Cancel this imatinib order (when it is a draft); the detail names the reduced dose (${cfg.hepatic.reducedDoseAfterHold.map((s) => `${s.fromMg} → ${s.toMg}`).join(', ')} mg/day)`,
  summary: (p) => {
    const specific = p.what ? `${p.what} ULN: withhold imatinib until bilirubin < ${p.biliResume}× and ALT/AST < ${p.txResume}× ULN, then reduce the dose.` : '';
    return specific && specific.length < 140 ? specific : `Bilirubin > ${p.bili}× or ALT/AST > ${p.tx}× ULN: withhold imatinib until < ${p.biliResume}× / < ${p.txResume}× ULN, then reduce the dose.`;
  },
  example: ({ hepatic: h }) => ({ bili: formatNumber(h.bilirubinUlnMultiple), tx: formatNumber(h.transaminaseUlnMultiple), biliResume: formatNumber(h.bilirubinResumeBelowUlnMultiple), txResume: formatNumber(h.transaminaseResumeBelowUlnMultiple) }),
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
    const taking = facts.imatinib.taking;
    if (taking === false) return { status: 'not-applicable', reason: 'not taking imatinib (HEPATIC_IMPAIRMENT covers a new start)' };
    const results = liverResults(ctx, ['bilirubin', 'alt', 'ast']);
    const trigger = triOf(results);
    if (isUnknown(trigger)) return notChecked(`not known: ${reasonText(trigger)}`, trigger);
    if (!trigger) {
      if (!results.some((r) => r.lab)) return absent(liverBasis(ctx, results).join('; '));
      return { status: 'passes', basis: liverBasis(ctx, results) };
    }
    const high = elevated(results);
    const h = cfg.hepatic;
    const what = high.map((e) => `${e.noun} ${ratioText(e.lab)}×`).join(', ');
    const start = facts.imatinib.start;
    const found = high.map((e) => ulnFact(ctx, e));
    found.push(...newerFacts(ctx, results));
    if (isUnknown(taking)) found.push({ text: `Imatinib history could not be established (${reasonText(taking)}): withholding is safe either way` });
    else found.push(start ? evidenceFact(start, 'Taking imatinib') : { text: 'Taking imatinib (active or on-hold record, or a revised order)' });
    const resume = `bilirubin < ${formatNumber(h.bilirubinResumeBelowUlnMultiple)}× and ALT/AST < ${formatNumber(h.transaminaseResumeBelowUlnMultiple)}× ULN`;
    return {
      status: 'fires',
      params: {
        what: `${what.charAt(0).toUpperCase()}${what.slice(1)}`,
        bili: formatNumber(h.bilirubinUlnMultiple),
        tx: formatNumber(h.transaminaseUlnMultiple),
        biliResume: formatNumber(h.bilirubinResumeBelowUlnMultiple),
        txResume: formatNumber(h.transaminaseResumeBelowUlnMultiple),
      },
      facts: found,
      advice: [`Withhold imatinib until ${resume}, ${reducedDoseAdvice(ctx, ctx.currentDoseMg ?? ctx.doseMg)}`, 'Check liver function monthly or as clinically indicated.'],
    };
  },
});

/** 75% of a dose, rounded down to a whole tablet step (600 → 400, not 450, which no tablet makes). */
export function hepaticReduction(ctx: RuleContext, mgPerDay: number): number {
  const { impairmentDoseFactor, impairmentDoseStepMg } = ctx.cfg.hepatic;
  return Math.floor(roundDose(mgPerDay * impairmentDoseFactor) / impairmentDoseStepMg) * impairmentDoseStepMg;
}

export const hepaticImpairment = defineRule<{ percent: string; reduced: string; from: string }>({
  id: 'HEPATIC_IMPAIRMENT',
  title: 'Severe hepatic impairment: lower imatinib dose',
  indicator: 'warning',
  trigger: (cfg) =>
    `Not taking imatinib and (latest bilirubin > ${formatNumber(cfg.hepatic.bilirubinUlnMultiple)}× ULN, or a coded severe hepatic impairment: K72.1*, K72.9*, SNOMED 59927004).`,
  suggestion: (cfg) =>
    `dose → ${formatNumber(cfg.hepatic.impairmentDoseFactor * 100)}% of the dose the other rules leave, rounded down to a whole ${cfg.hepatic.impairmentDoseStepMg} mg`,
  summary: (p) => `Severe hepatic impairment: the label advises a ${p.percent}% lower imatinib dose (e.g. ${p.reduced} mg/day for ${p.from} mg).`,
  example: (cfg) => ({ percent: formatNumber(Math.round((1 - cfg.hepatic.impairmentDoseFactor) * 1000) / 10), reduced: 'X', from: 'N' }),
  thresholds: [
    { key: 'hepatic.bilirubinUlnMultiple', meaning: 'bilirubin above this × ULN counts as severe impairment' },
    { key: 'hepatic.impairmentDoseFactor', meaning: 'fraction of the dose to give in severe impairment' },
    { key: 'hepatic.impairmentDoseStepMg', meaning: 'the reduced dose is rounded down to a multiple of this (mg)' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.hepaticPk2008, SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg, doseMg } = ctx;
    const taking = facts.imatinib.taking;
    if (taking === true) return { status: 'not-applicable', reason: 'already taking imatinib (HEPATOTOXICITY_HOLD covers liver values on therapy)' };
    const coded = facts.severeHepaticImpairment;
    const results = liverResults(ctx, ['bilirubin']);
    const bilirubin = triOf(results);
    const fires = or(bilirubin, coded !== undefined);
    // "Not taking" must be known: with an unidentified imatinib history the hold applies instead (1.1).
    if (isUnknown(taking)) {
      if (fires === false) return { status: 'passes', basis: [...liverBasis(ctx, results), 'no coded severe hepatic impairment'] };
      return notChecked(`whether imatinib is already taken is not known (${reasonText(taking)}); HEPATOTOXICITY_HOLD applies to high liver values`, taking);
    }
    if (isUnknown(fires)) return notChecked(`not known: ${reasonText(fires)}`, fires);
    if (!fires) return { status: 'passes', basis: [...liverBasis(ctx, results), 'no coded severe hepatic impairment'] };
    const factor = cfg.hepatic.impairmentDoseFactor;
    const percent = formatNumber(Math.round((1 - factor) * 1000) / 10);
    const exampleFrom = doseMg === undefined || doseMg > cfg.maxDoseMg ? cfg.standardDoseMg : doseMg;
    const found: TriggerFact[] = [];
    for (const e of elevated(results)) found.push(ulnFact(ctx, e));
    found.push(...newerFacts(ctx, results));
    if (coded) found.push(evidenceFact(coded, 'Severe hepatic impairment'));
    if (doseMg !== undefined) found.push({ text: `Ordered dose ${formatMg(doseMg)}` });
    return {
      status: 'fires',
      params: { percent, reduced: formatNumber(hepaticReduction(ctx, exampleFrom)), from: formatNumber(exampleFrom) },
      facts: found,
      advice: [
        `The US label advises a ${percent}% lower dose in severe hepatic impairment (bilirubin > 3-10× ULN), rounded down here to whole ${cfg.hepatic.impairmentDoseStepMg} mg tablets; the EU SmPC instead advises the minimum dose of ${formatMg(cfg.standardDoseMg)} with caution. Monitor liver function and blood counts.`,
        ...(doseMg === undefined ? ['The ordered daily dose could not be computed, so no reduced dose is suggested.'] : []),
      ],
      ...(doseMg !== undefined ? { dose: { kind: 'hepatic-reduction' as const } } : {}),
    };
  },
});
