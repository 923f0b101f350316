/**
 * The service as a fleet: two built service processes on their own ports sharing one PostgreSQL and one
 * Redis. Replay protection and rate limits hold across instances, feedback finds cards issued elsewhere,
 * Redis down means 503 (never a pass, never 401) and recovery, PostgreSQL down means cards keep flowing
 * through the outbox, and SIGTERM turns /readyz to 503 before the listener closes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { bearer, mintToken, serviceUrl, testClients, TEST_PUBLIC_BASE_URL } from '../helpers/jwt';
import { fullPrefetch, orderSignRequest } from '../helpers/requests';
import { LOINC, daysAgo, gistCondition, imatinibOrder, lab, pregnancyStatus, regionStudied, variantObservation } from '../helpers/fhir-builders';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { flushPrefix, newKeyPrefix, sharedRedisUrl, startPrivateRedis, type PrivateRedis } from './helpers/redis';
import { startService, type ServiceProcess } from './helpers/service-process';
import { startTcpProxy, viaProxy, type TcpProxy } from './helpers/tcp-proxy';

const SERVICE = 'imatinib-order-sign';

/** A pregnant GIST patient: the order-sign call answers one PREGNANCY card. */
function body(): Record<string, unknown> {
  const resources = [gistCondition(), variantObservation({ gene: 'KIT', exon: '11' }), regionStudied(), lab(LOINC.anc, 3, '10*9/L', daysAgo(2)), pregnancyStatus(true, daysAgo(3))];
  return orderSignRequest({ orders: [imatinibOrder({ id: 'fleet-order', tablets: 1, frequency: 1 })], prefetch: fullPrefetch(resources) });
}

function config(o: { storeDir: string; prefix: string; extra?: Record<string, unknown> }): Record<string, unknown> {
  return {
    publicBaseUrl: TEST_PUBLIC_BASE_URL,
    auth: { required: true, trustedClients: testClients() },
    store: { path: path.join(o.storeDir, 'store.sqlite'), outboxDrainIntervalMs: 200, pool: { max: 4, connectTimeoutMs: 1000, statementTimeoutMs: 1000, idleTimeoutMs: 10000 } },
    redis: { keyPrefix: o.prefix, commandTimeoutMs: 300, connectTimeoutMs: 500 },
    server: { readinessDrainMs: 0 },
    log: { level: 'info' },
    ...o.extra,
  };
}

async function call(svc: ServiceProcess, token: string, payload: Record<string, unknown> = body()): Promise<{ status: number; json: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(`${svc.baseUrl}/cds-services/${SERVICE}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer(token) }, body: JSON.stringify(payload) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

const serviceToken = () => mintToken({ aud: serviceUrl(SERVICE) });

async function rows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-fleet-'));

describe('two instances sharing PostgreSQL and Redis', () => {
  let db: TestDatabase;
  const prefix = newKeyPrefix();
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: sharedRedisUrl() };
    [a, b] = await Promise.all([startService({ env, config: config({ storeDir: tmp(), prefix }) }), startService({ env, config: config({ storeDir: tmp(), prefix }) })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await flushPrefix(prefix);
    await db?.drop();
  });

  it('a token used on A and replayed on B is refused (401)', async () => {
    const token = serviceToken();
    expect((await call(a, token)).status).toBe(200);
    expect((await call(b, token)).status).toBe(401);
  });

  it('the same fresh jti sent to both at once, 20 times: exactly one 200 each time', async () => {
    for (let i = 0; i < 20; i++) {
      const token = serviceToken();
      const statuses = (await Promise.all([call(a, token), call(b, token)])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401]);
    }
  });

  it('a card issued on A gets feedback on B: stored against the card, not unknown', async () => {
    const answer = await call(a, serviceToken());
    const cards = answer.json.cards as Array<{ uuid: string; source: { topic?: { code: string } } }>;
    const card = cards.find((c) => c.source.topic?.code === 'PREGNANCY');
    expect(card).toBeDefined();
    const res = await fetch(`${b.baseUrl}/cds-services/${SERVICE}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(mintToken({ aud: `${serviceUrl(SERVICE)}/feedback` })) },
      body: JSON.stringify({ feedback: [{ card: card?.uuid, outcome: 'overridden', overrideReason: { userComment: 'discussed with the patient' }, outcomeTimestamp: new Date().toISOString() }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, stored: 1, duplicates: 0, unknownCards: 0 });
    expect(await rows(db.url, `SELECT card_known FROM feedback WHERE card_uuid = '${card?.uuid ?? ''}'`)).toEqual([{ card_known: 1 }]);
  });

  it('records each evaluation once in the shared database, whichever instance served it', async () => {
    const before = Number((await rows(db.url, 'SELECT COUNT(*) AS n FROM evaluation'))[0]?.n);
    await Promise.all([call(a, serviceToken()), call(b, serviceToken()), call(a, serviceToken())]);
    expect(Number((await rows(db.url, 'SELECT COUNT(*) AS n FROM evaluation'))[0]?.n)).toBe(before + 3);
  });
});

