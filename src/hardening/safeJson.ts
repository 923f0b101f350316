/**
 * Prototype-pollution guard for request JSON. JSON.parse itself creates "__proto__" as an own property, so the
 * parsed value is harmless — until some code copies or merges it into another object. checkJsonLimits
 * (jsonLimits.ts) removes these keys from every request body in the walk it already makes, so no later code has
 * to remember. FHIR and CDS Hooks never use them.
 */

const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isUnsafeKey(key: string): boolean {
  // Called for every key of every request body: a length test rules out almost every key before the set.
  return (key.length === 9 || key.length === 11) && UNSAFE_KEYS.has(key);
}
