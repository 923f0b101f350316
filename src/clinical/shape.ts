/**
 * Defensive reads of FHIR shapes. Clients send a lone object where an array belongs (the CDS Hooks
 * order-select example has `"doseAndRate": {...}`), numbers where strings belong, and nulls; the clinical
 * core reads through these helpers so that malformed data gives absent facts instead of a crash.
 */

const EMPTY: readonly never[] = Object.freeze([]);

const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null;

/**
 * A repeating element as an array of objects (a lone object becomes a one-element array; junk is dropped).
 * Read-only: a well-formed array (the usual case) is returned as it is, without a copy.
 */
export function asArray<T>(value: T | readonly T[] | undefined | null): readonly T[] {
  if (value === undefined || value === null) return EMPTY;
  if (!Array.isArray(value)) return isObject(value) ? [value as T] : EMPTY;
  const list = value as readonly T[];
  for (let i = 0; i < list.length; i++) if (!isObject(list[i])) return list.filter(isObject);
  return list;
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
