/** Genotype rules: KIT exon 9 high dose, resistant genotypes, and the missing mutation test. */
import { and, isUnknown, reasonText } from '../tri';
import { SOURCES } from './evidence';
import { evidenceFact, formatDate, formatMg, formatNumber, orderedDoseFact } from './format';
import { advanced, kitExon9 } from './knowledge';
import { notChecked } from './outcomes';
import { defineRule, type RuleContext, type RuleEvaluation } from './types';

const NO_RESULT = 'no KIT/PDGFRA mutation result on file';

/** Not checked when the genomics data could not be obtained, or no result is on file (pending ones named). */
function untested(ctx: RuleContext): Extract<RuleEvaluation<never>, { status: 'not-checked' }> | undefined {
  const gap = ctx.gaps.unknownFor('genomics');
  const g = ctx.facts.genotype;
  if (g.mutationTested) return undefined;
  if (gap) return notChecked(`mutation results not known: ${reasonText(gap)}`, gap);
  const pending = g.pending[0];
  return { status: 'not-checked', reason: pending ? `${NO_RESULT}: ${pending.description}` : NO_RESULT, cause: 'absent' };
}

export const exon9HighDose = defineRule<{ high: string; perDose: string; ordered: string }>({
  id: 'EXON9_HIGH_DOSE',
  title: 'KIT exon 9 GIST: imatinib 800 mg/day',
  indicator: 'warning',
  trigger: (cfg) => `Advanced GIST, KIT exon 9 mutation present, ordered dose below ${formatMg(cfg.highDoseMg)}.`,
  suggestion: (cfg) => `dose → ${formatNumber(cfg.highDoseMg / 2)} mg twice daily (the high dose in two doses)`,
  summary: (p) => `KIT exon 9 GIST: guidelines favour imatinib ${p.high} mg/day (${p.perDose} mg twice daily) over the ordered ${p.ordered} mg/day.`,
  example: (cfg) => ({ high: formatNumber(cfg.highDoseMg), perDose: formatNumber(cfg.highDoseMg / 2), ordered: 'N' }),
  thresholds: [{ key: 'highDoseMg', meaning: 'high dose for KIT exon 9 and progression (mg/day)' }],
  evidence: [SOURCES.metaGist2010, SOURCES.gronchi2010, SOURCES.esmo2022],
  needsDose: true,
  evaluate(ctx) {
    const { facts, cfg, doseMg = 0 } = ctx;
    if (!(doseMg < cfg.highDoseMg)) return { status: 'passes', basis: [`ordered ${formatMg(doseMg)}, already the high dose`] };
    const missing = untested(ctx);
    if (missing) return missing;
    const trigger = and(kitExon9(ctx), advanced(ctx));
    if (isUnknown(trigger)) return notChecked(`not known: ${reasonText(trigger)}`, trigger);
    if (!trigger || !facts.genotype.kitExon9 || !facts.advanced) {
      if (!facts.genotype.kitExon9) return { status: 'passes', basis: ['no KIT exon 9 mutation on file'] };
      return { status: 'passes', basis: ['KIT exon 9 present, but advanced disease is not established (adjuvant or unknown setting: 800 mg is never suggested)'] };
    }
    const perDose = formatNumber(cfg.highDoseMg / 2);
    return {
      status: 'fires',
      params: { high: formatNumber(cfg.highDoseMg), perDose, ordered: formatNumber(doseMg) },
      facts: [evidenceFact(facts.genotype.kitExon9, 'KIT exon 9 mutation'), evidenceFact(facts.advanced, 'Advanced disease'), orderedDoseFact(ctx.orders, ctx.total)],
      advice: [
        `In advanced KIT exon 9 GIST give imatinib ${formatMg(cfg.highDoseMg)} as ${perDose} mg twice daily: in MetaGIST, high dose gave exon 9 patients longer progression-free survival and a higher response rate, with no overall survival difference.`,
        'Weigh this against dose-related toxicity (more dose reductions and interruptions at the high dose).',
      ],
      dose: { kind: 'increase', mgPerDay: cfg.highDoseMg },
    };
  },
});

export const pdgfraD842VResistant = defineRule<Record<string, never>>({
  id: 'PDGFRA_D842V_RESISTANT',
  title: 'PDGFRA D842V: imatinib-resistant GIST',
  indicator: 'warning',
  trigger: () => 'PDGFRA D842V mutation present.',
  suggestion: () => 'none',
  summary: () => 'PDGFRA D842V GIST is resistant to imatinib; avapritinib is preferred. Review this order.',
  example: () => ({}),
  thresholds: [],
  evidence: [SOURCES.navigator2020, SOURCES.esmo2022],
  needsDose: false,
  evaluate(ctx) {
    const d842v = ctx.facts.genotype.pdgfraD842V;
    if (d842v) {
      return {
        status: 'fires',
        params: {},
        facts: [evidenceFact(d842v, 'PDGFRA D842V mutation')],
        advice: [
          'GIST with PDGFRA exon 18 D842V is considered imatinib-resistant; avapritinib is the therapy of choice. Review whether imatinib should be given and consider sarcoma specialist input.',
          'Other PDGFRA mutations (e.g. D842_H845del) are not D842V and may respond to imatinib.',
        ],
      };
    }
    const missing = untested(ctx);
    if (missing) return missing;
    if (!ctx.facts.genotype.pdgfraTested) return { status: 'not-checked', reason: 'no PDGFRA result on file (only KIT was tested)', cause: 'absent' };
    return { status: 'passes', basis: ['PDGFRA tested; no D842V'] };
  },
});

