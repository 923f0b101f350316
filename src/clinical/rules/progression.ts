/** Progression rules: escalate to the high dose on progression at a lower dose; switch drug on progression at the high dose. */
import { and, isUnknown, reasonText, unknown, type Tri } from '../tri';
import { SOURCES } from './evidence';
import { evidenceFact, formatDate, formatMg, formatNumber, orderedDoseFact } from './format';
import { advanced, currentProgression } from './knowledge';
import { notChecked } from './outcomes';
import { defineRule, type RuleContext, type RuleEvaluation, type TriggerFact } from './types';

type NotCheckedOrPass = Extract<RuleEvaluation<never>, { status: 'not-checked' | 'passes' }>;

/** The current dose the progression rules compare, or why they cannot (not taking, not known, unparseable). */
function currentDose(ctx: RuleContext): number | NotCheckedOrPass {
  const { imatinib } = ctx.facts;
  const status = ctx.facts.latestDiseaseStatus;
  const latest = status ? `latest disease status ${status.display} on ${formatDate(status.date)}` : 'current progression';
  if (imatinib.taking === false) return { status: 'passes', basis: [`${latest}; not currently taking imatinib`] };
  if (isUnknown(imatinib.taking)) return notChecked(`${latest}, but whether imatinib is taken is not known: ${reasonText(imatinib.taking)}`, imatinib.taking);
  const current = imatinib.currentDose;
  if (current?.kind === 'unparseable') return { status: 'not-checked', reason: `current imatinib dose could not be computed (${current.reason})`, cause: 'absent' };
  if (ctx.currentDoseMg === undefined) {
    const why = imatinib.currentDoseUnknownBecause ?? 'no current imatinib record';
    return { status: 'not-checked', reason: `current imatinib dose not known: ${why}`, cause: ctx.gaps.unknownFor('medicationRequests', 'medicationStatements') ? 'unavailable' : 'absent' };
  }
  return ctx.currentDoseMg;
}

/** Current progression as a rule precondition: passes when there is none, not checked when not known. */
function progressionGate(ctx: RuleContext, extra: Tri = true): NotCheckedOrPass | undefined {
  const { facts, cfg } = ctx;
  const progression = and(currentProgression(ctx), extra);
  if (isUnknown(progression)) return notChecked(`progression not known: ${reasonText(progression)}`, progression);
  if (progression) return undefined;
  const status = facts.latestDiseaseStatus;
  if (!status) return { status: 'not-checked', reason: 'no cancer disease status (LOINC 97509-4) on file', cause: 'absent' };
  if (!facts.currentProgression) {
    return { status: 'passes', basis: [`latest disease status ${status.display} on ${formatDate(status.date)}: no current progression on imatinib (window ${cfg.progressionWindowDays} days)`] };
  }
  return { status: 'passes', basis: ['current progression, but advanced disease is not established'] };
}

function currentTherapyFact(ctx: RuleContext, currentMg: number): TriggerFact {
  const start = ctx.facts.imatinib.start;
  const since = start?.date ? ` since ${formatDate(start.date)}` : '';
  return { text: `Current imatinib ${formatMg(currentMg)}${since}`, ...(start ? { sourceRef: start.sourceRef } : {}) };
}

