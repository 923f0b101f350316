/**
 * Shape limits for parsed JSON bodies (nesting depth, string length, array length): the body-size limit alone
 * still lets 1 MB of `[[[[…` or a single huge string through to code that walks or copies it.
 * Iterative, so a hostile depth cannot overflow the stack of the check itself.
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

/** A value still to visit; the path is rebuilt from parent links only when a violation is reported. */
interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
}

function pathOf(frame: Frame): (string | number)[] {
  const out: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) out.push(f.key!);
  return out.reverse();
}

/**
 * The first violation in document order, or undefined when the value is within all limits. Also removes
 * `__proto__`, `constructor` and `prototype` keys (see safeJson.ts) from the value, in place.
 */
export function checkJsonLimits(value: unknown, limits: JsonLimits): JsonLimitViolation | undefined {
  const stack: Frame[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value: v, depth, key } = frame;
    // Keys are checked when their member is visited, so violations come out in document order.
    if (typeof key === 'string' && key.length > limits.maxStringLength) {
      return { kind: 'string', limit: limits.maxStringLength, path: [...pathOf(frame).slice(0, -1), key.slice(0, 64)] };
    }
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) return { kind: 'string', limit: limits.maxStringLength, path: pathOf(frame) };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limits.maxJsonDepth) return { kind: 'depth', limit: limits.maxJsonDepth, path: pathOf(frame) };
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) return { kind: 'array', limit: limits.maxArrayLength, path: pathOf(frame) };
      // Pushed in reverse so the first element is examined first.
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: frame, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      // The same walk drops prototype-pollution keys in place: cheaper than a JSON.parse reviver, which would
      // call back into JavaScript for every value of every request.
      if (isUnsafeKey(k)) {
        delete (v as Record<string, unknown>)[k];
        continue;
      }
      stack.push({ value: (v as Record<string, unknown>)[k], key: k, parent: frame, depth: depth + 1 });
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
