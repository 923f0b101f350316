/**
 * The alert report: what each rule did in a period, computed from the rows a store hands over (PeriodRows).
 * Pure: the same rows, query and options always give the same report. These definitions are the public
 * meaning of the figures (README, the report's legend and the CSV columns repeat them):
 *
 * - The period is whole UTC days, [start, end) = [`from` 00:00Z, the day after `to` 00:00Z). Only rows of
 *   query.service count when a service is given (the store filters already; this filters again).
 * - evaluations: evaluation rows in the period (the denominator: every evaluation of imatinib orders).
 * - Rules: every catalogue rule in catalogue order, also those without a card (a rule that never fires must
 *   be visible), then every other code seen in the cards (VERIFICATION_SUMMARY, DATA_INCOMPLETE, a retired
 *   rule), alphabetically so that the order does not depend on the rows' order.
 * - cards: cards issued in the period (the 30 days before it are only read for repeats, lastFired, silent).
 * - perHundredEvaluations: cards / evaluations × 100, 1 decimal; null without evaluations.
 * - feedback: period cards with at least one feedback item (coverage = feedback / cards).
 * - accepted, overridden: feedback ITEMS on period cards. A card can get several items (accepted, then
 *   overridden on a later order); each counts, because each is a clinician's decision.
 * - overrideRate: overridden / (accepted + overridden), with the Wilson score 95% interval (z = 1.959963984540054);
 *   value, low and high rounded to 4 decimals; all null without items.
 * - suggestionsAccepted: accepted items that took one of the card's suggestions.
 * - overrideReasons: overridden items grouped by (system, code), most frequent first, then by code; the display
 *   is the latest (by outcome time) non-empty display of the group, else the code; an item without a code is
 *   counted as code "uncoded", "No reason given".
 * - medianMinutesToFeedback: median over the feedback items of (outcome time − card issue time) in minutes,
 *   1 decimal (a negative difference, from clock skew between the EHR and us, counts as 0); null without items.
 * - repeatAlerts: period cards for which an earlier card (strictly earlier instant; cards of the same instant
 *   come from one evaluation) of the same rule for the same patient hash was issued at most 30 × 24 h before
 *   it; the earlier card may lie in the 30 days before the period. Across the services in the report.
 * - lastFired: the latest card of the rule issued before the end of the period, the 30 days before the period
 *   included (ISO-8601); null if none.
 * - silent: the rule fired (lastFired not null) and has not fired for `silentDays` days: no card in the last
 *   silentDays days before the "as of" instant, which is the end of the period, or the report's generation
 *   time when the period reaches into the present (so that a period ending today does not count the hours of
 *   today still to come). A rule whose only cards are in the 30 days before the period is silent too.
 * - weekly: period cards per ISO week (YYYY-Www, Monday to Sunday, UTC, ISO week-numbering year) and rule,
 *   for every week that intersects the period (the first and last may be partial) and every rule of the
 *   report, zeros included; ordered by week, then in the report's rule order.
 *
 * Counts are exact here; small-cell suppression (settings.suppressBelow = N) is applied only where the report
 * is rendered for people (HTML, CSV), by the helpers at the end of this file: a count from 1 to N − 1 is shown
 * as "<N" (0 as 0), and a rate or median only when its denominator is at least N and it would not give away a
 * count shown as "<N" (0.2 per 100 of 1,800 evaluations would say "3 or 4 cards").
 */
import { REPEAT_WINDOW_DAYS, periodBounds, repeatWindowStart } from './period';
import type { AlertReport, CardRow, FeedbackRow, PeriodQuery, PeriodRows, Rate, RuleFigures } from './types';

const DAY_MS = 86_400_000;
const REPEAT_WINDOW_MS = REPEAT_WINDOW_DAYS * DAY_MS;

/** The standard normal quantile for a two-sided 95% interval. */
export const WILSON_Z_95 = 1.959963984540054;

export interface AlertReportOptions {
  silentDays: number;
  suppressBelow: number;
  generatedAt: Date;
  /** The catalogue: every rule is reported, in this order, with its title. */
  rules: ReadonlyArray<{ id: string; title: string }>;
}

/** x rounded to `decimals` places; never -0 (it would show as "-0" and compare unequal in tests). */
export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(x * f) / f;
  return r === 0 ? 0 : r;
}

/** Wilson score interval of successes / n, rounded to 4 decimals; all null when n is 0. */
export function wilsonInterval(successes: number, n: number, z: number = WILSON_Z_95): Rate {
  if (n <= 0) return { value: null, low: null, high: null };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return { value: round(p, 4), low: round(clamp(centre - half), 4), high: round(clamp(centre + half), 4) };
}

/** Median of the values (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** ISO-8601 week of the UTC day of an instant, "YYYY-Www": the week-year is the year of that week's Thursday. */
export function isoWeek(date: Date): string {
  const day = Math.floor(date.getTime() / DAY_MS) * DAY_MS;
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = new Date(0);
  jan1.setUTCFullYear(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1.getTime()) / DAY_MS / 7) + 1;
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}

