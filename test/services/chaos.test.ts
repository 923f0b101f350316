/**
 * Chaos under load (autocannon through its API, bounded in time): a built service process under a steady
 * stream of signed order-sign calls while Redis is killed by PID and restarted, and while PostgreSQL is cut
 * off and restored. Asserted: the statuses that may occur, that no replay is ever accepted, recovery, and that
 * the rows in PostgreSQL match exactly what was acknowledged. Figures are printed for the record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { bearer, mintToken, serviceUrl, testClients, TEST_PUBLIC_BASE_URL } from '../helpers/jwt';
import { fullPrefetch, orderSignRequest } from '../helpers/requests';
import { LOINC, daysAgo, gistCondition, imatinibOrder, lab, pregnancyStatus, regionStudied, variantObservation } from '../helpers/fhir-builders';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { flushPrefix, newKeyPrefix, sharedRedisUrl, startPrivateRedis, type PrivateRedis } from './helpers/redis';
import { startService, type ServiceProcess } from './helpers/service-process';
import { startTcpProxy, viaProxy, type TcpProxy } from './helpers/tcp-proxy';

const SERVICE = 'imatinib-order-sign';
/** Requests per run: a fixed amount, so every request's answer is counted (a timed run drops the last in flight). */
const AMOUNT = 1200;

const payload = JSON.stringify(
  orderSignRequest({
    orders: [imatinibOrder({ id: 'chaos-order', tablets: 1, frequency: 1 })],
    prefetch: fullPrefetch([gistCondition(), variantObservation({ gene: 'KIT', exon: '11' }), regionStudied(), lab(LOINC.anc, 3, '10*9/L', daysAgo(2)), pregnancyStatus(true, daysAgo(3))]),
  }),
);

function config(storeDir: string, prefix: string): Record<string, unknown> {
  return {
    publicBaseUrl: TEST_PUBLIC_BASE_URL,
    auth: { required: true, trustedClients: testClients() },
    store: { path: path.join(storeDir, 'store.sqlite'), outboxDrainIntervalMs: 200, pool: { max: 4, connectTimeoutMs: 1000, statementTimeoutMs: 1000, idleTimeoutMs: 10000 } },
    redis: { keyPrefix: prefix, commandTimeoutMs: 300, connectTimeoutMs: 500 },
    server: { readinessDrainMs: 0 },
    log: { level: 'info' },
  };
}

interface Sent {
  token: string;
  replay: boolean;
}

/** Drive the service with AMOUNT requests; each a fresh token, or (replayShare) a token sent before. */
async function load(svc: ServiceProcess, replayShare: number, during: (elapsedMs: number) => void): Promise<{ byToken: Map<string, number[]>; replays: number; statuses: Map<number, number>; errors: number }> {
  const byToken = new Map<string, number[]>();
  const statuses = new Map<number, number>();
  const sentTokens: string[] = [];
  let replays = 0;
  const started = Date.now();
  const ticker = setInterval(() => during(Date.now() - started), 50);
  try {
    const result = await autocannon({
      url: svc.baseUrl,
      connections: 4,
      amount: AMOUNT,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: `/cds-services/${SERVICE}`,
          headers: { 'content-type': 'application/json' },
          body: payload,
          setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
            const reuse = sentTokens.length > 0 && Math.random() < replayShare;
            const token = reuse ? (sentTokens[Math.floor(Math.random() * sentTokens.length)] as string) : mintToken({ aud: serviceUrl(SERVICE) });
            if (reuse) replays++;
            else sentTokens.push(token);
            (context as { sent?: Sent }).sent = { token, replay: reuse };
            return { ...req, headers: { ...(req.headers as Record<string, string>), authorization: bearer(token) } };
          },
          onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
            const sent = (context as { sent?: Sent }).sent;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (!sent) return;
            const list = byToken.get(sent.token) ?? [];
            list.push(status);
            byToken.set(sent.token, list);
          },
        },
      ],
    } as unknown as autocannon.Options);
    return { byToken, replays, statuses, errors: result.errors + result.timeouts };
  } finally {
    clearInterval(ticker);
  }
}

