/**
 * Findings → CDS Hooks 2.0.1 cards (docs/clinical-rules.md §5): fresh uuids, a summary under 140 characters, Markdown
 * detail (facts with values, units and dates; what to do; evidence), absolute evidence links, override
 * reasons, and dose suggestions that update the whole draft MedicationRequest. Optional fields are omitted,
 * never sent empty.
 */
import { randomUUID } from 'node:crypto';
import type { Dosage, MedicationRequest } from 'fhir/r4';
import type { Action, Card, Coding, Link, Suggestion } from '../protocol/cards';
import { RULES_BY_ID } from './rules/catalogue';
import { formatDate, orderName } from './rules/format';
import type { DoseTarget, EvidenceRef, Finding, TriggerFact } from './rules/types';
import { IMATINIB_BY_RXCUI, type ImatinibConcept } from './terminology/imatinib';
import { RXNORM } from './terminology/systems';
import type { ImatinibOrder } from './types';

/** Code system of the rule IDs carried in card.source.topic. */
export const RULE_CODE_SYSTEM = 'https://imatinib-cds.example.org/CodeSystem/rule';
/** Code system of the override reasons offered on every card. */
export const OVERRIDE_REASON_SYSTEM = 'https://imatinib-cds.example.org/CodeSystem/override-reason';
/** Version of the rule set (docs/clinical-rules.md); bump when a rule's meaning changes. */
export const RULE_SET_VERSION = '1.1.0';

const UCUM = 'http://unitsofmeasure.org';
const MAX_SUMMARY = 139;

export const OVERRIDE_REASONS: readonly Coding[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'already-addressed', display: 'Already addressed' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'patient-intolerance', display: 'Patient intolerance or toxicity' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'clinical-trial', display: 'Clinical trial protocol' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'data-not-current', display: 'Data not current' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'specialist-recommendation', display: 'Specialist recommendation' },
];

/** card.source: the service and rule set version, and the rule as a Coding. */
export function cardSource(serviceTitle: string, code: string, display: string): Card['source'] {
  return { label: `${serviceTitle} (rules ${RULE_SET_VERSION})`, topic: { system: RULE_CODE_SYSTEM, code, display } };
}

/** Keep a summary within the CDS Hooks limit; the rules already aim well below it. */
export function fitSummary(summary: string): string {
  return summary.length <= MAX_SUMMARY ? summary : `${summary.slice(0, MAX_SUMMARY - 1).trimEnd()}…`;
}