/** Every ISO week that intersects the period, in order. */
export function periodWeeks(query: PeriodQuery): string[] {
  const { start, end } = periodBounds(query);
  const weekday = (start.getUTCDay() + 6) % 7;
  const weeks: string[] = [];
  for (let monday = start.getTime() - weekday * DAY_MS; monday < end.getTime(); monday += 7 * DAY_MS) weeks.push(isoWeek(new Date(monday)));
  return weeks;
}

interface TimedCard {
  row: CardRow;
  at: number;
  inPeriod: boolean;
}

/** Cards of the report's service in [repeat window start, end), each once (by card uuid), with their instant. */
function usableCards(rows: readonly CardRow[], query: PeriodQuery, start: number, end: number): TimedCard[] {
  const windowStart = repeatWindowStart(query).getTime();
  const seen = new Set<string>();
  const cards: TimedCard[] = [];
  for (const row of rows) {
    if (query.service !== undefined && row.serviceId !== query.service) continue;
    const at = Date.parse(row.issuedAt);
    if (!(at >= windowStart && at < end) || seen.has(row.cardUuid)) continue;
    seen.add(row.cardUuid);
    cards.push({ row, at, inPeriod: at >= start });
  }
  return cards;
}

/** Catalogue rules first (in order, each once), then the other codes seen in the cards, alphabetically. */
function reportRules(catalogue: AlertReportOptions['rules'], cards: readonly TimedCard[]): Array<{ id: string; title: string }> {
  const rules: Array<{ id: string; title: string }> = [];
  const ids = new Set<string>();
  for (const rule of catalogue) {
    if (ids.has(rule.id)) continue;
    ids.add(rule.id);
    rules.push({ id: rule.id, title: rule.title });
  }
  const others = [...new Set(cards.map((c) => c.row.ruleId).filter((id) => !ids.has(id)))].sort();
  for (const id of others) rules.push({ id, title: id });
  return rules;
}

/** Period cards that repeat an earlier card of the same rule (the caller's group) and patient hash within the window. */
function countRepeats(cards: readonly TimedCard[]): number {
  let repeats = 0;
  for (const own of groupBy(cards, (c) => c.row.patientHash).values()) {
    const sorted = [...own].sort((a, b) => a.at - b.at);
    // Cards of one instant come from one evaluation: the one to compare with is the latest strictly earlier.
    let runAt: number | undefined;
    let previous: number | undefined;
    for (const card of sorted) {
      if (card.at !== runAt) {
        previous = runAt;
        runAt = card.at;
      }
      if (card.inPeriod && previous !== undefined && card.at - previous <= REPEAT_WINDOW_MS) repeats++;
    }
  }
  return repeats;
}

