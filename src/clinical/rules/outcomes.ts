/** Small builders of rule evaluations shared by the rule files. */
import { missingKeysOf, type Unknown } from '../tri';
import type { NotCheckedCause, RuleEvaluation } from './types';

/** The cause that matters most to a reader: data not obtained, then an unidentified record, then a comparator. */
function causeOf(u: Unknown): NotCheckedCause {
  if (u.reasons.some((r) => r.cause === 'unavailable')) return 'unavailable';
  if (u.reasons.some((r) => r.cause === 'unidentified')) return 'unidentified';
  return 'ambiguous';
}

/** "Not checked" because an answer the rule needs is not known. */
export function notChecked(reason: string, u: Unknown): Extract<RuleEvaluation<never>, { status: 'not-checked' }> {
  const keys = missingKeysOf(u);
  return { status: 'not-checked', reason, cause: causeOf(u), ...(keys.length > 0 ? { keys } : {}) };
}

/** "Not checked" because the data is not in the look-back window (or not on file). */
export function absent(reason: string): Extract<RuleEvaluation<never>, { status: 'not-checked' }> {
  return { status: 'not-checked', reason, cause: 'absent' };
}
