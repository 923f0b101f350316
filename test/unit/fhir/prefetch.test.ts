/**
 * Prefetch resolution logic of a data session with a scripted fetch (no network): which keys are fetched,
 * how each answer is classified (obtained, or missing with a reason while the other keys are still returned),
 * what reaches the logs. The same behaviours against a real FHIR server, and the Medication reads, are in
 * test/integration/fhir-data.test.ts.
 */
import { PassThrough } from 'node:stream';
import type { Bundle, FhirResource, Medication, Observation } from 'fhir/r4';
import type { AppConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { createPatientDataSource } from '../../../src/fhir/prefetch';
import { compileTemplates } from '../../../src/fhir/templates';
import type { DataRequest, PatientData, PatientDataSource } from '../../../src/fhir/types';

const SERVER = 'http://127.0.0.1:9999/fhir';
const TOKEN = 'secret-token-value-123';

const fhirConfig: AppConfig['fhir'] = {
  allowedServers: ['http://127.0.0.1'],
  requestTimeoutMs: 1000,
  budgetMs: 2000,
  maxPages: 3,
  maxResponseBytes: 10_000,
  onPrefetchOperationOutcome: 'fetch',
};

const templates = compileTemplates({
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  labs: 'Observation?patient={{context.patientId}}&code=http://loinc.org|751-8&_sort=-date',
});

const patient: FhirResource = { resourceType: 'Patient', id: 'p1' };
const condition: FhirResource = { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' } };
const obs = (id: string): Observation => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' } });
const searchset = (resources: FhirResource[], next?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
  ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
});
const outcome: FhirResource = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] };

interface Call {
  url: string;
  headers: Record<string, string>;
}

type Route = (url: URL) => Response | Promise<Response> | undefined;

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/fhir+json', ...headers } });
}

/** A fetch that answers from routes (first match) and records every call; unmatched URLs answer 599. */
function scriptedFetch(...routes: Route[]): { fetchImpl: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push({ url: url.href, headers: { ...(init?.headers as Record<string, string>) } });
    for (const route of routes) {
      const r = await route(url);
      if (r) return r;
    }
    return new Response('no route', { status: 599 });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

/** Answers a healthy server would give for patient p1. */
const healthy: Route = (url) => {
  if (url.pathname.endsWith('/Patient/p1')) return json(patient);
  if (url.pathname.endsWith('/Condition')) return json(searchset([condition]));
  if (url.pathname.endsWith('/Observation')) return json(searchset([obs('o1')]));
  return undefined;
};

function logCapture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { logger: createLogger('debug', { stream }), text: () => text };
}

function source(fetchImpl: typeof fetch, cfg: Partial<AppConfig['fhir']> = {}): PatientDataSource {
  return createPatientDataSource({ ...fhirConfig, ...cfg }, { logger: createLogger('error', { silent: true }), fetchImpl });
}

function request(prefetch?: Record<string, unknown>, extra: Partial<DataRequest> = {}): DataRequest {
  return {
    context: { patientId: 'p1', userId: 'Practitioner/u1' },
    fhirServer: SERVER,
    fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' },
    ...(prefetch ? { prefetch } : {}),
    ...extra,
  };
}

/** One data session's obtain() (the way the pipeline calls it). */
function obtain(ds: PatientDataSource, req: DataRequest, signal?: AbortSignal, t = templates): Promise<PatientData> {
  return ds.session(req, signal).obtain(t);
}

/** The missing keys of a result (key → reason), after checking that something is missing. */
function missingOf(data: PatientData): Record<string, string> {
  expect(data.missing.length).toBeGreaterThan(0);
  for (const m of data.missing) expect(data.sources[m.key]).toBe('unavailable');
  return Object.fromEntries(data.missing.map((m) => [m.key, m.reason]));
}

const ids = (resources: FhirResource[]) => resources.map((r) => `${r.resourceType}/${r.id}`).sort();

