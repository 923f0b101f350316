/**
 * The FHIR client's node:http transport against raw node:http servers that misbehave on purpose: keep-alive
 * reuse (counted in server 'connection' events), the one retry of a GET raced onto a connection the server
 * closed, size caps (declared, streamed, decompressed), timeouts and aborts that close the connection,
 * redirects, and the access token staying in the Authorization header.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Bundle, FhirResource } from 'fhir/r4';
import type { AppConfig } from '../../src/config';
import { ServerAllowList } from '../../src/fhir/allowlist';
import { closeFhirAgents, createFhirClient, type FetchDeadline, type FhirClient, type FhirClientConfig, type FhirTarget } from '../../src/fhir/client';
import { FhirAgentPool } from '../../src/fhir/http-agent';
import { createPatientDataSource } from '../../src/fhir/prefetch';
import { loadServices } from '../../src/protocol/services';
import { createLogger } from '../../src/logger';

const TOKEN = 'very-secret-access-token-42';
const BUDGET_MS = 5000;

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  /** 1 for the first request on its connection. */
  onConnection: number;
  socket: Socket;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void;

interface TestServer {
  base: string;
  origin: string;
  /** TCP connections accepted. */
  connections: () => number;
  requests: Seen[];
  sockets: Socket[];
  /** Resolves when every connection the server accepted is closed. */
  allClosed(ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(handler: Handler, keepAliveTimeout = 5000): Promise<TestServer> {
  const requests: Seen[] = [];
  const sockets: Socket[] = [];
  const perSocket = new WeakMap<Socket, number>();
  const server = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    const seen: Seen = { url: req.url ?? '/', headers: req.headers, onConnection: n, socket: req.socket };
    requests.push(seen);
    handler(req, res, seen);
  });
  server.keepAliveTimeout = keepAliveTimeout;
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t: TestServer = {
    base: `${origin}/fhir`,
    origin,
    connections: () => sockets.length,
    requests,
    sockets,
    allClosed: (ms = 2000) => waitFor(() => sockets.every((s) => s.closed), ms),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(t);
  return t;
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const patient = (id: string): FhirResource => ({ resourceType: 'Patient', id });
const searchset = (resources: FhirResource[], next?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
  ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
});

function send(res: http.ServerResponse, body: unknown, status = 200, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', ...headers });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

/** A FHIR server that knows Patient p1 and answers every search with one Observation. */
const healthy: Handler = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/fhir/Patient/p1') return send(res, patient('p1'));
  if (/^\/fhir\/[A-Z][A-Za-z]+$/.test(url.pathname)) return send(res, searchset([{ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } }]));
  send(res, { resourceType: 'OperationOutcome', issue: [] }, 404);
};

