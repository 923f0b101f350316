/**
 * Shape limits for parsed JSON bodies (nesting depth, string length, array length): the body-size limit alone
 * still lets 1 MB of `[[[[…` or a single huge string through to code that walks or copies it.
 * Iterative, so a hostile depth cannot overflow the stack of the check itself.
 */
import type { AppConfig } from '../config';

export type JsonLimits = AppConfig['limits'];

export interface JsonLimitViolation {
  kind: 'depth' | 'string' | 'array';
  limit: number;
  /** Where it was found, e.g. ["context", "draftOrders", "entry", 3]; an object key that is too long is reported at its own path. */
  path: (string | number)[];
}

interface Frame {
  value: unknown;
  path: (string | number)[];
  depth: number;
}

/** The first violation in document order, or undefined when the value is within all limits. */
export function checkJsonLimits(value: unknown, limits: JsonLimits): JsonLimitViolation | undefined {
  const stack: Frame[] = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) return { kind: 'string', limit: limits.maxStringLength, path };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limits.maxJsonDepth) return { kind: 'depth', limit: limits.maxJsonDepth, path };
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) return { kind: 'array', limit: limits.maxArrayLength, path };
      // Pushed in reverse so the first element is examined first.
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i], depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k.length > limits.maxStringLength) return { kind: 'string', limit: limits.maxStringLength, path: [...path, k.slice(0, 64)] };
      stack.push({ value: (v as Record<string, unknown>)[k], path: [...path, k], depth: depth + 1 });
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
