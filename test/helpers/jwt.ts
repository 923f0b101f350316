/**
 * Token minting for tests: fresh ES256/ES384/ES512/RSA test keys generated once per test process, the
 * committed demo-client key, and `mintToken` that can also produce the hostile shapes (alg none, HS256,
 * arbitrary headers/claims) the auth tests need.
 */
import { constants, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppConfig, TrustedClient } from '../../src/config';

export const TEST_ISS = 'urn:imatinib-cds:test-client';
export const DEMO_ISS = 'urn:imatinib-cds:demo-client';
/** Use as cfg.publicBaseUrl in HTTP tests: supertest's ephemeral port makes request-derived audiences unpredictable. */
export const TEST_PUBLIC_BASE_URL = 'https://cds.test';

export interface PublicJwk {
  kty: string;
  kid: string;
  [member: string]: unknown;
}

export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

type KeyName = 'es256' | 'es384' | 'es512' | 'rsa' | 'demo';
const cache = new Map<KeyName, TestKey>();

function generate(name: Exclude<KeyName, 'demo'>): TestKey {
  const pair =
    name === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: { es256: 'P-256', es384: 'P-384', es512: 'P-521' }[name] });
  const kid = `test-${name}`;
  // No "alg" on the RSA JWK so the one key serves RS256, RS384 and PS* tests.
  const alg = { es256: 'ES256', es384: 'ES384', es512: 'ES512', rsa: undefined }[name];
  const publicJwk: PublicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kty: name === 'rsa' ? 'RSA' : 'EC', kid, use: 'sig' };
  if (alg) publicJwk.alg = alg;
  return { kid, privateKey: pair.privateKey, publicJwk };
}

function loadDemo(): TestKey {
  const file = path.resolve(__dirname, '..', '..', 'scripts', 'keys', 'demo-client.private.jwk.json');
  const jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const kid = jwk.kid!;
  const publicJwk: PublicJwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kty: 'EC', kid, alg: 'ES384', use: 'sig' };
  return { kid, privateKey, publicJwk };
}

export function testKey(name: KeyName): TestKey {
  let k = cache.get(name);
  if (!k) {
    k = name === 'demo' ? loadDemo() : generate(name);
    cache.set(name, k);
  }
  return k;
}

/** Trusted-client config entries: TEST_ISS with all test keys (static JWKS), and the demo client. */
export function testClients(): TrustedClient[] {
  return [
    { iss: TEST_ISS, jwks: { keys: (['es256', 'es384', 'es512', 'rsa'] as const).map((n) => testKey(n).publicJwk) } },
    { iss: DEMO_ISS, jwks: { keys: [testKey('demo').publicJwk] } },
  ];
}

/** A copy of `cfg` trusting only the test clients, with TEST_PUBLIC_BASE_URL and auth required. */
export function withTestAuth(cfg: AppConfig, auth: Partial<AppConfig['auth']> = {}): AppConfig {
  return {
    ...cfg,
    publicBaseUrl: TEST_PUBLIC_BASE_URL,
    auth: { ...cfg.auth, required: true, trustedClients: testClients(), ...auth },
  };
}

/** `${TEST_PUBLIC_BASE_URL}/cds-services/${id}` — the aud for a service call in HTTP tests. */
export function serviceUrl(id: string, base = TEST_PUBLIC_BASE_URL): string {
  return `${base}/cds-services/${id}`;
}

export interface MintOptions {
  aud: string | string[];
  /** Default TEST_ISS. */
  iss?: string;
  /** Default ES384. "none" and HS* are produced too (HS* signs with `key` as the secret). */
  alg?: string;
  /** Default: the kid of the chosen key. */
  kid?: string;
  /** Private key (or HMAC secret). Default: demo key for DEMO_ISS, else the test key for the alg family. */
  key?: KeyObject | string | Buffer;
  /** Merged over {iss, aud, iat, exp, jti}; a value of undefined removes the claim. */
  claims?: Record<string, unknown>;
  /** Merged over {alg, typ: "JWT", kid}; a value of undefined removes the member. */
  header?: Record<string, unknown>;
  /** Epoch seconds used for iat (default now). */
  nowSec?: number;
  /** exp - iat, default 300 s (what the Sandbox and Inferno send). */
  lifetimeSec?: number;
}

function defaultKeyFor(iss: string, alg: string): TestKey {
  if (iss === DEMO_ISS) return testKey('demo');
  if (alg === 'ES256') return testKey('es256');
  if (alg === 'ES512') return testKey('es512');
  if (alg.startsWith('ES')) return testKey('es384');
  return testKey('rsa');
}

function merge(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | string | Buffer | undefined): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = String(header.alg);
  const hash = `sha${alg.slice(2)}`;
  let sig: Buffer;
  if (alg === 'none') sig = Buffer.alloc(0);
  else if (alg.startsWith('HS')) sig = createHmac(hash, key as string | Buffer).update(input).digest();
  else if (alg.startsWith('ES')) sig = sign(hash, Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else if (alg.startsWith('PS')) sig = sign(hash, Buffer.from(input), { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  else sig = sign(hash, Buffer.from(input), key as KeyObject);
  return `${input}.${sig.toString('base64url')}`;
}

export function mintToken(opts: MintOptions): string {
  const iss = opts.iss ?? TEST_ISS;
  const alg = opts.alg ?? 'ES384';
  const fallback = alg === 'none' || alg.startsWith('HS') ? undefined : defaultKeyFor(iss, alg);
  const iat = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const header = merge({ alg, typ: 'JWT', kid: opts.kid ?? fallback?.kid ?? 'none' }, opts.header);
  const payload = merge({ iss, aud: opts.aud, iat, exp: iat + (opts.lifetimeSec ?? 300), jti: randomUUID() }, opts.claims);
  return signJws(header, payload, opts.key ?? fallback?.privateKey);
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}