let pool: FhirAgentPool;
beforeEach(() => {
  pool = new FhirAgentPool();
});
afterEach(async () => {
  pool.close();
  closeFhirAgents();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const baseCfg: FhirClientConfig = { requestTimeoutMs: 2000, maxPages: 10, maxResponseBytes: 100_000 };

function client(cfg: Partial<FhirClientConfig> = {}, budgetMs = BUDGET_MS): FhirClient {
  return createFhirClient({ ...baseCfg, ...cfg }, { allowList: new ServerAllowList(['http://127.0.0.1']), budgetMs, agents: pool });
}

function target(s: TestServer, token: string | null = TOKEN): FhirTarget {
  return { base: s.base, origin: s.origin, ...(token ? { token } : {}) };
}

function deadline(budgetMs = BUDGET_MS, cancel?: AbortSignal): FetchDeadline {
  const budget = AbortSignal.timeout(budgetMs);
  return { budget: cancel ? AbortSignal.any([budget, cancel]) : budget, ...(cancel ? { cancel } : {}) };
}

describe('keep-alive connections', () => {
  const fhirConfig: AppConfig['fhir'] = {
    allowedServers: ['http://127.0.0.1'],
    requestTimeoutMs: 2000,
    budgetMs: 5000,
    maxPages: 5,
    maxResponseBytes: 1_000_000,
    onPrefetchOperationOutcome: 'fetch',
  };
  const service = loadServices().byId.get('imatinib-order-sign');
  if (!service) throw new Error('hooks/imatinib-order-sign.json not loaded');
  const templates = service.prefetchTemplates;
  const KEYS = templates.entries.length;

  it('a CDS request fetches its 9 keys in parallel on at most 9 connections, and later requests reuse them (none opened)', async () => {
    const s = await startServer(healthy);
    const ds = createPatientDataSource(fhirConfig, { logger: createLogger('error', { silent: true }) });
    const req = { context: { patientId: 'p1', userId: 'Practitioner/u1' }, fhirServer: s.base, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' } };
    const first = await ds.session(req).obtain(templates);
    expect(KEYS).toBe(9);
    expect(first.missing).toEqual([]);
    expect(s.requests).toHaveLength(KEYS);
    const opened = s.connections();
    expect(opened).toBeGreaterThanOrEqual(1);
    expect(opened).toBeLessThanOrEqual(KEYS);
    for (let i = 0; i < 5; i++) {
      const again = await ds.session(req).obtain(templates);
      expect(again.missing).toEqual([]);
    }
    expect(s.requests).toHaveLength(6 * KEYS);
    expect(s.connections()).toBe(opened);
    expect(s.requests.slice(KEYS).every((r) => r.onConnection > 1)).toBe(true);
  });

  it('sequential GETs (reads, pages, 404s, 500s) share one connection', async () => {
    const s = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/fhir/Observation') {
        const page = Number(url.searchParams.get('page') ?? 1);
        return send(res, searchset([{ resourceType: 'Observation', id: `o${page}`, status: 'final', code: {} }], page < 5 ? `${s.base}/Observation?page=${page + 1}` : undefined));
      }
      if (url.pathname === '/fhir/Medication/gone') return send(res, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }, 404);
      if (url.pathname === '/fhir/Medication/broken') return send(res, { resourceType: 'OperationOutcome', issue: [] }, 500);
      healthy(req, res, s.requests[s.requests.length - 1] as Seen);
    });
    const c = client();
    const paged = await c.fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(paged).toMatchObject({ ok: true, pages: 5, truncated: false });
    for (let i = 0; i < 10; i++) {
      expect(await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true, status: 200 });
      expect(await c.readResource('Medication', 'gone', target(s), deadline())).toEqual({ ok: true, status: 404 });
      expect(await c.readResource('Medication', 'broken', target(s), deadline())).toEqual({ ok: false, status: 500, reason: 'FHIR server answered HTTP 500' });
    }
    expect(s.requests).toHaveLength(35);
    expect(s.connections()).toBe(1);
  });

  it('sends Accept, Accept-Encoding and the token in the Authorization header only', async () => {
    const s = await startServer(healthy);
    await client().fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    await client().fetchKey('read', 'Patient', 'Patient/p1', target(s, null), deadline());
    const [withToken, without] = s.requests;
    expect(withToken?.headers.accept).toBe('application/fhir+json');
    expect(withToken?.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(withToken?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(withToken?.url).toBe('/fhir/Patient/p1');
    const others = Object.entries(withToken?.headers ?? {}).filter(([k]) => k !== 'authorization');
    expect(JSON.stringify(others)).not.toContain(TOKEN);
    expect(without?.headers.authorization).toBeUndefined();
  });

  it('a connection the server closes while idle is not used again: the next GET opens a new one', async () => {
    const s = await startServer((req, res, seen) => {
      healthy(req, res, seen);
      // Closes idle connections after 50 ms without announcing it (no Keep-Alive hint that short).
      res.on('finish', () => setTimeout(() => seen.socket.end(), 50));
    });
    const c = client();
    expect(await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true });
    await sleep(200);
    expect(await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true });
    expect(s.connections()).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it('closeFhirAgents closes idle connections; the agents do not keep the process alive', async () => {
    const s = await startServer(healthy);
    const ds = createPatientDataSource({ ...fhirConfig }, { logger: createLogger('error', { silent: true }) });
    await ds.session({ context: { patientId: 'p1', userId: 'Practitioner/u1' }, fhirServer: s.base }).obtain(templates);
    expect(s.sockets.some((sock) => !sock.closed)).toBe(true);
    closeFhirAgents();
    expect(await s.allClosed()).toBe(true);
  });

  it('a process that made keep-alive GETs exits without closing anything', async () => {
    const s = await startServer(healthy);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-client-'));
    const script = path.join(dir, 'get.ts');
    const clientPath = path.resolve(__dirname, '../../src/fhir/client.ts');
    const allowPath = path.resolve(__dirname, '../../src/fhir/allowlist.ts');
    fs.writeFileSync(
      script,
      [
        `import { createFhirClient } from ${JSON.stringify(clientPath)};`,
        `import { ServerAllowList } from ${JSON.stringify(allowPath)};`,
        `const c = createFhirClient({ requestTimeoutMs: 2000, maxPages: 2, maxResponseBytes: 100000 }, { allowList: new ServerAllowList(['http://127.0.0.1']), budgetMs: 5000 });`,
        `const t = { base: ${JSON.stringify(s.base)}, origin: ${JSON.stringify(s.origin)} };`,
        `void c.fetchKey('read', 'Patient', 'Patient/p1', t, { budget: new AbortController().signal }).then((r) => console.log(JSON.stringify(r)));`,
      ].join('\n'),
    );
    const started = performance.now();
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
      child.on('exit', (code) => {
        clearTimeout(kill);
        resolve({ code, stdout });
      });
    });
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, status: 200 });
    // The server keeps the connection open for 5 s: the child exited without waiting for it.
    expect(s.sockets).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(12000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('evicts the least recently used origin beyond maxOrigins, closing its connections', async () => {
    const small = new FhirAgentPool({ maxOrigins: 2 });
    const [a, b, c] = [await startServer(healthy), await startServer(healthy), await startServer(healthy)];
    const fc = createFhirClient(baseCfg, { allowList: new ServerAllowList(['http://127.0.0.1']), budgetMs: BUDGET_MS, agents: small });
    for (const s of [a, b, a, c]) expect(await fc.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true });
    expect(small.size).toBe(2);
    expect(await b.allClosed()).toBe(true); // b was the least recently used when c came
    expect(a.sockets.every((sock) => !sock.closed)).toBe(true);
    await fc.fetchKey('read', 'Patient', 'Patient/p1', target(a), deadline());
    expect(a.connections()).toBe(1);
    small.close();
    expect(await a.allClosed()).toBe(true);
    expect(await c.allClosed()).toBe(true);
  });
});

