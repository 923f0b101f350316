/**
 * CDS Hooks client JWT verification (spec "Trusting CDS Clients" + its best-practice steps): header checks,
 * trusted iss + kid → key, signature, aud = the invoked URL, exp/iat/lifetime, tenant allow-list, jti replay.
 * The replay check runs last so that refused tokens never occupy the cache.
 */
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config';
import { allowedAlgorithmSet, keyFitsAlgorithm, type JwsAlgorithm } from './algorithms';
import type { TrustedKeyStore } from './keyStore';
import type { ReplayCache } from './replayCache';
import { decodeJwt } from './tokenDecoder';
import { AuthError, type VerifiedClient } from './types';

/** Bounds what a jti can cost in the replay cache; UUIDs and 64-hex nonces are far shorter. */
const MAX_JTI_LENGTH = 256;

export interface TokenVerifierDeps {
  keyStore: TrustedKeyStore;
  replayCache: ReplayCache;
  /** Milliseconds, like Date.now. */
  now: () => number;
}

/** Verifies a token for one invoked endpoint; resolves to the client or rejects with an AuthError. */
export type TokenVerifier = (token: string, expectedAudiences: readonly string[]) => Promise<VerifiedClient>;

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Audience comparison is exact except for one trailing slash difference (clients disagree on it). */
export function normalizeAudience(url: string): string {
  return url.endsWith('/') ? url.replace(/\/+$/, '') : url;
}

function audienceMatches(aud: unknown, expected: readonly string[]): boolean {
  const wanted = new Set(expected.map(normalizeAudience));
  const given = Array.isArray(aud) ? aud : [aud];
  return given.some((a) => typeof a === 'string' && a.length > 0 && wanted.has(normalizeAudience(a)));
}

export function createTokenVerifier(auth: AppConfig['auth'], deps: TokenVerifierDeps): TokenVerifier {
  const algorithms = allowedAlgorithmSet(auth.algorithms);
  const skew = auth.clockSkewSeconds;

  return async (token, expectedAudiences) => {
    const { header, payload } = decodeJwt(token);
    const iss = optionalString(payload.iss);
    const kid = optionalString(header.kid);
    const jti = optionalString(payload.jti);
    const known = { iss, kid, jti };

    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.has(alg as JwsAlgorithm)) throw new AuthError('alg_not_allowed', known);
    // typ is REQUIRED by CDS Hooks, but it is only a declaration; we accept its absence (the signature and
    // claims carry the security) and refuse any other value, so tokens minted for another purpose
    // (e.g. "at+jwt" access tokens) cannot be replayed here. RFC 7515: typ compares case-insensitively.
    if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
      throw new AuthError('bad_typ', known);
    }
    // We implement no JWS extensions, so a critical one must be refused (RFC 7515 §4.1.11).
    if (header.crit !== undefined) throw new AuthError('unsupported_crit', known);
    if (!kid) throw new AuthError('missing_kid', known);
    if (header.jku !== undefined && typeof header.jku !== 'string') throw new AuthError('malformed_token', known);
    if (!iss) throw new AuthError('unknown_iss', known);

    const key = await deps.keyStore.resolve(iss, kid, header.jku as string | undefined);
    if (!keyFitsAlgorithm(key, alg as JwsAlgorithm)) throw new AuthError('key_alg_mismatch', known);
    try {
      // Signature only: every claim is checked below with our own rules and reason codes.
      jwt.verify(token, key.key, { algorithms: [alg as JwsAlgorithm], ignoreExpiration: true, ignoreNotBefore: true });
    } catch {
      throw new AuthError('bad_signature', known);
    }

    const { exp, iat, nbf, tenant } = payload;
    if (!jti || jti.length > MAX_JTI_LENGTH || !isNumericDate(exp) || !isNumericDate(iat)) throw new AuthError('bad_claims', known);
    if (tenant !== undefined && typeof tenant !== 'string') throw new AuthError('bad_claims', known);
    const withTenant = tenant === undefined ? known : { ...known, tenant };
    if (!audienceMatches(payload.aud, expectedAudiences)) throw new AuthError('wrong_aud', withTenant);

    const nowSec = deps.now() / 1000;
    if (nowSec >= exp + skew) throw new AuthError('expired', withTenant);
    if (iat > nowSec + skew) throw new AuthError('iat_in_future', withTenant);
    if (nbf !== undefined && (!isNumericDate(nbf) || nbf > nowSec + skew)) throw new AuthError('not_yet_valid', withTenant);
    if (exp <= iat) throw new AuthError('bad_claims', withTenant);
    if (exp - iat > auth.maxTokenLifetimeSeconds) throw new AuthError('lifetime_too_long', withTenant);

    const allowedTenants = deps.keyStore.tenantsOf(iss);
    if (allowedTenants && (tenant === undefined || !allowedTenants.has(tenant))) throw new AuthError('tenant_not_allowed', withTenant);

    // Remember the jti for as long as the token could still be accepted (exp + skew).
    if (!(await deps.replayCache.checkAndRemember(`${iss}\n${jti}`, exp + skew, iat))) throw new AuthError('replayed_jti', withTenant);

    return tenant === undefined ? { iss, jti } : { iss, jti, tenant };
  };
}
