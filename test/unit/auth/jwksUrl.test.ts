/** Issuers whose keys come from a jwksUrl, served by a real local HTTP server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { AppConfig } from '../../../src/config';
import { bearer, mintToken, serviceUrl, testKey, type PublicJwk } from '../../helpers/jwt';
import { authApp, capturingLogger, testConfig, UNAUTHORIZED_BODY } from './support';

const SERVICE = '/cds-services/imatinib-order-sign';
const AUD = serviceUrl('imatinib-order-sign');
const REMOTE_ISS = 'https://ehr.remote.example';

type Mode = 'serve' | 'hang' | 'huge' | 'huge-chunked' | 'redirect' | 'error';

interface JwksServer {
  url: string;
  hits: Record<string, number>;
  keys: PublicJwk[];
  mode: Mode;
  close(): Promise<void>;
}

async function startJwksServer(): Promise<JwksServer> {
  const state: Omit<JwksServer, 'url' | 'close'> = { hits: {}, keys: [], mode: 'serve' };
  const server = http.createServer((req, res) => {
    const p = req.url ?? '';
    state.hits[p] = (state.hits[p] ?? 0) + 1;
    if (p === '/elsewhere') return void res.end(JSON.stringify({ keys: state.keys }));
    switch (state.mode) {
      case 'hang':
        return; // never answers
      case 'huge':
        res.setHeader('content-type', 'application/json');
        return void res.end(`{"keys":[],"pad":"${'x'.repeat(400 * 1024)}"}`);
      case 'huge-chunked':
        // No content-length: the size bound must hold while streaming.
        res.setHeader('content-type', 'application/json');
        for (let i = 0; i < 40; i++) res.write('x'.repeat(10 * 1024));
        return void res.end();
      case 'redirect':
        res.statusCode = 302;
        res.setHeader('location', '/elsewhere');
        return void res.end();
      case 'error':
        res.statusCode = 500;
        return void res.end();
      default:
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: state.keys }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const out = state as JwksServer;
  out.url = `http://127.0.0.1:${port}/jwks.json`;
  out.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return out;
}

let jwks: JwksServer;
beforeEach(async () => {
  jwks = await startJwksServer();
  jwks.keys = [testKey('es384').publicJwk];
});
afterEach(() => jwks.close());

function setup(auth: Partial<AppConfig['auth']> = {}, clientExtra: Partial<AppConfig['auth']['trustedClients'][number]> = {}) {
  let nowMs = 1_900_000_000_000;
  const cfg = testConfig({ jwksRefreshIntervalMs: 60_000, jwksCacheMaxAgeMs: 3_600_000, jwksFetchTimeoutMs: 2000, ...auth });
  cfg.auth.trustedClients = [{ iss: REMOTE_ISS, jwksUrl: jwks.url, ...clientExtra }];
  const log = capturingLogger();
  const app = authApp(cfg, { logger: log.logger, now: () => nowMs });
  const clock = {
    advance(ms: number) {
      nowMs += ms;
    },
    sec: () => Math.floor(nowMs / 1000),
  };
  const send = (opts: { kid?: string; alg?: string; jku?: string } = {}) =>
    request(app)
      .post(SERVICE)
      .set('Authorization', bearer(mintToken({ aud: AUD, iss: REMOTE_ISS, nowSec: clock.sec(), alg: opts.alg ?? 'ES384', ...(opts.kid ? { kid: opts.kid } : {}), header: opts.jku ? { jku: opts.jku } : {} })))
      .send({});
  const reasons = () => log.entries.filter((e) => e.event === 'auth_rejected').map((e) => e.reason);
  return { send, clock, reasons, log };
}

const hits = () => jwks.hits['/jwks.json'] ?? 0;

it('fetches the JWK Set on first use and serves later tokens from the cache', async () => {
  const { send } = setup();
  expect((await send()).status).toBe(200);
  expect((await send()).status).toBe(200);
  expect((await send()).status).toBe(200);
  expect(hits()).toBe(1);
});

it('refreshes on an unknown kid at most once per refresh interval', async () => {
  const { send, clock, reasons } = setup();
  const rotated = { alg: 'ES512', kid: testKey('es512').kid };
  expect((await send()).status).toBe(200);
  expect(hits()).toBe(1);

  // The client rotates to a new key, but within the interval a burst of unknown kids causes no fetch.
  jwks.keys = [testKey('es384').publicJwk, testKey('es512').publicJwk];
  clock.advance(1000);
  for (let i = 0; i < 5; i++) expect((await send(rotated)).status).toBe(401);
  expect(hits()).toBe(1);
  expect(reasons()).toEqual(Array(5).fill('unknown_kid'));

  // Once the interval has passed, one unknown kid triggers exactly one refresh, which finds the new key.
  clock.advance(60_000);
  expect((await send(rotated)).status).toBe(200);
  expect(hits()).toBe(2);

  // Bogus kids right after that refresh do not fetch again.
  for (let i = 0; i < 3; i++) expect((await send({ kid: 'bogus' })).status).toBe(401);
  expect(hits()).toBe(2);
});

it('refetches once the cache is older than jwksCacheMaxAgeMs, and drops keys the issuer removed', async () => {
  const { send, clock, reasons } = setup({ jwksCacheMaxAgeMs: 600_000 });
  expect((await send()).status).toBe(200);
  clock.advance(599_000);
  expect((await send()).status).toBe(200);
  expect(hits()).toBe(1);
  jwks.keys = [testKey('es512').publicJwk];
  clock.advance(2000);
  expect((await send()).status).toBe(401);
  expect(hits()).toBe(2);
  expect(reasons()).toEqual(['unknown_kid']);
});

it('shares one fetch between concurrent requests', async () => {
  const { send } = setup();
  const results = await Promise.all(Array.from({ length: 8 }, () => send()));
  expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
  expect(hits()).toBe(1);
});

it('accepts a jku equal to the configured jwksUrl', async () => {
  const { send } = setup();
  expect((await send({ jku: jwks.url })).status).toBe(200);
});

it('refuses a jku that is not the configured jwksUrl without fetching anything', async () => {
  const { send, reasons } = setup();
  const other = jwks.url.replace('/jwks.json', '/elsewhere');
  const res = await send({ jku: other });
  expect(res.status).toBe(401);
  expect(res.body).toEqual(UNAUTHORIZED_BODY);
  expect(reasons()).toEqual(['jku_not_allowed']);
  expect(jwks.hits).toEqual({});
});

it('refuses a foreign jku for an issuer that has both static keys and a jwksUrl', async () => {
  const { send, reasons } = setup({}, { jwks: { keys: [testKey('es384').publicJwk] } });
  expect((await send()).status).toBe(200);
  expect((await send({ jku: 'https://attacker.example/jwks.json' })).status).toBe(401);
  expect(reasons()).toEqual(['jku_not_allowed']);
  expect(jwks.hits).toEqual({});
});

it('answers 401 promptly when the JWKS server does not respond within the timeout', async () => {
  jwks.mode = 'hang';
  const { send, reasons } = setup({ jwksFetchTimeoutMs: 200 });
  const res = await send();
  expect(res.status).toBe(401);
  expect(reasons()).toEqual(['jwks_unavailable']);
});

it.each(['huge', 'huge-chunked'] as const)('refuses an oversized JWK Set (%s)', async (mode) => {
  jwks.mode = mode;
  const { send, reasons, log } = setup();
  expect((await send()).status).toBe(401);
  expect(reasons()).toEqual(['jwks_unavailable']);
  expect(log.entries.find((e) => e.event === 'jwks_fetch_failed')?.error).toMatch(/exceeds/);
});

it('does not follow redirects from the JWKS URL', async () => {
  jwks.mode = 'redirect';
  const { send } = setup();
  expect((await send()).status).toBe(401);
  expect(jwks.hits['/elsewhere']).toBeUndefined();
});

it('retries a failed fetch only after the refresh interval', async () => {
  jwks.mode = 'error';
  const { send, clock } = setup();
  expect((await send()).status).toBe(401);
  jwks.mode = 'serve';
  clock.advance(1000);
  expect((await send()).status).toBe(401);
  expect(hits()).toBe(1);
  clock.advance(60_000);
  expect((await send()).status).toBe(200);
  expect(hits()).toBe(2);
});

it('skips invalid members of a fetched set and still uses the valid ones', async () => {
  jwks.keys = [{ kty: 'oct', kid: 'sym', k: 'c2VjcmV0' }, testKey('es384').publicJwk];
  const { send, log } = setup();
  expect((await send()).status).toBe(200);
  expect(log.entries.some((e) => e.event === 'jwks_key_skipped')).toBe(true);
});