export const progressionEscalate = defineRule<{ current: string; high: string }>({
  id: 'PROGRESSION_ESCALATE',
  title: 'Progression on imatinib below the high dose',
  indicator: 'info',
  trigger: (cfg) =>
    `Advanced GIST, current progression (latest status worsened, after the start of imatinib, within ${cfg.progressionWindowDays} days), current dose and ordered dose below ${formatMg(cfg.highDoseMg)}. An order that already escalates to the high dose gets no progression card.`,
  suggestion: (cfg) => `dose → ${formatNumber(cfg.highDoseMg / 2)} mg twice daily (the high dose in two doses)`,
  summary: (p) => `Progression on imatinib ${p.current} mg/day: consider ${p.high} mg/day (about 1 in 3 benefit) or switch to sunitinib.`,
  example: (cfg) => ({ current: 'N', high: formatNumber(cfg.highDoseMg) }),
  thresholds: [
    { key: 'highDoseMg', meaning: 'high dose (mg/day)' },
    { key: 'progressionWindowDays', meaning: 'a worsened status within this many days is current progression' },
  ],
  evidence: [SOURCES.s0033, SOURCES.crossover2005, SOURCES.gronchi2010],
  needsDose: true,
  evaluate(ctx) {
    const { facts, cfg, doseMg = 0 } = ctx;
    const gate = progressionGate(ctx, advanced(ctx));
    if (gate) return gate;
    const current = currentDose(ctx);
    if (typeof current !== 'number') return current;
    if (!(current < cfg.highDoseMg)) return { status: 'passes', basis: [`current progression on imatinib ${formatMg(current)} (already the high dose)`] };
    if (!(doseMg < cfg.highDoseMg)) return { status: 'passes', basis: [`current progression on ${formatMg(current)}; the order already escalates to ${formatMg(doseMg)}`] };
    const progression = facts.currentProgression;
    if (!progression || !facts.advanced) return notChecked('progression not known', unknown());
    return {
      status: 'fires',
      params: { current: formatNumber(current), high: formatNumber(cfg.highDoseMg) },
      facts: [evidenceFact(progression, 'Progression'), evidenceFact(facts.advanced, 'Advanced disease'), currentTherapyFact(ctx, current), orderedDoseFact(ctx.orders, ctx.total)],
      advice: [
        `On progression at a lower dose, an increase to ${formatMg(cfg.highDoseMg)} (${formatNumber(cfg.highDoseMg / 2)} mg twice daily) may be considered when there are no severe adverse reactions.`,
        'About a third of patients benefit: after crossover to the high dose, 33% had a response or stable disease in S0033; in EORTC 62005 median progression-free survival after crossover was 81 days, and anaemia and fatigue increased. Switching to second-line sunitinib is the alternative.',
      ],
      dose: { kind: 'increase', mgPerDay: cfg.highDoseMg },
    };
  },
});

export const progressionOnHighDose = defineRule<{ current: string }>({
  id: 'PROGRESSION_ON_HIGH_DOSE',
  title: 'Progression on imatinib at the high dose',
  indicator: 'info',
  trigger: (cfg) => `Current progression and current dose at least ${formatMg(cfg.highDoseMg)}.`,
  suggestion: () => 'none',
  summary: (p) => `Progression on imatinib ${p.current} mg/day: guidelines recommend switching to second-line sunitinib.`,
  example: () => ({ current: 'N' }),
  thresholds: [
    { key: 'highDoseMg', meaning: 'high dose (mg/day)' },
    { key: 'progressionWindowDays', meaning: 'a worsened status within this many days is current progression' },
  ],
  evidence: [SOURCES.esmo2022, SOURCES.blay2021],
  needsDose: false,
  evaluate(ctx) {
    const { facts, cfg } = ctx;
    const gate = progressionGate(ctx);
    if (gate) return gate;
    const current = currentDose(ctx);
    if (typeof current !== 'number') return current;
    if (!(current >= cfg.highDoseMg)) return { status: 'passes', basis: [`current progression on imatinib ${formatMg(current)} (below the high dose)`] };
    const progression = facts.currentProgression;
    if (!progression) return notChecked('progression not known', unknown());
    return {
      status: 'fires',
      params: { current: formatNumber(current) },
      facts: [evidenceFact(progression, 'Progression'), currentTherapyFact(ctx, current)],
      advice: [
        `Progression at ${formatMg(current)} means imatinib has failed: further escalation is not an option. Guidelines sequence sunitinib (second line), regorafenib (third line) and ripretinib (fourth line).`,
      ],
    };
  },
});
