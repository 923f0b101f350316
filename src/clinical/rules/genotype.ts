/** Genotype rules: KIT exon 9 high dose, resistant genotypes, and the missing mutation test. */
import { highDoseTarget } from './dose-targets';
import { SOURCES } from './evidence';
import { evidenceFact, formatNumber, orderedDoseFact } from './format';
import type { Coverage, Rule, RuleContext } from './types';

const NO_RESULT = 'no KIT/PDGFRA mutation result on file';

function untested(ctx: RuleContext): Coverage | undefined {
  return ctx.facts.genotype.mutationTested ? undefined : { status: 'not-checked', reason: NO_RESULT };
}

export const exon9HighDose: Rule = {
  id: 'EXON9_HIGH_DOSE',
  title: 'KIT exon 9 GIST: imatinib 800 mg/day',
  indicator: 'warning',
  trigger: 'Advanced GIST, KIT exon 9 mutation present, ordered dose below the high dose.',
  summaryTemplate: 'KIT exon 9 GIST: guidelines favour imatinib 800 mg/day (400 mg twice daily) over the ordered N mg/day.',
  suggestion: 'dose → 400 mg twice daily (the high dose in two doses)',
  thresholds: [{ key: 'highDoseMg', meaning: 'high dose for KIT exon 9 and progression (mg/day)' }],
  evidence: [SOURCES.metaGist2010, SOURCES.gronchi2010, SOURCES.esmo2022],
  needsDose: true,
  evaluate(ctx) {
    const { facts, cfg, doseMg } = ctx;
    const exon9 = facts.genotype.kitExon9;
    if (!facts.advanced || !exon9 || doseMg === undefined || !(doseMg < cfg.highDoseMg)) return undefined;
    const target = highDoseTarget(cfg);
    return {
      ruleId: 'EXON9_HIGH_DOSE',
      indicator: 'warning',
      summary: `KIT exon 9 GIST: guidelines favour imatinib ${formatNumber(cfg.highDoseMg)} mg/day (${target.regimen}) over the ordered ${formatNumber(doseMg)} mg/day.`,
      facts: [evidenceFact(exon9, 'KIT exon 9 mutation'), evidenceFact(facts.advanced, 'Advanced disease'), orderedDoseFact(ctx.orders, doseMg)],
      advice: [
        `In advanced KIT exon 9 GIST give imatinib ${formatNumber(cfg.highDoseMg)} mg/day as ${target.regimen}: in MetaGIST, high dose gave exon 9 patients longer progression-free survival and a higher response rate, with no overall survival difference.`,
        'Weigh this against dose-related toxicity (more dose reductions and interruptions at the high dose).',
      ],
      orders: ctx.orders,
      doseTargets: [target],
    };
  },
  coverage(ctx) {
    const { facts } = ctx;
    const missing = untested(ctx);
    if (missing) return missing;
    if (!facts.genotype.kitExon9) return { status: 'checked', basis: ['no KIT exon 9 mutation on file'] };
    if (!facts.advanced) return { status: 'checked', basis: ['KIT exon 9 present, but advanced disease is not established (adjuvant or unknown setting: 800 mg is never suggested)'] };
    return { status: 'checked', basis: ['advanced GIST with KIT exon 9'] };
  },
};

