/**
 * CDS Client JWTs for the benchmark: RS384 (RSA 2048) and ES384 (P-384) keys generated at start, their public
 * JWKs for the service's trusted-clients config, and a pre-minted pool of tokens (the service refuses a
 * replayed jti, so every request needs its own token). Minting happens before a measurement, so the load
 * generator spends no CPU on signatures while measuring; if a pool runs dry, tokens are minted on demand and
 * counted, never silently reused.
 */
import crypto, { type KeyObject } from 'node:crypto';

export const BENCH_ISS = 'urn:bench';

export type BenchAlg = 'RS384' | 'ES384';

export interface SigningKey {
  alg: BenchAlg;
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export function generateSigningKey(alg: BenchAlg): SigningKey {
  const pair = alg === 'RS384' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const kid = `bench-${alg.toLowerCase()}`;
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, privateKey: pair.privateKey, publicJwk };
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

/** One compact JWS as a CDS Client sends it: {alg, typ: JWT, kid} / {iss, sub, aud, exp, iat, jti}. */
export function mintJwt(key: SigningKey, aud: string, nowSec = Math.floor(Date.now() / 1000), lifetimeSec = 300): string {
  const header = b64url(JSON.stringify({ alg: key.alg, typ: 'JWT', kid: key.kid }));
  const payload = b64url(JSON.stringify({ iss: BENCH_ISS, sub: BENCH_ISS, aud, iat: nowSec, exp: nowSec + lifetimeSec, jti: crypto.randomUUID() }));
  const input = `${header}.${payload}`;
  const sig =
    key.alg === 'ES384'
      ? crypto.sign('sha384', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : crypto.sign('sha384', Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** Pre-minted single-use tokens; `next()` never hands out the same token twice. */
export class TokenPool {
  private tokens: string[] = [];
  private index = 0;
  /** Tokens minted on demand because the pool ran dry (minted on the load generator during the run). */
  mintedOnDemand = 0;

  constructor(
    private readonly key: SigningKey,
    private readonly aud: string,
  ) {}

  /** Replace the pool with `count` fresh tokens; returns the time it took, ms. */
  fill(count: number): number {
    const started = performance.now();
    const nowSec = Math.floor(Date.now() / 1000);
    this.tokens = new Array<string>(count);
    for (let i = 0; i < count; i++) this.tokens[i] = mintJwt(this.key, this.aud, nowSec);
    this.index = 0;
    this.mintedOnDemand = 0;
    return performance.now() - started;
  }

  next(): string {
    if (this.index < this.tokens.length) {
      const t = this.tokens[this.index] as string;
      this.tokens[this.index++] = '';
      return t;
    }
    this.mintedOnDemand += 1;
    return mintJwt(this.key, this.aud);
  }

  /** Tokens handed out from the pool since the last fill. */
  get used(): number {
    return this.index;
  }

  get size(): number {
    return this.tokens.length;
  }
}
