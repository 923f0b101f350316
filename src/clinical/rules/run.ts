/**
 * Runs every rule on one context: the GIST gate, the unparseable-dose gate, then the precedence table
 * (precedence.ts) and the one safe dose target (dose-plan.ts). Fills in what every finding repeats (rule id,
 * indicator, the orders) and records each rule's outcome for the pharmacy summary: fired, fired without its
 * dose increase, silenced by a rule, not applicable, passed (and on what), or not checked and why.
 */
import type { Indicator } from '../../protocol/cards';
import { RULES, RULES_BY_ID } from './catalogue';
import { planDose, type DosePlan } from './dose-plan';
import { formatDate, formatNumber, formatUnit, formatValue } from './format';
import { renalBelow } from './knowledge';
import { PRECEDENCE } from './precedence';
import { RULE_IDS, type Evaluated, type Finding, type NotCheckedCause, type Rule, type RuleContext, type RuleId } from './types';

export type OutcomeStatus = 'fired' | 'withheld' | 'silenced' | 'not-applicable' | 'passed' | 'not-checked';

export interface RuleOutcome {
  ruleId: RuleId;
  title: string;
  /** The rule's indicator in the table (critical/warning rules that could not be checked make DATA_INCOMPLETE). */
  indicator: Indicator;
  status: OutcomeStatus;
  /** Basis of a pass, reason it was not checked or does not apply, what silenced it, the summary of a fired card. */
  notes: string[];
  /** not-checked: why. */
  cause?: NotCheckedCause;
  /** not-checked for missing data: the prefetch keys. */
  keys?: readonly string[];
  /** silenced / not-applicable by precedence: the rule responsible. */
  by?: RuleId;
  /** A fired dose card whose change was withheld or is on another card. */
  doseNote?: string;
}

export interface RuleRun {
  findings: Finding[];
  outcomes: RuleOutcome[];
  plan: DosePlan;
}

export const NO_GIST_REASON = 'no GIST diagnosis on file (ICD-10-CM C49.A*, SNOMED CT 420120006): the rules apply only to GIST';

const SEVERITY: Record<Indicator, number> = { critical: 0, warning: 1, info: 2 };
const WITHHOLDING_CAUSES: ReadonlySet<NotCheckedCause> = new Set(['unavailable', 'ambiguous', 'unidentified']);

function unknownDoseReason(ctx: RuleContext): string {
  const bad = ctx.orders.filter((o) => o.dose.kind === 'unparseable');
  const names = bad.map((o) => o.medicationLabel).join(', ');
  return `the daily dose of ${names || 'the order'} could not be computed`;
}

function evaluateAll(ctx: RuleContext, rules: readonly Rule[]): Map<RuleId, Evaluated> {
  const out = new Map<RuleId, Evaluated>();
  const doseUnknown = ctx.doseMg === undefined ? unknownDoseReason(ctx) : undefined;
  for (const rule of rules) {
    if (!ctx.facts.gist) out.set(rule.id, { status: 'not-checked', reason: NO_GIST_REASON, cause: 'no-gist' });
    else if (rule.needsDose && doseUnknown) out.set(rule.id, { status: 'not-checked', reason: doseUnknown, cause: 'dose-unknown' });
    else out.set(rule.id, rule.evaluate(ctx));
  }
  return out;
}

/** Why giving more imatinib is unsafe now (PRECEDENCE.withholdIncreases), each reason stated with its facts. */
function increaseWithheldBecause(evaluations: Map<RuleId, Evaluated>, ctx: RuleContext): string[] {
  const w = PRECEDENCE.withholdIncreases;
  const reasons: string[] = [];
  const threshold = ctx.cfg.renal.mildBelow;
  const renal = renalBelow(ctx, threshold);
  const r = ctx.facts.labs.renal.value;
  if (renal === true && r) {
    const what = r.egfrProxy ? 'eGFR (used for CrCl)' : 'CrCl';
    reasons.push(`${what} ${formatValue(r.value, r.comparator)} ${formatUnit(r.unit)} on ${formatDate(r.date)} is below ${formatNumber(threshold)} mL/min`);
  } else if (typeof renal === 'object') {
    reasons.push(`kidney function could not be checked against ${formatNumber(threshold)} mL/min (${renal.reasons.map((x) => x.text).join('; ')})`);
  }
  for (const id of w.byRules) {
    const e = evaluations.get(id);
    if (e?.status === 'fires') reasons.push(`${RULES_BY_ID[id].title} (${id})`);
    else if (e?.status === 'not-checked' && WITHHOLDING_CAUSES.has(e.cause)) reasons.push(`${id} could not be checked (${e.reason})`);
  }
  return reasons;
}

