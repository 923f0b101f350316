/**
 * CDS Hooks 2.0.1 protocol behaviour of the real app over real HTTP (docs/cds-hooks-checklist.md Part A items in the names).
 * Every response is checked for null/empty values (J-0.2) by the `call` helper.
 */
import { assertNoEmptyValues } from '../helpers/assert-cds';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { amoxicillinOrder, orderSelectRequest, orderSignRequest } from '../helpers/requests';
import { imatinibOrder } from '../helpers/fhir-builders';

let svc: ListeningService;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${svc.baseUrl}${path}`, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  if (text) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    body = JSON.parse(text) as Record<string, unknown>;
    assertNoEmptyValues(body);
  }
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
  return { status: res.status, headers: res.headers, body, text };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

function diagnostics(a: Answer): string {
  expect(a.body.resourceType).toBe('OperationOutcome');
  return (a.body.issue as { diagnostics: string }[]).map((i) => i.diagnostics).join('\n');
}

beforeAll(async () => {
  svc = await listen(makeService({ server: { bodyLimitBytes: 200000 } }));
});
afterAll(() => svc.stop());

describe('discovery', () => {
  it('D1/D2/D3: GET /cds-services lists the three services with hook, id, title, description and prefetch', async () => {
    const a = await call('/cds-services');
    expect(a.status).toBe(200);
    const services = a.body.services as Record<string, unknown>[];
    expect(services.map((s) => `${s.id}:${s.hook}`)).toEqual(['imatinib-order-select:order-select', 'imatinib-order-sign:order-sign', 'imatinib-pharmacy-verify:order-sign']);
    for (const s of services) {
      expect(typeof s.description).toBe('string');
      expect(typeof s.title).toBe('string');
      expect(Object.keys(s.prefetch as object).length).toBeGreaterThan(0);
    }
  });

  it('D4: service ids are unique (the Sandbox overwrites duplicates)', async () => {
    const ids = ((await call('/cds-services')).body.services as { id: string }[]).map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('service calls', () => {
  it('C1: a request with no imatinib order answers {"cards": []} without fetching (fhirServer unreachable, no prefetch)', async () => {
    const a = await post('/cds-services/imatinib-order-sign', orderSignRequest({ orders: [amoxicillinOrder()], fhirServer: 'http://127.0.0.1:9/fhir' }));
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ cards: [] });
  });

  it('C1: order-select with an unselected imatinib order answers {"cards": []}', async () => {
    const body = orderSelectRequest({ orders: [amoxicillinOrder(), imatinibOrder({ id: 'imatinib-1' })], selections: ['MedicationRequest/smart-MedicationRequest-103'], fhirServer: 'http://127.0.0.1:9/fhir' });
    const a = await post('/cds-services/imatinib-order-select', body);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ cards: [] });
  });

  it('R1: 400 names each missing required field', async () => {
    const a = await post('/cds-services/imatinib-order-sign', { hook: 'order-sign', context: { patientId: 'p1' } });
    expect(a.status).toBe(400);
    const text = diagnostics(a);
    expect(text).toMatch(/hookInstance/);
    expect(text).toMatch(/context\.userId/);
    expect(text).toMatch(/context\.draftOrders/);
  });

  it('A3: order-select requires selections', async () => {
    const body = orderSelectRequest({ orders: [amoxicillinOrder()] });
    delete (body.context as Record<string, unknown>).selections;
    const a = await post('/cds-services/imatinib-order-select', body);
    expect(a.status).toBe(400);
    expect(diagnostics(a)).toMatch(/context\.selections/);
  });

  it('H4: the hook must match the service', async () => {
    const a = await post('/cds-services/imatinib-order-select', orderSignRequest({ orders: [amoxicillinOrder()] }));
    expect(a.status).toBe(400);
    expect(diagnostics(a)).toMatch(/answers "order-select", not "order-sign"/);
  });

  it('H2/H3/X1/R3: tolerates no Bundle.type, category as an object, STU3 doseQuantity, unknown fields, extensions and no fhirAuthorization', async () => {
    const order = { ...amoxicillinOrder(), category: { text: 'outpatient' }, dosageInstruction: [{ doseQuantity: { value: 5, unit: 'mL' }, timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }], extension: [{ url: 'urn:x', valueString: 'y' }] };
    const body = { ...orderSignRequest({ orders: [order as never] }), extension: { 'davinci-crd.configuration': { alerts: true } }, newField: true };
    const a = await post('/cds-services/imatinib-order-sign', body);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ cards: [] });
  });

  it('404 for an unknown service, as an OperationOutcome', async () => {
    const a = await post('/cds-services/no-such-service', orderSignRequest({ orders: [amoxicillinOrder()] }));
    expect(a.status).toBe(404);
    expect(diagnostics(a)).toMatch(/unknown CDS service "no-such-service"/);
  });

  it('405 with Allow for a wrong method on each endpoint', async () => {
    for (const [method, path, allow] of [
      ['POST', '/cds-services', 'GET'],
      ['GET', '/cds-services/imatinib-order-sign', 'POST'],
      ['DELETE', '/cds-services/imatinib-order-sign', 'POST'],
      ['GET', '/cds-services/imatinib-order-sign/feedback', 'POST'],
      ['POST', '/healthz', 'GET'],
    ] as const) {
      const a = await call(path, { method });
      expect([method, path, a.status]).toEqual([method, path, 405]);
      expect(a.headers.get('allow')).toBe(allow);
      expect(a.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('400 for malformed JSON', async () => {
    const a = await post('/cds-services/imatinib-order-sign', '{"hook": "order-sign",');
    expect(a.status).toBe(400);
    expect(diagnostics(a)).toBe('request body is not valid JSON');
  });

  it('413 for a body over the configured limit', async () => {
    const body = orderSignRequest({ orders: [amoxicillinOrder()] });
    body.padding = 'x'.repeat(250000);
    const a = await post('/cds-services/imatinib-order-sign', body);
    expect(a.status).toBe(413);
    expect(diagnostics(a)).toMatch(/size limit/);
  });

  it('415 for a non-JSON content type', async () => {
    const a = await call('/cds-services/imatinib-order-sign', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(a.status).toBe(415);
    expect(diagnostics(a)).toMatch(/application\/json/);
  });

  it('accepts application/fhir+json and charset parameters', async () => {
    const a = await post('/cds-services/imatinib-order-sign', orderSignRequest({ orders: [amoxicillinOrder()] }), { 'content-type': 'application/fhir+json; charset=utf-8' });
    expect(a.status).toBe(200);
  });

  it('400, not 500, for a malformed percent-escape in the path', async () => {
    for (const path of ['/cds-services/%', '/cds-services/5%89g', '/cds-services/%E0%A4%A/feedback']) {
      const a = await post(path, orderSignRequest({ orders: [amoxicillinOrder()] }));
      expect([path, a.status]).toEqual([path, 400]);
      expect(a.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('400 for a draft MedicationRequest without a FHIR id (suggestions could not name it)', async () => {
    for (const id of [undefined, '', 42, { a: 1 }]) {
      const order = { ...imatinibOrder({ id: 'x' }), id } as never;
      const a = await post('/cds-services/imatinib-order-sign', orderSignRequest({ orders: [order] }));
      expect(a.status).toBe(400);
      expect(diagnostics(a)).toMatch(/context\.draftOrders\.entry\.0\.resource\.id/);
    }
  });

  it('never dies on a malformed prefetch: the next request still succeeds', async () => {
    const bad = orderSignRequest({ orders: [imatinibOrder({ id: 'imatinib-1' })] });
    bad.prefetch = { patient: 42, conditions: 'not a bundle', labs: { resourceType: 'Bundle', entry: [null, 7, { resource: 'x' }] }, medicationRequests: [1, 2], genomics: { resourceType: 'Bundle', entry: {} }, staging: { resourceType: 'Bundle', entry: -1 } };
    (bad.context as { draftOrders: { entry: { resource: { dosageInstruction: unknown } }[] } }).draftOrders.entry[0]!.resource.dosageInstruction = { not: 'an array' };
    const a = await post('/cds-services/imatinib-order-sign', bad);
    expect(a.status).toBeLessThan(500);
    const next = await post('/cds-services/imatinib-order-sign', orderSignRequest({ orders: [amoxicillinOrder()] }));
    expect(next.status).toBe(200);
  });
});

describe('feedback', () => {
  const item = { card: '8f1a0e44-5d43-4c5c-9a50-000000000001', outcome: 'accepted', acceptedSuggestions: [{ id: '8f1a0e44-5d43-4c5c-9a50-000000000002' }], outcomeTimestamp: '2026-11-27T10:15:00Z' };

  it('F1/F3/F4: stores a batch, answers 200, and is idempotent for repeats', async () => {
    const second = { card: '8f1a0e44-5d43-4c5c-9a50-000000000003', outcome: 'overridden', overrideReason: { reason: { system: 'urn:x', code: 'y' } }, outcomeTimestamp: '2026-11-27T10:16:00Z' };
    const first = await post('/cds-services/imatinib-order-sign/feedback', { feedback: [item, second] });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: 2, stored: 2, duplicates: 0, unknownCards: 2 });
    const again = await post('/cds-services/imatinib-order-sign/feedback', { feedback: [item] });
    expect(again.body).toEqual({ received: 1, stored: 0, duplicates: 1, unknownCards: 1 });
  });

  it('F2: 400 names the failing item path', async () => {
    const a = await post('/cds-services/imatinib-order-sign/feedback', { feedback: [{ ...item, acceptedSuggestions: undefined }] });
    expect(a.status).toBe(400);
    expect(diagnostics(a)).toMatch(/feedback\.0\.acceptedSuggestions/);
  });

  it('404 for feedback to an unknown service', async () => {
    const a = await post('/cds-services/nope/feedback', { feedback: [item] });
    expect(a.status).toBe(404);
  });
});

describe('operations', () => {
  it('GET /healthz and /readyz answer 200', async () => {
    expect((await call('/healthz')).body).toEqual({ status: 'ok' });
    expect((await call('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('unknown paths answer a JSON 404', async () => {
    const a = await call('/nothing-here');
    expect(a.status).toBe(404);
    expect(a.body.resourceType).toBe('OperationOutcome');
  });

  it('every response carries an X-Request-Id and honours a sane incoming one', async () => {
    const a = await call('/healthz', { headers: { 'x-request-id': 'ehr-trace-123' } });
    expect(a.headers.get('x-request-id')).toBe('ehr-trace-123');
    const b = await call('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS (S10)', () => {
  it('answers a preflight without a JWT, with the methods and headers a browser client needs', async () => {
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
