/**
 * The pharmacy verification summary (docs/clinical-rules.md §6): one `info` card listing every check with its
 * outcome (passed, fired with the rule ID, silenced by a rule, not applicable, or not checked and why, naming
 * the data that could not be obtained), the patient context the checks used, the computed daily dose per order
 * and in total with how it was derived, the one dose change (or why it was withheld), and last the records used.
 * It is what a pharmacist signs off against.
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../protocol/cards';
import { cardSource, escapeMarkdown, fitSummary } from './cards';
import type { MissingData } from './gaps';
import { RULES_BY_ID } from './rules/catalogue';
import { formatDate, formatDose } from './rules/format';
import type { RuleOutcome, RuleRun } from './rules/run';
import type { RuleContext } from './rules/types';
import { isUnknown, reasonText } from './tri';
import type { PatientFacts } from './types';

export const VERIFICATION_SUMMARY_CODE = 'VERIFICATION_SUMMARY';
const TITLE = 'Pharmacy verification summary';
export const NO_GIST_SENTENCE = 'No GIST diagnosis on file: the GIST checks were not run';

export interface VerificationInput {
  run: RuleRun;
  ctx: RuleContext;
  serviceTitle: string;
  truncatedKeys?: string[];
  missing?: readonly MissingData[];
  medicationReadFailures?: Record<string, string>;
}

function outcomeText(o: RuleOutcome, missing: readonly MissingData[]): string {
  const notes = o.notes.filter((n) => n.length > 0).join('; ');
  const tail = notes ? ` — ${escapeMarkdown(notes)}` : '';
  const dose = o.doseNote ? ` ${escapeMarkdown(o.doseNote)}` : '';
  switch (o.status) {
    case 'fired':
      return `**fired (${o.ruleId})**${tail}${/[.!?]$/.test(tail) || !tail ? '' : '.'}${dose}`;
    case 'withheld':
      return `**fired (${o.ruleId})** at info${tail}`;
    case 'silenced':
      return `silenced by ${o.by ?? 'precedence'}${tail.replace(/^ — silenced by [A-Z0-9_]+: /, ' — ')}`;
    case 'not-applicable':
      return `not applicable${tail}`;
    case 'passed':
      return `passed${tail}`;
    case 'not-checked': {
      const keys = (o.keys ?? []).map((k) => missing.find((m) => m.key === k)).filter((m): m is MissingData => m !== undefined);
      const data = keys.length ? ` (data unavailable: ${escapeMarkdown(keys.map((m) => `${m.label} ("${m.key}")`).join(', '))})` : '';
      return `**not checked**${data}${tail}`;
    }
  }
}

function doseSection(ctx: RuleContext): string {
  const lines = ctx.orders.map((o) => {
    const dose = o.dose.kind === 'computed' ? `${formatDose(o.dose)} (${o.dose.derivation})` : `not computed (${o.dose.reason})`;
    return `- ${escapeMarkdown(o.medicationLabel)}: ${escapeMarkdown(dose)}`;
  });
  const total =
    ctx.doseMg !== undefined && ctx.total.kind === 'computed'
      ? `- **Total: ${escapeMarkdown(formatDose(ctx.total))}**${ctx.orders.length > 1 ? ` (${escapeMarkdown(ctx.total.derivation)})` : ''}`
      : '- **Total: not computed**: dose checks that compare the ordered dose were not run';
  return ['**Daily dose**', ...lines, total].join('\n');
}

function genotypeText(g: PatientFacts['genotype'], ctx: RuleContext): string {
  const pending = g.pending.length ? `; ${g.pending.map((p) => p.description).join('; ')}` : '';
  if (!g.mutationTested) {
    if (ctx.gaps.has('genomics')) return 'not known: the mutation results could not be obtained';
    return g.pending.length ? `no final KIT/PDGFRA result${pending}` : 'KIT/PDGFRA not tested';
  }
  const found: string[] = [];
  if (g.kitExon9) found.push(`KIT exon 9 (${g.kitExon9.description})`);
  if (g.pdgfraD842V) found.push(`PDGFRA D842V (${g.pdgfraD842V.description})`);
  if (g.wildType) found.push('KIT/PDGFRA wild-type');
  if (g.sdhOrNf1) found.push(`SDH-deficient / NF1 (${g.sdhOrNf1.description})`);
  if (found.length > 0) return `${found.join('; ')}${pending}`;
  const tested = [g.kitTested ? 'KIT' : undefined, g.pdgfraTested ? 'PDGFRA' : undefined].filter(Boolean).join(' and ');
  return `${tested || 'KIT/PDGFRA'} tested; no KIT exon 9, PDGFRA D842V or wild-type result${pending}`;
}

function therapyText(ctx: RuleContext): string {
  const { imatinib } = ctx.facts;
  const since = imatinib.start?.date ? ` since ${formatDate(imatinib.start.date)}` : '';
  if (imatinib.taking === false) return `not currently taking imatinib${imatinib.start?.date ? ` (earlier therapy from ${formatDate(imatinib.start.date)})` : ''}`;
  if (isUnknown(imatinib.taking)) return `not known whether imatinib is already taken: the imatinib history could not be established (${reasonText(imatinib.taking)})`;
  const current = imatinib.currentDose;
  if (current?.kind === 'computed') return `${formatDose(current)}${since} (${current.derivation})`;
  const why = current?.kind === 'unparseable' ? current.reason : imatinib.currentDoseUnknownBecause;
  return `taking imatinib${since}; current dose not computed${why ? ` (${why})` : ''}`;
}

function contextSection(ctx: RuleContext): string {
  const { facts } = ctx;
  const status = facts.latestDiseaseStatus;
  const setting = facts.advanced
    ? `advanced (${facts.advanced.description})`
    : ctx.gaps.has('staging')
      ? 'not established as advanced from the diagnoses; the staging data could not be obtained'
      : 'not established as advanced (adjuvant or unknown)';
  const lines = [
    `Diagnosis: ${facts.gist ? facts.gist.description : 'no GIST diagnosis on file'}`,
    `Setting: ${setting}`,
    `Genotype: ${genotypeText(facts.genotype, ctx)}`,
    `Current imatinib: ${therapyText(ctx)}`,
    `Latest disease status: ${status ? `${status.display} on ${formatDate(status.date)}` : ctx.gaps.has('diseaseStatus') ? 'not known (could not be obtained)' : 'none on file'}`,
  ];
  return ['**Patient context**', ...lines.map((l) => `- ${escapeMarkdown(l)}`)].join('\n');
}

/** Active records whose medication nobody could identify: they may be imatinib or an interacting drug. */
function unidentifiedSection(ctx: RuleContext, failures: Record<string, string> | undefined): string | undefined {
  const refs = ctx.facts.imatinib.unidentifiedCurrent;
  if (refs.length === 0) return undefined;
  const failed = Object.entries(failures ?? {}).map(([ref, why]) => `${ref}: ${why}`);
  return [
    '**Unidentified medication records**',
    `- ${refs.length === 1 ? 'An active medication record' : `${refs.length} active medication records`} could not be identified (the medication reference resolved to nothing and carries no name): ${escapeMarkdown(refs.join(', '))}. Whether imatinib is already taken may be unknown, and the interaction checks may be incomplete.`,
    ...failed.map((f) => `- ${escapeMarkdown(f)}`),
  ].join('\n');
}

