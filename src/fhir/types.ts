/**
 * Contracts of the FHIR data layer: one data session per CDS request turns its prefetch (+ fhirServer) into
 * patient resources, reports the prefetch keys it could not obtain instead of failing, and reads the
 * Medications that patient records reference.
 */
import type { FhirResource, Medication } from 'fhir/r4';
import type { CompiledTemplates } from './templates';

/** The parts of a validated CDS Hooks request the data layer reads. */
export interface DataRequest {
  /**
   * Hook context (patientId, userId, encounterId are the only template tokens; the Medications of
   * `draftOrders`, when it is a Bundle, are never read from the server).
   */
  context: Record<string, unknown>;
  prefetch?: Record<string, unknown>;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type?: string };
}

/** How each prefetch key was satisfied, for logging and the verification summary. */
export type KeySource = 'prefetch' | 'prefetch-null' | 'fetched' | 'unavailable';

/** The outcome of reading one referenced Medication (GET {fhirServer}/Medication/{id}). */
export type MedicationRead =
  | { status: 'found'; medication: Medication }
  /** 404/410: the server has no such Medication. */
  | { status: 'not-found' }
  /**
   * Timeout, budget, network, 401/403/5xx, unusable body (not JSON, not a Medication, an OperationOutcome,
   * too large), no fhirServer, not allow-listed, or a reference that is not readable on this server.
   */
  | { status: 'failed'; reason: string };

/** A prefetch key that could not be obtained, with what it would have held. */
export interface MissingKey {
  key: string;
  /** Why (a status, a limit, an error code; never a URL, patient id or token). */
  reason: string;
  /** The resource type of the key's template ("Observation"). */
  resourceType: string;
  /** The codes of the template's `code` parameter ("system|code"), when it has one. */
  codes?: readonly string[];
}

export interface PatientData {
  /** Every non-Medication resource obtained (Bundles unpacked, OperationOutcomes dropped, deduplicated by type/id). */
  resources: FhirResource[];
  /** Every Medication: those in prefetch values / fetched bundles, plus those read with GET Medication/{id}. */
  medications: Medication[];
  sources: Record<string, KeySource>;
  /**
   * Keys that could not be obtained (source "unavailable"), in template order; [] when complete. Everything
   * that was obtained is returned all the same. A `null` prefetch value is "no data", not missing; a key read
   * only in part (paging cut short) is in truncatedKeys, not here.
   */
  missing: MissingKey[];
  /**
   * Keys whose search had more pages than were read (fhir.maxPages reached, or a `next` link leaving the FHIR
   * server): their data is the first pages only. Absent when every key is complete.
   */
  truncatedKeys?: string[];
  /**
   * "Medication/<id>" referenced by a patient MedicationRequest/MedicationStatement that could not be read,
   * with the reason (404 included as "not found on the FHIR server"). Absent when none.
   */
  medicationReadFailures?: Record<string, string>;
}

/**
 * Thrown by the pipeline (not by the data layer) when required data cannot be obtained: the HTTP layer
 * answers 412 with an OperationOutcome naming `missingKeys` and their `reasons`.
 */
export class DataUnavailableError extends Error {
  override readonly name = 'DataUnavailableError';
  constructor(
    /** Prefetch keys, or (for `where: 'draftOrders'`) the Medication references of draft orders. */
    readonly missingKeys: string[],
    readonly reasons: Record<string, string>,
    /** What the keys name: prefetch keys, or Medications referenced by `context.draftOrders`. */
    readonly where: 'prefetch' | 'draftOrders' = 'prefetch',
  ) {
    super(`required data unavailable: ${missingKeys.join(', ')}`);
  }
}

/** prefetch templates of one service, keyed by prefetch key. */
export type PrefetchTemplates = Record<string, string>;

/**
 * The data access of one CDS request. Every network call of the session shares the request's allow-listed
 * fhirServer, its fhirAuthorization token, fhir.requestTimeoutMs per call and ONE fhir.budgetMs budget
 * (started at the session's first network call), key fetches and Medication reads alike.
 */
export interface DataSession {
  /** Medication resources carried in the request's prefetch values (a resource or Bundle entries); no network. */
  prefetchedMedications(): Medication[];
  /**
   * GET {fhirServer}/Medication/{id} for each reference (relative "Medication/id", or an absolute URL under
   * this request's fhirServer base; anything else → failed "not readable"), in parallel, each id at most
   * once per session (results cached in the session). The map is keyed by the references as given.
   */
  readMedications(references: readonly string[]): Promise<Map<string, MedicationRead>>;
  /**
   * Every key of the templates (all absent keys fetched in parallel). Then, in one more parallel round, reads
   * the Medications referenced by the obtained MedicationRequest/MedicationStatement resources'
   * `medicationReference.reference` that are not contained ("#id"), not among the prefetched/fetched
   * Medications and not in the request's context.draftOrders Bundle, reusing any result readMedications
   * already has. Never throws for missing data: see PatientData.missing.
   */
  obtain(templates: CompiledTemplates): Promise<PatientData>;
}

export interface PatientDataSource {
  /** Open the data session of one CDS request; `signal` cancels its calls (client gone, shutdown). */
  session(request: DataRequest, signal?: AbortSignal): DataSession;
}