describe('PatientDataSource.obtain: prefetch states', () => {
  it('uses a complete prefetch without any fetch, unpacking Bundles', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request({ patient, conditions: searchset([condition]), labs: searchset([obs('o1'), obs('o2')]) }));
    expect(calls).toHaveLength(0);
    expect(ids(data.resources)).toEqual(['Condition/c1', 'Observation/o1', 'Observation/o2', 'Patient/p1']);
    expect(data.sources).toEqual({ patient: 'prefetch', conditions: 'prefetch', labs: 'prefetch' });
    expect(data.truncatedKeys).toBeUndefined();
  });

  it('fetches only the absent key, with the bearer token and FHIR JSON accept header', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request({ patient, conditions: searchset([condition]) }));
    expect(calls.map((c) => c.url)).toEqual([`${SERVER}/Observation?patient=p1&code=http://loinc.org|751-8&_sort=-date`]);
    expect(calls[0]?.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, Accept: 'application/fhir+json' });
    expect(data.sources.labs).toBe('fetched');
    expect(ids(data.resources)).toContain('Observation/o1');
  });

  it('sends no Authorization header when the client gave no fhirAuthorization (open server)', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    await obtain(source(fetchImpl), request(undefined, { fhirAuthorization: undefined }));
    expect(calls).toHaveLength(3);
    for (const c of calls) expect(c.headers.Authorization).toBeUndefined();
  });

  it('treats null as known-empty: no fetch, no data', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request({ patient, conditions: null, labs: null }));
    expect(calls).toHaveLength(0);
    expect(ids(data.resources)).toEqual(['Patient/p1']);
    expect(data.sources).toMatchObject({ conditions: 'prefetch-null', labs: 'prefetch-null' });
  });

  it('fetches a key the client answered with an OperationOutcome', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request({ patient, conditions: outcome, labs: null }));
    expect(calls).toHaveLength(1);
    expect(data.sources.conditions).toBe('fetched');
    expect(ids(data.resources)).toEqual(['Condition/c1', 'Patient/p1']);
  });

  it('reports an OperationOutcome in prefetch as missing when configured to fail, without fetching', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const missing = missingOf(await obtain(source(fetchImpl, { onPrefetchOperationOutcome: 'fail' }), request({ patient, conditions: outcome, labs: null })));
    expect(Object.keys(missing)).toEqual(['conditions']);
    expect(missing.conditions).toMatch(/OperationOutcome/);
    expect(calls).toHaveLength(0);
  });

  it('fetches a key whose prefetch value is not a FHIR resource', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request({ patient, conditions: 'oops', labs: [1, 2] }));
    expect(calls).toHaveLength(2);
    expect(data.sources).toMatchObject({ conditions: 'fetched', labs: 'fetched' });
  });

  it('drops OperationOutcomes inside Bundles and deduplicates resources across keys', async () => {
    const { fetchImpl } = scriptedFetch(healthy);
    const labs = searchset([obs('o1'), outcome, obs('o1')]);
    const conditions: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: condition }, { resource: obs('o1') }, {}] };
    const data = await obtain(source(fetchImpl), request({ patient, conditions, labs }));
    expect(ids(data.resources)).toEqual(['Condition/c1', 'Observation/o1', 'Patient/p1']);
  });

  it('keeps Medications apart from the other resources, deduplicated', async () => {
    const { fetchImpl } = scriptedFetch(healthy);
    const med: Medication = { resourceType: 'Medication', id: 'm1' };
    const data = await obtain(source(fetchImpl), request({ patient: med, conditions: searchset([condition, med]), labs: searchset([obs('o1'), { resourceType: 'Medication', id: 'm2' }]) }));
    expect(ids(data.resources)).toEqual(['Condition/c1', 'Observation/o1']);
    expect(ids(data.medications)).toEqual(['Medication/m1', 'Medication/m2']);
    expect(data.missing).toEqual([]);
  });

  it('reports nothing missing when every key is obtained', async () => {
    const { fetchImpl } = scriptedFetch(healthy);
    const data = await obtain(source(fetchImpl), request());
    expect(data.missing).toEqual([]);
    expect(data.medicationReadFailures).toBeUndefined();
  });
});

