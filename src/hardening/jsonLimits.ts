/**
 * Shape limits for parsed JSON bodies (nesting depth, string length, array length): the body-size limit alone
 * still lets 1 MB of `[[[[…` or a single huge string through to code that walks or copies it.
 * A hostile depth cannot overflow the stack: the walk never goes deeper than the limit it enforces.
 */
import type { AppConfig } from '../config';
import { isUnsafeKey } from './safeJson';

export type JsonLimits = AppConfig['limits'];

export interface JsonLimitViolation {
  kind: 'depth' | 'string' | 'array';
  limit: number;
  /** Where it was found, e.g. ["context", "draftOrders", "entry", 3]; a too-long object key is reported at its own path (clipped to 64 chars). */
  path: (string | number)[];
}

/**
 * The first violation in document order, or undefined when the value is within all limits. Also removes
 * `__proto__`, `constructor` and `prototype` keys (see safeJson.ts) from the value, in place.
 */
export function checkJsonLimits(value: unknown, limits: JsonLimits): JsonLimitViolation | undefined {
  const violation = visit(value, 0, limits);
  violation?.path.reverse();
  return violation;
}

/**
 * Recursive, allocation-free on the way down (this runs on every request body): the recursion is at most
 * maxJsonDepth deep, because a value nested deeper is reported before its children are visited. The path is
 * collected innermost-first on the way out of a violation only.
 */
function visit(v: unknown, depth: number, limits: JsonLimits): JsonLimitViolation | undefined {
  if (typeof v === 'string') return v.length > limits.maxStringLength ? { kind: 'string', limit: limits.maxStringLength, path: [] } : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth + 1 > limits.maxJsonDepth) return { kind: 'depth', limit: limits.maxJsonDepth, path: [] };
  if (Array.isArray(v)) {
    if (v.length > limits.maxArrayLength) return { kind: 'array', limit: limits.maxArrayLength, path: [] };
    for (let i = 0; i < v.length; i++) {
      const violation = visit(v[i], depth + 1, limits);
      if (violation) {
        violation.path.push(i);
        return violation;
      }
    }
    return undefined;
  }
  const record = v as Record<string, unknown>;
  // for…in over a parsed JSON object sees exactly its own keys (Object.prototype has no enumerable ones), and
  // needs no array of keys per object.
  for (const key in record) {
    // The same walk drops prototype-pollution keys in place: cheaper than a JSON.parse reviver, which would
    // call back into JavaScript for every value of every request.
    if (isUnsafeKey(key)) {
      delete record[key];
      continue;
    }
    if (key.length > limits.maxStringLength) return { kind: 'string', limit: limits.maxStringLength, path: [key.slice(0, 64)] };
    const violation = visit(record[key], depth + 1, limits);
    if (violation) {
      violation.path.push(key);
      return violation;
    }
  }
  return undefined;
}

/** "context.draftOrders.entry[3].resource" — for a 400 body or a log line. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
}
