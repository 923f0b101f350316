import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createAuthMiddleware } from '../../../src/auth';
import type { AppConfig } from '../../../src/config';
import { bearer, DEMO_ISS, mintToken, serviceUrl, signJws, TEST_ISS, TEST_PUBLIC_BASE_URL, testKey } from '../../helpers/jwt';
import { authApp, baseConfig, capturingLogger, testConfig, UNAUTHORIZED_BODY } from './support';

const SERVICE = '/cds-services/imatinib-order-sign';
const AUD = serviceUrl('imatinib-order-sign');

function setup(cfg: AppConfig = testConfig(), now?: () => number) {
  const log = capturingLogger();
  const fetchImpl = jest.fn<ReturnType<typeof fetch>, Parameters<typeof fetch>>(() => Promise.reject(new Error('no network in this test')));
  const app = authApp(cfg, { logger: log.logger, fetchImpl, ...(now ? { now } : {}) });
  return { app, log, fetchImpl };
}

async function call(app: ReturnType<typeof setup>['app'], token: string | undefined, url = SERVICE) {
  const req = request(app).post(url).send({});
  return token === undefined ? req : req.set('Authorization', bearer(token));
}

function expectRefused(res: request.Response) {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  expect(res.body).toEqual(UNAUTHORIZED_BODY);
}

function lastReason(log: ReturnType<typeof capturingLogger>): unknown {
  return log.entries.filter((e) => e.event === 'auth_rejected').at(-1)?.reason;
}

