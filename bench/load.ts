/**
 * One load run with autocannon's API (in the runner's process): POST a body with a fresh hookInstance and,
 * for the service, a fresh single-use JWT per request. Latencies are recorded per response (autocannon's own
 * histogram keeps whole milliseconds and 2xx only), so percentiles are exact and runs can be merged.
 */
import crypto from 'node:crypto';
import autocannon from 'autocannon';
import type { TokenPool } from './tokens';

export interface LoadOptions {
  baseUrl: string;
  path: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  durationSec?: number;
  /** Stop after this many requests (warm-up). */
  amount?: number;
  /** Request body split around the hookInstance (see patient.splitBody). */
  body: [string, string];
  /** Fresh token per request; when absent, `staticToken` (or none) is sent. */
  tokens?: TokenPool;
  staticToken?: string;
}

export interface LoadResult {
  durationSec: number;
  /** Responses received (any status). */
  completed: number;
  ok: number;
  non2xx: number;
  /** Socket errors, timeouts included. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Response times, ms, in arrival order. */
  latenciesMs: Float64Array;
  /** Runner (load generator) CPU during the run, ms. */
  loadGenCpuMs: number;
  /** Tokens minted on demand because the pool ran dry. */
  tokensMintedOnDemand: number;
  tokensFromPool: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const [pre, post] = o.body;
  const baseHeaders: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (o.staticToken) baseHeaders.authorization = `Bearer ${o.staticToken}`;
  const tokens = o.tokens;
  const poolBefore = tokens?.used ?? 0;
  const mintedBefore = tokens?.mintedOnDemand ?? 0;

  let latencies = new Float64Array(1 << 14);
  let completed = 0;
  let ok = 0;
  let non2xx = 0;
  let socketErrors = 0;
  const statusCodes: Record<string, number> = {};

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const options: autocannon.Options = {
    url: o.baseUrl,
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.durationSec ?? 10 }),
    // autocannon notices the end of a run (amount reached, duration elapsed) only at its next sample tick: with
    // its default 1 s, every fixed-count warm-up lasted at least a second (200 requests at 800 req/s: 1.0 s, not
    // 0.25 s), which cost half a minute per run and understated the warm-up rate. Its per-sample histograms are
    // not used here (latencies are recorded per response).
    sampleInt: 50,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: o.path,
        headers: baseHeaders,
        setupRequest: (req) => {
          req.body = pre + crypto.randomUUID() + post;
          if (tokens) req.headers = { ...req.headers, authorization: `Bearer ${tokens.next()}` };
          return req;
        },
      },
    ],
  };
  // The callback form returns the instance (an EventEmitter) rather than a promise.
  const instance = autocannon(options, (err: unknown, result: autocannon.Result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (completed === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[completed++] = responseTime;
    if (statusCode >= 200 && statusCode < 300) ok++;
    else non2xx++;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  });
  instance.on('reqError', () => {
    socketErrors++;
  });
  const result = await done;
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    durationSec: result.duration || wall,
    completed,
    ok,
    non2xx,
    errors: Math.max(socketErrors, result.errors),
    timeouts: result.timeouts,
    statusCodes,
    latenciesMs: latencies.subarray(0, completed),
    loadGenCpuMs: (cpu.user + cpu.system) / 1000,
    tokensMintedOnDemand: (tokens?.mintedOnDemand ?? 0) - mintedBefore,
    tokensFromPool: (tokens?.used ?? 0) - poolBefore,
  };
}

/**
 * Parallel runs (one per instance of a fleet) as one: counts and latencies summed, the wall time the longest
 * run's. `loadGenCpuMs` is left to the caller: parallel runs in one process each see the whole process's CPU.
 */
export function mergeLoadResults(results: LoadResult[], loadGenCpuMs: number): LoadResult {
  const completed = results.reduce((n, r) => n + r.completed, 0);
  const latenciesMs = new Float64Array(completed);
  let at = 0;
  for (const r of results) {
    latenciesMs.set(r.latenciesMs, at);
    at += r.latenciesMs.length;
  }
  const statusCodes: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    durationSec: Math.max(0, ...results.map((r) => r.durationSec)),
    completed,
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    latenciesMs,
    loadGenCpuMs,
    // Parallel runs sharing one token pool each see the pool's total: count it once.
    tokensMintedOnDemand: Math.max(0, ...results.map((r) => r.tokensMintedOnDemand)),
    tokensFromPool: Math.max(0, ...results.map((r) => r.tokensFromPool)),
  };
}

/** `total` connections over `n` parallel runs, as evenly as possible (the first runs get the remainder). */
export function splitConnections(total: number, n: number): number[] {
  if (n < 1) return [];
  const each = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => Math.max(1, each + (i < total % n ? 1 : 0)));
}
