/**
 * The alert report as the pharmacy and therapeutics committee reads it: the period and its evaluations, how
 * to read the figures, one summary row per rule, then each rule's weekly firing chart. Static HTML from
 * renderPage (no JavaScript, one hashed stylesheet, charts as inline SVG cleaned for that policy).
 *
 * Small-cell suppression (report.settings.suppressBelow = N): every count from 1 to N − 1 is shown as "<N"
 * (0 stays 0), and a rate or median is shown only when its denominator is at least N, else "—†". Charts draw
 * such weeks as a grey "<N" bar (see charts.ts). The JSON report stays exact; this page is what gets shared.
 */
import { derivedVisibility, isSuppressed, shownCount, type Visibility } from './analytics';
import { describeWeeks, weeklyChartSvg } from './charts';
import { escapeHtml, renderPage, type Page } from './page';
import { addDays, formatDay, parseDay, periodDays } from './period';
import type { AlertReport, RuleFigures } from './types';

export interface AlertReportPageOptions {
  /** Rule id → critical / warning / info, shown as a badge. */
  ruleIndicators?: Record<string, string>;
  /** The rule catalogue page; each rule id links to `${catalogueUrl}#RULE_ID`. */
  catalogueUrl?: string;
  /** The services, offered as links that keep the period. */
  serviceIds?: string[];
  /**
   * Links to other periods and services, as query strings on the page's own URL (default true). A report
   * written to a file has no URL to ask, so the CLI turns them off.
   */
  navigation?: boolean;
}

const INDICATOR_CLASSES = new Set(['critical', 'warning', 'info']);
const QUICK_PERIODS = [30, 90, 365];
const TOP_REASONS = 3;

const EXTRA_CSS = `
.overview { display: flex; flex-wrap: wrap; gap: 10px 28px; align-items: baseline; margin: 4px 0 6px; }
.figure { font-size: 13px; color: #5b6678; }
.figure strong { display: block; font-size: 22px; color: #1d2430; font-weight: 600; font-variant-numeric: tabular-nums; }
nav.links { font-size: 13px; margin: 8px 0 4px; }
nav.links span.label { color: #5b6678; margin-right: 4px; }
nav.links a, nav.links strong { margin-right: 10px; }
details.legend { background: #f6f8fb; border: 1px solid #d6dbe3; border-radius: 6px; padding: 6px 14px; margin: 14px 0 4px; font-size: 13px; }
details.legend summary { cursor: pointer; font-weight: 600; padding: 2px 0; }
details.legend dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 8px 0 6px; }
details.legend dt { font-weight: 600; }
details.legend dd { margin: 0; }
.table-wrap { overflow-x: auto; }
table.summary thead th { font-size: 12px; line-height: 1.25; vertical-align: bottom; white-space: normal; }
table.summary td { font-size: 13px; }
table.summary th.rule { min-width: 180px; background: none; font-weight: normal; }
table.summary th.rule .title { display: block; color: #5b6678; font-size: 12px; }
table.summary tr.idle td { color: #7a8494; }
table.summary ul { margin: 0; padding: 0; list-style: none; }
table.summary td.reasons { min-width: 160px; font-size: 12px; }
table.summary td.reasons .count { font-weight: 600; font-variant-numeric: tabular-nums; }
table.summary td.status { white-space: nowrap; }
sup.dagger { color: #5b6678; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px 24px; }
figure.chart { margin: 0; padding: 4px 0 8px; border-bottom: 1px solid #eef2f7; }
figure.chart h3 { margin: 8px 0 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { font-size: 12.5px; color: #5b6678; }
.keys { display: block; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; vertical-align: -1px; }
.keys .key:first-child { margin-left: 0; }
.key.exact { background: #2f6fb0; }
.key.small { background: #b9c2cf; }
`;