describe('a shared rate limit', () => {
  let db: TestDatabase;
  const prefix = newKeyPrefix();
  let a: ServiceProcess;
  let b: ServiceProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: sharedRedisUrl() };
    const extra = { rateLimit: { enabled: true, windowMs: 60000, maxRequestsPerClient: 10 } };
    [a, b] = await Promise.all([startService({ env, config: config({ storeDir: tmp(), prefix, extra }) }), startService({ env, config: config({ storeDir: tmp(), prefix, extra }) })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await flushPrefix(prefix);
    await db?.drop();
  });

  it('holds across both instances: 10 allowed in the window, the rest 429 with Retry-After', async () => {
    // The window is aligned to the minute: start well inside one, so all 14 requests fall in the same window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push(await call(i % 2 ? a : b, serviceToken()));
    expect(answers.map((r) => r.status)).toEqual([...Array(10).fill(200), ...Array(4).fill(429)]);
    expect(answers.filter((r) => r.status === 429).every((r) => Number(r.retryAfter) >= 1)).toBe(true);
  });
});

describe('Redis unreachable', () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let svc: ServiceProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startPrivateRedis();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: redis.url }, config: config({ storeDir: tmp(), prefix: newKeyPrefix() }) });
  });
  afterAll(async () => {
    await svc?.stop();
    await redis?.stop();
    await db?.drop();
  });

  it('answers 503 with Retry-After and an OperationOutcome (never 200 without the check, never 401), /readyz 503, and recovers by itself', async () => {
    expect((await call(svc, serviceToken())).status).toBe(200);
    await redis.kill('SIGKILL');
    const down = await call(svc, serviceToken());
    expect(down.status).toBe(503);
    expect(Number(down.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(down.json).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient', diagnostics: expect.stringMatching(/replay cache is unavailable/) }] });
    const feedback = await fetch(`${svc.baseUrl}/cds-services/${SERVICE}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(mintToken({ aud: `${serviceUrl(SERVICE)}/feedback` })) },
      body: JSON.stringify({ feedback: [{ card: 'x', outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] }),
    });
    expect(feedback.status).toBe(503);
    expect((await fetch(`${svc.baseUrl}/readyz`)).status).toBe(503);
    // Discovery and liveness need no Redis.
    expect((await fetch(`${svc.baseUrl}/healthz`)).status).toBe(200);

    await redis.restart();
    let recovered = false;
    const started = Date.now();
    while (!recovered && Date.now() - started < 10_000) {
      recovered = (await fetch(`${svc.baseUrl}/readyz`)).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 50));
    }
    expect(recovered).toBe(true);
    console.log(`service ready again ${Date.now() - started} ms after Redis restarted`);
    expect((await call(svc, serviceToken())).status).toBe(200);
  });
});

describe('PostgreSQL unreachable', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let svc: ServiceProcess;
  const prefix = newKeyPrefix();
  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    svc = await startService({ env: { DATABASE_URL: viaProxy(db.url, proxy), REDIS_URL: sharedRedisUrl() }, config: config({ storeDir: tmp(), prefix }) });
  });
  afterAll(async () => {
    await svc?.stop();
    await proxy?.close();
    await flushPrefix(prefix);
    await db?.drop();
  });

  it('keeps answering cards through the outbox, stays ready, and the outbox drains when PostgreSQL returns', async () => {
    expect((await call(svc, serviceToken())).status).toBe(200);
    proxy.cut();
    const during = await Promise.all(Array.from({ length: 5 }, () => call(svc, serviceToken())));
    expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(during.every((r) => (r.json.cards as unknown[]).length > 0)).toBe(true);
    expect((await fetch(`${svc.baseUrl}/readyz`)).status).toBe(200);
    await proxy.restore();
    let n = 0;
    for (let i = 0; i < 100 && n < 6; i++) {
      n = Number((await rows(db.url, 'SELECT COUNT(*) AS n FROM evaluation'))[0]?.n);
      if (n < 6) await new Promise((r) => setTimeout(r, 100));
    }
    expect(n).toBe(6);
  });
});

describe('SIGTERM', () => {
  let svc: ServiceProcess;
  it('turns /readyz to 503 before the listener closes, then exits 0', async () => {
    svc = await startService({ config: { ...config({ storeDir: tmp(), prefix: newKeyPrefix() }), server: { readinessDrainMs: 1500 } } });
    expect((await fetch(`${svc.baseUrl}/readyz`)).status).toBe(200);
    svc.child.kill('SIGTERM');
    await svc.waitForLog('draining');
    const during = await fetch(`${svc.baseUrl}/readyz`);
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({ status: 'not ready', reason: 'shutting down' });
    expect(await svc.exited).toEqual({ code: 0, signal: null });
  });
});
