/**
 * The shape of a rule and of what it finds. A rule is data (id, indicator, thresholds, evidence, words for the
 * catalogue) next to one pure function over the patient facts and the evaluated orders. The function answers
 * for the pharmacy summary too: fires, passes (and on what), does not apply, or could not be checked and why.
 * What every finding repeats (rule id, indicator, the orders) the runner fills in; precedence between rules
 * lives only in precedence.ts.
 */
import type { ClinicalConfig } from '../../config';
import type { Indicator } from '../../protocol/cards';
import type { DataGaps } from '../gaps';
import type { DoseResult, ImatinibOrder, PatientFacts } from '../types';

export const RULE_IDS = [
  'EXON9_HIGH_DOSE',
  'PROGRESSION_ESCALATE',
  'PROGRESSION_ON_HIGH_DOSE',
  'HIGH_DOSE_WITHOUT_INDICATION',
  'DOSE_ABOVE_MAX',
  'PDGFRA_D842V_RESISTANT',
  'WT_SDH_NF1_LOW_BENEFIT',
  'NO_MUTATION_TEST',
  'HEMATOLOGIC_HOLD',
  'HEPATOTOXICITY_HOLD',
  'HEPATIC_IMPAIRMENT',
  'RENAL_DOSE_LIMIT',
  'CYP3A4_INDUCER',
  'CYP3A4_INHIBITOR',
  'WARFARIN',
  'PREGNANCY',
  'DOSE_UNPARSEABLE',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** Dotted path of a numeric threshold in ClinicalConfig, e.g. "hematologic.ancHoldBelow". */
export type ThresholdKey = {
  [K in keyof ClinicalConfig & string]: ClinicalConfig[K] extends number
    ? K
    : ClinicalConfig[K] extends object
      ? { [J in keyof ClinicalConfig[K] & string]: ClinicalConfig[K][J] extends number ? `${K}.${J}` : never }[keyof ClinicalConfig[K] & string]
      : never;
}[keyof ClinicalConfig & string];

export interface ThresholdRef {
  key: ThresholdKey;
  /** What the number means, with its unit, e.g. "ANC below which imatinib is held (×10⁹/L)". */
  meaning: string;
}

export interface EvidenceRef {
  /** Short citation shown in card detail, e.g. "Gronchi A et al., Cancer 2010". */
  citation: string;
  /** Absolute link (DOI resolver, PubMed, or the official label database). */
  url: string;
  /** Link label, e.g. "Gronchi 2010 (Cancer)". */
  label: string;
}

/** One fact that triggered a finding, ready for card text: "ANC 0.8 ×10⁹/L" on a date, from a resource. */
export interface TriggerFact {
  text: string;
  date?: string;
  /** The record it was read from (pharmacy "Records used" only; never in prescriber text). */
  sourceRef?: string;
}

/** A daily dose to suggest, written the way the order should carry it (per administration × times a day). */
export interface DoseTarget {
  mgPerDay: number;
  perAdministrationMg: number;
  timesPerDay: 1 | 2;
  /** e.g. "400 mg twice daily". */
  regimen: string;
  /** e.g. "400 mg twice daily (800 mg/day)" or "400 mg once daily". */
  label: string;
}

/**
 * The dose a firing rule would have the orders become. The dose plan (dose-plan.ts) turns the intents of a
 * request into one safe target.
 *  - increase / decrease: the rule's own target in mg/day;
 *  - undecided: a decrease whose target depends on data that is not known (the plan withholds it);
 *  - renal-cap: the cap of the renal band (per band when a comparator leaves the band open);
 *  - hepatic-reduction: 75% of what the other rules leave, rounded down to a whole tablet.
 */
export type DoseIntent =
  | { kind: 'increase'; mgPerDay: number }
  | { kind: 'decrease'; mgPerDay: number }
  | { kind: 'undecided'; reason: string }
  | { kind: 'renal-cap' }
  | { kind: 'hepatic-reduction' };

/** Why a rule could not be checked: no GIST, dose unknown, no data in the window, data not obtained, a comparator, an unidentified record. */
export type NotCheckedCause = 'no-gist' | 'dose-unknown' | 'absent' | 'unavailable' | 'ambiguous' | 'unidentified';

/** What a rule's evaluate answers, with the summary parameters `P` when it fires. */
export type RuleEvaluation<P> =
  | { status: 'fires'; params: P; facts: TriggerFact[]; advice: string[]; dose?: DoseIntent; indicator?: Indicator; /** default: every evaluated order */ orders?: ImatinibOrder[] }
  | { status: 'passes'; basis: string[] }
  | { status: 'not-applicable'; reason: string }
  | { status: 'not-checked'; reason: string; cause: NotCheckedCause; keys?: readonly string[] };

/** A firing evaluation with its summary written. */
export type Evaluated =
  | Exclude<RuleEvaluation<unknown>, { status: 'fires' }>
  | { status: 'fires'; summary: string; facts: TriggerFact[]; advice: string[]; dose?: DoseIntent; indicator?: Indicator; orders?: ImatinibOrder[] };

export interface RuleContext {
  facts: PatientFacts;
  orders: ImatinibOrder[];
  cfg: ClinicalConfig;
  /** Which patient data could not be obtained (§7). */
  gaps: DataGaps;
  /** §3 total of the evaluated orders, rounded to 0.001 mg; undefined when any order is unparseable. */
  doseMg: number | undefined;
  /** The total as computed (derivation or the reason it could not be). */
  total: DoseResult;
  /** §3 total of the patient's current imatinib, rounded; undefined when not taking, not known or unparseable. */
  currentDoseMg: number | undefined;
  now: Date;
}

export interface Rule {
  id: RuleId;
  /** Display of the topic Coding. */
  title: string;
  indicator: Indicator;
  /** Trigger in words, for the catalogue, with the configured thresholds. */
  trigger(cfg: ClinicalConfig): string;
  /** The suggestion in words, for the catalogue ("none" when the card carries no dose change). */
  suggestion(cfg: ClinicalConfig): string;
  thresholds: ThresholdRef[];
  evidence: EvidenceRef[];
  /** The trigger compares the evaluated orders' daily dose: the rule does not run when any order is unparseable. */
  needsDose: boolean;
  /** The card summary with placeholders (N, name), written by the same function as every card's summary. */
  catalogueSummary(cfg: ClinicalConfig): string;
  evaluate(ctx: RuleContext): Evaluated;
}

export interface RuleSpec<P> extends Omit<Rule, 'catalogueSummary' | 'evaluate'> {
  /** The one summary function: cards call it with the finding's values, the catalogue with `example`. */
  summary(p: P, cfg: ClinicalConfig): string;
  /** Catalogue parameters: configured numbers, and placeholders (N, name) for what each request supplies. */
  example(cfg: ClinicalConfig): P;
  evaluate(ctx: RuleContext): RuleEvaluation<P>;
}

/** A rule from its spec: the summary function feeds both the cards and the catalogue. */
export function defineRule<P>(spec: RuleSpec<P>): Rule {
  const { summary, example, evaluate, ...data } = spec;
  return {
    ...data,
    catalogueSummary: (cfg) => summary(example(cfg), cfg),
    evaluate(ctx) {
      const result = evaluate(ctx);
      if (result.status !== 'fires') return result;
      const { params, ...rest } = result;
      return { ...rest, summary: summary(params, ctx.cfg) };
    },
  };
}

/** A finding as issued: what the rule found plus what the runner and the dose plan add. */
export interface Finding {
  ruleId: RuleId;
  indicator: Indicator;
  /** One sentence under 140 characters. */
  summary: string;
  facts: TriggerFact[];
  /** What to do, as short Markdown paragraphs. */
  advice: string[];
  /** The evaluated orders the finding is about. */
  orders: ImatinibOrder[];
  /** The rule's own dose intent (before the dose plan). */
  dose?: DoseIntent;
  /** Set by precedence: why a dose increase is not suggested now. */
  withheldBecause?: string[];
  /** Set by the dose plan: the one change this card carries. */
  suggestion?: { kind: 'dose'; target: DoseTarget } | { kind: 'cancel'; orders: ImatinibOrder[] };
  /** Set by the dose plan: where the request's dose change is, or why there is none. */
  doseNote?: string;
}
