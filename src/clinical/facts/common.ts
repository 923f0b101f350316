/** Small shared helpers of the fact extractors: which records are "real" (docs/clinical-rules.md §1), dates, references. */
import type { Condition, Observation, Resource } from 'fhir/r4';
import { asString } from '../shape';
import { codingsOf } from '../terminology/systems';

const REAL_OBSERVATION = new Set(['final', 'amended', 'corrected']);
const PENDING_OBSERVATION = new Set(['preliminary', 'registered']);
const LIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const VOID_VERIFICATION = new Set(['entered-in-error', 'refuted']);

export function isRealObservation(o: Observation): boolean {
  return REAL_OBSERVATION.has(o.status);
}

/** preliminary/registered: a result on its way, never a result itself. */
export function isPendingObservation(o: Observation): boolean {
  return PENDING_OBSERVATION.has(o.status);
}

/** A status coding's code, trimmed and lower-cased; '' when there is none. */
function statusCode(c: { code?: unknown }): string {
  const code = asString(c.code);
  return code === undefined ? '' : code.trim().toLowerCase();
}

// These run for every Condition of every request: loops without intermediate arrays.

/** clinicalStatus active/recurrence/relapse (or absent) and verificationStatus not entered-in-error/refuted. */
export function isRealCondition(c: Condition): boolean {
  let coded = false;
  let live = false;
  for (const coding of codingsOf(c.clinicalStatus)) {
    const s = statusCode(coding);
    if (s === '') continue;
    coded = true;
    if (LIVE_CLINICAL.has(s)) live = true;
  }
  if (coded && !live) return false;
  return !isVoidCondition(c);
}

/** verificationStatus entered-in-error or refuted: the diagnosis was never true. */
export function isVoidCondition(c: Condition): boolean {
  for (const coding of codingsOf(c.verificationStatus)) if (VOID_VERIFICATION.has(statusCode(coding))) return true;
  return false;
}

/** The clinicalStatus code ("remission"), when there is one. */
export function clinicalStatusOf(c: Condition): string | undefined {
  for (const coding of codingsOf(c.clinicalStatus)) {
    const s = statusCode(coding);
    if (s !== '') return s;
  }
  return undefined;
}

export function isAbated(c: Condition): boolean {
  return (
    c.abatementDateTime !== undefined ||
    c.abatementPeriod !== undefined ||
    c.abatementAge !== undefined ||
    c.abatementRange !== undefined ||
    c.abatementString !== undefined
  );
}

export function ref(r: Resource): string {
  return `${r.resourceType}/${asString(r.id) ?? ''}`;
}

/** Clinically relevant time of an Observation: effective[x], else issued. */
export function observationDate(o: Observation): string | undefined {
  return firstDate(o.effectiveDateTime, o.effectiveInstant, o.effectivePeriod?.start, o.effectivePeriod?.end, o.issued);
}

export function conditionDate(c: Condition): string | undefined {
  return firstDate(c.onsetDateTime, c.onsetPeriod?.start, c.recordedDate);
}

/** The first candidate that is a parseable date string. */
export function firstDate(...candidates: unknown[]): string | undefined {
  for (const c of candidates) if (typeof c === 'string' && parse(c) !== undefined) return c;
  return undefined;
}

const DAY_MS = 86_400_000;

function hasTime(date: string): boolean {
  return date.length > 10;
}

const PARSED_MAX = 4096;
/** Date strings repeat across a request's resources; parsed values are memoised (bounded: they come from outside). */
const parsed = new Map<string, number | undefined>();

function parse(date: string): number | undefined {
  const hit = parsed.get(date);
  if (hit !== undefined || parsed.has(date)) return hit;
  const t = Date.parse(date);
  const value = Number.isNaN(t) ? undefined : t;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(date, value);
  return value;
}

/** A date is usable when it parses. */
export function isDate(date: string | undefined): date is string {
  return date !== undefined && parse(date) !== undefined;
}

/** YYYY-MM-DD for card text. */
export function day(date: string): string {
  return date.slice(0, 10);
}

/**
 * a strictly after b. With a date-only value on either side the comparison is by calendar day, so a status
 * recorded on the day therapy started is not "after" it.
 */
export function isAfter(a: string, b: string): boolean {
  if (!hasTime(a) || !hasTime(b)) return day(a) > day(b);
  const ta = parse(a);
  const tb = parse(b);
  return ta !== undefined && tb !== undefined && ta > tb;
}

/** Order for "latest": by time, date-only values at the start of their day. */
export function compareDates(a: string, b: string): number {
  return (parse(a) ?? 0) - (parse(b) ?? 0);
}

/**
 * True when `date` lies within the last `days` days of `now` (date-only values by calendar day, so a result
 * dated 30 days ago is inside a 30-day window all day). Up to one day in the future is tolerated (time zones).
 */
export function withinDays(date: string, now: Date, days: number): boolean {
  const t = parse(date);
  if (t === undefined) return false;
  const age = hasTime(date) ? (now.getTime() - t) / DAY_MS : Math.floor(now.getTime() / DAY_MS) - Math.floor(t / DAY_MS);
  return age <= days && age >= -1;
}

/** The latest item by date (undated items ignored); ties go to the later one in input order. */
export function latest<T>(items: Iterable<T>, dateOf: (t: T) => string | undefined): { item: T; date: string } | undefined {
  let best: { item: T; date: string } | undefined;
  for (const item of items) {
    const date = dateOf(item);
    if (!isDate(date)) continue;
    if (!best || compareDates(date, best.date) >= 0) best = { item, date };
  }
  return best;
}
