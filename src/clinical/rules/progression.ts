/** Progression rules: escalate to the high dose on progression at a lower dose; switch drug on progression at the high dose. */
import { highDoseTarget } from './dose-targets';
import { SOURCES } from './evidence';
import { evidenceFact, formatDate, formatMg, formatNumber, orderedDoseFact } from './format';
import type { Coverage, RuleContext, Rule, TriggerFact } from './types';

/** What the progression rules need besides the progression itself: a known current dose. */
function progressionCoverage(ctx: RuleContext): Coverage | undefined {
  const { facts, cfg } = ctx;
  const status = facts.latestDiseaseStatus;
  if (!status) return { status: 'not-checked', reason: 'no cancer disease status (LOINC 97509-4) on file' };
  const current = facts.imatinib.currentDose;
  if (current?.kind === 'unparseable') return { status: 'not-checked', reason: `current imatinib dose could not be computed (${current.reason})` };
  const latest = `latest disease status ${status.display} on ${formatDate(status.date)}`;
  if (!facts.currentProgression) {
    return { status: 'checked', basis: [`${latest}: no current progression on imatinib (window ${cfg.progressionWindowDays} days)`] };
  }
  if (!facts.imatinib.alreadyTaking || current === undefined) return { status: 'checked', basis: [`${latest}; not currently taking imatinib`] };
  return undefined;
}

function currentTherapyFact(ctx: RuleContext, currentMg: number): TriggerFact {
  const start = ctx.facts.imatinib.start;
  const since = start?.date ? ` since ${formatDate(start.date)}` : '';
  return { text: `Current imatinib ${formatMg(currentMg)}${since}`, ...(start ? { sourceRef: start.sourceRef } : {}) };
}

export const progressionEscalate: Rule = {
  id: 'PROGRESSION_ESCALATE',
  title: 'Progression on imatinib below the high dose',
  indicator: 'info',
  trigger: 'Advanced GIST, current progression (latest status worsened, after the start of imatinib, within the window), current dose < high dose and ordered dose < high dose.',
  summaryTemplate: 'Progression on imatinib N mg/day: consider 800 mg/day (about 1 in 3 benefit) or switch to sunitinib.',
  suggestion: 'dose → 400 mg twice daily (the high dose in two doses)',
  thresholds: [
    { key: 'highDoseMg', meaning: 'high dose (mg/day)' },
    { key: 'progressionWindowDays', meaning: 'a worsened status within this many days is current progression' },
  ],
  evidence: [SOURCES.s0033, SOURCES.crossover2005, SOURCES.gronchi2010],
  needsDose: true,
  evaluate(ctx) {
    const { facts, cfg, doseMg, currentDoseMg } = ctx;
    const progression = facts.currentProgression;
    if (!facts.advanced || !progression || currentDoseMg === undefined || doseMg === undefined) return undefined;
    if (!(currentDoseMg < cfg.highDoseMg && doseMg < cfg.highDoseMg)) return undefined;
    const target = highDoseTarget(cfg);
    return {
      ruleId: 'PROGRESSION_ESCALATE',
      indicator: 'info',
      summary: `Progression on imatinib ${formatMg(currentDoseMg)}: consider ${formatMg(cfg.highDoseMg)} (about 1 in 3 benefit) or switch to sunitinib.`,
      facts: [
        evidenceFact(progression, 'Progression'),
        evidenceFact(facts.advanced, 'Advanced disease'),
        currentTherapyFact(ctx, currentDoseMg),
        orderedDoseFact(ctx.orders, doseMg),
      ],
      advice: [
        `On progression at a lower dose, an increase to ${formatMg(cfg.highDoseMg)} (${target.regimen}) may be considered when there are no severe adverse reactions.`,
        'About a third of patients benefit: after crossover to the high dose, 33% had a response or stable disease in S0033; in EORTC 62005 median progression-free survival after crossover was 81 days, and anaemia and fatigue increased. Switching to second-line sunitinib is the alternative.',
      ],
      orders: ctx.orders,
      doseTargets: [target],
    };
  },
  coverage(ctx) {
    const early = progressionCoverage(ctx);
    if (early) return early;
    if (!ctx.facts.advanced) return { status: 'checked', basis: ['current progression, but advanced disease is not established'] };
    return { status: 'checked', basis: [`current progression on imatinib ${formatMg(ctx.currentDoseMg ?? 0)}`] };
  },
};

export const progressionOnHighDose: Rule = {
  id: 'PROGRESSION_ON_HIGH_DOSE',
  title: 'Progression on imatinib at the high dose',
  indicator: 'info',
  trigger: 'Current progression and current dose ≥ high dose.',
  summaryTemplate: 'Progression on imatinib 800 mg/day: guidelines recommend switching to second-line sunitinib.',
  suggestion: 'none',
  thresholds: [
    { key: 'highDoseMg', meaning: 'high dose (mg/day)' },
    { key: 'progressionWindowDays', meaning: 'a worsened status within this many days is current progression' },
  ],
  evidence: [SOURCES.esmo2022, SOURCES.blay2021],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg, currentDoseMg } = ctx;
    const progression = facts.currentProgression;
    if (!progression || currentDoseMg === undefined || !(currentDoseMg >= cfg.highDoseMg)) return undefined;
    return {
      ruleId: 'PROGRESSION_ON_HIGH_DOSE',
      indicator: 'info',
      summary: `Progression on imatinib ${formatMg(currentDoseMg)}: guidelines recommend switching to second-line sunitinib.`,
      facts: [evidenceFact(progression, 'Progression'), currentTherapyFact(ctx, currentDoseMg)],
      advice: [
        `Progression at ${formatNumber(currentDoseMg)} mg/day means imatinib has failed: further escalation is not an option. Guidelines sequence sunitinib (second line), regorafenib (third line) and ripretinib (fourth line).`,
      ],
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    return progressionCoverage(ctx) ?? { status: 'checked', basis: [`current progression on imatinib ${formatMg(ctx.currentDoseMg ?? 0)}`] };
  },
};
