/**
 * Runs every rule on one context: GIST gating, the unparseable-dose gate, then precedence. Also records each
 * rule's outcome (fired, withheld, silenced, passed, not checked and why) for the verification summary.
 */
import { RULES } from './catalogue';
import { orderName } from './format';
import { applyPrecedence } from './precedence';
import type { Finding, Rule, RuleContext, RuleId } from './types';

export type OutcomeStatus = 'fired' | 'withheld' | 'suppressed' | 'passed' | 'not-checked';

export interface RuleOutcome {
  ruleId: RuleId;
  title: string;
  status: OutcomeStatus;
  /** Basis of a pass, reason it was not checked, or what silenced / withheld it. */
  notes: string[];
}

export interface RuleRun {
  findings: Finding[];
  /** Computed on first read: only the verification summary needs it. */
  readonly outcomes: RuleOutcome[];
}

export const NO_GIST_REASON = 'no GIST diagnosis on file (ICD-10-CM C49.A*, SNOMED CT 420120006): the rules apply only to GIST';

function unknownDoseReason(ctx: RuleContext): string {
  const bad = ctx.orders.filter((o) => o.dose.kind === 'unparseable');
  const names = bad.map((o) => orderName(o)).join(', ');
  return `the daily dose of ${names || 'the order'} could not be computed`;
}

export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): RuleRun {
  if (!ctx.facts.gist) {
    return new LazyRuleRun([], () => rules.map((r) => outcomeOf(r, 'not-checked', [NO_GIST_REASON])));
  }
  const raw: Finding[] = [];
  const doseUnknown = ctx.doseMg === undefined ? unknownDoseReason(ctx) : undefined;
  for (const rule of rules) {
    if (rule.needsDose && doseUnknown) continue;
    const finding = rule.evaluate(ctx);
    if (finding) raw.push(finding);
  }
  const { findings, suppressed } = applyPrecedence(raw, ctx);

  const computeOutcomes = (): RuleOutcome[] => {
    const issued = new Map(findings.map((f) => [f.ruleId, f]));
    const silenced = new Map(suppressed.map((s) => [s.ruleId, s]));
    return rules.map((rule): RuleOutcome => {
      if (rule.needsDose && doseUnknown) return outcomeOf(rule, 'not-checked', [doseUnknown]);
      const f = issued.get(rule.id);
      if (f?.withheldBecause) return outcomeOf(rule, 'withheld', [`issued as information without a dose suggestion: ${f.withheldBecause.join('; ')}`]);
      if (f) return outcomeOf(rule, 'fired', [f.summary]);
      const s = silenced.get(rule.id);
      if (s) return outcomeOf(rule, 'suppressed', [`silenced by ${s.by}: ${s.reason}`]);
      const coverage = rule.coverage(ctx);
      return coverage.status === 'checked' ? outcomeOf(rule, 'passed', coverage.basis) : outcomeOf(rule, 'not-checked', [coverage.reason]);
    });
  };
  return new LazyRuleRun(findings, computeOutcomes);
}

function outcomeOf(rule: Rule, status: OutcomeStatus, notes: string[]): RuleOutcome {
  return { ruleId: rule.id, title: rule.title, status, notes };
}

/** Findings now; outcomes computed on first read and kept (a class keeps one object shape, unlike a literal getter). */
class LazyRuleRun implements RuleRun {
  private cached: RuleOutcome[] | undefined;
  constructor(
    readonly findings: Finding[],
    private readonly compute: () => RuleOutcome[],
  ) {}

  get outcomes(): RuleOutcome[] {
    this.cached ??= this.compute();
    return this.cached;
  }
}
