/**
 * Precedence between rules (docs/clinical-rules.md §4), as one declarative table. The runner (run.ts), the
 * safe dose target (dose-plan.ts), the pharmacy summary and the catalogue all read PRECEDENCE; no rule
 * re-implements another rule's guard. What the rules' own triggers already keep apart (HEPATOTOXICITY_HOLD
 * needs imatinib taken or not known, HEPATIC_IMPAIRMENT needs it known not taken; PROGRESSION_ESCALATE needs
 * an ordered dose below the high dose) is not repeated here.
 */
import type { ClinicalConfig } from '../../config';
import { formatMg, formatNumber } from './format';
import type { RuleId } from './types';

export interface Replacement {
  winner: RuleId;
  loser: RuleId;
  /** Why the loser does not apply, for the pharmacy summary ("not applicable: dose above the maximum"). */
  reason: string;
}

export interface Silencing {
  by: readonly RuleId[];
  silenced: readonly RuleId[];
  reason: string;
}

export interface Precedence {
  /** When the winner fires, the loser does not apply (its card is not issued). */
  replaces: readonly Replacement[];
  /** When any `by` rule fires, the silenced rules' cards are not issued. */
  silences: readonly Silencing[];
  /**
   * Dose increases are withheld when more imatinib is unsafe: while any `byRules` fires or could not be checked,
   * or kidney function is below `renal.mildBelow` (or not known): the increase cards are issued at `indicator`
   * without a dose change, saying why.
   */
  withholdIncreases: { increases: readonly RuleId[]; byRules: readonly RuleId[]; renalBelow: 'renal.mildBelow'; indicator: 'info' };
  /**
   * No dose change at all while any `byRules` fires (each of those cards offers to cancel the draft orders
   * instead), or while kidney function is below `renal.severeBelow` (no dose is established).
   */
  withholdDoseChanges: { byRules: readonly RuleId[]; renalBelow: 'renal.severeBelow' };
  /** The caps the one safe target obeys besides the rules' own targets. */
  doseCaps: { renal: readonly ['renal.mildCapMg', 'renal.moderateCapMg']; hepatic: { rule: RuleId; factor: 'hepatic.impairmentDoseFactor'; step: 'hepatic.impairmentDoseStepMg' } };
}

export const PRECEDENCE: Precedence = {
  replaces: [{ winner: 'DOSE_ABOVE_MAX', loser: 'HIGH_DOSE_WITHOUT_INDICATION', reason: 'dose above the maximum' }],
  silences: [
    {
      by: ['PDGFRA_D842V_RESISTANT', 'WT_SDH_NF1_LOW_BENEFIT'],
      silenced: ['EXON9_HIGH_DOSE', 'PROGRESSION_ESCALATE'],
      reason: 'imatinib-resistant or low-benefit genotype: more imatinib is not advised',
    },
  ],
  withholdIncreases: {
    increases: ['EXON9_HIGH_DOSE', 'PROGRESSION_ESCALATE'],
    byRules: ['HEPATIC_IMPAIRMENT', 'HEMATOLOGIC_HOLD', 'HEPATOTOXICITY_HOLD', 'PREGNANCY'],
    renalBelow: 'renal.mildBelow',
    indicator: 'info',
  },
  withholdDoseChanges: { byRules: ['HEMATOLOGIC_HOLD', 'HEPATOTOXICITY_HOLD', 'PREGNANCY'], renalBelow: 'renal.severeBelow' },
  doseCaps: {
    renal: ['renal.mildCapMg', 'renal.moderateCapMg'],
    hepatic: { rule: 'HEPATIC_IMPAIRMENT', factor: 'hepatic.impairmentDoseFactor', step: 'hepatic.impairmentDoseStepMg' },
  },
};

/** The table in words, with the configured numbers (catalogue, README). */
export function describePrecedence(cfg: ClinicalConfig, p: Precedence = PRECEDENCE): string[] {
  const list = (ids: readonly string[]) => ids.join(', ');
  const h = cfg.hepatic;
  return [
    ...p.replaces.map((r) => `${r.winner} replaces ${r.loser} (listed as "not applicable: ${r.reason}").`),
    ...p.silences.map((s) => `${list(s.by)} silence ${list(s.silenced)} (${s.reason}); the pharmacy summary lists them as "silenced by" the rule.`),
    `Dose increases (${list(p.withholdIncreases.increases)}) are withheld when giving more imatinib is unsafe: the latest CrCl (or eGFR proxy) below ${formatNumber(cfg.renal.mildBelow)} mL/min (or not known), or ${list(p.withholdIncreases.byRules)} fires or could not be checked. The cards are issued at \`${p.withholdIncreases.indicator}\` without a dose change, saying why.`,
    `One safe dose target per request: the lowest of the suggesting rules' own targets, the kidney cap (${formatMg(cfg.renal.mildCapMg)} for ${formatNumber(cfg.renal.moderateBelow)} ≤ CrCl < ${formatNumber(cfg.renal.mildBelow)}, ${formatMg(cfg.renal.moderateCapMg)} for ${formatNumber(cfg.renal.severeBelow)} ≤ CrCl < ${formatNumber(cfg.renal.moderateBelow)}) and, when ${p.doseCaps.hepatic.rule} fires, ${formatNumber(h.impairmentDoseFactor * 100)}% of what the other rules leave, rounded down to a whole ${h.impairmentDoseStepMg} mg. It appears once, on the card with the highest indicator among those that would suggest a dose (ties: rule order); the other dose cards say where it is and why it is lower. A CrCl with a comparator that allows different targets gets no suggestion.`,
    `No dose change at all while ${list(p.withholdDoseChanges.byRules)} fires (each of them offers "Cancel this imatinib order" for draft orders instead), or while CrCl (or the eGFR proxy) is below ${formatNumber(cfg.renal.severeBelow)} mL/min.`,
    'One card per rule per request; several orders with the same finding are named on one card.',
    'Any evaluated order with an unparseable dose: DOSE_UNPARSEABLE, and no rule that compares the ordered dose runs.',
  ];
}