describe('spec example token (ES384 test vector)', () => {
  const vector = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/cds-hooks/spec-jwt-es384-vector.json'), 'utf8')) as {
    jwt: string;
    jwks: { keys: { kty: string }[] };
    expectedPayload: { iss: string; iat: number; exp: number; jti: string; tenant: string };
  };
  function vectorConfig(): AppConfig {
    return {
      ...baseConfig(),
      publicBaseUrl: 'https://cds.example.org',
      auth: {
        ...baseConfig().auth,
        required: true,
        // The example token lives 3.5 years; only this test allows that.
        maxTokenLifetimeSeconds: 200_000_000,
        trustedClients: [{ iss: vector.expectedPayload.iss, jwks: vector.jwks }],
      },
    };
  }

  it('accepts the example token at a clock inside its validity and attaches the verified client', async () => {
    const { app } = setup(vectorConfig(), () => (vector.expectedPayload.iat + 60) * 1000);
    const res = await call(app, vector.jwt, '/cds-services/some-service');
    expect(res.status).toBe(200);
    expect(res.body.client).toEqual({ iss: 'https://fhir-ehr.example.com/', jti: vector.expectedPayload.jti, tenant: vector.expectedPayload.tenant });
  });

  it('never fetches the example token\'s jku when the issuer\'s keys are configured statically', async () => {
    const { app, fetchImpl } = setup(vectorConfig(), () => (vector.expectedPayload.iat + 60) * 1000);
    await call(app, vector.jwt, '/cds-services/some-service');
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('refuses the example token at today\'s clock because it expired in 2015', async () => {
    const { app, log } = setup(vectorConfig());
    expectRefused(await call(app, vector.jwt, '/cds-services/some-service'));
    expect(lastReason(log)).toBe('expired');
  });

  it('refuses the example token for another service URL', async () => {
    const { app, log } = setup(vectorConfig(), () => (vector.expectedPayload.iat + 60) * 1000);
    expectRefused(await call(app, vector.jwt, '/cds-services/other-service'));
    expect(lastReason(log)).toBe('wrong_aud');
  });

  it('refuses the example token when its tenant is not on the issuer\'s allow-list', async () => {
    const cfg = vectorConfig();
    cfg.auth.trustedClients = [{ iss: vector.expectedPayload.iss, jwks: vector.jwks, tenants: ['some-other-tenant'] }];
    const { app, log } = setup(cfg, () => (vector.expectedPayload.iat + 60) * 1000);
    expectRefused(await call(app, vector.jwt, '/cds-services/some-service'));
    expect(lastReason(log)).toBe('tenant_not_allowed');
  });
});

describe('accepted tokens', () => {
  it.each(['ES384', 'RS384', 'RS256', 'ES256', 'ES512', 'PS256'])('accepts a fresh %s token for the invoked service URL', async (alg) => {
    const { app } = setup();
    const res = await call(app, mintToken({ aud: AUD, alg }));
    expect(res.status).toBe(200);
    expect(res.body.client).toEqual({ iss: TEST_ISS, jti: expect.any(String) });
  });

  it('accepts an aud array that contains the invoked service URL', async () => {
    const { app } = setup();
    const res = await call(app, mintToken({ aud: ['https://elsewhere.example/cds-services/x', AUD] }));
    expect(res.status).toBe(200);
  });

  it('tolerates a trailing slash difference in aud', async () => {
    const { app } = setup();
    expect((await call(app, mintToken({ aud: `${AUD}/` }))).status).toBe(200);
    expect((await call(app, mintToken({ aud: AUD }), `${SERVICE}/`)).status).toBe(200);
  });

  it('ignores the query string when comparing aud with the invoked URL', async () => {
    const { app } = setup();
    expect((await call(app, mintToken({ aud: AUD }), `${SERVICE}?x=1`)).status).toBe(200);
  });

  it('accepts a token without typ (the header is declarative; signature and claims carry the security)', async () => {
    const { app } = setup();
    expect((await call(app, mintToken({ aud: AUD, header: { typ: undefined } }))).status).toBe(200);
  });

  it('accepts the demo client signed with the committed demo key', async () => {
    const { app } = setup();
    const res = await call(app, mintToken({ aud: AUD, iss: DEMO_ISS }));
    expect(res.status).toBe(200);
    expect(res.body.client.iss).toBe(DEMO_ISS);
  });

  it('accepts iat and exp within the configured clock skew', async () => {
    const nowSec = 2_000_000_000;
    const { app } = setup(testConfig({ clockSkewSeconds: 60 }), () => nowSec * 1000);
    expect((await call(app, mintToken({ aud: AUD, nowSec: nowSec + 50 }))).status).toBe(200);
    expect((await call(app, mintToken({ aud: AUD, nowSec: nowSec - 330, lifetimeSec: 300 }))).status).toBe(200);
  });

  it('accepts a tenant on the allow-list', async () => {
    const cfg = testConfig();
    cfg.auth.trustedClients = cfg.auth.trustedClients.map((c) => (c.iss === TEST_ISS ? { ...c, tenants: ['t-1'] } : c));
    const { app } = setup(cfg);
    const res = await call(app, mintToken({ aud: AUD, claims: { tenant: 't-1' } }));
    expect(res.status).toBe(200);
    expect(res.body.client.tenant).toBe('t-1');
  });
});

describe('refused tokens: 401 with no detail, reason logged', () => {
  const rsaPublicPem = (): string => createPublicKey(testKey('rsa').privateKey).export({ type: 'spki', format: 'pem' }).toString();

  const cases: [string, () => string | undefined, string][] = [
    ['alg none', () => mintToken({ aud: AUD, alg: 'none' }), 'malformed_token'],
    ['alg none with a signature part', () => mintToken({ aud: AUD, alg: 'none' }) + 'AAAA', 'alg_not_allowed'],
    ['HS256 signed with the RSA public key as the secret', () => mintToken({ aud: AUD, alg: 'HS256', kid: testKey('rsa').kid, key: rsaPublicPem() }), 'alg_not_allowed'],
    ['an expired token', () => mintToken({ aud: AUD, nowSec: Math.floor(Date.now() / 1000) - 1000, lifetimeSec: 300 }), 'expired'],
    ['iat in the future beyond the skew', () => mintToken({ aud: AUD, nowSec: Math.floor(Date.now() / 1000) + 3600 }), 'iat_in_future'],
    ['nbf in the future beyond the skew', () => mintToken({ aud: AUD, claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), 'not_yet_valid'],
    ['a wrong aud', () => mintToken({ aud: 'https://attacker.example/cds-services/imatinib-order-sign' }), 'wrong_aud'],
    ['the aud of another service', () => mintToken({ aud: serviceUrl('imatinib-order-select') }), 'wrong_aud'],
    ['the discovery URL as aud on a service call', () => mintToken({ aud: `${TEST_PUBLIC_BASE_URL}/cds-services` }), 'wrong_aud'],
    ['an aud array without the invoked URL', () => mintToken({ aud: [serviceUrl('x'), serviceUrl('y')] }), 'wrong_aud'],
    ['an unknown iss', () => mintToken({ aud: AUD, iss: 'https://unknown.example' }), 'unknown_iss'],
    ['an unknown kid', () => mintToken({ aud: AUD, kid: 'no-such-kid' }), 'unknown_kid'],
    ['a signature by another key under a trusted kid', () => mintToken({ aud: AUD, key: testKey('demo').privateKey }), 'bad_signature'],
    ['a key used with an algorithm it does not declare', () => mintToken({ aud: AUD, alg: 'ES384', kid: testKey('es256').kid }), 'key_alg_mismatch'],
    ['a lifetime longer than allowed', () => mintToken({ aud: AUD, lifetimeSec: 86_401 }), 'lifetime_too_long'],
    ['exp before iat', () => mintToken({ aud: AUD, lifetimeSec: -10, nowSec: Math.floor(Date.now() / 1000) + 20 }), 'bad_claims'],
    ['a missing jti', () => mintToken({ aud: AUD, claims: { jti: undefined } }), 'bad_claims'],
    ['a missing exp', () => mintToken({ aud: AUD, claims: { exp: undefined } }), 'bad_claims'],
    ['a missing iat', () => mintToken({ aud: AUD, claims: { iat: undefined } }), 'bad_claims'],
    ['a string exp', () => mintToken({ aud: AUD, claims: { exp: '9999999999' } }), 'bad_claims'],
    ['a missing kid', () => mintToken({ aud: AUD, header: { kid: undefined } }), 'missing_kid'],
    ['typ other than JWT', () => mintToken({ aud: AUD, header: { typ: 'at+jwt' } }), 'bad_typ'],
    ['a crit header', () => mintToken({ aud: AUD, header: { crit: ['exp'] } }), 'unsupported_crit'],
    ['a tampered payload', () => { const [h, , s] = mintToken({ aud: AUD }).split('.'); const p = Buffer.from(JSON.stringify({ iss: TEST_ISS, aud: AUD, iat: 1, exp: 9e9, jti: 'x' })).toString('base64url'); return `${h}.${p}.${s}`; }, 'bad_signature'],
    ['garbage instead of a token', () => 'not-a-jwt', 'malformed_token'],
    ['a token with invalid base64url', () => { const [h, p, s] = mintToken({ aud: AUD }).split('.'); return `${h}.${p}!.${s}`; }, 'malformed_token'],
    ['a header that is not JSON', () => { const [, p, s] = mintToken({ aud: AUD }).split('.'); return `${Buffer.from('{"alg":').toString('base64url')}.${p}.${s}`; }, 'malformed_token'],
    ['a payload that is a JSON array', () => signJws({ alg: 'ES384', typ: 'JWT', kid: testKey('es384').kid }, [AUD] as unknown as Record<string, unknown>, testKey('es384').privateKey), 'malformed_token'],
  ];

  it.each(cases)('refuses %s', async (_name, token, reason) => {
    const { app, log } = setup();
    const t = token();
    expectRefused(await call(app, t));
    expect(lastReason(log)).toBe(reason);
  });

  it('refuses HS256 and none even when a hand-built config lists them', async () => {
    const cfg = testConfig({ algorithms: ['HS256', 'none', 'ES384'] as unknown as AppConfig['auth']['algorithms'] });
    const { app, log } = setup(cfg);
    expectRefused(await call(app, mintToken({ aud: AUD, alg: 'HS256', kid: testKey('es384').kid, key: 'secret' })));
    expect(lastReason(log)).toBe('alg_not_allowed');
    expect((await call(app, mintToken({ aud: AUD }))).status).toBe(200);
  });

  it('refuses an algorithm that is valid but not configured', async () => {
    const { app, log } = setup(testConfig({ algorithms: ['ES384'] }));
    expectRefused(await call(app, mintToken({ aud: AUD, alg: 'RS256' })));
    expect(lastReason(log)).toBe('alg_not_allowed');
  });

  it('refuses a replayed jti', async () => {
    const { app, log } = setup();
    const token = mintToken({ aud: AUD });
    expect((await call(app, token)).status).toBe(200);
    expectRefused(await call(app, token));
    expect(lastReason(log)).toBe('replayed_jti');
  });

  it('treats the same jti from two issuers as two tokens', async () => {
    const { app } = setup();
    expect((await call(app, mintToken({ aud: AUD, claims: { jti: 'same' } }))).status).toBe(200);
    expect((await call(app, mintToken({ aud: AUD, iss: DEMO_ISS, claims: { jti: 'same' } }))).status).toBe(200);
  });

  it('does not burn the jti of a refused token', async () => {
    const { app } = setup();
    const jti = 'retry-me';
    expectRefused(await call(app, mintToken({ aud: serviceUrl('other'), claims: { jti } })));
    expect((await call(app, mintToken({ aud: AUD, claims: { jti } }))).status).toBe(200);
  });

  it('refuses a request without an Authorization header', async () => {
    const { app, log } = setup();
    expectRefused(await call(app, undefined));
    expect(lastReason(log)).toBe('missing_authorization');
  });

  it('refuses a non-Bearer scheme', async () => {
    const { app, log } = setup();
    const res = await request(app).post(SERVICE).set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`).send({});
    expectRefused(res);
    expect(lastReason(log)).toBe('not_bearer');
  });

  it('refuses a Bearer header with two tokens', async () => {
    const { app, log } = setup();
    const t = mintToken({ aud: AUD });
    const res = await request(app).post(SERVICE).set('Authorization', `Bearer ${t}, Bearer ${t}`).send({});
    expectRefused(res);
    expect(lastReason(log)).toBe('malformed_token');
  });

  it('refuses a tenant that is not on the allow-list, and a missing tenant when there is one', async () => {
    const cfg = testConfig();
    cfg.auth.trustedClients = cfg.auth.trustedClients.map((c) => (c.iss === TEST_ISS ? { ...c, tenants: ['t-1'] } : c));
    const { app, log } = setup(cfg);
    expectRefused(await call(app, mintToken({ aud: AUD, claims: { tenant: 't-2' } })));
    expect(lastReason(log)).toBe('tenant_not_allowed');
    expectRefused(await call(app, mintToken({ aud: AUD })));
    expect(lastReason(log)).toBe('tenant_not_allowed');
  });

  it('logs reason, iss, kid and jti at warn but never the token', async () => {
    const { app, log } = setup();
    const token = mintToken({ aud: serviceUrl('other'), claims: { jti: 'jti-123' } });
    await call(app, token);
    const entry = log.entries.find((e) => e.event === 'auth_rejected');
    expect(entry).toMatchObject({ level: 'warn', reason: 'wrong_aud', iss: TEST_ISS, kid: testKey('es384').kid, jti: 'jti-123', path: SERVICE });
    const signature = token.split('.')[2]!;
    expect(log.raw.join('')).not.toContain(signature);
    expect(log.raw.join('')).not.toContain(token.split('.')[1]!);
  });
});

describe('endpoints and modes', () => {
  it('never challenges an OPTIONS preflight', async () => {
    const { app } = setup();
    const res = await request(app).options(SERVICE);
    expect(res.status).toBe(204);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('leaves discovery open by default', async () => {
    const { app } = setup();
    expect((await request(app).get('/cds-services')).status).toBe(200);
  });

  it('protects discovery when discoveryRequired, with the discovery URL as aud', async () => {
    const { app } = setup(testConfig({ discoveryRequired: true }));
    expectRefused(await request(app).get('/cds-services'));
    const ok = await request(app).get('/cds-services').set('Authorization', bearer(mintToken({ aud: `${TEST_PUBLIC_BASE_URL}/cds-services` })));
    expect(ok.status).toBe(200);
    expectRefused(await request(app).get('/cds-services').set('Authorization', bearer(mintToken({ aud: AUD }))));
  });

  it('accepts the feedback URL or the service URL as aud for feedback, and nothing else', async () => {
    const { app } = setup();
    expect((await call(app, mintToken({ aud: `${AUD}/feedback` }), `${SERVICE}/feedback`)).status).toBe(200);
    expect((await call(app, mintToken({ aud: AUD }), `${SERVICE}/feedback`)).status).toBe(200);
    expectRefused(await call(app, mintToken({ aud: serviceUrl('imatinib-order-select') }), `${SERVICE}/feedback`));
    expectRefused(await call(app, mintToken({ aud: `${AUD}/feedback` }), SERVICE));
  });

  it('lets requests through without a token when auth is not required', async () => {
    const { app } = setup(testConfig({ required: false }));
    const res = await call(app, undefined);
    expect(res.status).toBe(200);
    expect(res.body.client).toBeNull();
  });

  describe('without publicBaseUrl (development)', () => {
    function devConfig(): AppConfig {
      const cfg = testConfig();
      delete cfg.publicBaseUrl;
      return cfg;
    }

    it('derives the expected aud from the request host', async () => {
      const { app } = setup(devConfig());
      const res = await request(app).post(SERVICE).set('Host', 'cds.internal:8080').set('Authorization', bearer(mintToken({ aud: `http://cds.internal:8080${SERVICE}` }))).send({});
      expect(res.status).toBe(200);
    });

    it('accepts the other loopback spellings of a loopback host', async () => {
      const { app } = setup(devConfig());
      for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000']) {
        const res = await request(app).post(SERVICE).set('Host', 'localhost:3000').set('Authorization', bearer(mintToken({ aud: `http://${host}${SERVICE}` }))).send({});
        expect(res.status).toBe(200);
      }
    });

    it('does not accept another port or host', async () => {
      const { app } = setup(devConfig());
      for (const aud of [`http://localhost:3001${SERVICE}`, `http://example.org${SERVICE}`, `https://localhost:3000${SERVICE}`]) {
        expectRefused(await request(app).post(SERVICE).set('Host', 'localhost:3000').set('Authorization', bearer(mintToken({ aud }))).send({}));
      }
    });
  });
});

