/**
 * DATA_INCOMPLETE (docs/clinical-rules.md §7): the prescriber services add one `info` card when a critical or
 * warning rule could not be checked because data could not be obtained from the EHR, naming the data in words.
 * It carries no suggestion. The pharmacy summary lists every unchecked rule itself instead.
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../protocol/cards';
import { cardSource, escapeMarkdown, fitSummary, OVERRIDE_REASONS } from './cards';
import { labelList, type MissingData } from './gaps';
import type { RuleOutcome } from './rules/run';

export const DATA_INCOMPLETE_CODE = 'DATA_INCOMPLETE';
const TITLE = 'Some safety checks could not be run';

/** The critical/warning rules not checked for missing data, with the missing keys behind them. */
export function uncheckedSafetyRules(outcomes: readonly RuleOutcome[]): RuleOutcome[] {
  return outcomes.filter((o) => o.status === 'not-checked' && o.cause === 'unavailable' && (o.indicator === 'critical' || o.indicator === 'warning'));
}

export function dataIncompleteCard(outcomes: readonly RuleOutcome[], missing: readonly MissingData[], serviceTitle: string): Card | undefined {
  const unchecked = uncheckedSafetyRules(outcomes);
  if (unchecked.length === 0) return undefined;
  const keys = new Set(unchecked.flatMap((o) => o.keys ?? []));
  const responsible = missing.filter((m) => keys.has(m.key));
  const words = labelList(responsible.length ? responsible : missing);
  const full = `Some imatinib safety checks could not be run: no data from the EHR for ${words}.`;
  const summary = full.length < 140 ? full : `Some imatinib safety checks could not be run: ${responsible.length} kinds of patient data were not available.`;
  const detail = [
    ['**Checks not run**', ...unchecked.map((o) => `- ${escapeMarkdown(o.title)}: ${escapeMarkdown(o.notes.join('; '))}`)].join('\n'),
    ['**Data the EHR could not supply**', ...responsible.map((m) => `- ${escapeMarkdown(m.label)}: ${escapeMarkdown(m.reason)}`)].join('\n'),
    '**What to do:** review these checks by hand (or retry when the EHR data is available); the alerts shown were computed from the data that was obtained.',
  ].join('\n\n');
  return {
    uuid: randomUUID(),
    summary: fitSummary(summary),
    indicator: 'info',
    detail,
    source: cardSource(serviceTitle, DATA_INCOMPLETE_CODE, TITLE),
    overrideReasons: OVERRIDE_REASONS.map((c) => ({ ...c })),
  };
}
