/**
 * FhirAgentPool: one keep-alive agent per origin, bounded (LRU), idle sockets timed out (at most
 * freeSocketTimeoutMs, less when the server announces less), retirement that lets a call in flight finish.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FHIR_AGENT_DEFAULTS, FhirAgentPool } from '../../../src/fhir/http-agent';
import { httpGet } from '../../../src/fhir/http-get';

interface Server {
  origin: string;
  sockets: Socket[];
  close(): Promise<void>;
}

const open: Server[] = [];

async function server(keepAliveTimeout: number, delayMs = 0): Promise<Server> {
  const sockets: Socket[] = [];
  const s = http.createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
      res.end('{"resourceType":"Patient","id":"p1"}');
    }, delayMs);
  });
  s.keepAliveTimeout = keepAliveTimeout;
  s.on('connection', (c: Socket) => sockets.push(c));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const t: Server = {
    origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      }),
  };
  open.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const get = (pool: FhirAgentPool, origin: string) => httpGet(`${origin}/Patient/p1`, { headers: {}, timeoutMs: 2000, signals: [], maxBytes: 10_000, pool });

function idleSockets(agent: http.Agent): Socket[] {
  return Object.values(agent.freeSockets).flatMap((list) => list ?? []);
}

async function until(condition: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

describe('FhirAgentPool', () => {
  it('has bounded defaults', () => {
    expect(FHIR_AGENT_DEFAULTS).toEqual({ maxOrigins: 32, maxSockets: 16, maxFreeSockets: 16, freeSocketTimeoutMs: 4000, keepAliveMsecs: 1000 });
  });

  it('gives one keep-alive agent per origin (http and https), with the configured limits', () => {
    const pool = new FhirAgentPool();
    const a = pool.agentFor(new URL('http://ehr.example/fhir/Patient/1'));
    expect(pool.agentFor(new URL('http://ehr.example/other'))).toBe(a);
    expect(pool.agentFor(new URL('http://ehr.example:8080/fhir'))).not.toBe(a);
    const tls = pool.agentFor(new URL('https://ehr.example/fhir'));
    expect(tls).not.toBe(a);
    expect(tls.constructor.name).toBe('FhirHttpsAgent');
    expect(a.maxSockets).toBe(16);
    expect(a.maxFreeSockets).toBe(16);
    expect((a as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    expect((a as unknown as { scheduling: string }).scheduling).toBe('lifo');
    expect(pool.size).toBe(3);
    pool.close();
    expect(pool.size).toBe(0);
  });

  it('keeps at most maxOrigins agents, evicting the least recently used', () => {
    const pool = new FhirAgentPool({ maxOrigins: 3 });
    const agents = [1, 2, 3].map((i) => pool.agentFor(new URL(`http://h${i}.example`)));
    pool.agentFor(new URL('http://h1.example')); // h1 used again: h2 is now the oldest
    pool.agentFor(new URL('http://h4.example'));
    expect(pool.size).toBe(3);
    expect(pool.agentFor(new URL('http://h1.example'))).toBe(agents[0]);
    expect(pool.agentFor(new URL('http://h3.example'))).toBe(agents[2]);
    // h2 was evicted: a new agent for it (and h4, now the oldest, goes).
    expect(pool.agentFor(new URL('http://h2.example'))).not.toBe(agents[1]);
    expect(pool.size).toBe(3);
    pool.close();
  });

  it('times idle sockets out after freeSocketTimeoutMs, and closes them', async () => {
    const s = await server(10_000); // announces Keep-Alive: timeout=10
    const pool = new FhirAgentPool({ freeSocketTimeoutMs: 150 });
    expect(await get(pool, s.origin)).toMatchObject({ kind: 'response', status: 200 });
    const agent = pool.agentFor(new URL(s.origin));
    expect(await until(() => idleSockets(agent).length === 1)).toBe(true);
    expect(idleSockets(agent)[0]?.timeout).toBe(150);
    expect(await until(() => s.sockets.every((c) => c.closed), 1000)).toBe(true);
    expect(idleSockets(agent)).toHaveLength(0);
    pool.close();
  });

  it('times idle sockets out earlier when the server announces a shorter keep-alive (its hint minus 1 s)', async () => {
    const s = await server(3000); // Keep-Alive: timeout=3 → 2000 ms
    const pool = new FhirAgentPool();
    await get(pool, s.origin);
    const agent = pool.agentFor(new URL(s.origin));
    expect(await until(() => idleSockets(agent).length === 1)).toBe(true);
    expect(idleSockets(agent)[0]?.timeout).toBe(2000);
    const long = await server(60_000);
    await get(pool, long.origin);
    const other = pool.agentFor(new URL(long.origin));
    expect(await until(() => idleSockets(other).length === 1)).toBe(true);
    expect(idleSockets(other)[0]?.timeout).toBe(4000);
    pool.close();
  });

  it('idle sockets do not hold a reference on the event loop; a reused one is ref-ed again and gets the call timeout', async () => {
    const s = await server(10_000, 30);
    const pool = new FhirAgentPool();
    await get(pool, s.origin);
    const agent = pool.agentFor(new URL(s.origin));
    expect(await until(() => idleSockets(agent).length === 1)).toBe(true);
    const socket = idleSockets(agent)[0] as Socket & { _handle?: { hasRef(): boolean } };
    expect(socket._handle?.hasRef()).toBe(false);
    const pending = httpGet(`${s.origin}/Patient/p1`, { headers: {}, timeoutMs: 1234, signals: [], maxBytes: 10_000, pool });
    expect(await until(() => idleSockets(agent).length === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(socket._handle?.hasRef()).toBe(true);
    expect(socket.timeout).toBe(1234);
    await pending;
    expect(s.sockets).toHaveLength(1);
    pool.close();
  });

  it('close() lets a call in flight finish, then closes its connection', async () => {
    const s = await server(10_000, 100);
    const pool = new FhirAgentPool();
    const pending = get(pool, s.origin);
    await until(() => s.sockets.length === 1);
    pool.close();
    expect(await pending).toMatchObject({ kind: 'response', status: 200 });
    expect(await until(() => s.sockets.every((c) => c.closed), 1000)).toBe(true);
  });
});
