/**
 * WEB_CONCURRENCY=2: two worker processes behind node:cluster share the port, the jti replay cache and the
 * card store (both in SQLite). Each request goes on a fresh connection, so the cluster's round-robin spreads
 * them over both workers; the request log's pid shows that both took part.
 */
import http from 'node:http';
import path from 'node:path';
import { startChild, tmpDir, writeConfig, type ChildService } from '../helpers/child';
import { mintToken, testClients, bearer } from '../helpers/jwt';
import { fullPrefetch, orderSignRequest } from '../helpers/requests';
import { LOINC, PATIENT_ID, daysAgo, gistCondition, imatinibOrder, lab, metastasisCondition, variantObservation } from '../helpers/fhir-builders';

function post(url: string, body: unknown, token: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: bearer(token) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('two worker processes', () => {
  let svc: ChildService;
  beforeAll(async () => {
    const config = { auth: { required: true, trustedClients: testClients() }, store: { path: path.join(tmpDir(), 'cards.sqlite') } };
    svc = await startChild({ CDS_CONFIG: writeConfig(config), WEB_CONCURRENCY: '2' });
    // Both workers log "listening"; wait for the second.
    for (let i = 0; i < 100 && (svc.output().match(/"message":"listening"/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    svc.child.kill('SIGTERM');
    expect((await svc.exited).code).toBe(0);
  });

  it('refuses a replayed jti whichever worker sees it, and joins feedback to cards issued by the other worker', async () => {
    const serviceUrl = `${svc.baseUrl}/cds-services/imatinib-order-sign`;
    const order = imatinibOrder({ id: 'o1' });
    const history = [{ resourceType: 'Patient', id: PATIENT_ID } as never, gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' }), lab(LOINC.crclCockcroftGault, 90, 'mL/min', daysAgo(2))];
    const body = orderSignRequest({ orders: [order], prefetch: fullPrefetch(history) });

    const cardUuids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const token = mintToken({ aud: serviceUrl });
      const first = await post(serviceUrl, body, token);
      expect(first.status).toBe(200);
      cardUuids.push(...(first.json.cards as { uuid: string }[]).map((c) => c.uuid));
      const replay = await post(serviceUrl, body, token);
      expect(replay.status).toBe(401);
    }
    expect(cardUuids.length).toBeGreaterThan(0);

    const feedbackUrl = `${serviceUrl}/feedback`;
    for (const uuid of cardUuids) {
      const item = { card: uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() };
      const ack = await post(feedbackUrl, { feedback: [item] }, mintToken({ aud: feedbackUrl }));
      expect(ack.json).toMatchObject({ stored: 1, unknownCards: 0 });
    }

    const pids = new Set([...svc.output().matchAll(/"message":"request"[^\n]*"pid":(\d+)|"pid":(\d+)[^\n]*"message":"request"/g)].map((m) => m[1] ?? m[2]));
    expect(pids.size).toBe(2);
  });
});
