/**
 * Findings → CDS Hooks 2.0.1 cards (RULES.md §5): fresh uuids, a summary under 140 characters, Markdown
 * detail (facts with values, units and dates; what to do; evidence), absolute evidence links, override
 * reasons, and dose suggestions that update the whole draft MedicationRequest. Optional fields are omitted,
 * never sent empty.
 */
import { randomUUID } from 'node:crypto';
import type { Dosage, MedicationRequest } from 'fhir/r4';
import type { Action, Card, Coding, Link, Suggestion } from '../protocol/cards';
import { RULES_BY_ID } from './rules/catalogue';
import { formatDate } from './rules/format';
import type { DoseTarget, EvidenceRef, Finding, TriggerFact } from './rules/types';
import type { ImatinibOrder } from './types';

/** Code system of the rule IDs carried in card.source.topic. */
export const RULE_CODE_SYSTEM = 'https://imatinib-cds.example.org/CodeSystem/rule';
/** Code system of the override reasons offered on every card. */
export const OVERRIDE_REASON_SYSTEM = 'https://imatinib-cds.example.org/CodeSystem/override-reason';
/** Version of the rule set (RULES.md); bump when a rule's meaning changes. */
export const RULE_SET_VERSION = '1.0.0';

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
  return text.replace(/([\\`*[\]<>|])/g, '\\$1');
}

export function factLine(f: TriggerFact): string {
  let line = escapeMarkdown(f.text);
  if (f.date && !f.text.includes(formatDate(f.date))) line += ` on ${formatDate(f.date)}`;
  if (f.sourceRef && !f.text.includes(f.sourceRef)) line += ` (${escapeMarkdown(f.sourceRef)})`;
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

/** The whole MedicationRequest as received, with only dosageInstruction replaced. */
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

function withDosage(resource: MedicationRequest, target: DoseTarget): MedicationRequest {
  const updated = (copyWithoutEmpty(resource) ?? {}) as MedicationRequest;
  const dosages = Array.isArray(resource.dosageInstruction) ? resource.dosageInstruction : [];
  const template = dosages.find((d) => d?.route) ?? dosages[0];
  updated.dosageInstruction = [targetDosage(target, template)];
  return updated;
}

/**
 * One suggestion per dose option. With several orders making up the total, the first is updated to the
 * target and the others deleted, so that accepting it leaves exactly the target total.
 */
export function doseSuggestion(target: DoseTarget, orders: ImatinibOrder[]): Suggestion | undefined {
  const [first, ...others] = orders;
  if (!first) return undefined;
  const actions: Action[] = [
    { type: 'update', description: `Change ${first.reference} to ${target.label}.`, resource: withDosage(first.resource, target) },
    ...others.map(
      (o): Action => ({ type: 'delete', description: `Remove ${o.reference}: its dose is replaced by the single order at ${target.label}.`, resourceId: o.reference }),
    ),
  ];
  const label = others.length === 0 ? `Change to ${target.label}` : `Change to ${target.label} in one order and remove the other imatinib ${others.length === 1 ? 'order' : 'orders'}`;
  return { label, uuid: randomUUID(), actions };
}

function detail(finding: Finding, evidence: readonly EvidenceRef[]): string {
  const parts: string[] = [];
  if (finding.withheldBecause) {
    parts.push(`**Dose increase not suggested now:** ${finding.withheldBecause.map(escapeMarkdown).join('; ')}.`);
  }
  parts.push(['**Why this alert**', ...finding.facts.map(factLine)].join('\n'));
  parts.push(['**What to do**', ...finding.advice].join('\n\n'));
  if (finding.orders.length > 0) {
    parts.push(`**${finding.orders.length === 1 ? 'Order' : 'Orders'}:** ${finding.orders.map((o) => escapeMarkdown(`${o.medicationLabel} (${o.reference})`)).join('; ')}`);
  }
  parts.push(`**Evidence:** ${evidence.map((e) => e.citation).join('; ')}.`);
  return parts.join('\n\n');
}

export function findingToCard(finding: Finding, opts: { serviceTitle: string }): Card {
  const rule = RULES_BY_ID[finding.ruleId];
  const suggestions = (finding.doseTargets ?? []).map((t) => doseSuggestion(t, finding.orders)).filter((s): s is Suggestion => s !== undefined);
  const card: Card = {
    uuid: randomUUID(),
    summary: fitSummary(finding.summary),
    indicator: finding.indicator,
    detail: detail(finding, rule.evidence),
    source: cardSource(opts.serviceTitle, rule.id, rule.title),
    overrideReasons: OVERRIDE_REASONS.map((c) => ({ ...c })),
  };
  if (rule.evidence.length > 0) card.links = evidenceLinks(rule.evidence);
  if (suggestions.length > 0) {
    card.suggestions = suggestions;
    card.selectionBehavior = 'at-most-one';
  }
  return card;
}
