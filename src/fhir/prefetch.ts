/**
 * PatientDataSource: every prefetch key of a service, from the request's prefetch or, when absent, from the
 * CDS client's FHIR server (CDS Hooks 2.0 §Prefetch, checklist R4–R5).
 *
 * Per key:
 *  - a resource or Bundle → used (Bundles unpacked; a searchset with a `next` link is read to the end);
 *  - `null` → known to have no data: nothing is fetched;
 *  - absent → fetched from fhirServer (all such keys in parallel);
 *  - an OperationOutcome → fetched like an absent key, or, with fhir.onPrefetchOperationOutcome = "fail",
 *    unavailable;
 *  - any other value (not a FHIR resource) → fetched like an absent key.
 * When any key ends unavailable, obtain() throws DataUnavailableError naming every such key (the HTTP layer
 * answers 412). Nothing is cached across requests; the access token is used for the calls and never logged.
 */
import type { Bundle, FhirResource } from 'fhir/r4';
import type winston from 'winston';
import type { AppConfig } from '../config';
import { ServerAllowList, checkFhirServer, type ServerCheck } from './allowlist';
import { bundleResources, createFhirClient, isResourceLike, nextLink, type FetchDeadline, type FhirClient, type FhirTarget, type KeyFetchResult } from './client';
import { ensureCompiled, resolveTemplate, type CompiledTemplate, type CompiledTemplates } from './templates';
import { DataUnavailableError, type DataRequest, type KeySource, type PatientData, type PatientDataSource, type PrefetchTemplates } from './types';

export interface PatientDataSourceDeps {
  logger: winston.Logger;
  fetchImpl?: typeof fetch;
}

interface KeyResult {
  key: string;
  source: KeySource;
  resources: FhirResource[];
  reason?: string;
  truncated?: boolean;
}

/** What one obtain() call shares between its keys: the server check and the lazily started budget. */
interface Call {
  request: DataRequest;
  server: ServerCheck;
  signal?: AbortSignal;
  deadline?: FetchDeadline;
}

