/**
 * The shape of a rule and of what it finds. A rule is data (id, indicator, thresholds, evidence, texts for
 * the catalogue) next to one pure function over the patient facts and the evaluated orders.
 */
import type { ClinicalConfig } from '../../config';
import type { Indicator } from '../../protocol/cards';
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
      ? `${K}.${keyof ClinicalConfig[K] & string}`
      : never;
}[keyof ClinicalConfig & string];

export interface ThresholdRef {
  key: ThresholdKey;
  /** What the number means, with its unit, e.g. "ANC below which imatinib is held (×10^9/L)". */
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

/** One fact that triggered a finding, ready for card text: "ANC 0.8 ×10^9/L" on a date, from a resource. */
export interface TriggerFact {
  text: string;
  date?: string;
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
  /** Dose options to offer as suggestions (one suggestion each). */
  doseTargets?: DoseTarget[];
  /** Set by precedence: why a dose increase is not suggested now. */
  withheldBecause?: string[];
}

export interface RuleContext {
  facts: PatientFacts;
  orders: ImatinibOrder[];
  cfg: ClinicalConfig;
  /** §3 total of the evaluated orders, rounded to 0.001 mg; undefined when any order is unparseable. */
  doseMg: number | undefined;
  /** The total as computed (derivation or the reason it could not be). */
  total: DoseResult;
  /** §3 total of the patient's active/on-hold imatinib, rounded; undefined when not taking or unparseable. */
  currentDoseMg: number | undefined;
  now: Date;
}

/** Whether a rule had the data it needs, for the pharmacy verification summary. */
export type Coverage = { status: 'checked'; basis: string[] } | { status: 'not-checked'; reason: string };

export interface Rule {
  id: RuleId;
  /** Display of the topic Coding. */
  title: string;
  indicator: Indicator;
  /** Trigger in words, for the catalogue. */
  trigger: string;
  /** The summary as a template (N, X, name), for the catalogue. */
  summaryTemplate: string;
  /** The suggestion in words, for the catalogue ("none" when the card carries no suggestion). */
  suggestion: string;
  thresholds: ThresholdRef[];
  evidence: EvidenceRef[];
  /** The trigger compares the evaluated orders' daily dose: the rule does not run when any order is unparseable. */
  needsDose: boolean;
  evaluate(ctx: RuleContext): Finding | undefined;
  /** What the rule could check, given the data (the verification summary lists it). */
  coverage(ctx: RuleContext): Coverage;
}
