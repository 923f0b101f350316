/**
 * The pharmacy verification summary (RULES.md §6): one `info` card listing every check with its outcome
 * (passed, fired with the rule ID, or not checked and why), the patient context the checks used, and the
 * computed daily dose per order and in total with how it was derived. It is what a pharmacist signs off.
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../protocol/cards';
import { cardSource, escapeMarkdown, fitSummary } from './cards';
import { formatDate, formatMg, orderName } from './rules/format';
import type { RuleOutcome, RuleRun } from './rules/run';
import type { RuleContext } from './rules/types';
import type { PatientFacts } from './types';

export const VERIFICATION_SUMMARY_CODE = 'VERIFICATION_SUMMARY';
const TITLE = 'Pharmacy verification summary';

function outcomeText(o: RuleOutcome): string {
  const notes = o.notes.filter((n) => n.length > 0).join('; ');
  const tail = notes ? ` — ${escapeMarkdown(notes)}` : '';
  switch (o.status) {
    case 'fired':
      return `**fired (${o.ruleId})**${tail}`;
    case 'withheld':
      return `**fired (${o.ruleId})** at info${tail}`;
    case 'suppressed':
      return `not issued${tail}`;
    case 'passed':
      return `passed${tail}`;
    case 'not-checked':
      return `**not checked**${tail}`;
  }
}

function doseSection(ctx: RuleContext): string {
  const lines = ctx.orders.map((o) => {
    const dose = o.dose.kind === 'computed' ? `${formatMg(o.dose.mgPerDay)} (${o.dose.derivation})` : `not computed (${o.dose.reason})`;
    return `- ${escapeMarkdown(orderName(o))}: ${escapeMarkdown(dose)}`;
  });
  const total =
    ctx.doseMg !== undefined
      ? `- **Total: ${formatMg(ctx.doseMg)}**${ctx.total.kind === 'computed' && ctx.orders.length > 1 ? ` (${escapeMarkdown(ctx.total.derivation)})` : ''}`
      : '- **Total: not computed**: dose checks that compare the ordered dose were not run';
  return ['**Daily dose**', ...lines, total].join('\n');
}

function genotypeText(g: PatientFacts['genotype']): string {
  if (!g.mutationTested) return 'KIT/PDGFRA not tested';
  const found: string[] = [];
  if (g.kitExon9) found.push(`KIT exon 9 (${g.kitExon9.description})`);
  if (g.pdgfraD842V) found.push(`PDGFRA D842V (${g.pdgfraD842V.description})`);
  if (g.wildType) found.push('KIT/PDGFRA wild-type');
  if (g.sdhOrNf1) found.push(`SDH-deficient / NF1 (${g.sdhOrNf1.description})`);
  if (found.length > 0) return found.join('; ');
  const tested = [g.kitTested ? 'KIT' : undefined, g.pdgfraTested ? 'PDGFRA' : undefined].filter(Boolean).join(' and ');
  return `${tested || 'KIT/PDGFRA'} tested; no KIT exon 9, PDGFRA D842V or wild-type result`;
}

function contextSection(ctx: RuleContext): string {
  const { facts } = ctx;
  const current = facts.imatinib.currentDose;
  const since = facts.imatinib.start?.date ? ` since ${formatDate(facts.imatinib.start.date)}` : '';
  const therapy = !facts.imatinib.alreadyTaking
    ? `not currently taking imatinib${facts.imatinib.start?.date ? ` (earlier therapy from ${formatDate(facts.imatinib.start.date)})` : ''}`
    : current?.kind === 'computed'
      ? `${formatMg(current.mgPerDay)}${since} (${current.derivation})`
      : `taking imatinib${since}; current dose not computed${current?.kind === 'unparseable' ? ` (${current.reason})` : ''}`;
  const status = facts.latestDiseaseStatus;
  const lines = [
    `Diagnosis: ${facts.gist ? facts.gist.description : 'no GIST diagnosis on file'}`,
    `Setting: ${facts.advanced ? `advanced (${facts.advanced.description})` : 'not established as advanced (adjuvant or unknown)'}`,
    `Genotype: ${genotypeText(facts.genotype)}`,
    `Current imatinib: ${therapy}`,
    `Latest disease status: ${status ? `${status.display} on ${formatDate(status.date)}` : 'none on file'}`,
  ];
  return ['**Patient context**', ...lines.map((l) => `- ${escapeMarkdown(l)}`)].join('\n');
}

function summaryLine(ctx: RuleContext, outcomes: RuleOutcome[]): string {
  const count = (...s: RuleOutcome['status'][]): number => outcomes.filter((o) => s.includes(o.status)).length;
  const fired = count('fired', 'withheld');
  const dose = ctx.doseMg !== undefined ? `imatinib ${formatMg(ctx.doseMg)}` : 'daily dose not computed';
  return `Pharmacy check: ${dose}; ${fired} fired, ${count('passed', 'suppressed')} passed, ${count('not-checked')} not checked (details inside).`;
}

/** Paged data the service could not read to the end: the checks above may have missed records on later pages. */
function dataSection(truncatedKeys: string[] | undefined): string | undefined {
  if (!truncatedKeys?.length) return undefined;
  const keys = truncatedKeys.map((k) => `"${escapeMarkdown(k)}"`).join(', ');
  return `**Data not read in full**\n- Only the first pages of ${keys} were read (page limit, or a next link leaving the FHIR server): records on later pages were not checked.`;
}

export function verificationSummaryCard(input: { run: RuleRun; ctx: RuleContext; serviceTitle: string; truncatedKeys?: string[] }): Card {
  const { run, ctx, serviceTitle } = input;
  const checks = ['**Checks**', ...run.outcomes.map((o) => `- ${o.ruleId} (${escapeMarkdown(o.title)}): ${outcomeText(o)}`)].join('\n');
  const data = dataSection(input.truncatedKeys);
  return {
    uuid: randomUUID(),
    summary: fitSummary(summaryLine(ctx, run.outcomes)),
    indicator: 'info',
    detail: [doseSection(ctx), contextSection(ctx), ...(data ? [data] : []), checks].join('\n\n'),
    source: cardSource(serviceTitle, VERIFICATION_SUMMARY_CODE, TITLE),
  };
}
