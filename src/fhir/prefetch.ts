/**
 * PatientDataSource: one data session per CDS request. A session resolves every prefetch key of a service
 * from the request's prefetch or, when absent, from the CDS client's FHIR server (CDS Hooks 2.0 §Prefetch,
 * checklist R4–R5), and reads the Medications that patient records reference.
 *
 * Per key:
 *  - a resource or Bundle → used (Bundles unpacked; a searchset with a `next` link is read to the end);
 *  - `null` → known to have no data: nothing is fetched (not missing);
 *  - absent → fetched from fhirServer (all such keys in parallel);
 *  - an OperationOutcome → fetched like an absent key, or, with fhir.onPrefetchOperationOutcome = "fail",
 *    missing;
 *  - any other value (not a FHIR resource) → fetched like an absent key.
 * A key that cannot be obtained (fetch failed, timed out, exceeded the budget or the size cap, 401/403/5xx,
 * unusable body, no usable fhirServer, a paged prefetch whose remaining pages cannot be read) is reported in
 * PatientData.missing with its reason; everything that was obtained is returned all the same. The data
 * layer never throws for missing data: the caller decides (the pipeline answers 412).
 *
 * After the keys, obtain() reads, in one parallel round, the Medications referenced by the patient's
 * MedicationRequests/MedicationStatements that the request does not carry. All network calls of a session
 * share the allow-listed fhirServer, the access token, fhir.requestTimeoutMs per call and one
 * fhir.budgetMs budget. Nothing is cached across sessions; the access token is used for the calls and never
 * logged, nor are URLs or patient ids.
 */