describe('the stale keep-alive connection retry', () => {
  it('a GET raced onto a connection the server just closed is sent again once, on a new connection, and succeeds', async () => {
    // The server drops the second request of each connection unanswered (as when it closes an idle
    // connection just as the request arrives).
    const s = await startServer((req, res, seen) => (seen.onConnection > 1 ? seen.socket.destroy() : healthy(req, res, seen)));
    const c = client();
    expect(await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true });
    const second = await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(second).toMatchObject({ ok: true, status: 200, resources: [patient('p1')] });
    expect(s.requests.map((r) => r.onConnection)).toEqual([1, 2, 1]);
    expect(s.connections()).toBe(2);
  });

  it('retries once only: a retry that fails too is reported', async () => {
    let answered = 0;
    const s = await startServer((req, res, seen) => {
      if (answered === 0) {
        answered += 1;
        return healthy(req, res, seen);
      }
      seen.socket.destroy();
    });
    const c = client();
    await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    const result = await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (ECONNRESET)' });
    expect(s.requests).toHaveLength(3);
  });

  it('does not retry a reset on a new connection', async () => {
    const s = await startServer((_req, _res, seen) => seen.socket.destroy());
    const result = await client().readResource('Medication', 'm1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (ECONNRESET)' });
    expect(s.requests).toHaveLength(1);
  });

  it('does not retry a reused connection reset after the response started', async () => {
    const s = await startServer((req, res, seen) => {
      if (seen.onConnection === 1) return healthy(req, res, seen);
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Length': '1000' });
      res.write('{"resourceType":');
      setTimeout(() => seen.socket.destroy(), 20);
    });
    const c = client();
    await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    const result = await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (ECONNRESET)' });
    expect(s.requests).toHaveLength(2);
  });

  it('does not retry a reused connection that answered a status (a 503 is an answer)', async () => {
    const s = await startServer((req, res, seen) => (seen.onConnection === 1 ? healthy(req, res, seen) : send(res, { resourceType: 'OperationOutcome', issue: [] }, 503)));
    const c = client();
    await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(await c.fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toEqual({ ok: false, status: 503, reason: 'FHIR server answered HTTP 503' });
    expect(s.requests).toHaveLength(2);
  });
});