describe('DataSession.prefetchedMedications', () => {
  it('returns the Medications of prefetch values (a resource or Bundle entries) without any call', () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const m1: Medication = { resourceType: 'Medication', id: 'm1' };
    const m2: Medication = { resourceType: 'Medication', id: 'm2' };
    const session = source(fetchImpl).session(request({ patient: m1, conditions: searchset([condition, m2, m1]), labs: null, other: 'x' }));
    expect(ids(session.prefetchedMedications())).toEqual(['Medication/m1', 'Medication/m2']);
    expect(source(fetchImpl).session(request()).prefetchedMedications()).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe('PatientDataSource.obtain: paged prefetch', () => {
  it('reads the remaining pages of a paged prefetch searchset from the FHIR server', async () => {
    const { fetchImpl, calls } = scriptedFetch((url) => (url.searchParams.get('page') === '2' ? json(searchset([obs('o3')])) : undefined));
    const data = await obtain(source(fetchImpl), request({ patient, conditions: null, labs: searchset([obs('o1'), obs('o2')], `${SERVER}/Observation?page=2`) }));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(ids(data.resources)).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3', 'Patient/p1']);
    expect(data.sources.labs).toBe('prefetch');
  });

  it('counts the prefetch page against maxPages', async () => {
    const { fetchImpl, calls } = scriptedFetch((url) => {
      const page = Number(url.searchParams.get('page'));
      return json(searchset([obs(`o${page}`)], `${SERVER}/Observation?page=${page + 1}`));
    });
    const data = await obtain(source(fetchImpl, { maxPages: 3 }), request({ patient, conditions: null, labs: searchset([obs('o1')], `${SERVER}/Observation?page=2`) }));
    expect(calls).toHaveLength(2);
    expect(data.truncatedKeys).toEqual(['labs']);
  });

  it('cannot complete a paged prefetch without a usable fhirServer: the key is missing', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const missing = missingOf(
      await obtain(source(fetchImpl), request({ patient, conditions: null, labs: searchset([obs('o1')], `${SERVER}/Observation?page=2`) }, { fhirServer: undefined })),
    );
    expect(Object.keys(missing)).toEqual(['labs']);
    expect(calls).toHaveLength(0);
  });

  it('ignores next links of non-searchset Bundles', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const collection: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: obs('o1') }], link: [{ relation: 'next', url: `${SERVER}/x` }] };
    await obtain(source(fetchImpl), request({ patient, conditions: null, labs: collection }));
    expect(calls).toHaveLength(0);
  });
});