describe('sandbox token shape', () => {
  const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
  const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f';
  const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

  it('verifies a jku-bearing token against the pinned static key and never fetches the jku', async () => {
    const cfg = testConfig();
    cfg.auth.trustedClients = [{ iss: SANDBOX_ISS, jwks: { keys: [{ ...testKey('es384').publicJwk, kid: SANDBOX_KID }] } }];
    const { app, fetchImpl } = setup(cfg);
    const res = await call(app, mintToken({ aud: AUD, iss: SANDBOX_ISS, kid: SANDBOX_KID, header: { jku: SANDBOX_JKU } }));
    expect(res.status).toBe(200);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('refuses a token forged under the sandbox kid with the default configuration', async () => {
    const cfg: AppConfig = { ...baseConfig(), publicBaseUrl: TEST_PUBLIC_BASE_URL };
    const { app, log, fetchImpl } = setup(cfg);
    expectRefused(await call(app, mintToken({ aud: AUD, iss: SANDBOX_ISS, kid: SANDBOX_KID, header: { jku: SANDBOX_JKU } })));
    expect(lastReason(log)).toBe('bad_signature');
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('start-up', () => {
  it.each([
    ['a symmetric key', { kty: 'oct', kid: 'k', k: 'c2VjcmV0' }],
    ['a key without kid', { ...testKey('es384').publicJwk, kid: undefined }],
    ['an encryption key', { ...testKey('es384').publicJwk, use: 'enc' }],
    ['a broken EC point', { ...testKey('es384').publicJwk, x: 'AAAA' }],
  ])('refuses to start with %s in a configured JWK Set', (_name, jwk) => {
    const cfg = testConfig();
    cfg.auth.trustedClients = [{ iss: TEST_ISS, jwks: { keys: [jwk as { kty: string }] } }];
    expect(() => createAuthMiddleware(cfg, { logger: capturingLogger().logger })).toThrow(/trustedClients\[iss=urn:imatinib-cds:test-client\]/);
  });

  it('refuses to start with an RSA key shorter than 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const cfg = testConfig();
    cfg.auth.trustedClients = [{ iss: TEST_ISS, jwks: { keys: [{ ...(publicKey.export({ format: 'jwk' }) as { kty: string }), kid: 'short' }] } }];
    expect(() => createAuthMiddleware(cfg, { logger: capturingLogger().logger })).toThrow(/2048/);
  });
});
