/**
 * The patient data source against a real FHIR R4 server (Medplum FhirRouter + MemoryRepository over HTTP):
 * every prefetch state, fetching what is absent, paging, failures, budget, allow-list.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import type { AppConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createPatientDataSource } from '../../src/fhir/prefetch';
import { compileTemplates, resolveTemplate } from '../../src/fhir/templates';
import { DataUnavailableError, type DataRequest, type PatientDataSource } from '../../src/fhir/types';
import { forPatient, gistPatientResources, startFhirServer, type TestFhirServer } from '../helpers/fhir-server';
import { gistCondition, lab, LOINC, daysAgo } from '../helpers/fhir-builders';

const PATIENT = 'gist-1';
const TOKEN = 'ehr-issued-access-token';
const service = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'hooks', 'imatinib-order-sign.json'), 'utf8')) as {
  prefetch: Record<string, string>;
};
const templates = compileTemplates(service.prefetch);
const KEYS = Object.keys(service.prefetch);

const baseConfig: AppConfig['fhir'] = {
  allowedServers: ['http://127.0.0.1'],
  requestTimeoutMs: 1500,
  budgetMs: 2000,
  maxPages: 5,
  maxResponseBytes: 10 * 1024 * 1024,
  onPrefetchOperationOutcome: 'fetch',
};

let fhir: TestFhirServer;
/** Everything the server holds for PATIENT, as "Type/id". */
let patientIds: string[];

const silent = createLogger('error', { silent: true });

function dataSource(cfg: Partial<AppConfig['fhir']> = {}, fetchImpl?: typeof fetch): PatientDataSource {
  return createPatientDataSource({ ...baseConfig, ...cfg }, { logger: silent, fetchImpl });
}

function request(prefetch?: Record<string, unknown>, extra: Partial<DataRequest> = {}): DataRequest {
  return {
    context: { patientId: PATIENT, userId: 'Practitioner/dr-1' },
    fhirServer: fhir.baseUrl,
    fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' },
    ...(prefetch ? { prefetch } : {}),
    ...extra,
  };
}

const ids = (resources: FhirResource[]) => resources.map((r) => `${r.resourceType}/${r.id}`).sort();