describe('size caps', () => {
  const big = (bytes: number) => JSON.stringify(searchset([{ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x'.repeat(bytes) } }]));

  it('refuses a declared Content-Length above maxResponseBytes before reading, and closes the connection', async () => {
    let written = 0;
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Length': String(50_000_000) });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && written < 50_000_000) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const result = await client({ maxResponseBytes: 8000 }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toEqual({ ok: false, status: 200, reason: 'FHIR response larger than 8000 bytes' });
    expect(await s.allClosed()).toBe(true);
    expect(written).toBeLessThan(50_000_000);
  });

  it('stops reading a body without Content-Length once it passes maxResponseBytes, and closes the connection', async () => {
    let written = 0;
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' }); // chunked, endless
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const started = performance.now();
    const result = await client({ maxResponseBytes: 100_000, requestTimeoutMs: 10_000 }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline(20_000));
    expect(result).toEqual({ ok: false, status: 200, reason: 'FHIR response larger than 100000 bytes' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await s.allClosed()).toBe(true);
    const at = written;
    await sleep(50);
    expect(written).toBe(at);
  });

  it('accepts a body of exactly maxResponseBytes', async () => {
    const body = big(5000);
    const s = await startServer((_req, res) => send(res, body));
    const result = await client({ maxResponseBytes: Buffer.byteLength(body) }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toMatchObject({ ok: true, pages: 1 });
    const over = await client({ maxResponseBytes: Buffer.byteLength(body) - 1 }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(over).toMatchObject({ ok: false, reason: `FHIR response larger than ${Buffer.byteLength(body) - 1} bytes` });
  });

  it.each([
    ['gzip', (b: Buffer) => zlib.gzipSync(b)],
    ['deflate', (b: Buffer) => zlib.deflateSync(b)],
    ['deflate', (b: Buffer) => zlib.deflateRawSync(b)],
    ['br', (b: Buffer) => zlib.brotliCompressSync(b)],
    ['gzip, br', (b: Buffer) => zlib.brotliCompressSync(zlib.gzipSync(b))],
  ])('decodes Content-Encoding %s', async (encoding, encode) => {
    const body = Buffer.from(big(20_000));
    const s = await startServer((_req, res) => send(res, encode(body), 200, { 'Content-Encoding': encoding }));
    const result = await client().fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toMatchObject({ ok: true, resources: [{ resourceType: 'Observation', id: 'o1' }] });
  });

  it('caps the decoded size: a gzip bomb stops at maxResponseBytes, and its connection is closed', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    let sent = 0;
    const s = await startServer((_req, res) => {
      // Declared small (the compressed size), sent in slices so the cap is hit while the body is still coming.
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Encoding': 'gzip', 'Content-Length': String(bomb.length) });
      const timer = setInterval(() => {
        if (res.destroyed || sent >= bomb.length) return clearInterval(timer);
        res.write(bomb.subarray(sent, sent + 4096));
        sent += 4096;
      }, 10);
    });
    const started = performance.now();
    const result = await client({ maxResponseBytes: 1_000_000 }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toEqual({ ok: false, status: 200, reason: 'FHIR response larger than 1000000 bytes' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await s.allClosed()).toBe(true);
    expect(sent).toBeLessThan(bomb.length / 2);
  });

  it('caps the decoded size of a bomb received whole (the connection, complete, may stay open)', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
    const s = await startServer((_req, res) => send(res, bomb, 200, { 'Content-Encoding': 'gzip' }));
    const result = await client({ maxResponseBytes: 1_000_000 }).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toEqual({ ok: false, status: 200, reason: 'FHIR response larger than 1000000 bytes' });
  });

  it('reports a body that does not decode', async () => {
    const s = await startServer((_req, res) => send(res, 'not gzip at all', 200, { 'Content-Encoding': 'gzip' }));
    const result = await client().fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (Z_DATA_ERROR)' });
  });

  it('reads a body that starts with a UTF-8 byte order mark; a body that is not JSON is a failure', async () => {
    const s = await startServer((req, res) => (req.url?.includes('html') ? send(res, '<html>sign in</html>', 200, { 'Content-Type': 'text/html' }) : send(res, `\uFEFF${JSON.stringify(patient('p1'))}`)));
    expect(await client().fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline())).toMatchObject({ ok: true, resources: [patient('p1')] });
    expect(await client().readResource('Medication', 'html', target(s), deadline())).toEqual({ ok: false, status: 200, reason: 'FHIR server answered with a body that is not JSON' });
  });
});

describe('time bounds and aborts close the connection', () => {
  const hang: Handler = () => undefined;

  it('a call slower than requestTimeoutMs fails with the timeout reason and its connection is closed', async () => {
    const s = await startServer(hang);
    const started = performance.now();
    const result = await client({ requestTimeoutMs: 200 }).readResource('Medication', 'm1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'the FHIR server did not answer within 200 ms' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await s.allClosed(500)).toBe(true);
  });

  it('a server trickling a body is still cut at requestTimeoutMs (a total, not an idle timeout)', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 20);
    });
    const result = await client({ requestTimeoutMs: 300 }).readResource('Medication', 'm1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'the FHIR server did not answer within 300 ms' });
    expect(await s.allClosed(500)).toBe(true);
  });

  it('the request budget running out aborts the call and closes its connection', async () => {
    const s = await startServer(hang);
    const result = await client({ requestTimeoutMs: 5000 }, 150).fetchKey('search', 'Observation', 'Observation?patient=p1', target(s), deadline(150));
    expect(result).toEqual({ ok: false, reason: 'the FHIR fetch budget of 150 ms ran out' });
    expect(await s.allClosed(500)).toBe(true);
  });

  it('the caller cancelling aborts the call at once and closes its connection', async () => {
    const s = await startServer(hang);
    const controller = new AbortController();
    const pending = client({ requestTimeoutMs: 5000 }).fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline(5000, controller.signal));
    await waitFor(() => s.requests.length === 1, 1000);
    const started = performance.now();
    controller.abort();
    expect(await pending).toEqual({ ok: false, reason: 'the request was cancelled' });
    expect(performance.now() - started).toBeLessThan(100);
    expect(await s.allClosed(500)).toBe(true);
  });

  it('an already spent budget makes no request', async () => {
    const s = await startServer(healthy);
    const controller = new AbortController();
    controller.abort();
    const result = await client().fetchKey('read', 'Patient', 'Patient/p1', target(s), { budget: controller.signal });
    expect(result).toEqual({ ok: false, reason: 'the FHIR fetch budget of 5000 ms ran out' });
    expect(s.connections()).toBe(0);
  });

  it('an unreachable server is reported with its error code', async () => {
    const s = await startServer(healthy);
    await s.close();
    const result = await client().fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (ECONNREFUSED)' });
  });
});

describe('redirects and the access token', () => {
  it.each([301, 302, 303, 307, 308])('HTTP %s is an outcome, never followed', async (status) => {
    const s = await startServer((req, res, seen) => (req.url?.startsWith('/fhir/Condition') ? send(res, '', status, { Location: `${s.base}/Patient/p1` }) : healthy(req, res, seen)));
    const result = await client().fetchKey('search', 'Condition', 'Condition?patient=p1', target(s), deadline());
    expect(result).toEqual({ ok: false, status, reason: `FHIR server redirected (HTTP ${status}); redirects are not followed` });
    expect(s.requests.map((r) => r.url)).toEqual(['/fhir/Condition?patient=p1']);
    // The connection stays usable after a redirect answer.
    await client().fetchKey('read', 'Patient', 'Patient/p1', target(s), deadline());
    expect(s.connections()).toBe(1);
  });

  it('a token that cannot be sent in a header fails the call, sends nothing and throws nothing', async () => {
    const s = await startServer(healthy);
    const result = await client().fetchKey('read', 'Patient', 'Patient/p1', target(s, 'abc\r\nX-Injected: 1'), deadline());
    expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (network error)' });
    expect(s.requests).toHaveLength(0);
  });

  it('never puts the token in a reason, whatever the failure', async () => {
    const s = await startServer((req, res, seen) => {
      const url = req.url ?? '';
      if (url.includes('redirect')) return send(res, '', 302, { Location: `http://evil.example/?token=${TOKEN}` });
      if (url.includes('refuse')) return send(res, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: TOKEN }] }, 401);
      if (url.includes('reset')) return seen.socket.destroy();
      if (url.includes('html')) return send(res, `<html>${TOKEN}</html>`, 200, { 'Content-Type': 'text/html' });
      if (url.includes('large')) return send(res, JSON.stringify({ resourceType: 'Patient', id: TOKEN, text: 'x'.repeat(200_000) }));
      if (url.includes('other')) return send(res, { resourceType: 'Patient', id: TOKEN });
      if (url.includes('badgzip')) return send(res, TOKEN, 200, { 'Content-Encoding': 'gzip' });
      if (url.includes('slow')) return;
      send(res, { resourceType: 'OperationOutcome', issue: [{ diagnostics: TOKEN }] }, 500);
    });
    const c = client({ requestTimeoutMs: 200 });
    const reasons: string[] = [];
    for (const id of ['redirect', 'refuse', 'reset', 'html', 'large', 'other', 'badgzip', 'slow', 'error']) {
      const result = await c.readResource('Medication', id, target(s), deadline());
      expect(result.ok).toBe(false);
      if (!result.ok) reasons.push(result.reason);
    }
    expect(new Set(reasons).size).toBe(9);
    for (const reason of reasons) {
      expect(reason).not.toContain(TOKEN);
      expect(reason).not.toContain('127.0.0.1');
    }
    for (const r of s.requests) {
      expect(r.url).not.toContain(TOKEN);
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });
});

describe('https', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const withOpenssl = made.status === 0 ? it : it.skip;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  withOpenssl('verifies the server certificate (a self-signed one is refused, nothing is sent)', async () => {
    let requests = 0;
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => {
      requests += 1;
      send(res, patient('p1'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const c = createFhirClient(baseCfg, { allowList: new ServerAllowList(['https://127.0.0.1']), budgetMs: BUDGET_MS, agents: pool });
      const result = await c.fetchKey('read', 'Patient', 'Patient/p1', { base: `${origin}/fhir`, origin, token: TOKEN }, deadline());
      expect(result).toEqual({ ok: false, reason: 'FHIR server unreachable (DEPTH_ZERO_SELF_SIGNED_CERT)' });
      expect(requests).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