export const pdgfraD842VResistant: Rule = {
  id: 'PDGFRA_D842V_RESISTANT',
  title: 'PDGFRA D842V: imatinib-resistant GIST',
  indicator: 'warning',
  trigger: 'PDGFRA D842V mutation present.',
  summaryTemplate: 'PDGFRA D842V GIST is resistant to imatinib; avapritinib is preferred. Review this order.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.navigator2020, SOURCES.esmo2022],
  needsDose: false,
  evaluate(ctx) {
    const d842v = ctx.facts.genotype.pdgfraD842V;
    if (!d842v) return undefined;
    return {
      ruleId: 'PDGFRA_D842V_RESISTANT',
      indicator: 'warning',
      summary: 'PDGFRA D842V GIST is resistant to imatinib; avapritinib is preferred. Review this order.',
      facts: [evidenceFact(d842v, 'PDGFRA D842V mutation')],
      advice: [
        'GIST with PDGFRA exon 18 D842V is considered imatinib-resistant; avapritinib is the therapy of choice. Review whether imatinib should be given and consider sarcoma specialist input.',
        'Other PDGFRA mutations (e.g. D842_H845del) are not D842V and may respond to imatinib.',
      ],
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    const missing = untested(ctx);
    if (missing) return missing;
    if (!ctx.facts.genotype.pdgfraTested) return { status: 'not-checked', reason: 'no PDGFRA result on file (only KIT was tested)' };
    return { status: 'checked', basis: ['PDGFRA tested; no D842V'] };
  },
};

export const wildTypeLowBenefit: Rule = {
  id: 'WT_SDH_NF1_LOW_BENEFIT',
  title: 'KIT/PDGFRA wild-type, SDH-deficient or NF1 GIST: low benefit',
  indicator: 'info',
  trigger: 'KIT and PDGFRA both tested without a variant (wild-type), or SDH-deficient / NF1-associated GIST documented.',
  summaryTemplate: 'KIT/PDGFRA wild-type (SDH-deficient/NF1) GIST rarely responds to imatinib; consider specialist review.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.blay2021, SOURCES.esmo2022],
  needsDose: false,
  evaluate(ctx) {
    const { wildType, sdhOrNf1 } = ctx.facts.genotype;
    if (!wildType && !sdhOrNf1) return undefined;
    const facts = [];
    if (wildType) facts.push(evidenceFact(wildType, 'KIT/PDGFRA wild-type'));
    if (sdhOrNf1) facts.push(evidenceFact(sdhOrNf1, 'SDH-deficient / NF1-associated GIST'));
    return {
      ruleId: 'WT_SDH_NF1_LOW_BENEFIT',
      indicator: 'info',
      summary: 'KIT/PDGFRA wild-type (SDH-deficient/NF1) GIST rarely responds to imatinib; consider specialist review.',
      facts,
      advice: ['GIST without a KIT or PDGFRA mutation (including SDH-deficient and NF1-associated GIST) generally shows primary resistance to standard kinase inhibitors. Consider sarcoma specialist review of the treatment plan.'],
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    const missing = untested(ctx);
    if (missing) return missing;
    const g = ctx.facts.genotype;
    if (g.kitVariantPresent || g.pdgfraVariantPresent) return { status: 'checked', basis: ['a KIT or PDGFRA variant is present (not wild-type)'] };
    if (!g.kitTested || !g.pdgfraTested) return { status: 'checked', basis: [`wild-type not established: ${g.kitTested ? 'PDGFRA' : 'KIT'} not tested; no SDH/NF1 documented`] };
    return { status: 'checked', basis: ['not wild-type; no SDH/NF1 documented'] };
  },
};

export const noMutationTest: Rule = {
  id: 'NO_MUTATION_TEST',
  title: 'No KIT/PDGFRA mutation result',
  indicator: 'info',
  trigger: 'GIST with no KIT/PDGFRA result (variant, region studied or legacy KIT test) on file.',
  summaryTemplate: 'No KIT/PDGFRA mutation result on file; mutational analysis guides imatinib dose (exon 9 → 800 mg/day).',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.esmo2022, SOURCES.metaGist2010],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg } = ctx;
    if (facts.genotype.mutationTested || !facts.gist) return undefined;
    return {
      ruleId: 'NO_MUTATION_TEST',
      indicator: 'info',
      summary: `No KIT/PDGFRA mutation result on file; mutational analysis guides imatinib dose (exon 9 → ${formatNumber(cfg.highDoseMg)} mg/day).`,
      facts: [evidenceFact(facts.gist, 'GIST diagnosis'), { text: 'No KIT or PDGFRA mutation result found' }],
      advice: [
        'Mutational analysis is standard for GIST (except non-rectal tumours under 2 cm). It changes treatment: KIT exon 9 in advanced disease favours the high dose; PDGFRA D842V and wild-type GIST respond poorly to imatinib.',
      ],
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    return { status: 'checked', basis: [ctx.facts.genotype.mutationTested ? 'KIT/PDGFRA result on file' : NO_RESULT] };
  },
};