/** Escape Markdown in text that comes from patient data (displays, free text). */
export function escapeMarkdown(text: string): string {
  // A comparator stays readable in plain text too ("<15", "≥ 90"): "<" is escaped only where it could open
  // an HTML tag, ">" only where it would start a quote.
  return text
    .replace(/([\\`*[\]|])/g, '\\$1')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/^>/gm, '\\>');
}

/** A fact as a list item for people: its text and date, never the FHIR id it came from (1.1). */
export function factLine(f: TriggerFact): string {
  let line = escapeMarkdown(f.text);
  if (f.date && !f.text.includes(formatDate(f.date))) line += ` on ${formatDate(f.date)}`;
  return `- ${line}`;
}

function evidenceLinks(evidence: readonly EvidenceRef[]): Link[] {
  return evidence.map((e) => ({ label: e.label, url: e.url, type: 'absolute' }));
}

/** The new dosage: dose in mg per administration, times a day, route kept from the order. */
export function targetDosage(target: DoseTarget, template?: Dosage): Dosage {
  const dosage: Dosage = {
    text: target.regimen,
    timing: { repeat: { frequency: target.timesPerDay, period: 1, periodUnit: 'd' } },
    doseAndRate: [{ doseQuantity: { value: target.perAdministrationMg, unit: 'mg', system: UCUM, code: 'mg' } }],
  };
  if (template?.route) dosage.route = template.route;
  return dosage;
}

/**
 * Deep copy of client-sent JSON without null or empty values: the update echoes the client's whole draft, and
 * CDS Hooks forbids null, "", [] and {} in our response even where the client's draft carried them.
 */
function copyWithoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const copy = copyWithoutEmpty(item);
      if (copy !== undefined) out.push(copy);
    }
    return out.length ? out : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const key of Object.keys(value)) {
      const copy = copyWithoutEmpty((value as Record<string, unknown>)[key]);
      if (copy !== undefined) {
        out[key] = copy;
        any = true;
      }
    }
    return any ? out : undefined;
  }
  return value === null || value === '' ? undefined : value;
}

/** 100 mg products and their 400 mg tablet of the same kind (800 mg/day is given as 400 mg tablets, 1.1). */
const FOUR_HUNDRED_MG_TABLET: Readonly<Record<string, string>> = { '403878': '403879', '404588': '404589' };

/** How the 800 mg/day target handles the tablet strength: switch the product, advise it, or nothing. */
export type TabletAdvice = { switchTo: ImatinibConcept } | { advise: true } | undefined;

export function tabletAdvice(target: DoseTarget, highDoseMg: number, order: ImatinibOrder | undefined): TabletAdvice {
  if (target.mgPerDay !== highDoseMg || !order) return undefined;
  const product = order.product;
  const switchCode = product ? FOUR_HUNDRED_MG_TABLET[product.rxcui] : undefined;
  const to = switchCode ? IMATINIB_BY_RXCUI.get(switchCode) : undefined;
  if (to) return { switchTo: to };
  if (product?.strengthMg === 400) return undefined;
  return { advise: true };
}

function withDosage(resource: MedicationRequest, target: DoseTarget, product?: ImatinibConcept): MedicationRequest {
  const updated = (copyWithoutEmpty(resource) ?? {}) as MedicationRequest;
  const dosages = Array.isArray(resource.dosageInstruction) ? resource.dosageInstruction : [];
  const template = dosages.find((d) => d?.route) ?? dosages[0];
  updated.dosageInstruction = [targetDosage(target, template)];
  if (product) {
    // The medication becomes the 400 mg tablet; a contained Medication it referenced goes with the reference.
    const contained = typeof resource.medicationReference?.reference === 'string' && resource.medicationReference.reference.startsWith('#') ? resource.medicationReference.reference.slice(1) : undefined;
    delete updated.medicationReference;
    updated.medicationCodeableConcept = { coding: [{ system: RXNORM, code: product.rxcui, display: product.name }], text: product.name };
    if (contained && Array.isArray(updated.contained)) {
      updated.contained = updated.contained.filter((c) => c.id !== contained);
      if (updated.contained.length === 0) delete updated.contained;
    }
  }
  return updated;
}

/**
 * The one dose change. With several orders making up the total, the first is updated to the target and the
 * others deleted, so that accepting it leaves exactly the target total. 800 mg/day from a 100 mg product
 * also switches the order to the 400 mg tablet.
 */
export function doseSuggestion(target: DoseTarget, orders: ImatinibOrder[], highDoseMg: number): Suggestion | undefined {
  const [first, ...others] = orders;
  if (!first) return undefined;
  const tablets = tabletAdvice(target, highDoseMg, first);
  const switchTo = tablets && 'switchTo' in tablets ? tablets.switchTo : undefined;
  const using = switchTo ? ', using 400 mg tablets' : '';
  const actions: Action[] = [
    { type: 'update', description: `Change the imatinib order (${orderName(first)}) to ${target.label}${using}.`, resource: withDosage(first.resource, target, switchTo) },
    ...others.map(
      (o): Action => ({ type: 'delete', description: `Remove the other imatinib order (${orderName(o)}): its dose is replaced by the single order at ${target.label}.`, resourceId: o.reference }),
    ),
  ];
  const label =
    others.length === 0
      ? `Change to ${target.label}${using}`
      : `Change to ${target.label}${using} in one order and remove the other imatinib ${others.length === 1 ? 'order' : 'orders'}`;
  return { label, uuid: randomUUID(), actions };
}

/** "Cancel this imatinib order": delete every evaluated draft order (hold and pregnancy cards). */
export function cancelSuggestion(orders: readonly ImatinibOrder[]): Suggestion | undefined {
  if (orders.length === 0) return undefined;
  return {
    // The contract's one label for every hold card; each action names the order it deletes.
    label: 'Cancel this imatinib order',
    uuid: randomUUID(),
    actions: orders.map((o): Action => ({ type: 'delete', description: `Cancel the draft imatinib order (${orderName(o)}).`, resourceId: o.reference })),
  };
}

function detail(finding: Finding, evidence: readonly EvidenceRef[], highDoseMg: number): string {
  const parts: string[] = [];
  if (finding.withheldBecause) {
    parts.push(`**Dose increase not suggested now:** ${finding.withheldBecause.map(escapeMarkdown).join('; ')}.`);
  }
  parts.push(['**Why this alert**', ...finding.facts.map(factLine)].join('\n'));
  parts.push(['**What to do**', ...finding.advice].join('\n\n'));
  if (finding.doseNote) parts.push(`**Dose change:** ${escapeMarkdown(finding.doseNote)}`);
  if (finding.suggestion?.kind === 'dose') {
    const tablets = tabletAdvice(finding.suggestion.target, highDoseMg, finding.orders[0]);
    if (tablets && 'switchTo' in tablets) parts.push('**Tablets:** the suggestion also switches the order to the 400 mg tablet: give 800 mg/day as 400 mg tablets, to limit iron exposure from the tablet coating.');
    else if (tablets) parts.push('**Tablets:** use 400 mg tablets for 800 mg/day (to limit iron exposure from the tablet coating); the order does not name its tablet strength.');
  }
  if (finding.orders.length > 0) {
    parts.push(`**${finding.orders.length === 1 ? 'Order' : 'Orders'}:** ${finding.orders.map((o) => escapeMarkdown(orderName(o))).join('; ')}`);
  }
  parts.push(`**Evidence:** ${evidence.map((e) => e.citation).join('; ')}.`);
  return parts.join('\n\n');
}

export function findingToCard(finding: Finding, opts: { serviceTitle: string; highDoseMg: number }): Card {
  const rule = RULES_BY_ID[finding.ruleId];
  const s = finding.suggestion;
  const suggestion = s?.kind === 'dose' ? doseSuggestion(s.target, finding.orders, opts.highDoseMg) : s?.kind === 'cancel' ? cancelSuggestion(s.orders) : undefined;
  const card: Card = {
    uuid: randomUUID(),
    summary: fitSummary(finding.summary),
    indicator: finding.indicator,
    detail: detail(finding, rule.evidence, opts.highDoseMg),
    source: cardSource(opts.serviceTitle, rule.id, rule.title),
    overrideReasons: OVERRIDE_REASONS.map((c) => ({ ...c })),
  };
  if (rule.evidence.length > 0) card.links = evidenceLinks(rule.evidence);
  if (suggestion) {
    card.suggestions = [suggestion];
    card.selectionBehavior = 'at-most-one';
  }
  return card;
}