export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): RuleRun {
  const evaluations = evaluateAll(ctx, rules);
  const outcomes = new Map<RuleId, RuleOutcome>();
  const fired = new Map<RuleId, Finding>();
  for (const rule of rules) {
    const e = evaluations.get(rule.id) as Evaluated;
    // Literal objects, not spreads of a shared base: this runs for every rule of every request.
    const { id: ruleId, title, indicator } = rule;
    if (e.status === 'fires') {
      fired.set(rule.id, {
        ruleId: rule.id,
        indicator: e.indicator ?? rule.indicator,
        summary: e.summary,
        facts: e.facts,
        advice: e.advice,
        orders: e.orders ?? ctx.orders,
        ...(e.dose ? { dose: e.dose } : {}),
      });
      outcomes.set(ruleId, { ruleId, title, indicator, status: 'fired', notes: [e.summary] });
    } else if (e.status === 'passes') outcomes.set(ruleId, { ruleId, title, indicator, status: 'passed', notes: e.basis });
    else if (e.status === 'not-applicable') outcomes.set(ruleId, { ruleId, title, indicator, status: 'not-applicable', notes: [e.reason] });
    else {
      const outcome: RuleOutcome = { ruleId, title, indicator, status: 'not-checked', notes: [e.reason], cause: e.cause };
      if (e.keys) outcome.keys = e.keys;
      outcomes.set(ruleId, outcome);
    }
  }

  if (ctx.facts.gist) {
    for (const r of PRECEDENCE.replaces) {
      if (!fired.has(r.winner) || !outcomes.has(r.loser)) continue;
      fired.delete(r.loser);
      const loser = outcomes.get(r.loser) as RuleOutcome;
      outcomes.set(r.loser, { ruleId: loser.ruleId, title: loser.title, indicator: loser.indicator, status: 'not-applicable', notes: [`${r.reason} (replaced by ${r.winner})`], by: r.winner });
    }
    for (const s of PRECEDENCE.silences) {
      const by = s.by.find((id) => fired.has(id));
      if (!by) continue;
      for (const id of s.silenced) {
        const outcome = outcomes.get(id);
        if (!fired.delete(id) || !outcome) continue;
        outcomes.set(id, { ...outcome, status: 'silenced', notes: [`silenced by ${by}: ${s.reason}`], by });
      }
    }
    const increases = PRECEDENCE.withholdIncreases.increases.filter((id) => fired.has(id));
    if (increases.length > 0) {
      const reasons = increaseWithheldBecause(evaluations, ctx);
      if (reasons.length > 0) {
        for (const id of increases) {
          const f = fired.get(id) as Finding;
          const { dose: _withheld, ...rest } = f;
          fired.set(id, { ...rest, indicator: PRECEDENCE.withholdIncreases.indicator, withheldBecause: reasons });
          const outcome = outcomes.get(id) as RuleOutcome;
          outcomes.set(id, { ...outcome, status: 'withheld', notes: [`issued as information without a dose increase: ${reasons.join('; ')}`] });
        }
      }
    }
  }

  const findings = [...fired.values()].sort((a, b) => SEVERITY[a.indicator] - SEVERITY[b.indicator] || RULE_IDS.indexOf(a.ruleId) - RULE_IDS.indexOf(b.ruleId));
  const plan = planDose(findings, ctx);
  for (const f of findings) {
    const note = plan.notes.get(f.ruleId);
    if (note) {
      f.doseNote = note;
      const outcome = outcomes.get(f.ruleId);
      if (outcome) outcome.doseNote = note;
    }
    if (plan.holder === f.ruleId && plan.target) f.suggestion = { kind: 'dose', target: plan.target };
    if (plan.cancelOn.includes(f.ruleId) && plan.cancelOrders.length > 0) f.suggestion = { kind: 'cancel', orders: plan.cancelOrders };
  }
  return { findings, outcomes: rules.map((r) => outcomes.get(r.id) as RuleOutcome), plan };
}