function overrideReasons(items: readonly FeedbackRow[]): RuleFigures['overrideReasons'] {
  const groups = new Map<string, { code: string; display: string | null; displayAt: number; count: number }>();
  for (const item of items) {
    if (item.outcome !== 'overridden') continue;
    const coded = item.overrideCode !== null && item.overrideCode !== '';
    const code = coded ? (item.overrideCode as string) : 'uncoded';
    const key = coded ? JSON.stringify([item.overrideSystem ?? '', code]) : 'uncoded';
    const group = groups.get(key) ?? { code, display: coded ? null : 'No reason given', displayAt: -Infinity, count: 0 };
    group.count++;
    const at = Date.parse(item.outcomeTimestamp);
    if (coded && item.overrideDisplay && (group.display === null || at >= group.displayAt)) {
      group.display = item.overrideDisplay;
      group.displayAt = Number.isNaN(at) ? group.displayAt : at;
    }
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ code: g.code, display: g.display ?? g.code, count: g.count }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

function minutesToFeedback(items: readonly FeedbackRow[], issuedAt: ReadonlyMap<string, number>): number | null {
  const minutes: number[] = [];
  for (const item of items) {
    const issued = issuedAt.get(item.cardUuid);
    const acted = Date.parse(item.outcomeTimestamp);
    if (issued === undefined || Number.isNaN(acted)) continue;
    minutes.push(Math.max(0, (acted - issued) / 60_000));
  }
  const m = median(minutes);
  return m === null ? null : round(m, 1);
}

function ruleFigures(
  rule: { id: string; title: string },
  cards: readonly TimedCard[],
  feedback: readonly FeedbackRow[],
  evaluations: number,
  silentBefore: number,
): RuleFigures {
  const periodCards = cards.filter((c) => c.inPeriod);
  const issuedAt = new Map(periodCards.map((c) => [c.row.cardUuid, c.at]));
  const accepted = feedback.filter((f) => f.outcome === 'accepted');
  const overridden = feedback.filter((f) => f.outcome === 'overridden').length;
  const last = cards.reduce<number | undefined>((max, c) => (max === undefined || c.at > max ? c.at : max), undefined);
  return {
    ruleId: rule.id,
    title: rule.title,
    cards: periodCards.length,
    perHundredEvaluations: evaluations > 0 ? round((periodCards.length / evaluations) * 100, 1) : null,
    feedback: new Set(feedback.map((f) => f.cardUuid)).size,
    accepted: accepted.length,
    overridden,
    overrideRate: wilsonInterval(overridden, accepted.length + overridden),
    suggestionsAccepted: accepted.filter((f) => f.acceptedSuggestion).length,
    overrideReasons: overrideReasons(feedback),
    medianMinutesToFeedback: minutesToFeedback(feedback, issuedAt),
    repeatAlerts: countRepeats(cards),
    lastFired: last === undefined ? null : new Date(last).toISOString(),
    silent: last !== undefined && last < silentBefore,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function computeAlertReport(rows: PeriodRows, query: PeriodQuery, opts: AlertReportOptions): AlertReport {
  const bounds = periodBounds(query);
  const start = bounds.start.getTime();
  const end = bounds.end.getTime();
  const inService = (serviceId: string) => query.service === undefined || serviceId === query.service;

  const evaluations = rows.evaluations.filter((e) => {
    const at = Date.parse(e.evaluatedAt);
    return inService(e.serviceId) && at >= start && at < end;
  }).length;

  const cards = usableCards(rows.cards, query, start, end);
  const periodCardRule = new Map(cards.filter((c) => c.inPeriod).map((c) => [c.row.cardUuid, c.row.ruleId]));
  // Feedback counts only for the period's cards (of the report's service); its rule is the card's.
  const feedback = rows.feedback.filter((f) => inService(f.serviceId) && periodCardRule.has(f.cardUuid));
  const cardsByRule = groupBy(cards, (c) => c.row.ruleId);
  const feedbackByRule = groupBy(feedback, (f) => periodCardRule.get(f.cardUuid) as string);

  const asOf = Math.min(end, Math.max(start, opts.generatedAt.getTime()));
  const silentBefore = asOf - opts.silentDays * DAY_MS;
  const rules = reportRules(opts.rules, cards);
  const figures = rules.map((rule) => ruleFigures(rule, cardsByRule.get(rule.id) ?? [], feedbackByRule.get(rule.id) ?? [], evaluations, silentBefore));

  const weeks = periodWeeks(query);
  const weekly: AlertReport['weekly'] = [];
  const perWeek = new Map<string, number>();
  for (const card of cards) {
    if (!card.inPeriod) continue;
    const key = `${isoWeek(new Date(card.at))} ${card.row.ruleId}`;
    perWeek.set(key, (perWeek.get(key) ?? 0) + 1);
  }
  for (const week of weeks) for (const rule of rules) weekly.push({ week, ruleId: rule.id, cards: perWeek.get(`${week} ${rule.id}`) ?? 0 });

  return {
    from: query.from,
    to: query.to,
    ...(query.service !== undefined ? { service: query.service } : {}),
    generatedAt: opts.generatedAt.toISOString(),
    evaluations,
    rules: figures,
    weekly,
    settings: { silentDays: opts.silentDays, suppressBelow: opts.suppressBelow },
  };
}

// ---- Small-cell suppression, shared by the HTML and CSV renderings ---------------------------------------

export function isSuppressed(count: number, suppressBelow: number): boolean {
  return count > 0 && count < suppressBelow;
}

/** A count as people may see it: "<N" for 1 … N − 1, the number otherwise. */
export function shownCount(count: number, suppressBelow: number): string {
  return isSuppressed(count, suppressBelow) ? `<${suppressBelow}` : String(count);
}

/** none: nothing to compute (0 denominator); suppressed: not shown; shown. */
export type Visibility = 'none' | 'suppressed' | 'shown';

function visibility(denominator: number, revealed: readonly number[], suppressBelow: number): Visibility {
  if (denominator === 0) return 'none';
  if (denominator < suppressBelow || revealed.some((n) => isSuppressed(n, suppressBelow))) return 'suppressed';
  return 'shown';
}

/** Which derived figures of a rule may be shown, and why not. */
export function derivedVisibility(
  rule: RuleFigures,
  evaluations: number,
  suppressBelow: number,
): { perHundredEvaluations: Visibility; feedbackCoverage: Visibility; overrideRate: Visibility; medianMinutesToFeedback: Visibility } {
  const items = rule.accepted + rule.overridden;
  return {
    // The rate gives the numerator back with the denominator next to it: both must be showable.
    perHundredEvaluations: visibility(evaluations, [rule.cards], suppressBelow),
    feedbackCoverage: visibility(rule.cards, [rule.feedback], suppressBelow),
    overrideRate: visibility(items, [rule.accepted, rule.overridden], suppressBelow),
    medianMinutesToFeedback: visibility(items, [], suppressBelow),
  };
}
