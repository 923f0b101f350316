/** Contracts of the FHIR data layer: turning a request's prefetch (+ fhirServer) into patient resources. */
import type { FhirResource } from 'fhir/r4';
import type { CompiledTemplates } from './templates';

/** The parts of a validated CDS Hooks request the data layer reads. */
export interface DataRequest {
  /** Hook context (patientId, userId, encounterId are the only template tokens). */
  context: Record<string, unknown>;
  prefetch?: Record<string, unknown>;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type?: string };
}

/** How each prefetch key was satisfied, for logging and the verification summary. */
export type KeySource = 'prefetch' | 'prefetch-null' | 'fetched' | 'unavailable';

export interface PatientData {
  /** Every resource obtained (Bundles unpacked, OperationOutcomes dropped, deduplicated by type/id). */
  resources: FhirResource[];
  sources: Record<string, KeySource>;
  /**
   * Keys whose search had more pages than were read (fhir.maxPages reached, or a `next` link leaving the FHIR
   * server): their data is the first pages only. Absent when every key is complete.
   */
  truncatedKeys?: string[];
}

/**
 * Thrown when required data cannot be obtained (no prefetch and no reachable/authorised FHIR server, timeout,
 * 401/403/5xx): the HTTP layer answers 412 with an OperationOutcome naming `missingKeys`.
 */
export class DataUnavailableError extends Error {
  override readonly name = 'DataUnavailableError';
  constructor(
    readonly missingKeys: string[],
    readonly reasons: Record<string, string>,
  ) {
    super(`required data unavailable: ${missingKeys.join(', ')}`);
  }
}

/** prefetch templates of one service, keyed by prefetch key. */
export type PrefetchTemplates = Record<string, string>;

export interface PatientDataSource {
  /**
   * Resolve every key of `templates` from the request's prefetch, fetching what is absent. Pass the result of
   * compileTemplates (start-up); a raw templates object is compiled on first use and cached by identity.
   */
  obtain(templates: PrefetchTemplates | CompiledTemplates, request: DataRequest, signal?: AbortSignal): Promise<PatientData>;
}
