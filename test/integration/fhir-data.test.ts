/**
 * The patient data source against a real FHIR R4 server (Medplum FhirRouter + MemoryRepository over HTTP):
 * every prefetch state, fetching what is absent, paging, keys that cannot be obtained (reported as missing
 * while the rest is returned), budget, allow-list, and the Medication reads of a data session.
 */
import type { FhirResource, Medication, MedicationRequest } from 'fhir/r4';
import type { AppConfig } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import { createPatientDataSource } from '../../src/fhir/prefetch';
import { resolveTemplate } from '../../src/fhir/templates';
import type { DataRequest, PatientData, PatientDataSource } from '../../src/fhir/types';
import { loadServices } from '../../src/protocol/services';
import { forPatient, gistPatientResources, startFhirServer, type TestFhirServer } from '../helpers/fhir-server';
import { bundle, gistCondition, imatinibOrder, lab, LOINC, daysAgo, medication, medicationRequest, medicationStatement } from '../helpers/fhir-builders';
import { capturingLogger } from '../helpers/service';

const PATIENT = 'gist-1';
const TOKEN = 'ehr-issued-access-token';
const service = loadServices().byId.get('imatinib-order-sign');
if (!service) throw new Error('hooks/imatinib-order-sign.json not loaded');
const templates = service.prefetchTemplates;
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
/** The patient's resources loaded on the server. */
let resourcesOnServer: FhirResource[];

const silent = createLogger('error', { silent: true });

function dataSource(cfg: Partial<AppConfig['fhir']> = {}, fetchImpl?: typeof fetch, logger: Logger = silent): PatientDataSource {
  return createPatientDataSource({ ...baseConfig, ...cfg }, { logger, fetchImpl });
}

/** One data session's obtain() of the order-sign templates, as the pipeline calls it. */
function obtain(ds: PatientDataSource, req: DataRequest, signal?: AbortSignal): Promise<PatientData> {
  return ds.session(req, signal).obtain(templates);
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

/** The missing keys of a result (key → reason), after checking that something is missing. */
function missingOf(data: PatientData): Record<string, string> {
  expect(data.missing.length).toBeGreaterThan(0);
  for (const m of data.missing) expect(data.sources[m.key]).toBe('unavailable');
  return Object.fromEntries(data.missing.map((m) => [m.key, m.reason]));
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
  resourcesOnServer = mine;
});

/** The template codes, "system|code". */
const TEMPLATE_CODES = new Set(Object.values(service.prefetch).flatMap((t) => [...t.matchAll(/code=([^&]+)/g)].flatMap((m) => (m[1] ?? '').split(','))));
const codesOf = (key: string): readonly string[] => templates.entries.find((t) => t.key === key)?.codes ?? [];

