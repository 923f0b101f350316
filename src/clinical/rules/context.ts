/** The rule context: facts, orders, data gaps and the two daily doses the rules compare, rounded once. */
import type { ClinicalConfig } from '../../config';
import { DataGaps } from '../gaps';
import type { DoseResult, ImatinibOrder, PatientFacts } from '../types';
import { roundDose } from './compare';
import type { RuleContext } from './types';

export function buildRuleContext(input: { facts: PatientFacts; orders: ImatinibOrder[]; total: DoseResult; cfg: ClinicalConfig; now: Date; gaps?: DataGaps }): RuleContext {
  const { facts, orders, total, cfg, now } = input;
  // Any unparseable order makes the total unknown (§3), even if the total was computed from the others.
  const allParsed = orders.length > 0 && orders.every((o) => o.dose.kind === 'computed');
  const current = facts.imatinib.currentDose;
  return {
    facts,
    orders,
    cfg,
    gaps: input.gaps ?? new DataGaps(),
    total,
    doseMg: allParsed && total.kind === 'computed' ? roundDose(total.mgPerDay) : undefined,
    currentDoseMg: facts.imatinib.taking === true && current?.kind === 'computed' ? roundDose(current.mgPerDay) : undefined,
    now,
  };
}
