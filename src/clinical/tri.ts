/**
 * Three-valued answers for the rules (docs/clinical-rules.md §2 labs, §7 partial data). A question about the
 * patient is answered yes, no, or "not known" with the reasons: data the EHR could not supply (a missing
 * prefetch key), a lab value with a comparator that straddles the threshold (`<60` against 40), or an
 * imatinib history that could not be established (an unidentified medication record).
 * A rule fires only on "yes", passes only on "no", and is "not checked" otherwise.
 */

export type UnknownCause = 'unavailable' | 'ambiguous' | 'unidentified';

export interface UnknownReason {
  /** For people: "no data from the EHR for labs", "eGFR <60 may be above or below 40". */
  text: string;
  cause: UnknownCause;
  /** Prefetch keys whose data was missing (cause "unavailable"). */
  keys?: readonly string[];
}

export interface Unknown {
  readonly unknown: true;
  readonly reasons: readonly UnknownReason[];
}

export type Tri = boolean | Unknown;

export function unknown(...reasons: UnknownReason[]): Unknown {
  return { unknown: true, reasons: dedupe(reasons) };
}

export function isUnknown(t: unknown): t is Unknown {
  return typeof t === 'object' && t !== null && (t as Partial<Unknown>).unknown === true;
}

function dedupe(reasons: readonly UnknownReason[]): UnknownReason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const k = `${r.cause}|${r.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function reasonsOf(values: readonly Tri[]): UnknownReason[] {
  return values.flatMap((v) => (isUnknown(v) ? v.reasons : []));
}

/** false if any is false; true if all are true; otherwise unknown. */
export function and(...values: Tri[]): Tri {
  if (values.some((v) => v === false)) return false;
  if (values.every((v) => v === true)) return true;
  return unknown(...reasonsOf(values));
}

/** true if any is true; false if all are false; otherwise unknown. */
export function or(...values: Tri[]): Tri {
  if (values.some((v) => v === true)) return true;
  if (values.every((v) => v === false)) return false;
  return unknown(...reasonsOf(values));
}

export function not(value: Tri): Tri {
  return isUnknown(value) ? value : !value;
}

/** The reasons as one phrase: "no data from the EHR for labs; eGFR <60 may be above or below 40". */
export function reasonText(u: Unknown): string {
  return u.reasons.map((r) => r.text).join('; ');
}

/** The prefetch keys behind an unknown (cause "unavailable"), each once. */
export function missingKeysOf(u: Unknown): string[] {
  return [...new Set(u.reasons.flatMap((r) => r.keys ?? []))];
}