/** The ids without the Observations only the labs key selects. */
function withoutLabs(all: string[]): string[] {
  const labsOnly = new Set(codesOf('labs').filter((c) => !KEYS.some((k) => k !== 'labs' && codesOf(k).includes(c))));
  const byId = new Map(resourcesOnServer.map((r) => [`${r.resourceType}/${r.id}`, r]));
  return all.filter((id) => {
    const r = byId.get(id);
    if (r?.resourceType !== 'Observation') return true;
    return !(r.code.coding ?? []).some((c) => labsOnly.has(`${c.system}|${c.code}`));
  });
}

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
    const data = await obtain(dataSource(), request());
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
    const data = await obtain(dataSource(), request(prefetch));
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.resources)).toEqual(patientIds);
    expect(Object.values(data.sources).every((s) => s === 'prefetch')).toBe(true);
  });

  it('no prefetch: every key is fetched in parallel and the bearer token reaches the server', async () => {
    await fhir.setBehaviour({ requireToken: TOKEN });
    const data = await obtain(dataSource(), request());
    expect(fhir.requests).toHaveLength(KEYS.length);
    for (const r of fhir.requests) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    expect(ids(data.resources)).toEqual(patientIds);
    expect(Object.values(data.sources).every((s) => s === 'fetched')).toBe(true);
    expect(ids(data.resources).some((id) => id.includes('someone-else'))).toBe(false);
  });

  it.each(KEYS)('prefetch missing only "%s": only that key is fetched', async (missing) => {
    const prefetch = await buildPrefetch(KEYS.filter((k) => k !== missing));
    const data = await obtain(dataSource(), request(prefetch));
    expect(fhir.requests).toHaveLength(1);
    const expectedPath = '/' + (service.prefetch[missing] ?? '').split(/[/?]/)[0];
    expect(fhir.requests[0]?.url.startsWith(expectedPath)).toBe(true);
    expect(data.sources[missing]).toBe('fetched');
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('null keys: known empty, not fetched, no data from them, and not missing', async () => {
    const prefetch = await buildPrefetch(['patient']);
    for (const k of KEYS) if (k !== 'patient') prefetch[k] = null;
    const data = await obtain(dataSource(), request(prefetch));
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.resources)).toEqual([`Patient/${PATIENT}`]);
    expect(data.sources.labs).toBe('prefetch-null');
    expect(data.missing).toEqual([]);
  });

  it('null keys are not missing even without a fhirServer, while absent keys are', async () => {
    const prefetch = await buildPrefetch(['patient']);
    prefetch.labs = null;
    prefetch.conditions = null;
    const data = await obtain(dataSource(), request(prefetch, { fhirServer: undefined }));
    const missing = missingOf(data);
    expect(Object.keys(missing).sort()).toEqual(KEYS.filter((k) => !['patient', 'labs', 'conditions'].includes(k)).sort());
    expect(ids(data.resources)).toEqual([`Patient/${PATIENT}`]);
  });

  it('OperationOutcome keys are fetched from the server', async () => {
    const prefetch = await buildPrefetch();
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    prefetch.labs = outcome;
    prefetch.conditions = outcome;
    const data = await obtain(dataSource(), request(prefetch));
    expect(requestedTypes()).toEqual(['Condition', 'Observation']);
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('OperationOutcome keys are missing in "fail" mode, without fetching; the other keys are returned', async () => {
    const prefetch = await buildPrefetch();
    prefetch.labs = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const data = await obtain(dataSource({ onPrefetchOperationOutcome: 'fail' }), request(prefetch));
    expect(data.missing).toEqual([{ key: 'labs', reason: 'the CDS client sent an OperationOutcome for this prefetch key', resourceType: 'Observation', codes: codesOf('labs') }]);
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.resources)).toEqual(withoutLabs(patientIds));
  });

  it('same resources whichever route: prefetch, fetch, or a mix', async () => {
    const full = await buildPrefetch();
    const viaPrefetch = await obtain(dataSource(), request(full));
    const viaFetch = await obtain(dataSource(), request());
    const mixed = Object.fromEntries(Object.entries(full).filter((_e, i) => i % 2 === 0));
    const viaMix = await obtain(dataSource(), request(mixed));
    expect(ids(viaPrefetch.resources)).toEqual(patientIds);
    expect(ids(viaFetch.resources)).toEqual(patientIds);
    expect(ids(viaMix.resources)).toEqual(patientIds);
    expect(new Set(Object.values(viaMix.sources))).toEqual(new Set(['prefetch', 'fetched']));
  });
});

describe('paging', () => {
  it('reads every page of a paged search through next links', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const data = await obtain(dataSource({ maxPages: 10 }), request());
    expect(ids(data.resources)).toEqual(patientIds);
    expect(data.truncatedKeys).toBeUndefined();
    const labsCalls = fhir.requests.filter((r) => r.url.includes('751-8'));
    expect(labsCalls.length).toBe(4); // 35 lab results in pages of 10
    for (const r of labsCalls) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('honours maxPages and reports the key as truncated', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const data = await obtain(dataSource({ maxPages: 2 }), request());
    expect(fhir.requests.filter((r) => r.url.includes('751-8'))).toHaveLength(2);
    expect(data.truncatedKeys).toContain('labs');
    expect(ids(data.resources).length).toBeLessThan(patientIds.length);
  });

  it('follows a paged prefetch searchset on the FHIR server', async () => {
    await fhir.setBehaviour({ pageSize: 10 });
    const prefetch = await buildPrefetch();
    await fhir.setBehaviour({ pageSize: undefined });
    const data = await obtain(dataSource({ maxPages: 10 }), request(prefetch));
    expect(fhir.requests.length).toBeGreaterThan(0);
    expect(fhir.requests.every((r) => r.url.includes('_offset='))).toBe(true);
    expect(ids(data.resources)).toEqual(patientIds);
  });

  it('does not follow next links that leave the FHIR server', async () => {
    await fhir.setBehaviour({ pageSize: 10, nextLinkOrigin: 'http://127.0.0.1.evil.example' });
    const data = await obtain(dataSource({ maxPages: 10 }), request());
    expect(fhir.requests).toHaveLength(KEYS.length);
    expect(data.truncatedKeys).toContain('labs');
  });
});

