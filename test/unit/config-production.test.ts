/** Production rules (NODE_ENV=production), development-key thumbprints and fleet warnings. */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, configWarnings, jwkThumbprint, loadConfig, mergeConfig, parseConfig, productionProblems, type AppConfig } from '../../src/config';
import { DEVELOPMENT_KEY_THUMBPRINTS } from '../../src/config-production';
import { DEFAULT_CONFIG } from '../helpers/config';

type Json = Parameters<typeof mergeConfig>[0];
type Jwk = Record<string, unknown>;

const ROOT = path.resolve(__dirname, '../..');
const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8')) as Record<string, unknown>;
const PRODUCTION_EXAMPLE = readJson('config/production.example.json') as Json;
const PROD = { NODE_ENV: 'production' };

const defaultClients = (DEFAULT_CONFIG as { auth: { trustedClients: Array<{ iss: string; jwks: { keys: Jwk[] } }> } }).auth.trustedClients;
function defaultKeyOf(iss: string): Jwk {
  const client = defaultClients.find((c) => c.iss === iss);
  if (!client?.jwks.keys[0]) throw new Error(`config/default.json has no key for ${iss}`);
  return client.jwks.keys[0];
}
const SANDBOX_KEY = defaultKeyOf('https://sandbox.cds-hooks.org');
const DEMO_KEY = defaultKeyOf('urn:imatinib-cds:demo-client');

function freshKey(kid: string, type: 'ec' | 'rsa' | 'ed25519' = 'ec'): Jwk {
  const { publicKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-384' }) : type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return { ...(publicKey.export({ format: 'jwk' }) as Jwk), kid, use: 'sig' };
}

/** default.json + production.example.json (a configuration that passes in production) + overrides. */
function prodRaw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return mergeConfig(mergeConfig(DEFAULT_CONFIG, PRODUCTION_EXAMPLE), overrides as Json) as Record<string, unknown>;
}

/** The validated configuration, without the production rules applied (so they can be inspected). */
function prodConfig(overrides: Record<string, unknown> = {}): AppConfig {
  return parseConfig(prodRaw(overrides), {});
}