import type { Bundle, FhirResource, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4';
import type winston from 'winston';
import type { AppConfig } from '../config';
import { ServerAllowList, checkFhirServer, type ServerCheck } from './allowlist';
import { bundleResources, createFhirClient, isResourceLike, nextLink, type FetchDeadline, type FhirClient, type FhirTarget, type KeyFetchResult } from './client';
import { medicationTarget, relativeReference } from './references';
import { resolveTemplate, type CompiledTemplate, type CompiledTemplates } from './templates';
import type { DataRequest, DataSession, KeySource, MedicationRead, MissingKey, PatientData, PatientDataSource } from './types';

export interface PatientDataSourceDeps {
  logger: winston.Logger;
  fetchImpl?: typeof fetch;
}

interface KeyResult {
  key: string;
  source: KeySource;
  resources: FhirResource[];
  reason?: string;
  status?: number;
  truncated?: boolean;
}

/** What one session shares between its calls: the server check, the lazily started budget, the reads. */
interface SessionState {
  request: DataRequest;
  server: ServerCheck;
  signal?: AbortSignal;
  deadline?: FetchDeadline;
  /** Medication reads by id, started at most once per session. */
  reads: Map<string, Promise<MedicationRead>>;
  prefetchedMedications?: Medication[];
}

const NOT_FOUND_REASON = 'not found on the FHIR server';

/**
 * Resources without OperationOutcomes, each type/id once (the first wins). Ids are kept per resource type, so
 * no "Type/id" string is built (and hashed) for each of a record's thousands of resources.
 */
function dedupe<T extends FhirResource>(resources: readonly T[]): T[] {
  const seen = new Map<string, Set<string>>();
  const out: T[] = [];
  for (const r of resources) {
    if (r.resourceType === 'OperationOutcome') continue;
    if (typeof r.id === 'string' && r.id !== '') {
      let ids = seen.get(r.resourceType);
      if (!ids) seen.set(r.resourceType, (ids = new Set()));
      if (ids.has(r.id)) continue;
      ids.add(r.id);
    }
    out.push(r);
  }
  return out;
}

const isMedication = (r: FhirResource): r is Medication => r.resourceType === 'Medication';

/** Medications in prefetch values: a Medication value, or Medication entries of a Bundle value. */
function medicationsIn(prefetch: Record<string, unknown> | undefined): Medication[] {
  const found: Medication[] = [];
  for (const value of Object.values(prefetch ?? {})) {
    if (!isResourceLike(value)) continue;
    if (isMedication(value)) found.push(value);
    else if (value.resourceType === 'Bundle') found.push(...bundleResources(value).filter(isMedication));
  }
  return dedupe(found);
}

/** The names by which references can point at Medications the request already has: "Medication/id", fullUrl. */
function knownMedicationNames(medications: Medication[], draftOrders: unknown): Set<string> {
  const names = new Set<string>();
  for (const m of medications) if (typeof m.id === 'string' && m.id !== '') names.add(`Medication/${m.id}`);
  if (isResourceLike(draftOrders) && draftOrders.resourceType === 'Bundle') {
    const entries: unknown = (draftOrders as Bundle).entry;
    for (const entry of Array.isArray(entries) ? (entries as NonNullable<Bundle['entry']>) : []) {
      const resource: unknown = entry?.resource;
      if (!isResourceLike(resource) || !isMedication(resource)) continue;
      if (typeof resource.id === 'string' && resource.id !== '') names.add(`Medication/${resource.id}`);
      if (typeof entry.fullUrl === 'string') names.add(entry.fullUrl);
    }
  }
  return names;
}

/** As the clinical lookup resolves a reference: the reference itself, or its "Type/id" tail. */
function isKnown(reference: string, names: Set<string>): boolean {
  if (names.has(reference)) return true;
  const relative = relativeReference(reference);
  return relative !== undefined && names.has(relative);
}

/** The name of a reference in medicationReadFailures: its "Type/id", never a URL. */
function failureName(reference: string): string {
  return relativeReference(reference) ?? (reference.includes('://') ? 'a Medication URL reference' : reference);
}

/** `medicationReference.reference` of patient MedicationRequests/MedicationStatements, not contained. */
function referencedMedications(resources: FhirResource[]): string[] {
  const out: string[] = [];
  for (const r of resources) {
    if (r.resourceType !== 'MedicationRequest' && r.resourceType !== 'MedicationStatement') continue;
    const reference: unknown = (r as MedicationRequest | MedicationStatement).medicationReference?.reference;
    if (typeof reference !== 'string') continue;
    const text = reference.trim();
    if (text === '' || text.startsWith('#')) continue;
    out.push(text);
  }
  return [...new Set(out)];
}

export function createPatientDataSource(cfg: AppConfig['fhir'], deps: PatientDataSourceDeps): PatientDataSource {
  const allowList = new ServerAllowList(cfg.allowedServers);
  const client: FhirClient = createFhirClient(cfg, { allowList, budgetMs: cfg.budgetMs, fetchImpl: deps.fetchImpl });
  const { logger } = deps;

  // The budget starts with the first network call of the session, so a fully prefetched request pays nothing.
  function deadlineOf(s: SessionState): FetchDeadline {
    if (!s.deadline) {
      const timeout = AbortSignal.timeout(cfg.budgetMs);
      s.deadline = { budget: s.signal ? AbortSignal.any([timeout, s.signal]) : timeout, cancel: s.signal };
    }
    return s.deadline;
  }

  function targetOf(s: SessionState): { target: FhirTarget } | { reason: string } {
    if (!s.server.ok) return { reason: s.server.reason };
    const token = s.request.fhirAuthorization?.access_token;
    return { target: { base: s.server.base, origin: s.server.origin, ...(token ? { token } : {}) } };
  }

  function fromFetch(key: string, result: KeyFetchResult, started: number, extra: FhirResource[] = [], source: KeySource = 'fetched'): KeyResult {
    const ms = Math.round(performance.now() - started);
    if (!result.ok) return { key, source: 'unavailable', resources: [], reason: result.reason, ...(result.status !== undefined ? { status: result.status } : {}) };
    if (result.truncated) logger.warn('prefetch key truncated: more pages than read', { key, pages: result.pages, maxPages: cfg.maxPages });
    // winston formats a line before it drops it by level: a disabled debug line must not be built at all.
    if (logger.isDebugEnabled()) logger.debug('prefetch key fetched', { key, source, status: result.status, ms, pages: result.pages, count: result.resources.length });
    return { key, source, resources: [...extra, ...result.resources], truncated: result.truncated };
  }

  async function fetchKey(template: CompiledTemplate, s: SessionState): Promise<KeyResult> {
    const { key } = template;
    const where = targetOf(s);
    if ('reason' in where) return { key, source: 'unavailable', resources: [], reason: where.reason };
    const resolved = resolveTemplate(template, s.request.context);
    if (!resolved.ok) return { key, source: 'unavailable', resources: [], reason: resolved.reason };
    const started = performance.now();
    const result = await client.fetchKey(template.kind, template.resourceType, resolved.url, where.target, deadlineOf(s));
    return fromFetch(key, result, started);
  }

  async function prefetchedBundle(key: string, bundle: Bundle, s: SessionState): Promise<KeyResult> {
    const resources = bundleResources(bundle);
    const next = nextLink(bundle);
    if (next === undefined || bundle.type !== 'searchset') return { key, source: 'prefetch', resources };
    const where = targetOf(s);
    if ('reason' in where) {
      const reason = `prefetch "${key}" is a paged search and its remaining pages cannot be read: ${where.reason}`;
      return { key, source: 'unavailable', resources: [], reason };
    }
    const started = performance.now();
    return fromFetch(key, await client.followPages(next, 1, where.target, deadlineOf(s)), started, resources, 'prefetch');
  }

  async function obtainKey(template: CompiledTemplate, s: SessionState): Promise<KeyResult> {
    const { key } = template;
    const prefetch = s.request.prefetch;
    if (!prefetch || !Object.prototype.hasOwnProperty.call(prefetch, key)) return fetchKey(template, s);
    const value = prefetch[key];
    if (value === null) return { key, source: 'prefetch-null', resources: [] };
    if (!isResourceLike(value)) {
      logger.warn('prefetch value is not a FHIR resource; fetching it instead', { key });
      return fetchKey(template, s);
    }
    if (value.resourceType === 'OperationOutcome') {
      if (cfg.onPrefetchOperationOutcome === 'fail') {
        return { key, source: 'unavailable', resources: [], reason: 'the CDS client sent an OperationOutcome for this prefetch key' };
      }
      logger.info('prefetch key holds an OperationOutcome; fetching it instead', { key });
      return fetchKey(template, s);
    }
    if (value.resourceType === 'Bundle') return prefetchedBundle(key, value, s);
    return { key, source: 'prefetch', resources: [value] };
  }

  /** One Medication read (GET Medication/{id}), logged when it does not find the Medication. */
  async function readMedication(id: string, target: FhirTarget, s: SessionState): Promise<MedicationRead> {
    const started = performance.now();
    const result = await client.readResource('Medication', id, target, deadlineOf(s));
    const ms = Math.round(performance.now() - started);
    if (!result.ok) {
      logger.warn('Medication read failed', { ms, reason: result.reason, ...(result.status !== undefined ? { status: result.status } : {}) });
      return { status: 'failed', reason: result.reason };
    }
    if (!result.resource) {
      logger.info('Medication read: not found on the FHIR server', { ms, status: result.status });
      return { status: 'not-found' };
    }
    if (logger.isDebugEnabled()) logger.debug('Medication read', { ms, status: result.status });
    return { status: 'found', medication: result.resource as Medication };
  }

  /** The read of one reference: a failure without any call when it cannot be read, else the id's (cached) read. */
  function readOne(reference: string, s: SessionState): Promise<MedicationRead> {
    const shape = medicationTarget(reference, s.server.ok ? s.server.base : undefined);
    if (!shape.ok) {
      logger.warn('Medication read failed', { reason: shape.reason });
      return Promise.resolve({ status: 'failed', reason: shape.reason });
    }
    let read = s.reads.get(shape.id);
    if (read) return read;
    const where = targetOf(s);
    if ('reason' in where) {
      logger.warn('Medication read failed', { reason: where.reason });
      read = Promise.resolve({ status: 'failed', reason: where.reason });
    } else {
      read = readMedication(shape.id, where.target, s);
    }
    s.reads.set(shape.id, read);
    return read;
  }

  function session(request: DataRequest, signal?: AbortSignal): DataSession {
    const s: SessionState = { request, server: checkFhirServer(request.fhirServer, allowList), signal, reads: new Map() };

    function prefetchedMedications(): Medication[] {
      s.prefetchedMedications ??= medicationsIn(request.prefetch);
      return [...s.prefetchedMedications];
    }

    async function readMedications(references: readonly string[]): Promise<Map<string, MedicationRead>> {
      const unique = [...new Set(references)];
      const results = await Promise.all(unique.map((reference) => readOne(reference, s)));
      return new Map(unique.map((reference, i) => [reference, results[i] as MedicationRead]));
    }

    async function obtain(templates: CompiledTemplates): Promise<PatientData> {
      // Every key settles (each bounded by the budget), so all missing keys are known at once.
      const results = await Promise.all(templates.entries.map((t) => obtainKey(t, s)));

      const sources: Record<string, KeySource> = {};
      const missing: MissingKey[] = [];
      const truncated: string[] = [];
      results.forEach((r, i) => {
        sources[r.key] = r.source;
        if (r.truncated) truncated.push(r.key);
        if (r.source !== 'unavailable') return;
        const template = templates.entries[i] as CompiledTemplate;
        const reason = r.reason ?? 'unavailable';
        missing.push({ key: r.key, reason, resourceType: template.resourceType, ...(template.codes ? { codes: template.codes } : {}) });
        logger.warn('prefetch key missing', { key: r.key, reason, ...(r.status !== undefined ? { status: r.status } : {}) });
      });

      // Plain loops: flatMap and filter over thousands of resources cost more than the work itself.
      const others: FhirResource[] = [];
      const obtainedMedications: Medication[] = [];
      for (const r of results) for (const resource of r.resources) (isMedication(resource) ? obtainedMedications : others).push(resource);
      const resources = dedupe(others);
      for (const m of prefetchedMedications()) obtainedMedications.push(m);
      const carried = dedupe(obtainedMedications);

      // One more parallel round: Medications the patient's records reference and the request does not carry.
      const known = knownMedicationNames(carried, request.context.draftOrders);
      const wanted = referencedMedications(resources).filter((reference) => !isKnown(reference, known));
      const reads = wanted.length > 0 ? await readMedications(wanted) : new Map<string, MedicationRead>();
      const read: Medication[] = [];
      for (const result of reads.values()) if (result.status === 'found') read.push(result.medication);
      const medications = dedupe([...carried, ...read]);

      const data: PatientData = { resources, medications, sources, missing };
      if (truncated.length > 0) data.truncatedKeys = truncated;
      // A reference counts as failed only if no Medication of the same name was obtained some other way.
      const names = knownMedicationNames(medications, undefined);
      const failures: Record<string, string> = {};
      for (const [reference, result] of reads) {
        if (result.status === 'found' || isKnown(reference, names)) continue;
        const name = failureName(reference);
        failures[name] ??= result.status === 'not-found' ? NOT_FOUND_REASON : result.reason;
      }
      if (Object.keys(failures).length > 0) data.medicationReadFailures = failures;
      return data;
    }

    return { prefetchedMedications, readMedications, obtain };
  }

  return { session };
}
