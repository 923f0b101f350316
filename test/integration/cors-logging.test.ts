/** CORS with an origin allow-list and authentication on, and what the request log line carries (and never carries). */
import { listen, makeService, type ListeningService } from '../helpers/service';
import { amoxicillinOrder, orderSignRequest } from '../helpers/requests';

describe('CORS with an allow-list and authentication required', () => {
  let svc: ListeningService;
  beforeAll(async () => {
    svc = await listen(makeService({ cors: { allowedOrigins: ['https://ehr.example.org'] }, auth: { required: true } }));
  });
  afterAll(() => svc.stop());

  it('answers the preflight of an allowed origin without a JWT, echoing the origin with Vary: Origin', async () => {
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, { method: 'OPTIONS', headers: { origin: 'https://ehr.example.org', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ehr.example.org');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives no CORS grant to an origin not on the list', async () => {
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('still demands the JWT on the actual call', async () => {
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, { method: 'POST', headers: { origin: 'https://ehr.example.org', 'content-type': 'application/json' }, body: JSON.stringify(orderSignRequest({ orders: [amoxicillinOrder()] })) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('request log', () => {
  it('logs request id, service id, hookInstance, status, duration and rule ids, but no token or FHIR content', async () => {
    const svc = await listen(makeService());
    const body = orderSignRequest({ orders: [amoxicillinOrder()], fhirServer: 'http://127.0.0.1:9/fhir', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea' });
    body.fhirAuthorization = { access_token: 'SECRET-ACCESS-TOKEN-VALUE', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer eyJhbGciOiJFUzM4NCJ9.e30.SECRET-JWT-SIGNATURE' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    await svc.stop();
    const line = svc.logs.lines.find((l) => l.message === 'request' && l.path === '/cds-services/imatinib-order-sign');
    expect(line).toMatchObject({ level: 'info', method: 'POST', status: 200, serviceId: 'imatinib-order-sign', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea', ruleIds: [] });
    expect(typeof line?.requestId).toBe('string');
    expect(typeof line?.durationMs).toBe('number');
    const all = svc.logs.text();
    expect(all).not.toContain('SECRET-ACCESS-TOKEN-VALUE');
    expect(all).not.toContain('SECRET-JWT-SIGNATURE');
    expect(all).not.toContain('Amoxicillin');
    expect(all).not.toContain('Patient/');
  });
});
