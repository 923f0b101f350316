/**
 * CDS Client JWTs for the benchmark: RS384 (RSA 2048) and ES384 (P-384) keys generated at start, their public
 * JWKs for the service's trusted-clients config, and a pre-minted pool of tokens (the service refuses a
 * replayed jti, so every request needs its own token). Minting happens before a measurement, so the load
 * generator spends no CPU on signatures while measuring; if a pool runs dry, tokens are minted on demand and
 * counted, never silently reused.
 */
import crypto, { type KeyObject } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

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
    readonly key: SigningKey,
    readonly aud: string,
  ) {}

  /** Replace the pool with `count` fresh tokens; returns the time it took, ms. */
  fill(count: number): number {
    const started = performance.now();
    const nowSec = Math.floor(Date.now() / 1000);
    const tokens = new Array<string>(count);
    for (let i = 0; i < count; i++) tokens[i] = mintJwt(this.key, this.aud, nowSec);
    this.replace(tokens);
    return performance.now() - started;
  }

  /** Replace the pool with tokens minted elsewhere (ParallelMinter) for this pool's key and aud. */
  replace(tokens: string[]): void {
    this.tokens = tokens;
    this.index = 0;
    this.mintedOnDemand = 0;
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

/**
 * Mints a pool's tokens on `threads` worker threads (dist/bench/mint-worker.js) at once. The threads inherit this
 * process's CPU affinity: the runner widens it to every CPU while minting (the servers are idle between
 * measurements) and pins itself back before loading. Threads are unref'd: they never keep the runner alive.
 */
export class ParallelMinter {
  private readonly workers: Worker[];

  constructor(threads: number, script = path.join(__dirname, 'mint-worker.js')) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(script);
      w.unref();
      return w;
    });
  }

  /** `count` fresh tokens for `pool`'s key and aud, minted in parallel; all share one iat. */
  async mint(pool: TokenPool, count: number): Promise<string[]> {
    const nowSec = Math.floor(Date.now() / 1000);
    const shares = this.workers.map((_, i) => Math.floor(count / this.workers.length) + (i < count % this.workers.length ? 1 : 0));
    const parts = await Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<string[]>((resolve, reject) => {
            const done = (tokens: string[]) => {
              w.off('error', fail);
              resolve(tokens);
            };
            const fail = (e: Error) => {
              w.off('message', done);
              reject(e);
            };
            w.once('message', done);
            w.once('error', fail);
            w.postMessage({ key: pool.key, aud: pool.aud, nowSec, count: shares[i] });
          }),
      ),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