/** The ConfigError message of a start-up that must fail. */
function configErrorOf(start: () => unknown): string {
  try {
    start();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
}
const productionError = (raw: unknown) => configErrorOf(() => parseConfig(raw, PROD));

const client = (iss: string, extra: Record<string, unknown>) => ({ iss, ...extra });

describe('production rules', () => {
  it('accepts the shipped production example (no problem)', () => {
    expect(productionProblems(prodConfig())).toEqual([]);
    expect(parseConfig(prodRaw(), PROD).publicBaseUrl).toBe('https://cds.example.org');
  });

  it('does not apply the production rules outside NODE_ENV=production', () => {
    expect(() => parseConfig(DEFAULT_CONFIG, {})).not.toThrow();
    expect(() => parseConfig(DEFAULT_CONFIG, { NODE_ENV: 'development' })).not.toThrow();
    expect(() => parseConfig(DEFAULT_CONFIG, PROD)).toThrow(ConfigError);
  });

  it('refuses a missing publicBaseUrl', () => {
    const raw = prodRaw();
    delete raw.publicBaseUrl;
    expect(productionError(raw)).toBe('invalid production configuration (1 problem): publicBaseUrl: required in production (the externally visible base URL, e.g. https://cds.example.org)');
  });

  it('refuses an http:// publicBaseUrl and accepts an https:// one', () => {
    expect(productionProblems(prodConfig({ publicBaseUrl: 'http://cds.example.org' }))).toEqual(['publicBaseUrl: must be an https:// URL in production, got "http://cds.example.org"']);
    expect(productionProblems(prodConfig({ publicBaseUrl: 'ftp://cds.example.org' }))).toEqual(['publicBaseUrl: must be an https:// URL in production, got "ftp://cds.example.org"']);
    expect(productionProblems(prodConfig({ publicBaseUrl: 'https://cds.example.org:8443/base/' }))).toEqual([]);
  });

  it('refuses auth.required false', () => {
    expect(productionProblems(prodConfig({ auth: { required: false } }))).toEqual(['auth.required: must be true in production']);
  });

  it('refuses an empty auth.trustedClients', () => {
    expect(productionProblems(prodConfig({ auth: { trustedClients: [] } }))).toEqual(['auth.trustedClients: production needs at least one trusted client']);
  });

  it('refuses the development issuers by iss, whatever key they carry', () => {
    const clients = [
      client('https://ehr.example.org', { jwksUrl: 'https://ehr.example.org/jwks.json' }),
      client('https://sandbox.cds-hooks.org', { jwks: { keys: [freshKey('a')] } }),
      client('urn:imatinib-cds:demo-client-2', { jwks: { keys: [freshKey('b')] } }),
    ];
    expect(productionProblems(prodConfig({ auth: { trustedClients: clients } }))).toEqual([
      'auth.trustedClients[1].iss: the development issuer "https://sandbox.cds-hooks.org" must not be trusted in production',
      'auth.trustedClients[2].iss: the development issuer "urn:imatinib-cds:demo-client-2" must not be trusted in production',
    ]);
  });

  it('refuses an http:// jwksUrl and accepts an https:// one', () => {
    const clients = [
      client('https://ehr.example.org', { jwksUrl: 'https://ehr.example.org/jwks.json' }),
      client('https://other-ehr.example.net', { jwksUrl: 'http://other-ehr.example.net/jwks.json' }),
    ];
    expect(productionProblems(prodConfig({ auth: { trustedClients: clients } }))).toEqual([
      'auth.trustedClients[1].jwksUrl: must be an https:// URL in production, got "http://other-ehr.example.net/jwks.json"',
    ]);
  });

  it('refuses the CDS Hooks sandbox key listed under a made-up iss, naming the entry', () => {
    const clients = [
      client('https://ehr.example.org', { jwksUrl: 'https://ehr.example.org/jwks.json' }),
      client('https://ehr-2.example.org', { jwks: { keys: [freshKey('ok')] } }),
      client('https://made-up.example.org', { jwks: { keys: [SANDBOX_KEY] } }),
    ];
    const message = productionError(prodRaw({ auth: { trustedClients: clients } }));
    expect(message).toBe('invalid production configuration (1 problem): auth.trustedClients[2].jwks.keys[0]: the CDS Hooks sandbox development key must not be trusted in production');
  });

  it('refuses the demo client key next to a good key, under another kid and alg', () => {
    const renamed = { ...DEMO_KEY, kid: 'prod-2026', alg: 'ES384', use: 'sig' };
    const clients = [client('https://ehr.example.org', { jwks: { keys: [freshKey('good'), renamed] } })];
    expect(productionProblems(prodConfig({ auth: { trustedClients: clients } }))).toEqual([
      'auth.trustedClients[0].jwks.keys[1]: the demo client development key (scripts/keys/) must not be trusted in production',
    ]);
  });

  it('refuses a development key spelled in another base64 form that node:crypto would still accept', () => {
    const x = String(SANDBOX_KEY.x);
    const respelled = { ...SANDBOX_KEY, x: `${x.replace(/-/g, '+').replace(/_/g, '/')}==` };
    expect(respelled.x).not.toBe(x);
    const clients = [client('https://ehr.example.org', { jwks: { keys: [respelled] } })];
    expect(productionProblems(prodConfig({ auth: { trustedClients: clients } }))).toEqual([
      'auth.trustedClients[0].jwks.keys[0]: the CDS Hooks sandbox development key must not be trusted in production',
    ]);
  });

  it('accepts freshly generated EC P-384, RSA and Ed25519 keys', () => {
    const clients = [client('https://ehr.example.org', { jwks: { keys: [freshKey('ec'), freshKey('rsa', 'rsa'), freshKey('ed', 'ed25519')] } })];
    expect(productionProblems(prodConfig({ auth: { trustedClients: clients } }))).toEqual([]);
  });

  it('refuses each plain-http FHIR server prefix, naming its index', () => {
    const servers = ['https://fhir.example.org/r4', 'http://fhir.example.org/r4', 'http://127.0.0.1'];
    expect(productionProblems(prodConfig({ fhir: { allowedServers: servers } }))).toEqual([
      'fhir.allowedServers[1]: only https FHIR servers are allowed in production, got "http://fhir.example.org/r4"',
      'fhir.allowedServers[2]: only https FHIR servers are allowed in production, got "http://127.0.0.1"',
    ]);
  });

  it('refuses "*" among the CORS origins and accepts an empty list', () => {
    expect(productionProblems(prodConfig({ cors: { allowedOrigins: ['https://ehr.example.org', '*'] } }))).toEqual(['cors.allowedOrigins: production must list explicit origins (no "*")']);
    expect(productionProblems(prodConfig({ cors: { allowedOrigins: [] } }))).toEqual([]);
  });

  it('reports every broken rule in one error, each naming its key', () => {
    const raw = prodRaw({
      publicBaseUrl: 'http://cds.example.org',
      auth: {
        required: false,
        trustedClients: [
          client('https://ehr.example.org', { jwksUrl: 'http://ehr.example.org/jwks.json' }),
          client('https://made-up.example.org', { jwks: { keys: [DEMO_KEY] } }),
        ],
      },
      fhir: { allowedServers: ['http://fhir.example.org'] },
      cors: { allowedOrigins: ['*'] },
    });
    const message = productionError(raw);
    expect(message).toBe(
      'invalid production configuration (6 problems): ' +
        [
          'publicBaseUrl: must be an https:// URL in production, got "http://cds.example.org"',
          'auth.required: must be true in production',
          'auth.trustedClients[0].jwksUrl: must be an https:// URL in production, got "http://ehr.example.org/jwks.json"',
          'auth.trustedClients[1].jwks.keys[0]: the demo client development key (scripts/keys/) must not be trusted in production',
          'fhir.allowedServers[0]: only https FHIR servers are allowed in production, got "http://fhir.example.org"',
          'cors.allowedOrigins: production must list explicit origins (no "*")',
        ].join('; '),
    );
  });

  it('reports everything wrong with the development defaults at once (loadConfig, NODE_ENV=production)', () => {
    const message = configErrorOf(() => loadConfig(PROD));
    expect(message).toMatch(/^invalid production configuration \(8 problems\): /);
    for (const key of [
      'publicBaseUrl:',
      'auth.trustedClients[0].iss:',
      'auth.trustedClients[0].jwks.keys[0]: the CDS Hooks sandbox development key',
      'auth.trustedClients[1].iss:',
      'auth.trustedClients[1].jwks.keys[0]: the demo client development key',
      'fhir.allowedServers[0]:',
      'fhir.allowedServers[1]:',
      'cors.allowedOrigins:',
    ]) {
      expect(message).toContain(key);
    }
  });
});

describe('JWK thumbprints (RFC 7638)', () => {
  it('computes the RFC 7638 section 3.1 example thumbprint', () => {
    const rfcExample = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(rfcExample)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('keeps the development thumbprint constants equal to the keys in config/default.json and scripts/keys/', () => {
    expect(DEVELOPMENT_KEY_THUMBPRINTS.map((d) => d.thumbprint)).toEqual([jwkThumbprint(SANDBOX_KEY), jwkThumbprint(DEMO_KEY)]);
    expect(DEVELOPMENT_KEY_THUMBPRINTS.map((d) => d.name)).toEqual(['the CDS Hooks sandbox development key', 'the demo client development key (scripts/keys/)']);
    const demoSet = readJson('scripts/keys/demo-client.jwks.json') as { keys: Jwk[] };
    expect(demoSet.keys.map((k) => jwkThumbprint(k))).toEqual([jwkThumbprint(DEMO_KEY)]);
    const demoPrivate = readJson('scripts/keys/demo-client.private.jwk.json');
    expect(jwkThumbprint(demoPrivate)).toBe(jwkThumbprint(DEMO_KEY));
    // Every key shipped in config/default.json is a development key.
    const shipped = defaultClients.flatMap((c) => c.jwks.keys).map((k) => jwkThumbprint(k));
    expect(shipped.every((t) => DEVELOPMENT_KEY_THUMBPRINTS.some((d) => d.thumbprint === t))).toBe(true);
  });

  it('depends only on the required members (not kid, alg, use or member order)', () => {
    const reordered = { y: SANDBOX_KEY.y, x: SANDBOX_KEY.x, kty: 'EC', crv: SANDBOX_KEY.crv, kid: 'other', alg: 'ES512' };
    expect(jwkThumbprint(reordered)).toBe(jwkThumbprint(SANDBOX_KEY));
    expect(jwkThumbprint(freshKey('k'))).not.toBe(jwkThumbprint(SANDBOX_KEY));
  });

  it('has no thumbprint for a symmetric key or one missing a required member', () => {
    expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'EC', crv: 'P-384', x: SANDBOX_KEY.x })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'RSA', e: 'AQAB' })).toBeUndefined();
  });
});