describe('failures', () => {
  it('FHIR server down: every absent key missing, the prefetched keys still returned', async () => {
    const prefetch = await buildPrefetch(['patient', 'conditions']);
    await fhir.setBehaviour({ down: true });
    const data = await obtain(dataSource(), request(prefetch));
    const missing = missingOf(data);
    expect(Object.keys(missing).sort()).toEqual(KEYS.filter((k) => k !== 'patient' && k !== 'conditions').sort());
    expect(missing.labs).toMatch(/unreachable/);
    expect(ids(data.resources)).toEqual(patientIds.filter((id) => id.startsWith('Patient/') || id.startsWith('Condition/')));
  });

  it('one key failing (HTTP 500 for the labs search only): only that key is missing, with its reason', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Observation') && req.url.includes('751-8') ? { status: 500, body: '{"resourceType":"OperationOutcome","issue":[]}' } : undefined) });
    const data = await obtain(dataSource(), request());
    expect(data.missing).toEqual([{ key: 'labs', reason: 'FHIR server answered HTTP 500', resourceType: 'Observation', codes: codesOf('labs') }]);
    expect(data.sources.labs).toBe('unavailable');
    expect(KEYS.filter((k) => k !== 'labs').every((k) => data.sources[k] === 'fetched')).toBe(true);
    expect(ids(data.resources)).toEqual(withoutLabs(patientIds));
    expect(withoutLabs(patientIds).length).toBeLessThan(patientIds.length - 30);
  });

  it('no fhirServer and absent keys: every absent key missing with the reason, the prefetched ones returned', async () => {
    const prefetch = await buildPrefetch(['patient', 'conditions', 'labs']);
    const data = await obtain(dataSource(), request(prefetch, { fhirServer: undefined }));
    const absent = KEYS.filter((k) => !['patient', 'conditions', 'labs'].includes(k));
    expect(data.missing.map((m) => m.key)).toEqual(absent);
    for (const m of data.missing) expect(m.reason).toBe('the request has no fhirServer to fetch from');
    expect(data.missing.find((m) => m.key === 'medicationRequests')).toEqual({ key: 'medicationRequests', reason: 'the request has no fhirServer to fetch from', resourceType: 'MedicationRequest' });
    expect(data.missing.find((m) => m.key === 'genomics')?.codes).toEqual(codesOf('genomics'));
    expect(ids(data.resources).some((id) => id.startsWith('Condition/'))).toBe(true);
    expect(ids(data.resources)).toContain(`Patient/${PATIENT}`);
    expect(fhir.requests).toHaveLength(0);
  });

  it('slow server past the budget: every key missing within the budget plus a margin', async () => {
    await fhir.setBehaviour({ slowMs: 5000 });
    const budgetMs = 400;
    const started = performance.now();
    const missing = missingOf(await obtain(dataSource({ budgetMs, requestTimeoutMs: 3000 }), request()));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(budgetMs + 1000);
    expect(Object.keys(missing).sort()).toEqual([...KEYS].sort());
    expect(missing.labs).toMatch(/budget of 400 ms/);
  });

  it('a single call slower than requestTimeoutMs makes its key missing', async () => {
    await fhir.setBehaviour({ slowMs: 3000 });
    const missing = missingOf(await obtain(dataSource({ budgetMs: 5000, requestTimeoutMs: 200 }), request()));
    expect(missing.patient).toMatch(/within 200 ms/);
  });

  it.each([401, 403, 500] as const)('HTTP %s from the FHIR server: every key missing', async (status) => {
    await fhir.setBehaviour({ status });
    const missing = missingOf(await obtain(dataSource(), request()));
    expect(Object.keys(missing).sort()).toEqual([...KEYS].sort());
    expect(missing.patient).toMatch(new RegExp(`HTTP ${status}`));
  });

  it('a wrong token is refused by the server: the keys are missing', async () => {
    await fhir.setBehaviour({ requireToken: 'the-right-one' });
    const missing = missingOf(await obtain(dataSource(), request()));
    expect(missing.labs).toMatch(/HTTP 401/);
  });

  it('a redirect is not followed (the token must not travel on): the key is missing', async () => {
    await fhir.setBehaviour({
      respond: (req) => (req.url.startsWith('/Condition') ? { status: 302, body: '', headers: { Location: `${fhir.baseUrl}/Patient/${PATIENT}` } } : undefined),
    });
    const missing = missingOf(await obtain(dataSource(), request()));
    expect(Object.keys(missing)).toEqual(['conditions']);
    expect(missing.conditions).toMatch(/redirect/);
    expect(fhir.requests.filter((r) => r.url.startsWith('/Patient'))).toHaveLength(1);
  });

  it('a body that is not JSON makes the key missing', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/MedicationStatement') ? { status: 200, body: '<html>sign in</html>', contentType: 'text/html' } : undefined) });
    const missing = missingOf(await obtain(dataSource(), request()));
    expect(Object.keys(missing)).toEqual(['medicationStatements']);
    expect(missing.medicationStatements).toMatch(/not JSON/);
  });

  it('a response larger than maxResponseBytes makes the key missing', async () => {
    const missing = missingOf(await obtain(dataSource({ maxResponseBytes: 8000 }), request()));
    expect(Object.keys(missing)).toContain('labs');
    expect(Object.keys(missing)).not.toContain('patient');
    expect(missing.labs).toMatch(/larger than 8000 bytes/);
  });

  it('a patient unknown to the server: read 404 and empty searches are "no data", not a failure', async () => {
    const data = await obtain(dataSource(), request(undefined, { context: { patientId: 'nobody' } }));
    expect(data.resources).toEqual([]);
    expect(data.missing).toEqual([]);
    expect(Object.values(data.sources).every((s) => s === 'fetched')).toBe(true);
  });

  it('fhirServer not on the allow-list: no request is made, keys missing', async () => {
    const calls: string[] = [];
    const spy = ((input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch;
    const missing = missingOf(await obtain(dataSource({ allowedServers: ['https://ehr.example.org'] }, spy), request()));
    expect(missing.patient).toMatch(/allow-list/);
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
    const missing = missingOf(await obtain(ds, request(undefined, { fhirServer: `http://localhost.evil.example:${port}` })));
    expect(missing.labs).toMatch(/allow-list/);
    expect(calls).toHaveLength(0);
  });
});