function missingSection(missing: readonly MissingData[] | undefined): string | undefined {
  if (!missing?.length) return undefined;
  return ['**Data not obtained**', ...missing.map((m) => `- ${escapeMarkdown(`${m.label} ("${m.key}"): ${m.reason}`)}: missing, not empty; the checks that need it are listed as not checked`)].join('\n');
}

/** Paged data the service could not read to the end: the checks above may have missed records on later pages. */
function truncatedSection(truncatedKeys: string[] | undefined): string | undefined {
  if (!truncatedKeys?.length) return undefined;
  const keys = truncatedKeys.map((k) => `"${escapeMarkdown(k)}"`).join(', ');
  return `**Data not read in full**\n- Only the first pages of ${keys} were read (page limit, or a next link leaving the FHIR server): records on later pages were not checked.`;
}

function doseChangeSection(run: RuleRun): string | undefined {
  const { plan } = run;
  if (plan.target && plan.holder) return `**Dose change offered:** ${escapeMarkdown(plan.target.label)}, on the ${plan.holder} card.`;
  if (plan.withheld) return `**Dose change withheld:** ${escapeMarkdown(plan.withheld)}.`;
  if (plan.cancelOn.length > 0 && plan.cancelOrders.length > 0) return `**Suggested instead of a dose change:** cancel the draft imatinib order (on the ${plan.cancelOn.join(', ')} card).`;
  return undefined;
}