export const wildTypeLowBenefit = defineRule<Record<string, never>>({
  id: 'WT_SDH_NF1_LOW_BENEFIT',
  title: 'KIT/PDGFRA wild-type, SDH-deficient or NF1 GIST: low benefit',
  indicator: 'info',
  trigger: () => 'KIT and PDGFRA both tested without a variant (wild-type), or SDH-deficient / NF1-associated GIST documented.',
  suggestion: () => 'none',
  summary: () => 'KIT/PDGFRA wild-type (SDH-deficient/NF1) GIST rarely responds to imatinib; consider specialist review.',
  example: () => ({}),
  thresholds: [],
  evidence: [SOURCES.blay2021, SOURCES.esmo2022],
  needsDose: false,
  evaluate(ctx) {
    const { wildType, sdhOrNf1 } = ctx.facts.genotype;
    if (wildType || sdhOrNf1) {
      const facts = [];
      if (wildType) facts.push(evidenceFact(wildType, 'KIT/PDGFRA wild-type'));
      if (sdhOrNf1) facts.push(evidenceFact(sdhOrNf1, 'SDH-deficient / NF1-associated GIST'));
      return {
        status: 'fires',
        params: {},
        facts,
        advice: [
          'GIST without a KIT or PDGFRA mutation (including SDH-deficient and NF1-associated GIST) generally shows primary resistance to standard kinase inhibitors. Consider sarcoma specialist review of the treatment plan.',
        ],
      };
    }
    const missing = untested(ctx);
    if (missing) return missing;
    const g = ctx.facts.genotype;
    if (g.kitVariantPresent || g.pdgfraVariantPresent) return { status: 'passes', basis: ['a KIT or PDGFRA variant is present (not wild-type)'] };
    if (!g.kitTested || !g.pdgfraTested) return { status: 'passes', basis: [`wild-type not established: ${g.kitTested ? 'PDGFRA' : 'KIT'} not tested; no SDH/NF1 documented`] };
    return { status: 'passes', basis: ['not wild-type; no SDH/NF1 documented'] };
  },
});

export const noMutationTest = defineRule<{ high: string; pendingDate?: string }>({
  id: 'NO_MUTATION_TEST',
  title: 'No KIT/PDGFRA mutation result',
  indicator: 'info',
  trigger: () => 'GIST with no final KIT/PDGFRA result (variant, region studied or legacy KIT test) on file; a preliminary one is named as pending.',
  suggestion: () => 'none',
  summary: (p) =>
    p.pendingDate
      ? `A preliminary KIT/PDGFRA result of ${p.pendingDate} awaits its final report; mutational analysis guides dose (exon 9 → ${p.high} mg/day).`
      : `No KIT/PDGFRA mutation result on file; mutational analysis guides imatinib dose (exon 9 → ${p.high} mg/day).`,
  example: (cfg) => ({ high: formatNumber(cfg.highDoseMg) }),
  thresholds: [],
  evidence: [SOURCES.esmo2022, SOURCES.metaGist2010],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg } = ctx;
    if (facts.genotype.mutationTested) return { status: 'passes', basis: ['KIT/PDGFRA result on file'] };
    // Missing is not empty: without the mutation data this rule never fires (docs/clinical-rules.md §7).
    const gap = ctx.gaps.unknownFor('genomics');
    if (gap) return notChecked(`mutation results not known: ${reasonText(gap)}`, gap);
    const pending = facts.genotype.pending[0];
    const found = pending
      ? [evidenceFact(pending, 'Pending'), { text: 'No final KIT or PDGFRA mutation result on file' }]
      : [{ text: 'No KIT or PDGFRA mutation result found' }];
    return {
      status: 'fires',
      params: { high: formatNumber(cfg.highDoseMg), ...(pending ? { pendingDate: pending.date ? formatDate(pending.date) : 'unknown date' } : {}) },
      facts: [...(facts.gist ? [evidenceFact(facts.gist, 'GIST diagnosis')] : []), ...found],
      advice: [
        pending
          ? 'A preliminary result is not a result: wait for the final report rather than repeating the test, and review the dose when it arrives.'
          : 'Mutational analysis is standard for GIST (except non-rectal tumours under 2 cm). It changes treatment: KIT exon 9 in advanced disease favours the high dose; PDGFRA D842V and wild-type GIST respond poorly to imatinib.',
      ],
    };
  },
});