function dedupe(resources: FhirResource[]): FhirResource[] {
  const seen = new Set<string>();
  const out: FhirResource[] = [];
  for (const r of resources) {
    if (r.resourceType === 'OperationOutcome') continue;
    if (typeof r.id === 'string' && r.id !== '') {
      const key = `${r.resourceType}/${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push(r);
  }
  return out;
}

export function createPatientDataSource(cfg: AppConfig['fhir'], deps: PatientDataSourceDeps): PatientDataSource {
  const allowList = new ServerAllowList(cfg.allowedServers);
  const client: FhirClient = createFhirClient(cfg, { allowList, budgetMs: cfg.budgetMs, fetchImpl: deps.fetchImpl });
  const { logger } = deps;

  // The budget starts with the first network call of the request, so a fully prefetched request pays nothing.
  function deadlineOf(call: Call): FetchDeadline {
    if (!call.deadline) {
      const timeout = AbortSignal.timeout(cfg.budgetMs);
      call.deadline = { budget: call.signal ? AbortSignal.any([timeout, call.signal]) : timeout, cancel: call.signal };
    }
    return call.deadline;
  }

  function targetOf(call: Call): { target: FhirTarget } | { reason: string } {
    if (!call.server.ok) return { reason: call.server.reason };
    const token = call.request.fhirAuthorization?.access_token;
    return { target: { base: call.server.base, origin: call.server.origin, ...(token ? { token } : {}) } };
  }

  function fromFetch(key: string, result: KeyFetchResult, started: number, extra: FhirResource[] = [], source: KeySource = 'fetched'): KeyResult {
    const ms = Math.round(performance.now() - started);
    if (!result.ok) {
      logger.warn('prefetch key unavailable', { key, status: result.status, ms, reason: result.reason });
      return { key, source: 'unavailable', resources: [], reason: result.reason };
    }
    if (result.truncated) logger.warn('prefetch key truncated: more pages than read', { key, pages: result.pages, maxPages: cfg.maxPages });
    logger.debug('prefetch key fetched', { key, source, status: result.status, ms, pages: result.pages, count: result.resources.length });
    return { key, source, resources: [...extra, ...result.resources], truncated: result.truncated };
  }

  async function fetchKey(template: CompiledTemplate, call: Call): Promise<KeyResult> {
    const { key } = template;
    const where = targetOf(call);
    if ('reason' in where) return { key, source: 'unavailable', resources: [], reason: where.reason };
    const resolved = resolveTemplate(template, call.request.context);
    if (!resolved.ok) return { key, source: 'unavailable', resources: [], reason: resolved.reason };
    const started = performance.now();
    const result = await client.fetchKey(template.kind, template.resourceType, resolved.url, where.target, deadlineOf(call));
    return fromFetch(key, result, started);
  }

  async function prefetchedBundle(key: string, bundle: Bundle, call: Call): Promise<KeyResult> {
    const resources = bundleResources(bundle);
    const next = nextLink(bundle);
    if (next === undefined || bundle.type !== 'searchset') return { key, source: 'prefetch', resources };
    const where = targetOf(call);
    if ('reason' in where) {
      const reason = `prefetch "${key}" is a paged search and its remaining pages cannot be read: ${where.reason}`;
      return { key, source: 'unavailable', resources: [], reason };
    }
    const started = performance.now();
    return fromFetch(key, await client.followPages(next, 1, where.target, deadlineOf(call)), started, resources, 'prefetch');
  }

  async function obtainKey(template: CompiledTemplate, call: Call): Promise<KeyResult> {
    const { key } = template;
    const prefetch = call.request.prefetch;
    if (!prefetch || !Object.prototype.hasOwnProperty.call(prefetch, key)) return fetchKey(template, call);
    const value = prefetch[key];
    if (value === null) return { key, source: 'prefetch-null', resources: [] };
    if (!isResourceLike(value)) {
      logger.warn('prefetch value is not a FHIR resource; fetching it instead', { key });
      return fetchKey(template, call);
    }
    if (value.resourceType === 'OperationOutcome') {
      if (cfg.onPrefetchOperationOutcome === 'fail') {
        return { key, source: 'unavailable', resources: [], reason: 'the CDS client sent an OperationOutcome for this prefetch key' };
      }
      logger.info('prefetch key holds an OperationOutcome; fetching it instead', { key });
      return fetchKey(template, call);
    }
    if (value.resourceType === 'Bundle') return prefetchedBundle(key, value, call);
    return { key, source: 'prefetch', resources: [value] };
  }

  return {
    async obtain(templates: PrefetchTemplates | CompiledTemplates, request: DataRequest, signal?: AbortSignal): Promise<PatientData> {
      const compiled = ensureCompiled(templates);
      const call: Call = { request, server: checkFhirServer(request.fhirServer, allowList), signal };
      // Every key settles (each bounded by the budget) so the error names all missing keys at once.
      const results = await Promise.all(compiled.entries.map((t) => obtainKey(t, call)));

      const sources: Record<string, KeySource> = {};
      const reasons: Record<string, string> = {};
      const truncated: string[] = [];
      for (const r of results) {
        sources[r.key] = r.source;
        if (r.source === 'unavailable') reasons[r.key] = r.reason ?? 'unavailable';
        if (r.truncated) truncated.push(r.key);
      }
      const missing = Object.keys(reasons);
      if (missing.length > 0) {
        logger.warn('required FHIR data unavailable', { missingKeys: missing });
        throw new DataUnavailableError(missing, reasons);
      }
      const data: PatientData = { resources: dedupe(results.flatMap((r) => r.resources)), sources };
      if (truncated.length > 0) data.truncatedKeys = truncated;
      return data;
    },
  };
}
