/**
 * FHIR repeating elements as arrays. Clients do send a lone object where an array belongs (the CDS Hooks
 * order-select example has `"doseAndRate": {...}`); reading it as a one-element array beats throwing.
 */
export function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