async function count(url: string, sql: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql)).rows[0]?.n);
  } finally {
    await c.end();
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-chaos-'));

describe('chaos: Redis killed by PID under load', () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let svc: ServiceProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startPrivateRedis();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: redis.url }, config: config(tmp(), newKeyPrefix()) });
  });
  afterAll(async () => {
    await svc?.stop();
    await redis?.stop();
    await db?.drop();
  });

  it('answers only 200 or 503 to fresh tokens, never accepts a replay, and recovers after the restart', async () => {
    let killed = false;
    let restarted: Promise<void> | undefined;
    const run = await load(svc, 0.2, (ms) => {
      if (!killed && ms > 1000) {
        killed = true;
        void redis.kill('SIGKILL');
      }
      if (!restarted && ms > 2500) restarted = redis.restart();
    });
    expect(killed && restarted !== undefined).toBe(true);
    await restarted;
    // Every token was accepted at most once, and only fresh tokens may see 200/503; a replay is 401 or 503.
    let acceptedTwice = 0;
    for (const list of run.byToken.values()) if (list.filter((s) => s === 200).length > 1) acceptedTwice++;
    expect(acceptedTwice).toBe(0);
    const unexpected = [...run.statuses.keys()].filter((s) => ![200, 401, 503].includes(s));
    expect(unexpected).toEqual([]);
    expect(run.statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(run.statuses.get(200) ?? 0).toBeGreaterThan(0);
    // The outage is never read as a bad token: a token that was only ever refused with 401 would be one (a
    // token's first use gets 200 or 503; only a second use may get 401).
    const neverAccepted = [...run.byToken.values()].filter((list) => list.every((st) => st === 401)).length;
    expect(neverAccepted).toBe(0);
    expect(run.errors).toBe(0);

    const started = Date.now();
    let status = 0;
    while (status !== 200 && Date.now() - started < 10_000) {
      const res = await fetch(`${svc.baseUrl}/cds-services/${SERVICE}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer(mintToken({ aud: serviceUrl(SERVICE) })) }, body: payload });
      status = res.status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    console.log(
      `Redis chaos: ${[...run.statuses.entries()].map(([s, n]) => `${n}×${s}`).join(', ')} (${run.replays} replays sent, none accepted twice); 200 again ${Date.now() - started} ms after the run`,
    );
  });
});

describe('chaos: PostgreSQL unreachable under load', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let svc: ServiceProcess;
  const prefix = newKeyPrefix();
  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    svc = await startService({ env: { DATABASE_URL: viaProxy(db.url, proxy), REDIS_URL: sharedRedisUrl() }, config: config(tmp(), prefix) });
  });
  afterAll(async () => {
    await svc?.stop();
    await proxy?.close();
    await flushPrefix(prefix);
    await db?.drop();
  });

  it('keeps the cards flowing, drains the outbox after PostgreSQL returns, and the rows match what was acknowledged', async () => {
    let cut = false;
    let restored: Promise<void> | undefined;
    const run = await load(svc, 0, (ms) => {
      if (!cut && ms > 1000) {
        cut = true;
        proxy.cut();
      }
      if (!restored && ms > 2500) restored = proxy.restore();
    });
    expect(cut && restored !== undefined).toBe(true);
    await restored;
    expect([...run.statuses.keys()]).toEqual([200]);
    expect(run.errors).toBe(0);
    const acknowledged = run.statuses.get(200) ?? 0;
    let rows = 0;
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      rows = await count(db.url, 'SELECT COUNT(*) AS n FROM evaluation');
      if (rows >= acknowledged) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toBe(acknowledged);
    expect(await count(db.url, 'SELECT COUNT(*) AS n FROM issued_card')).toBe(acknowledged);
    console.log(`PostgreSQL chaos: ${acknowledged} calls answered 200; ${rows} evaluations in PostgreSQL ${Date.now() - started} ms after the run`);
  });
});
