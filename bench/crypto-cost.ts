/**
 * In-process cost of one JWT signature verification, RS384 (RSA 2048) and ES384 (P-384): raw node:crypto,
 * and jsonwebtoken.verify (what src/auth/verifier.ts calls), so scenario 2 − scenario 1 can be compared with
 * one ES384 verify minus one RS384 verify, and the service's CPU "beyond the signature" (bench/targets.ts) is its CPU
 * minus one RS384 verification.
 */
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { CryptoCost } from './report';
import { mintJwt, type SigningKey } from './tokens';

/**
 * CPU µs per call of `fn` (this process's user + system time ÷ calls), run for about `budgetMs` of wall time.
 * CPU time, not wall time: on a shared machine the runner's CPU is time-sliced with neighbours, and wall time
 * would charge their slices to the verify (a busy run once read 194 µs for a 30 µs RS384 verification), which
 * would then be subtracted from the service as "the signature".
 */
function timeUs(fn: () => unknown, budgetMs: number): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  while (performance.now() - started < budgetMs) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / n;
}

function rawVerifier(key: SigningKey, token: string): () => boolean {
  const [h, p, s] = token.split('.') as [string, string, string];
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const publicKey = crypto.createPublicKey(key.privateKey);
  return key.alg === 'ES384'
    ? () => crypto.verify('sha384', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)
    : () => crypto.verify('sha384', input, publicKey, sig);
}

export function measureCryptoCost(rs: SigningKey, es: SigningKey, budgetMs = 400): CryptoCost {
  const aud = 'http://127.0.0.1/cds-services/imatinib-order-sign';
  const rsToken = mintJwt(rs, aud);
  const esToken = mintJwt(es, aud);
  const rsPub = crypto.createPublicKey(rs.privateKey);
  const esPub = crypto.createPublicKey(es.privateKey);
  const opts = (alg: 'RS384' | 'ES384'): jwt.VerifyOptions => ({ algorithms: [alg], audience: aud, clockTolerance: 300 });
  return {
    rs384VerifyUs: timeUs(rawVerifier(rs, rsToken), budgetMs),
    es384VerifyUs: timeUs(rawVerifier(es, esToken), budgetMs),
    rs384JwtVerifyUs: timeUs(() => jwt.verify(rsToken, rsPub, opts('RS384')), budgetMs),
    es384JwtVerifyUs: timeUs(() => jwt.verify(esToken, esPub, opts('ES384')), budgetMs),
  };
}