describe('PatientDataSource.obtain: FHIR server answers', () => {
  const withPrefetch = { patient, conditions: searchset([condition]) };

  it('treats 404 on a read as "no such resource" (no data, not a failure)', async () => {
    const { fetchImpl } = scriptedFetch((url) => (url.pathname.endsWith('/Patient/p1') ? json(outcome, 404) : undefined), healthy);
    const data = await obtain(source(fetchImpl), request({ conditions: null, labs: null }));
    expect(data.resources).toEqual([]);
    expect(data.sources.patient).toBe('fetched');
  });

  it('reports a search answered 404 as missing (a search that finds nothing answers an empty Bundle)', async () => {
    const { fetchImpl } = scriptedFetch((url) => (url.pathname.endsWith('/Observation') ? json(outcome, 404) : undefined));
    const missing = missingOf(await obtain(source(fetchImpl), request(withPrefetch)));
    expect(missing.labs).toMatch(/HTTP 404/);
  });

  it.each([
    ['a body that is not JSON', () => new Response('<html>login</html>', { status: 200, headers: { 'Content-Type': 'text/html' } }), /not JSON/],
    ['JSON that is not FHIR', () => json({ hello: 'world' }), /not a FHIR resource/],
    ['an OperationOutcome with 200', () => json(outcome), /OperationOutcome/],
    ['a search answered with a single resource', () => json(obs('o1')), /search of Observation with a Observation/],
    ['an empty 200 body', () => new Response(null, { status: 200 }), /not JSON/],
    ['a declared Content-Length over the limit', () => json(searchset([]), 200, { 'Content-Length': '20000' }), /larger than 10000 bytes/],
    ['a redirect (not followed)', () => new Response(null, { status: 302, headers: { Location: 'http://evil.example/steal' } }), /redirect/],
    ['HTTP 500', () => json(outcome, 500), /HTTP 500/],
    ['HTTP 403', () => json(outcome, 403), /refused access \(HTTP 403\)/],
  ])('reports the key as missing on %s, and still returns the others', async (_what, answer, reason) => {
    const { fetchImpl, calls } = scriptedFetch((url) => (url.pathname.endsWith('/Observation') ? answer() : undefined));
    const data = await obtain(source(fetchImpl), request(withPrefetch));
    const missing = missingOf(data);
    expect(Object.keys(missing)).toEqual(['labs']);
    expect(missing.labs).toMatch(reason);
    expect(calls).toHaveLength(1);
    expect(ids(data.resources)).toEqual(['Condition/c1', 'Patient/p1']);
  });

  it('describes a missing key by its template: resource type, and the codes of its code parameter when it has one', async () => {
    const { fetchImpl } = scriptedFetch(() => json(outcome, 503));
    const data = await obtain(source(fetchImpl), request());
    const reason = 'FHIR server answered HTTP 503';
    expect(data.missing).toEqual([
      { key: 'patient', reason, resourceType: 'Patient' },
      { key: 'conditions', reason, resourceType: 'Condition' },
      { key: 'labs', reason, resourceType: 'Observation', codes: ['http://loinc.org|751-8'] },
    ]);
    expect(data.missing[0]).not.toHaveProperty('codes');
  });

  it('reads a JSON body that starts with a UTF-8 byte order mark', async () => {
    const { fetchImpl } = scriptedFetch((url) => (url.pathname.endsWith('/Observation') ? new Response(`\uFEFF${JSON.stringify(searchset([obs('o9')]))}`, { status: 200 }) : undefined));
    const data = await obtain(source(fetchImpl), request(withPrefetch));
    expect(ids(data.resources)).toContain('Observation/o9');
  });

  it('stops reading a streamed body once it passes maxResponseBytes', async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(' '.repeat(4096));
    const endless = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += 1;
            controller.enqueue(chunk);
          },
        }),
        { status: 200 },
      );
    const { fetchImpl } = scriptedFetch((url) => (url.pathname.endsWith('/Observation') ? endless() : undefined));
    const missing = missingOf(await obtain(source(fetchImpl), request(withPrefetch)));
    expect(missing.labs).toMatch(/larger than 10000 bytes/);
    expect(pulled).toBeLessThan(10);
  });

  it('names every missing key, and why, in one result', async () => {
    const { fetchImpl } = scriptedFetch(() => json(outcome, 401));
    const missing = missingOf(await obtain(source(fetchImpl), request()));
    expect(Object.keys(missing).sort()).toEqual(['conditions', 'labs', 'patient']);
    expect(missing.patient).toMatch(/HTTP 401/);
  });

  it('reports every absent key as missing without any call when there is no fhirServer', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const missing = missingOf(await obtain(source(fetchImpl), request({ patient }, { fhirServer: undefined })));
    expect(Object.keys(missing).sort()).toEqual(['conditions', 'labs']);
    expect(missing.labs).toMatch(/no fhirServer/);
    expect(calls).toHaveLength(0);
  });

  it('reports every absent key as missing without any call when fhirServer is not allow-listed', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const missing = missingOf(await obtain(source(fetchImpl), request({ patient }, { fhirServer: 'http://127.0.0.1.evil.example/fhir' })));
    expect(Object.keys(missing).sort()).toEqual(['conditions', 'labs']);
    expect(missing.labs).toMatch(/allow-list/);
    expect(calls).toHaveLength(0);
  });

  it('reports a key as missing when its template cannot be filled (no encounterId)', async () => {
    const { fetchImpl, calls } = scriptedFetch(healthy);
    const missing = missingOf(await obtain(source(fetchImpl), request(), undefined, compileTemplates({ encounter: 'Encounter/{{context.encounterId}}' })));
    expect(missing.encounter).toMatch(/context\.encounterId/);
    expect(calls).toHaveLength(0);
  });

  it('reports keys as missing when the caller cancels', async () => {
    const controller = new AbortController();
    const { fetchImpl } = scriptedFetch(
      (_url) =>
        new Promise<Response>((_resolve, reject) => {
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason));
          controller.abort();
        }),
    );
    const missing = missingOf(await obtain(source(fetchImpl), request(withPrefetch), controller.signal));
    expect(missing.labs).toMatch(/cancelled/);
  });

  it('reports an unreachable server with its error code', async () => {
    const fetchImpl = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const missing = missingOf(await obtain(source(fetchImpl), request(withPrefetch)));
    expect(missing.labs).toBe('FHIR server unreachable (ECONNREFUSED)');
  });
});

