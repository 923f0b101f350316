/**
 * The FHIR REST client of a data session: prefetch keys the CDS client did not send (one GET per page,
 * following search `next` links within limits) and single-resource reads (GET Type/id, e.g. the Medications
 * patient records reference). Every call is bounded in time (per call and by the request's budget) and in
 * size, carries the request's access token, and never follows a redirect.
 *
 * Outcomes are data, not exceptions: each fetch answers resources or the reason it could not. Reasons never
 * contain URLs (they carry patient ids) or the access token; they name statuses, limits and error codes.
 *
 * Transport: node:http / node:https over keep-alive connections pooled per FHIR server origin (http-get.ts,
 * http-agent.ts; closeFhirAgents() on shutdown). An injected `fetchImpl` (tests) is used instead when given,
 * with the same bounds and the same outcomes.
 */
import type { Bundle, FhirResource } from 'fhir/r4';
import type { AppConfig } from '../config';
import type { ServerAllowList } from './allowlist';
import { readBoundedBody, type BoundedBody } from '../hardening/boundedBody';
import { httpGet } from './http-get';
import type { FhirAgentPool } from './http-agent';

export { closeFhirAgents } from './http-agent';

export type FhirClientConfig = Pick<AppConfig['fhir'], 'requestTimeoutMs' | 'maxPages' | 'maxResponseBytes'>;

/** Where a fetch may go and with which credentials (one request's fhirServer + fhirAuthorization). */
export interface FhirTarget {
  /** fhirServer without trailing slash, already allow-listed. */
  base: string;
  origin: string;
  token?: string;
}

/** The signals bounding one CDS request's fetching, kept apart so an abort can be explained. */
export interface FetchDeadline {
  /** Aborts when the whole-request budget (fhir.budgetMs) is spent. */
  budget: AbortSignal;
  /** The caller's signal (client went away, server shutting down). */
  cancel?: AbortSignal;
}

export type KeyFetchResult =
  | {
      ok: true;
      resources: FhirResource[];
      /** HTTP calls made. */
      pages: number;
      /** A `next` page existed but was not read (maxPages reached, link off the server, or a loop). */
      truncated: boolean;
      status: number;
    }
  | { ok: false; reason: string; status?: number };

export type ReadResult =
  /** `resource` is absent when the server has no such resource (404/410). */
  | { ok: true; status: number; resource?: FhirResource }
  | { ok: false; reason: string; status?: number };

type HttpResult = { ok: true; status: number; body: unknown } | { ok: false; reason: string; status?: number };

export function isResourceLike(value: unknown): value is FhirResource {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

/** Entry resources of a Bundle (nested Bundles unpacked, OperationOutcomes dropped). */
export function bundleResources(bundle: Bundle, depth = 0): FhirResource[] {
  const out: FhirResource[] = [];
  for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
    const resource: unknown = entry?.resource;
    if (!isResourceLike(resource) || resource.resourceType === 'OperationOutcome') continue;
    if (resource.resourceType === 'Bundle' && depth < 3) out.push(...bundleResources(resource, depth + 1));
    else if (resource.resourceType !== 'Bundle') out.push(resource);
  }
  return out;
}

export function nextLink(bundle: Bundle): string | undefined {
  const link = (bundle.link ?? []).find((l) => l?.relation === 'next');
  return typeof link?.url === 'string' && link.url !== '' ? link.url : undefined;
}

function describeAbort(deadline: FetchDeadline, timedOut: boolean, cfg: FhirClientConfig, budgetMs: number): string {
  if (deadline.cancel?.aborted) return 'the request was cancelled';
  if (deadline.budget.aborted) return `the FHIR fetch budget of ${budgetMs} ms ran out`;
  if (timedOut) return `the FHIR server did not answer within ${cfg.requestTimeoutMs} ms`;
  return 'the FHIR call was aborted';
}

function unreachable(code: string | undefined): string {
  return code ? `FHIR server unreachable (${code})` : 'FHIR server unreachable (network error)';
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return unreachable(typeof cause?.code === 'string' ? cause.code : undefined);
}

function parseJson(text: string): HttpResult {
  try {
    return { ok: true, status: 200, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'FHIR server answered with a body that is not JSON', status: 200 };
  }
}

/** A body's text: UTF-8, without a byte order mark (some servers send one; it is not JSON). */
function bodyText(body: Buffer): string {
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return (bom ? body.subarray(3) : body).toString('utf8');
}

