/** Which JWS algorithms may be used, and whether a given public key can serve a given algorithm. */
import type { KeyObject } from 'node:crypto';
import type { AppConfig } from '../config';

export type JwsAlgorithm = AppConfig['auth']['algorithms'][number];

/**
 * The only algorithms this service can ever accept. The config enum already excludes `none` and HS*; this set
 * is a second fence so that even a hand-built config object cannot enable them (CDS Hooks forbids both).
 */
const ASYMMETRIC: ReadonlySet<string> = new Set<JwsAlgorithm>([
  'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
]);

export function allowedAlgorithmSet(configured: readonly string[]): ReadonlySet<JwsAlgorithm> {
  return new Set(configured.filter((a): a is JwsAlgorithm => ASYMMETRIC.has(a)));
}

const CURVE_FOR: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** A verification key imported from a JWK, indexed by `kid`. */
export interface TrustedKey {
  kid: string;
  key: KeyObject;
  /** The JWK's own `alg`, when it declares one: the key may then be used with that algorithm only. */
  jwkAlg?: JwsAlgorithm;
}

/** True when `alg` can be verified with this key (key type, EC curve, and the JWK's declared alg). */
export function keyFitsAlgorithm(k: TrustedKey, alg: JwsAlgorithm): boolean {
  if (k.jwkAlg !== undefined && k.jwkAlg !== alg) return false;
  const type = k.key.asymmetricKeyType;
  if (alg.startsWith('ES')) return type === 'ec' && k.key.asymmetricKeyDetails?.namedCurve === CURVE_FOR[alg];
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  return false;
}

export function isAsymmetricAlgorithm(alg: string): alg is JwsAlgorithm {
  return ASYMMETRIC.has(alg);
}