describe('Medication reads of a data session', () => {
  const medRequests = () => fhir.requests.filter((r) => r.url.startsWith('/Medication/'));
  const imatinib = (id: string): Medication => medication({ id, rxnorm: '403879', text: 'imatinib 400 mg tablet', strengthMg: 400 });
  /** A patient MedicationRequest / MedicationStatement referring to a Medication. */
  const orderFor = (reference: string, id: string): MedicationRequest => forPatient([medicationRequest({ id, medicationReference: reference })], PATIENT)[0] as MedicationRequest;
  const statementFor = (reference: string, id: string): FhirResource => forPatient([medicationStatement({ id, medicationReference: reference })], PATIENT)[0] as FhirResource;

  it('reads the Medication patient records reference (relative, and absolute on the same server) once, with the bearer token', async () => {
    await fhir.load([imatinib('med-1'), orderFor('Medication/med-1', 'mr-ref'), statementFor(`${fhir.baseUrl}/Medication/med-1`, 'ms-ref')]);
    await fhir.setBehaviour({ requireToken: TOKEN });
    const data = await obtain(dataSource(), request());
    expect(data.missing).toEqual([]);
    expect(ids(data.medications)).toEqual(['Medication/med-1']);
    expect(data.medications[0]?.code?.text).toBe('imatinib 400 mg tablet');
    expect(ids(data.resources)).toEqual(expect.arrayContaining(['MedicationRequest/mr-ref', 'MedicationStatement/ms-ref']));
    expect(ids(data.resources).some((id) => id.startsWith('Medication/'))).toBe(false);
    expect(medRequests()).toEqual([{ method: 'GET', url: '/Medication/med-1', authorization: `Bearer ${TOKEN}` }]);
    expect(data.medicationReadFailures).toBeUndefined();
  });

  it('reads each id at most once per session, also when readMedications asked for it first', async () => {
    await fhir.load([imatinib('med-1'), orderFor('Medication/med-1', 'mr-ref'), orderFor('Medication/med-1', 'mr-ref-2'), statementFor(`${fhir.baseUrl}/Medication/med-1`, 'ms-ref')]);
    const session = dataSource().session(request());
    const references = ['Medication/med-1', `${fhir.baseUrl}/Medication/med-1`, 'Medication/med-1/_history/1', ' Medication/med-1 '];
    const reads = await session.readMedications(references);
    expect([...reads.keys()]).toEqual(references);
    for (const read of reads.values()) expect(read).toMatchObject({ status: 'found', medication: { resourceType: 'Medication', id: 'med-1' } });
    expect(medRequests()).toHaveLength(1);
    const data = await session.obtain(templates);
    expect(ids(data.medications)).toEqual(['Medication/med-1']);
    await session.readMedications(['Medication/med-1']);
    expect(medRequests()).toHaveLength(1);
    // A new session (a new CDS request) reads again: nothing is cached across requests.
    await dataSource().session(request()).readMedications(['Medication/med-1']);
    expect(medRequests()).toHaveLength(2);
  });

  it('answers not-found for a Medication the server does not have (404), reported by obtain as not found', async () => {
    await fhir.load([orderFor('Medication/no-such-med', 'mr-ref')]);
    const reads = await dataSource().session(request()).readMedications(['Medication/no-such-med']);
    expect(reads.get('Medication/no-such-med')).toEqual({ status: 'not-found' });
    const data = await obtain(dataSource(), request());
    expect(data.missing).toEqual([]);
    expect(data.medications).toEqual([]);
    expect(data.medicationReadFailures).toEqual({ 'Medication/no-such-med': 'not found on the FHIR server' });
  });

  it('fails a read answered HTTP 500, without making any key missing', async () => {
    await fhir.load([imatinib('med-1'), orderFor('Medication/med-1', 'mr-ref')]);
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Medication/') ? { status: 500, body: '{"resourceType":"OperationOutcome","issue":[]}' } : undefined) });
    const reads = await dataSource().session(request()).readMedications(['Medication/med-1']);
    expect(reads.get('Medication/med-1')).toEqual({ status: 'failed', reason: 'FHIR server answered HTTP 500' });
    const data = await obtain(dataSource(), request());
    expect(data.missing).toEqual([]);
    expect(ids(data.resources)).toContain('MedicationRequest/mr-ref');
    expect(data.medicationReadFailures).toEqual({ 'Medication/med-1': 'FHIR server answered HTTP 500' });
  });

  it('fails a read answered with another resource type, an OperationOutcome, another Medication or a body that is not JSON', async () => {
    await fhir.setBehaviour({
      respond: (req) => {
        if (req.url === '/Medication/as-patient') return { status: 200, body: JSON.stringify({ resourceType: 'Patient', id: 'as-patient' }) };
        if (req.url === '/Medication/as-outcome') return { status: 200, body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [] }) };
        if (req.url === '/Medication/as-other') return { status: 200, body: JSON.stringify({ resourceType: 'Medication', id: 'someone-else' }) };
        if (req.url === '/Medication/as-html') return { status: 200, body: '<html>sign in</html>', contentType: 'text/html' };
        return undefined;
      },
    });
    const reads = await dataSource().session(request()).readMedications(['Medication/as-patient', 'Medication/as-outcome', 'Medication/as-other', 'Medication/as-html']);
    expect(Object.fromEntries(reads)).toEqual({
      'Medication/as-patient': { status: 'failed', reason: 'FHIR server answered a read of Medication with a Patient' },
      'Medication/as-outcome': { status: 'failed', reason: 'FHIR server answered with an OperationOutcome' },
      'Medication/as-other': { status: 'failed', reason: 'FHIR server answered a read of Medication with another Medication' },
      'Medication/as-html': { status: 'failed', reason: 'FHIR server answered with a body that is not JSON' },
    });
  });

  it('fails a read larger than maxResponseBytes', async () => {
    const big = { ...imatinib('med-big'), text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(20_000)}</div>` } } as Medication;
    await fhir.load([big]);
    const reads = await dataSource({ maxResponseBytes: 8000 }).session(request()).readMedications(['Medication/med-big']);
    expect(reads.get('Medication/med-big')).toEqual({ status: 'failed', reason: expect.stringMatching(/larger than 8000 bytes/) });
  });

  it('fails a read slower than requestTimeoutMs', async () => {
    await fhir.load([imatinib('med-1')]);
    await fhir.setBehaviour({ slowMs: 1500 });
    const reads = await dataSource({ requestTimeoutMs: 200, budgetMs: 5000 }).session(request()).readMedications(['Medication/med-1']);
    expect(reads.get('Medication/med-1')).toEqual({ status: 'failed', reason: 'the FHIR server did not answer within 200 ms' });
  });

  it('spends one budget on the key fetches and the reads: a slow server makes the reads fail within it', async () => {
    await fhir.load([imatinib('med-1'), orderFor('Medication/med-1', 'mr-ref')]);
    const prefetch = await buildPrefetch(KEYS.filter((k) => k !== 'medicationRequests'));
    await fhir.setBehaviour({ slowMs: 300, requireToken: TOKEN });
    const cfg = { budgetMs: 500, requestTimeoutMs: 2000 };
    const started = performance.now();
    const data = await obtain(dataSource(cfg), request(prefetch));
    const elapsed = performance.now() - started;
    // The key fetch (~300 ms) fits in the budget; the read after it (another ~300 ms) does not.
    expect(data.sources.medicationRequests).toBe('fetched');
    expect(data.missing).toEqual([]);
    expect(ids(data.resources)).toContain('MedicationRequest/mr-ref');
    expect(data.medicationReadFailures).toEqual({ 'Medication/med-1': 'the FHIR fetch budget of 500 ms ran out' });
    expect(elapsed).toBeLessThan(500 + 400);
    expect(medRequests()).toHaveLength(1);
    expect(medRequests()[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    // The same read alone, with a budget of its own, succeeds: it was the shared budget that ran out.
    const alone = await dataSource(cfg).session(request()).readMedications(['Medication/med-1']);
    expect(alone.get('Medication/med-1')?.status).toBe('found');
  });

  it('does not read a Medication on another host (failed, and no request reaches it)', async () => {
    const other = await startFhirServer();
    try {
      await other.load([imatinib('med-1')]);
      const elsewhere = `${other.baseUrl}/Medication/med-1`;
      await fhir.load([imatinib('med-1'), orderFor(elsewhere, 'mr-ref')]);
      const session = dataSource().session(request());
      const reads = await session.readMedications([elsewhere]);
      expect(reads.get(elsewhere)).toEqual({ status: 'failed', reason: 'the Medication reference is not readable on this FHIR server' });
      const data = await session.obtain(templates);
      expect(data.medications).toEqual([]);
      expect(data.medicationReadFailures).toEqual({ 'Medication/med-1': 'the Medication reference is not readable on this FHIR server' });
      expect(other.requests).toHaveLength(0);
      expect(medRequests()).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('does not read contained, prefetched or draft-order Medications', async () => {
    const contained = forPatient([medicationRequest({ id: 'mr-contained', medicationReference: '#c1', contained: [imatinib('c1')] })], PATIENT);
    const draftMed = imatinib('med-draft');
    const draftOrders = bundle([imatinibOrder({ id: 'draft-1' }), draftMed]);
    const draftFullUrl = draftOrders.entry?.[1]?.fullUrl ?? '';
    expect(draftFullUrl).toMatch(/^urn:uuid:/);
    await fhir.load([
      ...contained,
      imatinib('med-pre'),
      imatinib('med-draft'),
      orderFor('Medication/med-pre', 'mr-pre'),
      orderFor('Medication/med-draft', 'mr-draft'),
      statementFor(draftFullUrl, 'ms-draft-urn'),
    ]);
    const prefetch = await buildPrefetch();
    // The CDS client sent the referenced Medication along with the orders (as an _include would).
    const orders = prefetch.medicationRequests as { entry: { resource: FhirResource }[] };
    orders.entry.push({ resource: imatinib('med-pre') });
    const data = await obtain(dataSource(), request(prefetch, { context: { patientId: PATIENT, userId: 'Practitioner/dr-1', draftOrders } }));
    expect(medRequests()).toHaveLength(0);
    expect(fhir.requests).toHaveLength(0);
    expect(ids(data.medications)).toEqual(['Medication/med-pre']);
    expect(data.medicationReadFailures).toBeUndefined();
    expect(ids(data.resources)).toEqual(expect.arrayContaining(['MedicationRequest/mr-contained', 'MedicationRequest/mr-pre', 'MedicationRequest/mr-draft', 'MedicationStatement/ms-draft-urn']));
  });

  it('returns the Medications of prefetch values from prefetchedMedications(), without any request', async () => {
    const prefetch = await buildPrefetch();
    (prefetch.medicationRequests as { entry: { resource: FhirResource }[] }).entry.push({ resource: imatinib('med-pre') });
    prefetch.patient = imatinib('med-odd');
    const session = dataSource().session(request(prefetch));
    expect(ids(session.prefetchedMedications())).toEqual(['Medication/med-odd', 'Medication/med-pre']);
    expect(fhir.requests).toHaveLength(0);
  });

  it('fails reads without any request when the request has no usable fhirServer', async () => {
    const none = await dataSource().session(request(undefined, { fhirServer: undefined })).readMedications(['Medication/med-1']);
    expect(none.get('Medication/med-1')).toEqual({ status: 'failed', reason: 'the request has no fhirServer to fetch from' });
    const notAllowed = await dataSource({ allowedServers: ['https://ehr.example.org'] }).session(request()).readMedications(['Medication/med-1', `${fhir.baseUrl}/Medication/med-1`]);
    expect(notAllowed.get('Medication/med-1')).toEqual({ status: 'failed', reason: 'fhirServer is not on the allow-list (fhir.allowedServers)' });
    expect(notAllowed.get(`${fhir.baseUrl}/Medication/med-1`)?.status).toBe('failed');
    expect(fhir.requests).toHaveLength(0);
  });

  it('fails references that are not readable (contained, urn, another type) without any request', async () => {
    const reads = await dataSource().session(request()).readMedications(['#c1', 'urn:uuid:1234', 'Substance/s1', `${fhir.baseUrl}/Medication/med-1?_format=xml`]);
    for (const read of reads.values()) expect(read).toEqual({ status: 'failed', reason: 'the Medication reference is not readable on this FHIR server' });
    expect(reads.size).toBe(4);
    expect(fhir.requests).toHaveLength(0);
  });

  it('logs one warn line per failed read, never a URL, the patient id or the token', async () => {
    const other = 'http://ehr.elsewhere.example/fhir/Medication/med-2';
    await fhir.load([imatinib('med-1'), orderFor('Medication/med-1', 'mr-ref'), statementFor(`${fhir.baseUrl}/Medication/med-1`, 'ms-ref'), orderFor(other, 'mr-other')]);
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Medication/') ? { status: 503, body: '{}' } : undefined) });
    const { logger, capture } = capturingLogger('debug');
    const data = await obtain(dataSource({}, undefined, logger), request());
    await new Promise((r) => setImmediate(r));
    expect(data.medicationReadFailures).toEqual({ 'Medication/med-1': 'FHIR server answered HTTP 503', 'Medication/med-2': 'the Medication reference is not readable on this FHIR server' });
    const failed = capture.lines.filter((l) => l.message === 'Medication read failed');
    expect(failed).toHaveLength(2);
    expect(failed.map((l) => l.level)).toEqual(['warn', 'warn']);
    const text = capture.text();
    expect(text).not.toContain(new URL(fhir.baseUrl).host);
    expect(text).not.toContain('elsewhere.example');
    expect(text).not.toContain(PATIENT);
    expect(text).not.toContain(TOKEN);
  });
});

describe('logging of missing keys', () => {
  it('logs one warn line per missing key, with its reason, never a URL, the patient id or the token', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Observation') ? { status: 500, body: '{}' } : undefined) });
    const { logger, capture } = capturingLogger('debug');
    const data = await obtain(dataSource({}, undefined, logger), request());
    await new Promise((r) => setImmediate(r));
    const observationKeys = templates.entries.filter((t) => t.resourceType === 'Observation').map((t) => t.key);
    expect(data.missing.map((m) => m.key)).toEqual(observationKeys);
    const lines = capture.lines.filter((l) => l.message === 'prefetch key missing');
    expect(lines.map((l) => [l.level, l.key, l.reason, l.status])).toEqual(observationKeys.map((k) => ['warn', k, 'FHIR server answered HTTP 500', 500]));
    const text = capture.text();
    expect(text).not.toContain(new URL(fhir.baseUrl).host);
    expect(text).not.toContain(PATIENT);
    expect(text).not.toContain(TOKEN);
  });
});
