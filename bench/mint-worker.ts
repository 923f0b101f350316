/**
 * A token-minting thread for bench/tokens.ts ParallelMinter: receives { key, aud, nowSec, count }, answers with
 * that many fresh JWTs. RSA signing (~0.35 ms a token) is most of the time between measurements; two threads
 * halve it on a 2-CPU machine while the servers under test are idle.
 */
import { parentPort } from 'node:worker_threads';
import { mintJwt, type SigningKey } from './tokens';

export interface MintRequest {
  key: SigningKey;
  aud: string;
  nowSec: number;
  count: number;
}

parentPort?.on('message', (r: MintRequest) => {
  const tokens = new Array<string>(r.count);
  for (let i = 0; i < r.count; i++) tokens[i] = mintJwt(r.key, r.aud, r.nowSec);
  parentPort?.postMessage(tokens);
});
