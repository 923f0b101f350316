/** Minimal FHIR OperationOutcome bodies for errors raised before the protocol layer (401, 429). */
import type { OperationOutcome } from 'fhir/r4';

export type IssueCode = OperationOutcome['issue'][number]['code'];

export function errorOutcome(code: IssueCode, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