/** What a CDS client would send as prefetch: each template run against the FHIR server (as an EHR does). */
async function buildPrefetch(keys: string[] = KEYS): Promise<Record<string, unknown>> {
  const prefetch: Record<string, unknown> = {};
  for (const entry of templates.entries) {
    if (!keys.includes(entry.key)) continue;
    const resolved = resolveTemplate(entry, { patientId: PATIENT });
    if (!resolved.ok) throw new Error(resolved.reason);
    const response = await fetch(`${fhir.baseUrl}/${resolved.url}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    prefetch[entry.key] = await response.json();
  }
  fhir.requests.length = 0;
  return prefetch;
}

async function unavailable(promise: Promise<unknown>): Promise<DataUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataUnavailableError);
  return error as DataUnavailableError;
}

/** A recorded request's resource type (path) for assertions. */
const requestedTypes = () => fhir.requests.map((r) => new URL(r.url, 'http://x').pathname.slice(1)).sort();

beforeAll(async () => {
  fhir = await startFhirServer();
});

afterAll(async () => {
  await fhir.close();
});

beforeEach(async () => {
  await fhir.reset();
  const mine = gistPatientResources(PATIENT);
  // Another patient's data on the same server must never come back.
  const theirs = forPatient([gistCondition(), lab(LOINC.anc, 0.5, '10*9/L', daysAgo(1))], 'someone-else');
  await fhir.load([...mine, ...theirs]);
  patientIds = expectedIds(mine);
});

/** The template codes, "system|code". */
const TEMPLATE_CODES = new Set(Object.values(service.prefetch).flatMap((t) => [...t.matchAll(/code=([^&]+)/g)].flatMap((m) => (m[1] ?? '').split(','))));

/**
 * What the templates should find, computed without the FHIR server: the Patient, every Condition,
 * MedicationRequest and MedicationStatement, and the Observations coded with a template code (so the
 * fixtures' therapeutic-implication and other report Observations are left out).
 */
function expectedIds(resources: FhirResource[]): string[] {
  return ids(
    resources.filter((r) => {
      if (['Patient', 'Condition', 'MedicationRequest', 'MedicationStatement'].includes(r.resourceType)) return true;
      if (r.resourceType !== 'Observation') return false;
      return (r.code.coding ?? []).some((c) => TEMPLATE_CODES.has(`${c.system}|${c.code}`));
    }),
  );
}

describe('prefetch states against a real FHIR server', () => {
  it('the server answers the hooks templates with exactly the patient data they select', async () => {
    const data = await dataSource().obtain(templates, request());
    expect(ids(data.resources)).toEqual(patientIds);
    expect(patientIds.length).toBeGreaterThan(60);
    expect(patientIds).toContain(`Patient/${PATIENT}`);
    expect(patientIds.filter((id) => id.startsWith('Observation/')).length).toBeGreaterThan(40);
    expect(patientIds.some((id) => id.startsWith('Condition/'))).toBe(true);
    expect(patientIds.some((id) => id.startsWith('MedicationRequest/'))).toBe(true);
    expect(patientIds.some((id) => id.startsWith('MedicationStatement/'))).toBe(true);
    expect(patientIds).toContain('Observation/o6'); // R4 core Bundle-report's KIT mutation analysis (55201-8)
  });

  it('full prefetch: no request reaches the FHIR server', async () => {
    const prefetch = await buildPrefetch();
    const data = await dataSource().obtain(templates, request(prefetch));
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.resources)).toEqual(patientIds);
    expect(Object.values(data.sources).every((s) => s === 'prefetch')).toBe(true);
  });

  it('no prefetch: every key is fetched in parallel and the bearer token reaches the server', async () => {
    await fhir.setBehaviour({ requireToken: TOKEN });
    const data = await dataSource().obtain(templates, request());
    expect(fhir.requests).toHaveLength(KEYS.length);
    for (const r of fhir.requests) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    expect(ids(data.resources)).toEqual(patientIds);
    expect(Object.values(data.sources).every((s) => s === 'fetched')).toBe(true);
    expect(ids(data.resources).some((id) => id.includes('someone-else'))).toBe(false);
  });

  it.each(KEYS)('prefetch missing only "%s": only that key is fetched', async (missing) => {
    const prefetch = await buildPrefetch(KEYS.filter((k) => k !== missing));
    const data = await dataSource().obtain(templates, request(prefetch));
    expect(fhir.requests).toHaveLength(1);
    const expectedPath = '/' + (service.prefetch[missing] ?? '').split(/[/?]/)[0];
    expect(fhir.requests[0]?.url.startsWith(expectedPath)).toBe(true);
    expect(data.sources[missing]).toBe('fetched');
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('null keys: known empty, not fetched, no data from them', async () => {
    const prefetch = await buildPrefetch(['patient']);
    for (const k of KEYS) if (k !== 'patient') prefetch[k] = null;
    const data = await dataSource().obtain(templates, request(prefetch));
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.resources)).toEqual([`Patient/${PATIENT}`]);
    expect(data.sources.labs).toBe('prefetch-null');
  });

  it('OperationOutcome keys are fetched from the server', async () => {
    const prefetch = await buildPrefetch();
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    prefetch.labs = outcome;
    prefetch.conditions = outcome;
    const data = await dataSource().obtain(templates, request(prefetch));
    expect(requestedTypes()).toEqual(['Condition', 'Observation']);
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('OperationOutcome keys fail the request in "fail" mode, without fetching', async () => {
    const prefetch = await buildPrefetch();
    prefetch.labs = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const error = await unavailable(dataSource({ onPrefetchOperationOutcome: 'fail' }).obtain(templates, request(prefetch)));
    expect(error.missingKeys).toEqual(['labs']);
    expect(fhir.requests).toHaveLength(0);
  });

  it('same resources whichever route: prefetch, fetch, or a mix', async () => {
    const full = await buildPrefetch();
    const viaPrefetch = await dataSource().obtain(templates, request(full));
    const viaFetch = await dataSource().obtain(templates, request());
    const mixed = Object.fromEntries(Object.entries(full).filter((_e, i) => i % 2 === 0));
    const viaMix = await dataSource().obtain(templates, request(mixed));
    expect(ids(viaPrefetch.resources)).toEqual(patientIds);
    expect(ids(viaFetch.resources)).toEqual(patientIds);
    expect(ids(viaMix.resources)).toEqual(patientIds);
    expect(new Set(Object.values(viaMix.sources))).toEqual(new Set(['prefetch', 'fetched']));
  });
});

describe('paging', () => {
  it('reads every page of a paged search through next links', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const data = await dataSource({ maxPages: 10 }).obtain(templates, request());
    expect(ids(data.resources)).toEqual(patientIds);
    expect(data.truncatedKeys).toBeUndefined();
    const labsCalls = fhir.requests.filter((r) => r.url.includes('751-8'));
    expect(labsCalls.length).toBe(4); // 35 lab results in pages of 10
    for (const r of labsCalls) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('honours maxPages and reports the key as truncated', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const data = await dataSource({ maxPages: 2 }).obtain(templates, request());
    expect(fhir.requests.filter((r) => r.url.includes('751-8'))).toHaveLength(2);
    expect(data.truncatedKeys).toContain('labs');
    expect(ids(data.resources).length).toBeLessThan(patientIds.length);
  });

  it('follows a paged prefetch searchset on the FHIR server', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const prefetch = await buildPrefetch();
    await fhir.setBehaviour({ pageSize: undefined });
    const data = await dataSource({ maxPages: 10 }).obtain(templates, request(prefetch));
    expect(fhir.requests.length).toBeGreaterThan(0);
    expect(fhir.requests.every((r) => r.url.includes('_offset='))).toBe(true);
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('does not follow next links that leave the FHIR server', async () => {
    await fhir.setBehaviour({ pageSize: 10, nextLinkOrigin: 'http://127.0.0.1.evil.example' });
    const data = await dataSource({ maxPages: 10 }).obtain(templates, request());
    expect(fhir.requests).toHaveLength(KEYS.length);
    expect(data.truncatedKeys).toContain('labs');
  });
});

describe('failures', () => {
  it('FHIR server down: DataUnavailableError naming every absent key', async () => {
    const prefetch = await buildPrefetch(['patient', 'conditions']);
    await fhir.setBehaviour({ down: true });
    const error = await unavailable(dataSource().obtain(templates, request(prefetch)));
    expect(error.missingKeys.sort()).toEqual(KEYS.filter((k) => k !== 'patient' && k !== 'conditions').sort());
    expect(error.reasons.labs).toMatch(/unreachable/);
  });

  it('slow server past the budget: DataUnavailableError within the budget plus a margin', async () => {
    await fhir.setBehaviour({ slowMs: 5000 });
    const budgetMs = 400;
    const started = performance.now();
    const error = await unavailable(dataSource({ budgetMs, requestTimeoutMs: 3000 }).obtain(templates, request()));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(budgetMs + 1000);
    expect(error.missingKeys.sort()).toEqual([...KEYS].sort());
    expect(error.reasons.labs).toMatch(/budget of 400 ms/);
  });

  it('a single call slower than requestTimeoutMs makes its key unavailable', async () => {
    await fhir.setBehaviour({ slowMs: 3000 });
    const error = await unavailable(dataSource({ budgetMs: 5000, requestTimeoutMs: 200 }).obtain(templates, request()));
    expect(error.reasons.patient).toMatch(/within 200 ms/);
  });

  it.each([401, 403, 500] as const)('HTTP %s from the FHIR server: DataUnavailableError', async (status) => {
    await fhir.setBehaviour({ status });
    const error = await unavailable(dataSource().obtain(templates, request()));
    expect(error.missingKeys.sort()).toEqual([...KEYS].sort());
    expect(error.reasons.patient).toMatch(new RegExp(`HTTP ${status}`));
  });

  it('a wrong token is refused by the server: DataUnavailableError', async () => {
    await fhir.setBehaviour({ requireToken: 'the-right-one' });
    const error = await unavailable(dataSource().obtain(templates, request()));
    expect(error.reasons.labs).toMatch(/HTTP 401/);
  });

  it('a redirect is not followed (the token must not travel on): the key is unavailable', async () => {
    await fhir.setBehaviour({
      respond: (req) => (req.url.startsWith('/Condition') ? { status: 302, body: '', headers: { Location: `${fhir.baseUrl}/Patient/${PATIENT}` } } : undefined),
    });
    const error = await unavailable(dataSource().obtain(templates, request()));
    expect(error.missingKeys).toEqual(['conditions']);
    expect(error.reasons.conditions).toMatch(/redirect/);
    expect(fhir.requests.filter((r) => r.url.startsWith('/Patient'))).toHaveLength(1);
  });

  it('a body that is not JSON makes the key unavailable', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/MedicationStatement') ? { status: 200, body: '<html>sign in</html>', contentType: 'text/html' } : undefined) });
    const error = await unavailable(dataSource().obtain(templates, request()));
    expect(error.missingKeys).toEqual(['medicationStatements']);
    expect(error.reasons.medicationStatements).toMatch(/not JSON/);
  });

  it('a response larger than maxResponseBytes makes the key unavailable', async () => {
    const error = await unavailable(dataSource({ maxResponseBytes: 8000 }).obtain(templates, request()));
    expect(error.missingKeys).toContain('labs');
    expect(error.missingKeys).not.toContain('patient');
    expect(error.reasons.labs).toMatch(/larger than 8000 bytes/);
  });

  it('a patient unknown to the server: read 404 and empty searches are "no data", not a failure', async () => {
    const data = await dataSource().obtain(templates, request(undefined, { context: { patientId: 'nobody' } }));
    expect(data.resources).toEqual([]);
    expect(Object.values(data.sources).every((s) => s === 'fetched')).toBe(true);
  });

  it('fhirServer not on the allow-list: no request is made, keys unavailable', async () => {
    const calls: string[] = [];
    const spy = ((input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch;
    const error = await unavailable(dataSource({ allowedServers: ['https://ehr.example.org'] }, spy).obtain(templates, request()));
    expect(error.reasons.patient).toMatch(/allow-list/);
    expect(calls).toHaveLength(0);
    expect(fhir.requests).toHaveLength(0);
  });

  it('rejects a look-alike host (http://localhost.evil.example vs allowed http://localhost) without any request', async () => {
    const calls: string[] = [];
    const spy = ((input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch;
    const port = new URL(fhir.baseUrl).port;
    const ds = dataSource({ allowedServers: ['http://localhost'] }, spy);
    const error = await unavailable(ds.obtain(templates, request(undefined, { fhirServer: `http://localhost.evil.example:${port}` })));
    expect(error.reasons.labs).toMatch(/allow-list/);
    expect(calls).toHaveLength(0);
  });
});
