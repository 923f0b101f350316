/**
 * The rule catalogue as data: every rule with its trigger, the thresholds as configured on this service (not
 * the shipped defaults), its suggestion, its precedence relations, its evidence and an example card the engine
 * really issues (examples.ts). The public page (GET /rules), its JSON (GET /rules.json) and
 * docs/rule-catalogue.md all render this one structure, so they cannot disagree. No patient data.
 */
import type { ClinicalConfig } from '../config';
import { OVERRIDE_REASONS, RULE_CODE_SYSTEM, RULE_SET_VERSION } from '../clinical/cards';
import { DATA_INCOMPLETE_CODE } from '../clinical/incomplete';
import { RULES } from '../clinical/rules/catalogue';
import { formatMg, formatNumber } from '../clinical/rules/format';
import { PRECEDENCE, describePrecedence, type Precedence } from '../clinical/rules/precedence';
import type { EvidenceRef, Rule, RuleId, ThresholdKey } from '../clinical/rules/types';
import { VERIFICATION_SUMMARY_CODE } from '../clinical/verification';
import type { Coding, Indicator } from '../protocol/cards';
import { buildExamples, type CardExample } from './examples';

/** A numeric threshold: its configuration key (`clinical.…`), the value configured now, and what it means. */
export interface CatalogueThreshold {
  key: `clinical.${ThresholdKey}`;
  value: number;
  meaning: string;
}

/** A configured setting that is not one number (e.g. the table of reduced doses), written out. */
export interface CatalogueSetting {
  key: string;
  value: string;
  meaning: string;
}

export interface CatalogueRule {
  id: RuleId;
  title: string;
  indicator: Indicator;
  /** When the rule fires, in words, with the configured numbers. */
  trigger: string;
  /** The card summary with placeholders (N, name) for what each request supplies. */
  summary: string;
  /** The suggestion in words ("none" when the card carries no change). */
  suggestion: string;
  /** The rule compares the ordered daily dose: it does not run when any evaluated order is unparseable. */
  needsDose: boolean;
  /** Omitted when the rule has none (as every optional list here: no empty arrays). */
  thresholds?: CatalogueThreshold[];
  settings?: CatalogueSetting[];
  /** How precedence (precedence.ts) involves this rule, in words. */
  precedence?: string[];
  evidence: EvidenceRef[];
  example: CardExample;
}

/** The two cards that are not rules: the pharmacy verification summary and DATA_INCOMPLETE. */
export interface CatalogueServiceCard {
  id: typeof VERIFICATION_SUMMARY_CODE | typeof DATA_INCOMPLETE_CODE;
  title: string;
  indicator: Indicator;
  /** Which service issues it, when, and what it holds. */
  description: string;
  example: CardExample;
}

export interface RuleCatalogue {
  ruleSetVersion: string;
  /** System of every card's source.topic (the rule id is its code). */
  codeSystem: string;
  /** The override reasons every rule card offers. */
  overrideReasons: Coding[];
  /** The precedence table in words, with the configured numbers. */
  precedence: string[];
  /** How the service evaluates when some patient data could not be obtained. */
  partialData: string;
  rules: CatalogueRule[];
  specialCards: CatalogueServiceCard[];
}

/** The value of a dotted threshold key in the clinical configuration. */
export function thresholdValue(cfg: ClinicalConfig, key: ThresholdKey): number {
  let value: unknown = cfg;
  for (const part of key.split('.')) value = (value as Record<string, unknown>)[part];
  if (typeof value !== 'number') throw new Error(`threshold ${key} is not a number in the clinical configuration`);
  return value;
}

/** Settings a rule uses that are not single numbers (so not ThresholdRefs), with their configured value. */
const RULE_SETTINGS: Partial<Record<RuleId, ReadonlyArray<{ key: string; meaning: string; value(cfg: ClinicalConfig): string }>>> = {
  HEPATOTOXICITY_HOLD: [
    {
      key: 'clinical.hepatic.reducedDoseAfterHold',
      meaning: "the label's reduced dose after the hold",
      value: (cfg) => `${cfg.hepatic.reducedDoseAfterHold.map((s) => `${s.fromMg} → ${s.toMg}`).join(', ')} mg/day`,
    },
  ],
};

const PARTIAL_DATA =
  'A prefetch key that could not be obtained is missing, not empty: a rule that needs its data is listed as not checked ' +
  '(data unavailable) and neither fires nor passes; rules whose data was obtained run as usual. The service answers 412 only ' +
  "when the patient's Conditions (the GIST gate) are missing or a Medication read needed to recognise an evaluated order failed.";

const list = (ids: readonly string[]): string => ids.join(', ');

/**
 * The precedence relations that involve one rule, read from the PRECEDENCE table (describePrecedence states
 * the whole table; this is its per-rule view). Kidney-function relations belong to the rule whose thresholds
 * name the keys the table uses.
 */
