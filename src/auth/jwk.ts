/** Import JWKs into public KeyObjects once (start-up or JWKS fetch), never per request. */
import { createPublicKey } from 'node:crypto';
import { isAsymmetricAlgorithm, type TrustedKey } from './algorithms';

const MIN_RSA_BITS = 2048;
const SUPPORTED_CURVES = new Set(['P-256', 'P-384', 'P-521']);

export class JwkImportError extends Error {
  override readonly name = 'JwkImportError';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * One JWK → TrustedKey. Only the public members are passed to node:crypto, so a JWK that accidentally carries
 * private material (`d`, primes) never turns into a private key in this process.
 */
export function importJwk(jwk: unknown): TrustedKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new JwkImportError('a JWK must be an object');
  const j = jwk as Record<string, unknown>;
  const kid = str(j.kid);
  if (!kid) throw new JwkImportError('JWK without "kid" (CDS Hooks selects keys by kid)');
  if (j.use !== undefined && j.use !== 'sig') throw new JwkImportError(`JWK ${kid}: "use" is not "sig"`);
  if (j.key_ops !== undefined && !(Array.isArray(j.key_ops) && j.key_ops.includes('verify'))) {
    throw new JwkImportError(`JWK ${kid}: "key_ops" does not include "verify"`);
  }
  let jwkAlg: TrustedKey['jwkAlg'];
  if (j.alg !== undefined) {
    if (typeof j.alg !== 'string' || !isAsymmetricAlgorithm(j.alg)) throw new JwkImportError(`JWK ${kid}: unsupported "alg"`);
    jwkAlg = j.alg;
  }
  let publicJwk: Record<string, string>;
  if (j.kty === 'EC') {
    const crv = str(j.crv), x = str(j.x), y = str(j.y);
    if (!crv || !x || !y || !SUPPORTED_CURVES.has(crv)) throw new JwkImportError(`JWK ${kid}: EC key needs crv P-256/P-384/P-521, x, y`);
    publicJwk = { kty: 'EC', crv, x, y };
  } else if (j.kty === 'RSA') {
    const n = str(j.n), e = str(j.e);
    if (!n || !e) throw new JwkImportError(`JWK ${kid}: RSA key needs n and e`);
    publicJwk = { kty: 'RSA', n, e };
  } else {
    // "oct" (symmetric) and anything else: CDS Hooks allows asymmetric signatures only.
    throw new JwkImportError(`JWK ${kid}: kty must be EC or RSA`);
  }
  let key;
  try {
    key = createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch (e) {
    throw new JwkImportError(`JWK ${kid}: not a valid public key (${(e as Error).message})`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (j.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) {
    throw new JwkImportError(`JWK ${kid}: RSA key shorter than ${MIN_RSA_BITS} bits`);
  }
  return jwkAlg === undefined ? { kid, key } : { kid, key, jwkAlg };
}

/**
 * A JWK Set → keys by kid. `onInvalid` decides what a bad member means: configured sets fail start-up (throw),
 * fetched sets skip the member (one bad key must not lock out the issuer's good ones).
 */
export function importJwkSet(keys: readonly unknown[], onInvalid: (err: JwkImportError) => void): Map<string, TrustedKey> {
  const out = new Map<string, TrustedKey>();
  for (const jwk of keys) {
    try {
      const k = importJwk(jwk);
      // kid "MUST be unique within the CDS Client's JWK Set": keep the first, so a later duplicate cannot shadow it.
      if (!out.has(k.kid)) out.set(k.kid, k);
    } catch (e) {
      if (e instanceof JwkImportError) onInvalid(e);
      else throw e;
    }
  }
  return out;
}
