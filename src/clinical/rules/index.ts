/** The rule layer: rule definitions, the precedence table, the rule runner and the rule context. */
export { RULES, RULES_BY_ID } from './catalogue';
export { buildRuleContext } from './context';
export { PRECEDENCE, describePrecedence, type Precedence } from './precedence';
export { runRules, NO_GIST_REASON, type OutcomeStatus, type RuleOutcome, type RuleRun } from './run';
export { SOURCES, UNVERIFIED_NOTE } from './evidence';
export { RULE_IDS, type DoseTarget, type EvidenceRef, type Finding, type Rule, type RuleContext, type RuleId, type ThresholdKey, type ThresholdRef, type TriggerFact } from './types';