export function rulePrecedence(rule: Pick<Rule, 'id' | 'thresholds'>, cfg: ClinicalConfig, p: Precedence = PRECEDENCE): string[] {
  const { id } = rule;
  const keys = new Set<string>(rule.thresholds.map((t) => t.key));
  const lines: string[] = [];
  for (const r of p.replaces) {
    if (r.winner === id) lines.push(`Replaces ${r.loser} (${r.reason}): that rule is then listed as "not applicable".`);
    if (r.loser === id) lines.push(`Replaced by ${r.winner} (${r.reason}): listed as "not applicable" when it fires.`);
  }
  for (const s of p.silences) {
    if (s.by.includes(id)) lines.push(`Silences ${list(s.silenced)} (${s.reason}).`);
    if (s.silenced.includes(id)) lines.push(`Silenced by ${s.by.join(' or ')} (${s.reason}); the pharmacy summary lists it as "silenced by" that rule.`);
  }
  const w = p.withholdIncreases;
  if (w.increases.includes(id)) {
    lines.push(
      `Its dose increase is withheld, and the card issued at \`${w.indicator}\` saying why, while CrCl (or the eGFR proxy) is below ${formatNumber(cfg.renal.mildBelow)} mL/min (or not known), or ${list(w.byRules)} fires or could not be checked.`,
    );
  }
  if (w.byRules.includes(id)) lines.push(`While it fires or could not be checked, dose increases (${list(w.increases)}) are withheld.`);
  if (keys.has(w.renalBelow)) lines.push(`Below ${formatNumber(cfg.renal.mildBelow)} mL/min (or when kidney function is not known), dose increases (${list(w.increases)}) are withheld.`);
  const d = p.withholdDoseChanges;
  if (d.byRules.includes(id)) lines.push('While it fires there is no dose change at all: the card offers "Cancel this imatinib order" for draft orders instead.');
  if (keys.has(d.renalBelow)) lines.push(`Below ${formatNumber(cfg.renal.severeBelow)} mL/min there is no dose change at all (no dose is established).`);
  const [mildCap, moderateCap] = p.doseCaps.renal;
  if (keys.has(mildCap) || keys.has(moderateCap)) {
    lines.push(`Its cap (${formatMg(cfg.renal.mildCapMg)} or ${formatMg(cfg.renal.moderateCapMg)}) bounds the one safe dose target of the request, whichever card carries it.`);
  }
  const hepatic = p.doseCaps.hepatic;
  if (hepatic.rule === id) {
    lines.push(`When it fires, the one safe dose target is ${formatNumber(cfg.hepatic.impairmentDoseFactor * 100)}% of what the other rules leave, rounded down to a whole ${formatNumber(cfg.hepatic.impairmentDoseStepMg)} mg.`);
  }
  return lines;
}

function catalogueRule(rule: Rule, cfg: ClinicalConfig, example: CardExample): CatalogueRule {
  const thresholds = rule.thresholds.map((t): CatalogueThreshold => ({ key: `clinical.${t.key}`, value: thresholdValue(cfg, t.key), meaning: t.meaning }));
  const settings = (RULE_SETTINGS[rule.id] ?? []).map((s): CatalogueSetting => ({ key: s.key, value: s.value(cfg), meaning: s.meaning }));
  const precedence = rulePrecedence(rule, cfg);
  return {
    id: rule.id,
    title: rule.title,
    indicator: rule.indicator,
    trigger: rule.trigger(cfg),
    summary: rule.catalogueSummary(cfg),
    suggestion: rule.suggestion(cfg),
    needsDose: rule.needsDose,
    ...(thresholds.length ? { thresholds } : {}),
    ...(settings.length ? { settings } : {}),
    ...(precedence.length ? { precedence } : {}),
    evidence: rule.evidence.map((e) => ({ label: e.label, url: e.url, citation: e.citation })),
    example,
  };
}

function serviceCards(examples: ReturnType<typeof buildExamples>): CatalogueServiceCard[] {
  // The titles are the topic displays the engine writes on the cards themselves.
  const title = (example: CardExample, fallback: string): string => ('card' in example ? example.card.source.topic?.display : undefined) ?? fallback;
  return [
    {
      id: VERIFICATION_SUMMARY_CODE,
      title: title(examples.VERIFICATION_SUMMARY, 'Pharmacy verification summary'),
      indicator: 'info',
      description:
        'Issued by the pharmacy verification service only, once per request besides the rule cards: every check with its outcome ' +
        '(passed, fired, silenced by a rule, not applicable, or not checked and why, naming data that could not be obtained), the ' +
        'computed daily dose with its derivation, the one dose change (or why it was withheld) and the records used. It is what a ' +
        'pharmacist signs off against.',
      example: examples.VERIFICATION_SUMMARY,
    },
    {
      id: DATA_INCOMPLETE_CODE,
      title: title(examples.DATA_INCOMPLETE, 'Some safety checks could not be run'),
      indicator: 'info',
      description:
        'Issued by the two prescriber services (order-select, order-sign) when a critical or warning check could not be run because ' +
        'the EHR could not supply its data; it names the data in words and carries no suggestion. The pharmacy verification service ' +
        'lists those checks in its summary instead.',
      example: examples.DATA_INCOMPLETE,
    },
  ];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// Keyed by the configuration object: the service builds its catalogue once at start-up and serves it as is.
const built = new WeakMap<ClinicalConfig, RuleCatalogue>();

/**
 * The catalogue for a clinical configuration, built once per configuration object (memoised by identity) and
 * frozen, since every request shares it.
 */
export function buildRuleCatalogue(cfg: ClinicalConfig): RuleCatalogue {
  const cached = built.get(cfg);
  if (cached) return cached;
  const examples = buildExamples(cfg);
  const catalogue: RuleCatalogue = deepFreeze({
    ruleSetVersion: RULE_SET_VERSION,
    codeSystem: RULE_CODE_SYSTEM,
    overrideReasons: OVERRIDE_REASONS.map((c) => ({ ...c })),
    precedence: describePrecedence(cfg),
    partialData: PARTIAL_DATA,
    rules: RULES.map((rule) => catalogueRule(rule, cfg, examples[rule.id])),
    specialCards: serviceCards(examples),
  });
  built.set(cfg, catalogue);
  return catalogue;
}

/**
 * What GET /rules.json serves. The catalogue is already JSON-clean (no undefined, no empty lists, no
 * functions), so it is served as built.
 */
export function catalogueJson(catalogue: RuleCatalogue): RuleCatalogue {
  return catalogue;
}