/** The body, bounded by maxResponseBytes; the reason names the FHIR server. */
async function readBounded(response: Response, maxBytes: number): Promise<BoundedBody> {
  const body = await readBoundedBody(response, maxBytes);
  return body.ok ? body : { ok: false, reason: `FHIR ${body.reason}` };
}

export interface FhirClient {
  /** Fetch one prefetch key: a read (`Type/id`) or a search (`Type?...`, all pages within limits). */
  fetchKey(kind: 'read' | 'search', resourceType: string, relativeUrl: string, target: FhirTarget, deadline: FetchDeadline): Promise<KeyFetchResult>;
  /** Continue a searchset from its `next` link (a paged prefetch Bundle); `pagesRead` already consumed. */
  followPages(next: string, pagesRead: number, target: FhirTarget, deadline: FetchDeadline): Promise<KeyFetchResult>;
  /**
   * GET `Type/id` (id already checked as a FHIR id): the resource, nothing on 404/410, or why not (another
   * status, a body that is not a resource of that type and id, an OperationOutcome).
   */
  readResource(resourceType: string, id: string, target: FhirTarget, deadline: FetchDeadline): Promise<ReadResult>;
}

export interface FhirClientDeps {
  allowList: ServerAllowList;
  budgetMs: number;
  /** When given, calls go through it (tests script answers) instead of the node:http transport. */
  fetchImpl?: typeof fetch;
  /** Keep-alive agents of the node:http transport (default: the process-wide pool). */
  agents?: FhirAgentPool;
}

