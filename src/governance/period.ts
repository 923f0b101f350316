/**
 * The reporting period of the alert report: parsed from query parameters (HTTP) or command-line options, and
 * turned into the instants the stores query with. A period is whole UTC days, `from` and `to` inclusive; its
 * instants are [start, end) with end = the day after `to`, 00:00Z. The stores also read the cards of the
 * REPEAT_WINDOW_DAYS before the period, so that the first cards of a period can be recognised as repeats.
 */
import type { PeriodQuery } from './types';

const DAY_MS = 86_400_000;

/** Without `from`, the period is the last DEFAULT_PERIOD_DAYS days up to `to` (both inclusive). */
export const DEFAULT_PERIOD_DAYS = 90;
/** Longest period (about ten years): bounds what one report reads from the store. */
export const MAX_PERIOD_DAYS = 3660;
/** A card is a repeat when the same rule fired for the same patient within this many days before it. */
export const REPEAT_WINDOW_DAYS = 30;

export type ParsedPeriod = { ok: true; query: PeriodQuery } | { ok: false; problems: string[] };

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Midnight UTC of a YYYY-MM-DD calendar day, or undefined when the text is not exactly that or not a real day
 * (2026-02-30, 2026-13-01). Date.parse is not used: it accepts other shapes and rolls invalid days over.
 */
export function parseDay(text: string): Date | undefined {
  const m = DAY_PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps the years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  return date;
}

/** YYYY-MM-DD of the UTC day of an instant. */
export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** A parameter value quoted for a message, never long (the value may be anything a client sent). */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** One string value of a parameter; an array (`?from=a&from=b`) or an object (`?from[x]=a`) is a problem. */
function singleString(name: string, value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    problems.push(`${name}: give one value, got ${value.length}`);
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push(`${name}: expected a single text value`);
    return undefined;
  }
  return value;
}

function dayParam(name: string, value: unknown, problems: string[]): Date | undefined {
  const text = singleString(name, value, problems);
  if (text === undefined) return undefined;
  const day = parseDay(text);
  if (!day) problems.push(`${name}: expected a calendar date YYYY-MM-DD, got ${quote(text)}`);
  return day;
}

/**
 * The period of a report from its parameters (each optional): `to` defaults to today (UTC), `from` to
 * DEFAULT_PERIOD_DAYS − 1 days before `to`. Every problem is reported, each naming its parameter.
 */
export function parsePeriod(params: { from?: unknown; to?: unknown; service?: unknown }, now: Date, knownServices?: readonly string[]): ParsedPeriod {
  const problems: string[] = [];
  const from = dayParam('from', params.from, problems);
  const fromBad = params.from !== undefined && from === undefined;
  const givenTo = dayParam('to', params.to, problems);
  const toBad = params.to !== undefined && givenTo === undefined;
  const to = givenTo ?? new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);

  const service = singleString('service', params.service, problems);
  if (service !== undefined) {
    if (service === '') problems.push('service: must not be empty');
    else if (knownServices && !knownServices.includes(service)) {
      problems.push(`service: unknown service ${quote(service)}; known: ${knownServices.join(', ')}`);
    }
  }

  // The relation between the two days is only checked when both are valid, so one mistake gives one message.
  if (!fromBad && !toBad) {
    const start = from ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
    const days = Math.round((to.getTime() - start.getTime()) / DAY_MS) + 1;
    if (start.getUTCFullYear() < 1) problems.push(`from: the default period would start before the year 1; give from`);
    else if (days < 1) problems.push(`from (${formatDay(start)}) must not be after to (${formatDay(to)})`);
    else if (days > MAX_PERIOD_DAYS) problems.push(`the period from ${formatDay(start)} to ${formatDay(to)} covers ${days} days; at most ${MAX_PERIOD_DAYS}`);
    if (problems.length === 0) {
      const query: PeriodQuery = { from: formatDay(start), to: formatDay(to) };
      if (service !== undefined) query.service = service;
      return { ok: true, query };
    }
  }
  return { ok: false, problems };
}

/** The period's instants: start = `from` 00:00Z (inclusive), end = the day after `to` 00:00Z (exclusive). */
export function periodBounds(query: PeriodQuery): { start: Date; end: Date } {
  const from = parseDay(query.from);
  const to = parseDay(query.to);
  if (!from || !to) throw new RangeError(`invalid period ${query.from}..${query.to}`);
  return { start: from, end: addDays(to, 1) };
}

/** From when the stores read cards: REPEAT_WINDOW_DAYS before the period's start. */
export function repeatWindowStart(query: PeriodQuery): Date {
  return addDays(periodBounds(query).start, -REPEAT_WINDOW_DAYS);
}

/** Number of days of the period (both ends inclusive). */
export function periodDays(query: PeriodQuery): number {
  const { start, end } = periodBounds(query);
  return Math.round((end.getTime() - start.getTime()) / DAY_MS);
}
