/** Every rule, in the order of docs/clinical-rules.md §4 (also the order of the docs catalogue and the verification summary). */
import { doseAboveMax, doseUnparseable, highDoseWithoutIndication } from './dose-rules';
import { exon9HighDose, noMutationTest, pdgfraD842VResistant, wildTypeLowBenefit } from './genotype';
import { hematologicHold } from './hematologic';
import { hepaticImpairment, hepatotoxicityHold } from './hepatic';
import { cyp3a4Inducer, cyp3a4Inhibitor, warfarinInteraction } from './interactions';
import { pregnancy } from './pregnancy';
import { progressionEscalate, progressionOnHighDose } from './progression';
import { renalDoseLimit } from './renal';
import { RULE_IDS, type Rule, type RuleId } from './types';

export const RULES: readonly Rule[] = [
  exon9HighDose,
  progressionEscalate,
  progressionOnHighDose,
  highDoseWithoutIndication,
  doseAboveMax,
  pdgfraD842VResistant,
  wildTypeLowBenefit,
  noMutationTest,
  hematologicHold,
  hepatotoxicityHold,
  hepaticImpairment,
  renalDoseLimit,
  cyp3a4Inducer,
  cyp3a4Inhibitor,
  warfarinInteraction,
  pregnancy,
  doseUnparseable,
];

export const RULES_BY_ID: Readonly<Record<RuleId, Rule>> = Object.fromEntries(RULES.map((r) => [r.id, r])) as Record<RuleId, Rule>;

// A rule missing from the list, or listed twice, is a programming error: fail at module load, not per request.
if (RULES.length !== RULE_IDS.length || RULE_IDS.some((id) => RULES_BY_ID[id]?.id !== id)) {
  throw new Error('rule catalogue does not match RULE_IDS');
}