/** Every FHIR record the checks read, for the pharmacist (never in prescriber cards). */
function recordsSection(input: VerificationInput): string | undefined {
  const { run, ctx } = input;
  const refs = new Set<string>();
  for (const o of ctx.orders) refs.add(o.reference);
  const f = ctx.facts;
  for (const e of [f.gist, f.advanced, f.genotype.kitExon9, f.genotype.pdgfraD842V, f.genotype.wildType, f.genotype.sdhOrNf1, f.imatinib.start, f.progressionOnImatinib, f.currentProgression, f.pregnancy, f.severeHepaticImpairment, ...f.genotype.pending]) {
    if (e) refs.add(e.sourceRef);
  }
  for (const slot of Object.values(f.labs)) if (slot.value) refs.add(slot.value.sourceRef);
  for (const finding of run.findings) for (const fact of finding.facts) if (fact.sourceRef) refs.add(fact.sourceRef);
  for (const r of [...f.imatinib.currentRecords, ...f.imatinib.unidentifiedCurrent]) refs.add(r);
  const list = [...refs].filter((r) => r && !r.endsWith('/'));
  return list.length ? `**Records used:** ${escapeMarkdown(list.join(', '))}` : undefined;
}

function summaryLine(ctx: RuleContext, outcomes: RuleOutcome[]): string {
  if (!ctx.facts.gist) return `Pharmacy check: ${NO_GIST_SENTENCE}.`;
  const count = (...s: RuleOutcome['status'][]): number => outcomes.filter((o) => s.includes(o.status)).length;
  const dose = ctx.doseMg !== undefined && ctx.total.kind === 'computed' ? `imatinib ${formatDose(ctx.total)}` : 'daily dose not computed';
  const silenced = count('silenced', 'not-applicable');
  return `Pharmacy check: ${dose}; ${count('fired', 'withheld')} fired, ${count('passed')} passed, ${count('not-checked')} not checked${silenced ? `, ${silenced} silenced or not applicable` : ''} (details inside).`;
}

export function verificationSummaryCard(input: VerificationInput): Card {
  const { run, ctx, serviceTitle } = input;
  const missing = input.missing ?? [];
  const checks = ['**Checks**', ...run.outcomes.map((o) => `- ${o.ruleId} (${escapeMarkdown(RULES_BY_ID[o.ruleId].title)}): ${outcomeText(o, missing)}`)].join('\n');
  const sections = [
    ...(ctx.facts.gist ? [] : [`**${NO_GIST_SENTENCE}.**`]),
    doseSection(ctx),
    contextSection(ctx),
    unidentifiedSection(ctx, input.medicationReadFailures),
    missingSection(missing),
    truncatedSection(input.truncatedKeys),
    checks,
    doseChangeSection(run),
    recordsSection(input),
  ].filter((s): s is string => s !== undefined);
  return {
    uuid: randomUUID(),
    summary: fitSummary(summaryLine(ctx, run.outcomes)),
    indicator: 'info',
    detail: sections.join('\n\n'),
    source: cardSource(serviceTitle, VERIFICATION_SUMMARY_CODE, TITLE),
  };
}

