/**
 * The alert report as CSV (RFC 4180: CRLF line ends, a field quoted when it holds a comma, a double quote or a
 * line break, quotes doubled): ONE table, the header row first, one row per rule with the columns of the JSON
 * report. The period, service (empty = all services), generation time and evaluations repeat on every row, so
 * that a row copied elsewhere still says what it counts. The weekly series is in the JSON report and on the
 * HTML page, not here.
 *
 * This is a file for sharing, so it is suppressed like the page (analytics.ts): a count from 1 to N − 1 is
 * "<N"; a rate or median that is suppressed is "suppressed", one with nothing to compute is empty. Override
 * reasons are "code: count; code: count", most frequent first.
 *
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula: such a field
 * gets a leading single quote, so a rule title or a reason code can never become a formula.
 */
import { derivedVisibility, shownCount, type Visibility } from './analytics';
import type { AlertReport, RuleFigures } from './types';

export const CSV_COLUMNS = [
  'from',
  'to',
  'service',
  'generatedAt',
  'evaluations',
  'ruleId',
  'title',
  'cards',
  'perHundredEvaluations',
  'feedback',
  'accepted',
  'overridden',
  'overrideRate',
  'overrideRateLow',
  'overrideRateHigh',
  'suggestionsAccepted',
  'overrideReasons',
  'medianMinutesToFeedback',
  'repeatAlerts',
  'lastFired',
  'silent',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, safe for spreadsheets and quoted as RFC 4180 requires. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function derived(visibility: Visibility, value: number | null): string {
  if (visibility === 'suppressed') return 'suppressed';
  return visibility === 'none' || value === null ? '' : String(value);
}

function row(report: AlertReport, rule: RuleFigures, suppressBelow: number): string[] {
  const count = (n: number) => shownCount(n, suppressBelow);
  const shown = derivedVisibility(rule, report.evaluations, suppressBelow);
  return [
    report.from,
    report.to,
    report.service ?? '',
    report.generatedAt,
    count(report.evaluations),
    rule.ruleId,
    rule.title,
    count(rule.cards),
    derived(shown.perHundredEvaluations, rule.perHundredEvaluations),
    count(rule.feedback),
    count(rule.accepted),
    count(rule.overridden),
    derived(shown.overrideRate, rule.overrideRate.value),
    derived(shown.overrideRate, rule.overrideRate.low),
    derived(shown.overrideRate, rule.overrideRate.high),
    count(rule.suggestionsAccepted),
    rule.overrideReasons.map((r) => `${r.code}: ${count(r.count)}`).join('; '),
    derived(shown.medianMinutesToFeedback, rule.medianMinutesToFeedback),
    count(rule.repeatAlerts),
    rule.lastFired ?? '',
    String(rule.silent),
  ];
}

export function renderAlertReportCsv(report: AlertReport, opts: { suppressBelow: number }): string {
  const lines = [CSV_COLUMNS.map(csvField).join(','), ...report.rules.map((rule) => row(report, rule, opts.suppressBelow).map(csvField).join(','))];
  return lines.map((line) => `${line}\r\n`).join('');
}
