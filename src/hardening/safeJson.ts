/**
 * Prototype-pollution guard for request JSON. JSON.parse itself creates "__proto__" as an own property, so the
 * parsed value is harmless — until some code copies or merges it into another object. Dropping these keys at
 * parse time means no later code has to remember. FHIR and CDS Hooks never use them.
 */

const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isUnsafeKey(key: string): boolean {
  return UNSAFE_KEYS.has(key);
}

/** A JSON.parse reviver (also usable as express.json({ reviver })) that removes the unsafe keys everywhere. */
export function safeJsonReviver(this: unknown, key: string, value: unknown): unknown {
  return UNSAFE_KEYS.has(key) ? undefined : value;
}

/** JSON.parse without the unsafe keys; throws SyntaxError like JSON.parse. */
export function safeJsonParse(text: string): unknown {
  return JSON.parse(text, safeJsonReviver);
}
