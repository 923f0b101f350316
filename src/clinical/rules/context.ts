/** The rule context: facts, orders and the two daily doses the rules compare, rounded once. */
import type { ClinicalConfig } from '../../config';
import type { DoseResult, ImatinibOrder, PatientFacts } from '../types';
import { roundDose } from './compare';
import type { RuleContext } from './types';

export function buildRuleContext(input: { facts: PatientFacts; orders: ImatinibOrder[]; total: DoseResult; cfg: ClinicalConfig; now: Date }): RuleContext {
  const { facts, orders, total, cfg, now } = input;
  // Any unparseable order makes the total unknown (§3), even if the total was computed from the others.
  const allParsed = orders.length > 0 && orders.every((o) => o.dose.kind === 'computed');
  const current = facts.imatinib.currentDose;
  return {
    facts,
    orders,
    cfg,
    total,
    doseMg: allParsed && total.kind === 'computed' ? roundDose(total.mgPerDay) : undefined,
    currentDoseMg: facts.imatinib.alreadyTaking && current?.kind === 'computed' ? roundDose(current.mgPerDay) : undefined,
    now,
  };
}