describe('fleet warnings', () => {
  const DATABASE_URL = 'postgres://cds:secret@db.example.org/cds';
  const REDIS_URL = 'rediss://redis.example.org:6380';

  it('warns when store.databaseUrl is set without redis.url', () => {
    const warnings = configWarnings(prodConfig({ store: { databaseUrl: DATABASE_URL }, rateLimit: { enabled: false } }), {});
    expect(warnings).toEqual([
      'store.databaseUrl is set without redis.url: each instance keeps its own jti replay cache; set REDIS_URL when several instances serve the same clients',
    ]);
    expect(warnings.join(' ')).not.toContain('secret');
  });

  it('names the rate limit in the database warning when it is enabled', () => {
    const warnings = configWarnings(prodConfig({ store: { databaseUrl: DATABASE_URL }, rateLimit: { enabled: true } }), {});
    expect(warnings).toEqual([
      'store.databaseUrl is set without redis.url: each instance keeps its own jti replay cache and rate limit; set REDIS_URL when several instances serve the same clients',
    ]);
  });

  it('warns in production when the rate limit is enabled without redis.url (the limit is per process)', () => {
    const warnings = configWarnings(prodConfig({ rateLimit: { enabled: true, maxRequestsPerClient: 600, windowMs: 60000 } }), PROD);
    expect(warnings).toEqual([
      'rateLimit.enabled is true without redis.url: the limit (rateLimit.maxRequestsPerClient 600 per 60000 ms) is counted per process, so with N workers or instances a client gets up to N times it; set REDIS_URL to share it',
    ]);
  });

  it('does not warn about the rate limit outside production, when it is disabled, or with redis.url', () => {
    expect(configWarnings(prodConfig({ rateLimit: { enabled: true } }), {})).toEqual([]);
    expect(configWarnings(prodConfig({ rateLimit: { enabled: false } }), PROD)).toEqual([]);
    expect(configWarnings(prodConfig({ rateLimit: { enabled: true }, redis: { url: REDIS_URL } }), PROD)).toEqual([]);
  });

  it('does not warn with a database and Redis, nor with neither', () => {
    expect(configWarnings(prodConfig({ store: { databaseUrl: DATABASE_URL }, redis: { url: REDIS_URL }, rateLimit: { enabled: true } }), PROD)).toEqual([]);
    expect(configWarnings(loadConfig({}), {})).toEqual([]);
  });

  it('gives both warnings in production with DATABASE_URL and the rate limit but no REDIS_URL (environment overlay)', () => {
    const env = { DATABASE_URL, CDS_CONFIG: path.join(ROOT, 'config/production.example.json'), NODE_ENV: 'production' };
    const warnings = configWarnings(loadConfig(env), env);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^store\.databaseUrl is set without redis\.url/);
    expect(warnings[1]).toMatch(/^rateLimit\.enabled is true without redis\.url/);
    expect(configWarnings(loadConfig({ ...env, REDIS_URL }), env)).toEqual([]);
  });
});