/** 1234567 → "1,234,567" (fixed, not the host locale). */
function integer(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** What the page prints for a count, a rate and a value derived from a count (suppressed as documented). */
class Cells {
  constructor(private readonly suppressBelow: number) {}

  count(n: number): string {
    return isSuppressed(n, this.suppressBelow) ? escapeHtml(shownCount(n, this.suppressBelow)) : integer(n);
  }

  /** A rate or median: "—" when there is nothing to compute, "—†" when suppressed (see analytics.ts). */
  derived(visibility: Visibility, show: () => string): string {
    if (visibility === 'none') return '—';
    if (visibility === 'suppressed') return `—<sup class="dagger" title="Not shown: based on fewer than ${this.suppressBelow}, or would reveal such a count">†</sup>`;
    return show();
  }
}

function num(content: string): string {
  return `<td class="num">${content}</td>`;
}

function indicatorBadge(ruleId: string, opts: AlertReportPageOptions): string {
  const indicator = opts.ruleIndicators?.[ruleId];
  if (!indicator) return '';
  const cls = INDICATOR_CLASSES.has(indicator) ? ` ${indicator}` : '';
  return ` <span class="badge${cls}">${escapeHtml(indicator)}</span>`;
}

/** Rule id (linked to its catalogue entry), indicator badge, title. */
function ruleCell(rule: RuleFigures, opts: AlertReportPageOptions): string {
  const code = `<code>${escapeHtml(rule.ruleId)}</code>`;
  const linked = opts.catalogueUrl ? `<a href="${escapeHtml(`${opts.catalogueUrl}#${encodeURIComponent(rule.ruleId)}`)}">${code}</a>` : code;
  const title = rule.title !== rule.ruleId ? `<span class="title">${escapeHtml(rule.title)}</span>` : '';
  return `<th scope="row" class="rule">${linked}${indicatorBadge(rule.ruleId, opts)}${title}</th>`;
}

function reasonsCell(rule: RuleFigures, cells: Cells): string {
  if (rule.overrideReasons.length === 0) return '<td class="reasons"></td>';
  const items = rule.overrideReasons.slice(0, TOP_REASONS).map((r) => {
    return `<li title="${escapeHtml(r.code)}">${escapeHtml(r.display)} <span class="count">${cells.count(r.count)}</span></li>`;
  });
  const more = rule.overrideReasons.length - TOP_REASONS;
  if (more > 0) items.push(`<li class="muted">and ${more} other reason${more === 1 ? '' : 's'}</li>`);
  return `<td class="reasons"><ul>${items.join('')}</ul></td>`;
}

function statusCell(rule: RuleFigures, silentDays: number): string {
  const last = rule.lastFired ? `<span title="${escapeHtml(rule.lastFired)}">${escapeHtml(rule.lastFired.slice(0, 10))}</span>` : '<span class="muted">never</span>';
  const flag = rule.silent ? `<br><span class="badge flag">silent ${silentDays}+ days</span>` : '';
  return `<td class="status">${last}${flag}</td>`;
}

function summaryRow(rule: RuleFigures, report: AlertReport, opts: AlertReportPageOptions, cells: Cells): string {
  const rate = rule.overrideRate;
  const shown = derivedVisibility(rule, report.evaluations, report.settings.suppressBelow);
  const perHundred = cells.derived(shown.perHundredEvaluations, () => (rule.perHundredEvaluations === null ? '—' : rule.perHundredEvaluations.toFixed(1)));
  const coverage = cells.derived(shown.feedbackCoverage, () => `${percent(rule.feedback / rule.cards)} <span class="muted">(${cells.count(rule.feedback)})</span>`);
  const overrideRate = cells.derived(shown.overrideRate, () =>
    rate.value === null || rate.low === null || rate.high === null ? '—' : `${percent(rate.value)} <span class="muted">(${Math.round(rate.low * 100)}–${percent(rate.high)})</span>`,
  );
  const minutes = cells.derived(shown.medianMinutesToFeedback, () => (rule.medianMinutesToFeedback === null ? '—' : rule.medianMinutesToFeedback.toFixed(1)));
  const idle = rule.cards === 0 ? ' class="idle"' : '';
  return [
    `<tr${idle}>`,
    ruleCell(rule, opts),
    num(cells.count(rule.cards)),
    num(perHundred),
    num(coverage),
    num(cells.count(rule.accepted)),
    num(cells.count(rule.overridden)),
    num(overrideRate),
    num(cells.count(rule.suggestionsAccepted)),
    reasonsCell(rule, cells),
    num(minutes),
    num(cells.count(rule.repeatAlerts)),
    statusCell(rule, report.settings.silentDays),
    '</tr>',
  ].join('');
}

const COLUMNS: ReadonlyArray<{ head: string; numeric: boolean; title: string }> = [
  { head: 'Rule', numeric: false, title: 'Rule id (links to the rule catalogue), card indicator and title' },
  { head: 'Cards', numeric: true, title: 'Cards issued in the period' },
  { head: 'Per 100 eval.', numeric: true, title: 'Cards per 100 evaluations' },
  { head: 'Feedback', numeric: true, title: 'Cards with feedback, % of cards (number)' },
  { head: 'Accepted', numeric: true, title: 'Accepted feedback items' },
  { head: 'Overridden', numeric: true, title: 'Overridden feedback items' },
  { head: 'Override rate (95% CI)', numeric: true, title: 'Overridden / (accepted + overridden), Wilson 95% interval' },
  { head: 'Suggestions taken', numeric: true, title: 'Accepted items that took one of the card’s suggestions' },
  { head: 'Top override reasons', numeric: false, title: 'Most frequent override reasons' },
  { head: 'Median min to feedback', numeric: true, title: 'Median minutes from the card to the clinician’s feedback' },
  { head: 'Repeats', numeric: true, title: 'Cards repeating one for the same patient and rule within 30 days' },
  { head: 'Last fired', numeric: false, title: 'Latest card (UTC day); silent flag' },
];

function summaryTable(report: AlertReport, opts: AlertReportPageOptions, cells: Cells): string {
  const head = COLUMNS.map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''} title="${escapeHtml(c.title)}">${escapeHtml(c.head)}</th>`).join('');
  const body = report.rules.map((r) => summaryRow(r, report, opts, cells)).join('\n');
  return `<div class="table-wrap"><table class="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function legend(report: AlertReport): string {
  const n = report.settings.suppressBelow;
  const silent = report.settings.silentDays;
  const entries: Array<[string, string]> = [
    ['Evaluations', 'Every evaluation of imatinib orders in the period: the denominator of "per 100 evaluations".'],
    ['Cards', 'Cards the rule issued in the period. Every catalogue rule is listed, also one that never fired; other codes (the verification summary, data incomplete) follow.'],
    ['Feedback', 'Cards that received at least one feedback item, as a percentage of the cards (the number in brackets). Feedback is optional for the EHR, so coverage matters before reading the rates.'],
    ['Accepted, overridden', 'Feedback items. A card can receive more than one (accepted, then overridden later); each counts.'],
    ['Override rate', 'Overridden ÷ (accepted + overridden), with its 95% confidence interval (Wilson score): the range the true rate plausibly lies in. A wide range means few items.'],
    ['Suggestions taken', 'Accepted items where the clinician took one of the card’s suggested changes.'],
    ['Override reasons', `The coded reasons given with overrides, most frequent first (top ${TOP_REASONS}); “No reason given” counts overrides without a coded reason.`],
    ['Median min to feedback', 'Median minutes from the card to the feedback, over the feedback items.'],
    ['Repeats', 'Cards for a patient who had a card of the same rule in the 30 days before (the 30 days before the period included): alerts that may be repeating themselves.'],
    ['Silent', `“silent ${silent}+ days”: the rule fired before but issued no card in the last ${silent} days (up to the end of the period, or now). Check that its data still arrives.`],
    n > 1
      ? [`<${n}`, `A count from 1 to ${n - 1}, not shown exactly to protect small groups; 0 is shown. — means nothing to compute; —† a rate or median based on fewer than ${n}, or one that would reveal a count shown as <${n}: not shown. Exact figures are in the JSON report.`]
      : ['—', 'Nothing to compute (every count is shown exactly).'],
    ['Weeks', 'ISO weeks (Monday to Sunday, UTC); the first and last week of the period may be partial.'],
  ];
  const rows = entries.map(([term, text]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(text)}</dd>`).join('');
  return `<details class="legend" open><summary>How to read this report</summary><dl>${rows}</dl></details>`;
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, v);
  return `?${search.toString()}`;
}

function navigation(report: AlertReport, opts: AlertReportPageOptions): string {
  const today = parseDay(report.generatedAt.slice(0, 10));
  if (!today) return '';
  const link = (text: string, params: Record<string, string | undefined>, current: boolean) =>
    current ? `<strong aria-current="page">${escapeHtml(text)}</strong>` : `<a href="${escapeHtml(query(params))}">${escapeHtml(text)}</a>`;
  const todayText = formatDay(today);
  const periods = QUICK_PERIODS.map((days) => {
    const from = formatDay(addDays(today, -(days - 1)));
    return link(`Last ${days} days`, { from, to: todayText, service: report.service }, report.from === from && report.to === todayText);
  });
  const lines = [`<span class="label">Period:</span>${periods.join('')}`];
  if (opts.serviceIds && opts.serviceIds.length > 0) {
    const period = { from: report.from, to: report.to };
    const services = [link('All services', period, report.service === undefined), ...opts.serviceIds.map((id) => link(id, { ...period, service: id }, report.service === id))];
    lines.push(`<span class="label">Service:</span>${services.join('')}`);
  }
  return lines.map((l) => `<nav class="links">${l}</nav>`).join('');
}

function overview(report: AlertReport, cells: Cells): string {
  const days = periodDays(report);
  const cards = report.rules.reduce((sum, r) => sum + r.cards, 0);
  const figure = (label: string, value: string) => `<div class="figure"><strong>${value}</strong>${escapeHtml(label)}</div>`;
  return [
    '<div class="overview">',
    figure(`${days} day${days === 1 ? '' : 's'}, UTC`, `${escapeHtml(report.from)} – ${escapeHtml(report.to)}`),
    figure('service', escapeHtml(report.service ?? 'all services')),
    figure('evaluations', cells.count(report.evaluations)),
    figure('cards issued (all rules and codes)', cells.count(cards)),
    '</div>',
    `<p class="small muted">Generated ${escapeHtml(report.generatedAt.replace('T', ' ').slice(0, 16))} UTC. Silent after ${report.settings.silentDays} days without a card; ${report.settings.suppressBelow > 1 ? `counts below ${report.settings.suppressBelow} suppressed` : 'every count shown exactly'}.</p>`,
  ].join('');
}

function charts(report: AlertReport): string {
  const n = report.settings.suppressBelow;
  const fired = report.rules.filter((r) => r.cards > 0);
  const idle = report.rules.filter((r) => r.cards === 0);
  const figures = fired.map((rule, i) => {
    const weeks = report.weekly.filter((w) => w.ruleId === rule.ruleId);
    const svg = weeklyChartSvg({ label: `Cards per week for ${rule.ruleId} (${rule.title})`, weeks, suppressBelow: n, idPrefix: `chart${i}-` });
    const hasSmall = weeks.some((w) => w.cards > 0 && w.cards < n);
    const key = `<span class="keys"><span class="key exact"></span>cards${hasSmall ? `<span class="key small"></span>a week with 1 to ${n - 1} (not shown exactly)` : ''}</span>`;
    return [
      `<figure class="chart" id="weekly-${escapeHtml(rule.ruleId)}">`,
      `<h3><code>${escapeHtml(rule.ruleId)}</code> ${rule.title !== rule.ruleId ? escapeHtml(rule.title) : ''}</h3>`,
      svg,
      `<figcaption>${escapeHtml(describeWeeks(weeks, n))}${key}</figcaption>`,
      '</figure>',
    ].join('');
  });
  const idleList = idle.length
    ? `<p class="small"><strong>No cards in the period:</strong> ${idle.map((r) => `<code>${escapeHtml(r.ruleId)}</code>${r.silent ? ' <span class="badge flag">silent</span>' : ''}`).join(', ')}.</p>`
    : '';
  const grid = figures.length ? `<div class="charts">${figures.join('\n')}</div>` : '<p class="muted">No rule issued a card in the period.</p>';
  return `<h2>Weekly firing</h2>${grid}${idleList}`;
}

export function renderAlertReportPage(report: AlertReport, opts: AlertReportPageOptions = {}): Page {
  const cells = new Cells(report.settings.suppressBelow);
  const body = [
    overview(report, cells),
    opts.navigation === false ? '' : navigation(report, opts),
    legend(report),
    '<h2>Rules</h2>',
    summaryTable(report, opts, cells),
    charts(report),
  ].join('\n');
  // Plain text (renderPage escapes it), suppressed like every other count.
  const subtitle = `${report.from} to ${report.to} · ${report.service ?? 'all services'} · ${isSuppressed(report.evaluations, report.settings.suppressBelow) ? shownCount(report.evaluations, report.settings.suppressBelow) : integer(report.evaluations)} evaluations`;
  return renderPage('Alert report', subtitle, body, EXTRA_CSS);
}
