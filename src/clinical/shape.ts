/**
 * Defensive reads of FHIR shapes. Clients send a lone object where an array belongs (the CDS Hooks
 * order-select example has `"doseAndRate": {...}`), numbers where strings belong, and nulls; the clinical
 * core reads through these helpers so that malformed data gives absent facts instead of a crash.
 */

/** A repeating element as an array of objects (a lone object becomes a one-element array; junk is dropped). */
export function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((x): x is T => typeof x === 'object' && x !== null);
}

/** A string element, or undefined when it is missing or not a string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Strings of a repeating string element (e.g. meta.profile). */
export function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
}

/** table[key] for a key that comes from input: own properties only, so "constructor" is not a unit. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