export function createFhirClient(cfg: FhirClientConfig, deps: FhirClientDeps): FhirClient {
  const { fetchImpl } = deps;
  const get = fetchImpl ? (url: string, target: FhirTarget, deadline: FetchDeadline) => getWithFetch(fetchImpl, url, target, deadline) : getWithHttp;

  async function getWithHttp(url: string, target: FhirTarget, deadline: FetchDeadline): Promise<HttpResult> {
    const headers: Record<string, string> = { Accept: 'application/fhir+json', 'Accept-Encoding': 'gzip, deflate, br' };
    if (target.token) headers.Authorization = `Bearer ${target.token}`;
    const signals = deadline.cancel ? [deadline.budget, deadline.cancel] : [deadline.budget];
    const maxBytes = cfg.maxResponseBytes;
    const outcome = await httpGet(url, { headers, timeoutMs: cfg.requestTimeoutMs, signals, maxBytes, ...(deps.agents ? { pool: deps.agents } : {}) });
    switch (outcome.kind) {
      case 'response':
        return outcome.status === 200 && outcome.body ? parseJson(bodyText(outcome.body)) : { ok: true, status: outcome.status, body: undefined };
      case 'too-large':
        return { ok: false, reason: `FHIR response larger than ${maxBytes} bytes`, status: outcome.status };
      case 'timeout':
      case 'aborted':
        return { ok: false, reason: describeAbort(deadline, outcome.kind === 'timeout', cfg, deps.budgetMs) };
      case 'network':
        return { ok: false, reason: unreachable(outcome.code) };
    }
  }

  async function getWithFetch(fetchImpl: typeof fetch, url: string, target: FhirTarget, deadline: FetchDeadline): Promise<HttpResult> {
    const callTimeout = AbortSignal.timeout(cfg.requestTimeoutMs);
    const signals = [deadline.budget, callTimeout];
    if (deadline.cancel) signals.push(deadline.cancel);
    const signal = AbortSignal.any(signals);
    const headers: Record<string, string> = { Accept: 'application/fhir+json' };
    if (target.token) headers.Authorization = `Bearer ${target.token}`;
    try {
      // Redirects are not followed: one could carry the bearer token to a server that is not allow-listed.
      const response = await fetchImpl(url, { method: 'GET', headers, signal, redirect: 'manual' });
      if (response.status === 200) {
        const body = await readBounded(response, cfg.maxResponseBytes);
        if (!body.ok) return { ok: false, reason: body.reason, status: 200 };
        return parseJson(body.text);
      }
      await response.body?.cancel().catch(() => undefined);
      return { ok: true, status: response.status, body: undefined };
    } catch (error) {
      if (signal.aborted) return { ok: false, reason: describeAbort(deadline, callTimeout.aborted, cfg, deps.budgetMs) };
      return { ok: false, reason: networkReason(error) };
    }
  }

  function statusFailure(status: number): { ok: false; status: number; reason: string } {
    if (status === 401 || status === 403) return { ok: false, status, reason: `FHIR server refused access (HTTP ${status})` };
    if (status >= 300 && status < 400) return { ok: false, status, reason: `FHIR server redirected (HTTP ${status}); redirects are not followed` };
    if (status === 0) return { ok: false, status, reason: 'FHIR server redirected; redirects are not followed' };
    return { ok: false, status, reason: `FHIR server answered HTTP ${status}` };
  }

  /** Resolve a `next` link and decide whether it may be followed (same allow-listed origin as fhirServer). */
  function nextUrl(link: string, target: FhirTarget): string | undefined {
    let url: URL;
    try {
      url = new URL(link, `${target.base}/`);
    } catch {
      return undefined;
    }
    if (url.origin !== target.origin || !deps.allowList.allows(url.href)) return undefined;
    return url.href;
  }

  async function readPages(first: string | undefined, firstResources: FhirResource[], pagesRead: number, target: FhirTarget, deadline: FetchDeadline): Promise<KeyFetchResult> {
    const resources = [...firstResources];
    const seen = new Set<string>();
    let pages = pagesRead;
    let link = first;
    let status = 200;
    let calls = 0;
    while (link !== undefined) {
      const url = nextUrl(link, target);
      if (url === undefined || seen.has(url) || pages >= cfg.maxPages) return { ok: true, resources, pages: calls, truncated: true, status };
      seen.add(url);
      const result = await get(url, target, deadline);
      calls += 1;
      pages += 1;
      if (!result.ok) return result;
      status = result.status;
      if (result.status !== 200) return statusFailure(result.status);
      const bundle = result.body;
      if (!isResourceLike(bundle) || bundle.resourceType !== 'Bundle') return { ok: false, status, reason: 'FHIR search page is not a Bundle' };
      resources.push(...bundleResources(bundle));
      link = nextLink(bundle);
    }
    return { ok: true, resources, pages: calls, truncated: false, status };
  }

  return {
    async fetchKey(kind, resourceType, relativeUrl, target, deadline) {
      const result = await get(`${target.base}/${relativeUrl}`, target, deadline);
      if (!result.ok) return result;
      const { status, body } = result;
      // A read of a resource that does not exist (or was deleted) is an answer: the patient has no such data.
      if (kind === 'read' && (status === 404 || status === 410)) return { ok: true, resources: [], pages: 1, truncated: false, status };
      // A search that finds nothing answers 200 with an empty Bundle; 404 means the server cannot run it.
      if (status !== 200) return statusFailure(status);
      if (!isResourceLike(body)) return { ok: false, status, reason: 'FHIR server answered with JSON that is not a FHIR resource' };
      if (body.resourceType === 'OperationOutcome') return { ok: false, status, reason: 'FHIR server answered with an OperationOutcome' };
      if (body.resourceType === 'Bundle') {
        const paged = await readPages(nextLink(body), bundleResources(body), 1, target, deadline);
        return paged.ok ? { ...paged, pages: paged.pages + 1 } : paged;
      }
      if (kind === 'search' || body.resourceType !== resourceType) {
        return { ok: false, status, reason: `FHIR server answered a ${kind} of ${resourceType} with a ${body.resourceType}` };
      }
      return { ok: true, resources: [body], pages: 1, truncated: false, status };
    },

    followPages(next, pagesRead, target, deadline) {
      return readPages(next, [], pagesRead, target, deadline);
    },

    async readResource(resourceType, id, target, deadline) {
      const result = await get(`${target.base}/${resourceType}/${id}`, target, deadline);
      if (!result.ok) return result;
      const { status, body } = result;
      if (status === 404 || status === 410) return { ok: true, status };
      if (status !== 200) return statusFailure(status);
      if (!isResourceLike(body)) return { ok: false, status, reason: 'FHIR server answered with JSON that is not a FHIR resource' };
      if (body.resourceType === 'OperationOutcome') return { ok: false, status, reason: 'FHIR server answered with an OperationOutcome' };
      if (body.resourceType !== resourceType) return { ok: false, status, reason: `FHIR server answered a read of ${resourceType} with a ${body.resourceType}` };
      if (body.id !== id) return { ok: false, status, reason: `FHIR server answered a read of ${resourceType} with another ${resourceType}` };
      return { ok: true, status, resource: body };
    },
  };
}