describe('PatientDataSource.obtain: paging of fetched searches', () => {
  it('follows next links up to maxPages and marks the key truncated', async () => {
    const { fetchImpl, calls } = scriptedFetch((url) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      return json(searchset([obs(`o${page}`)], `${SERVER}/Observation?page=${page + 1}`));
    });
    const data = await obtain(source(fetchImpl, { maxPages: 3 }), request({ patient, conditions: null }));
    expect(calls).toHaveLength(3);
    expect(ids(data.resources)).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3', 'Patient/p1']);
    expect(data.truncatedKeys).toEqual(['labs']);
  });

  it('resolves relative next links against fhirServer', async () => {
    const { fetchImpl, calls } = scriptedFetch((url) =>
      url.searchParams.get('page') === '2' ? json(searchset([obs('o2')])) : json(searchset([obs('o1')], 'Observation?page=2')),
    );
    const data = await obtain(source(fetchImpl), request({ patient, conditions: null }));
    expect(calls[1]?.url).toBe(`${SERVER}/Observation?page=2`);
    expect(ids(data.resources)).toContain('Observation/o2');
    expect(data.truncatedKeys).toBeUndefined();
  });

  it.each([
    ['another host', 'http://evil.example/fhir/Observation?page=2'],
    ['a look-alike host', 'http://127.0.0.1.evil.example/fhir/Observation?page=2'],
    ['another port of the same host', 'http://127.0.0.1:1234/fhir/Observation?page=2'],
  ])('does not follow a next link to %s (and sends it no token)', async (_what, next) => {
    const { fetchImpl, calls } = scriptedFetch(() => json(searchset([obs('o1')], next)));
    const data = await obtain(source(fetchImpl), request({ patient, conditions: null }));
    expect(calls).toHaveLength(1);
    expect(data.truncatedKeys).toEqual(['labs']);
  });

  it('stops on a next link that loops back', async () => {
    const { fetchImpl, calls } = scriptedFetch(() => json(searchset([obs('o1')], `${SERVER}/Observation?page=2`)));
    await obtain(source(fetchImpl, { maxPages: 5 }), request({ patient, conditions: null }));
    expect(calls).toHaveLength(2);
  });
});

describe('PatientDataSource.obtain: logging', () => {
  it('logs key names and statuses, never the token, the server URL or the patient id', async () => {
    const logs = logCapture();
    const { fetchImpl } = scriptedFetch((url) => (url.pathname.endsWith('/Condition') ? json(outcome, 500) : undefined), healthy);
    const ds = createPatientDataSource(fhirConfig, { logger: logs.logger, fetchImpl });
    missingOf(await obtain(ds, request(undefined, { context: { patientId: 'patient-secret-id' } })));
    await new Promise((r) => setImmediate(r));
    const text = logs.text();
    // One warn line per missing key (the scripted server knows no Patient/patient-secret-id: 599).
    const missingLines = text.split('\n').filter((l) => l.includes('prefetch key missing'));
    expect(missingLines).toHaveLength(2);
    expect(missingLines.find((l) => l.includes('"key":"conditions"'))).toContain('"status":500');
    expect(missingLines.find((l) => l.includes('"key":"patient"'))).toContain('"status":599');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('patient-secret-id');
    expect(text).not.toContain('127.0.0.1:9999');
  });
});
