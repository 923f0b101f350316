/**
 * All precedence and suppression between rules (RULES.md §4), in one place and in this order:
 *  1. one card per rule per request (findings of the same rule merge, naming every order);
 *  2. DOSE_ABOVE_MAX replaces HIGH_DOSE_WITHOUT_INDICATION;
 *  3. HEPATOTOXICITY_HOLD and HEPATIC_IMPAIRMENT never both (the hold wins);
 *  4. PDGFRA_D842V_RESISTANT and WT_SDH_NF1_LOW_BENEFIT silence EXON9_HIGH_DOSE and PROGRESSION_ESCALATE;
 *  5. an order already escalating to the high dose on current progression gets no progression card;
 *  6. dose increases are withheld when more imatinib is unsafe (CrCl/eGFR below the mild threshold, or
 *     HEPATIC_IMPAIRMENT, HEMATOLOGIC_HOLD, HEPATOTOXICITY_HOLD or PREGNANCY fired): EXON9_HIGH_DOSE and
 *     PROGRESSION_ESCALATE stay, at `info`, without a suggestion, saying why;
 *  7. cards ordered by indicator (critical first), then by rule order.
 */
import type { Indicator } from '../../protocol/cards';
import type { ImatinibOrder } from '../types';
import { RULES_BY_ID } from './catalogue';
import { isBelow } from './compare';
import { formatDate, formatNumber, formatUnit } from './format';
import { RULE_IDS, type Finding, type RuleContext, type RuleId, type TriggerFact } from './types';

export interface Suppression {
  ruleId: RuleId;
  /** The rule (or situation) that silenced it. */
  by: RuleId | 'ESCALATION_ORDERED';
  reason: string;
}

export interface PrecedenceResult {
  findings: Finding[];
  suppressed: Suppression[];
}

const SEVERITY: Record<Indicator, number> = { critical: 0, warning: 1, info: 2 };

const DOSE_INCREASES: readonly RuleId[] = ['EXON9_HIGH_DOSE', 'PROGRESSION_ESCALATE'];
const UNSAFE_TO_INCREASE: readonly RuleId[] = ['HEPATIC_IMPAIRMENT', 'HEMATOLOGIC_HOLD', 'HEPATOTOXICITY_HOLD', 'PREGNANCY'];

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function merge(a: Finding, b: Finding): Finding {
  const merged: Finding = {
    ...a,
    indicator: SEVERITY[b.indicator] < SEVERITY[a.indicator] ? b.indicator : a.indicator,
    facts: uniqueBy<TriggerFact>([...a.facts, ...b.facts], (f) => `${f.text}|${f.date ?? ''}|${f.sourceRef ?? ''}`),
    advice: uniqueBy([...a.advice, ...b.advice], (s) => s),
    orders: uniqueBy<ImatinibOrder>([...a.orders, ...b.orders], (o) => o.reference),
  };
  const targets = a.doseTargets ?? b.doseTargets;
  if (targets) merged.doseTargets = targets;
  return merged;
}

/** Step 1: one finding per rule. */
function onePerRule(findings: Finding[]): Map<RuleId, Finding> {
  const byRule = new Map<RuleId, Finding>();
  for (const f of findings) {
    const prior = byRule.get(f.ruleId);
    byRule.set(f.ruleId, prior ? merge(prior, f) : f);
  }
  return byRule;
}

/** Why giving more imatinib is unsafe now, each reason stated with its facts. */
function unsafeToIncrease(byRule: Map<RuleId, Finding>, ctx: RuleContext): string[] {
  const reasons: string[] = [];
  const renal = ctx.facts.labs.renal;
  if (renal && isBelow(renal.value, ctx.cfg.renal.mildBelow)) {
    const what = renal.egfrProxy ? 'eGFR (used for CrCl)' : 'CrCl';
    reasons.push(`${what} ${formatNumber(renal.value)} ${formatUnit(renal.unit)} on ${formatDate(renal.date)} is below ${formatNumber(ctx.cfg.renal.mildBelow)} mL/min`);
  }
  for (const id of UNSAFE_TO_INCREASE) {
    if (byRule.has(id)) reasons.push(`${RULES_BY_ID[id].title} (${id})`);
  }
  return reasons;
}

export function applyPrecedence(findings: Finding[], ctx: RuleContext): PrecedenceResult {
  const byRule = onePerRule(findings);
  const suppressed: Suppression[] = [];
  const silence = (ruleId: RuleId, by: Suppression['by'], reason: string): void => {
    if (byRule.delete(ruleId)) suppressed.push({ ruleId, by, reason });
  };

  if (byRule.has('DOSE_ABOVE_MAX')) silence('HIGH_DOSE_WITHOUT_INDICATION', 'DOSE_ABOVE_MAX', 'the dose is above the maximum');

  if (byRule.has('HEPATOTOXICITY_HOLD')) silence('HEPATIC_IMPAIRMENT', 'HEPATOTOXICITY_HOLD', 'imatinib is already taken: the hepatotoxicity hold applies');

  for (const resistant of ['PDGFRA_D842V_RESISTANT', 'WT_SDH_NF1_LOW_BENEFIT'] as const) {
    if (!byRule.has(resistant)) continue;
    for (const id of DOSE_INCREASES) silence(id, resistant, 'imatinib-resistant or low-benefit genotype: more imatinib is not advised');
  }

  const { facts, cfg, doseMg, currentDoseMg } = ctx;
  if (facts.currentProgression && currentDoseMg !== undefined && currentDoseMg < cfg.highDoseMg && doseMg !== undefined && doseMg >= cfg.highDoseMg) {
    for (const id of ['PROGRESSION_ESCALATE', 'PROGRESSION_ON_HIGH_DOSE'] as const) {
      silence(id, 'ESCALATION_ORDERED', 'the order already escalates to the high dose on current progression');
    }
  }

  const reasons = unsafeToIncrease(byRule, ctx);
  if (reasons.length > 0) {
    for (const id of DOSE_INCREASES) {
      const f = byRule.get(id);
      if (!f) continue;
      const { doseTargets: _withheld, ...rest } = f;
      byRule.set(id, { ...rest, indicator: 'info', withheldBecause: reasons });
    }
  }

  const ordered = [...byRule.values()].sort(
    (a, b) => SEVERITY[a.indicator] - SEVERITY[b.indicator] || RULE_IDS.indexOf(a.ruleId) - RULE_IDS.indexOf(b.ruleId),
  );
  return { findings: ordered, suppressed };
}
