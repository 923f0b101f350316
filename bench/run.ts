/**
 * `npm run bench`: the real service (dist/src/main.js) against a baseline Express app, side by side in one run.
 *
 * Per scenario: warm both up, then measure baseline and service one after the other (interleaved; with
 * BENCH_ROUNDS > 1 in A-B / B-A order) at BENCH_CONNECTIONS connections for BENCH_DURATION seconds each.
 * Servers are pinned to CPU 0 and this runner (autocannon in-process) to CPU 1 when taskset exists.
 * Then the record-size sweep (the imatinib order with 10 … 3,000-resource records, service and baseline, each
 * size BENCH_SWEEP_DURATION seconds), when selected the fleet scenario (scenario 1 on two instances sharing
 * PostgreSQL and Redis, against one instance on SQLite with the in-memory replay cache; bench/fleet.ts), the
 * multi-core check (1 vs 2 workers on both CPUs) and the soak (scenario 1 on a fresh service, BENCH_SOAK seconds).
 * The issue's targets (bench/targets.ts) head the report and are printed again at the end. A missed target does
 * not change the exit code; errors in a measured run, or a clinical answer that differs from the golden file,
 * make it 1 (after the report is written).
 * Results: printed, and written to bench/results/<timestamp>.{md,json} and latest.{md,json}.
 *
 * Environment:
 *   BENCH_DURATION=10      seconds per measurement            BENCH_CONNECTIONS=10
 *   BENCH_WARMUP=200       warm-up requests per server and scenario (fewer for large bodies), then BENCH_WARMUP_SEC=2 seconds
 *   BENCH_ROUNDS=1         rounds per scenario (duration is split between them)
 *   BENCH_SCENARIOS=1,2,3,4,5,6    add "fleet" for the fleet scenario, or set BENCH_FLEET=1
 *   BENCH_SWEEP=1          0 skips the record-size sweep
 *   BENCH_SWEEP_SIZES=10,100,1000,3000   BENCH_SWEEP_DURATION=5 (seconds per size and server)
 *   BENCH_FLEET_SOLO=1     fleet: also 1 instance on PostgreSQL + Redis (0 skips that row)
 *   BENCH_CLUSTER=1        0 skips the 2-worker run
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres  (fleet: a throwaway database is created there)
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379                          (fleet: keys under a unique prefix, deleted)
 *   BENCH_SOAK=120         soak seconds (0 skips; the RSS target is judged on 120 s or more), after BENCH_SOAK_WARMUP=20 s of load
 *   BENCH_LOG_LEVEL=info   the service's log level (info = production default)
 *   BENCH_PIN=1            0 disables taskset pinning
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureCryptoCost } from './crypto-cost';
import { DEFAULT_ADMIN_DATABASE_URL, DEFAULT_REDIS_URL, provisionFleetState, redactUrl, redisHostPort, type CleanupReport, type FleetState } from './fleet';
import { compareWithGolden, GOLDEN_FILE, loadGolden, type GoldenCheck, type GoldenFile } from './golden';
import { mergeLoadResults, runLoad, splitConnections, type LoadResult } from './load';
import {
  clkTck,
  cpuBusyDeltaMs,
  cpuDeltaMs,
  cpuMsByPid,
  findStateServers,
  listProcesses,
  machineInfo,
  parseCpuList,
  processTree,
  readMemory,
  readProcStat,
  resetPeakRss,
  type MachineInfo,
  type StateServerPids,
} from './proc';
import {
  fleetComparison,
  totalCpuMsPerRequest,
  fleetTable,
  growthPct,
  markdownTable,
  resultsTable,
  round,
  SCENARIO_TITLES,
  summariseLatencies,
  summariseRss,
  type CryptoCost,
  type Measurement,
  type SoakResult,
} from './report';
import { getStatus, pinProcess, tail, taskset, type ChildServer } from './servers';
import {
  buildScenarios,
  buildSweepPoint,
  defaultConfig,
  describeResponse,
  parseScenarioList,
  postOnce,
  RESULTS_DIR,
  ROOT,
  serviceBodyLimitBytes,
  serviceConfigOverride,
  SERVICE_PATH,
  startBaseline,
  startFhir,
  startService,
  type Scenario,
} from './setup';
import { DEFAULT_SWEEP_SIZES, parseSweepSizes, perResourceCheck, sweepTable, warmupAmount, type SweepPoint } from './sweep';
import { checksTable, evaluatePaths, failures, mark, otherChecks, pathsTable, type Check, type PathResult } from './targets';
import { generateSigningKey, mintJwt, ParallelMinter, TokenPool, type BenchAlg, type SigningKey } from './tokens';

/** auth.replayCacheSize the service runs with (config/default.json, BENCH_SERVICE_CONFIG override). */
function replayCacheSize(): number {
  return serviceConfigOverride().auth?.replayCacheSize ?? defaultConfig().auth.replayCacheSize;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

// The fleet scenario adds about a minute and needs PostgreSQL and Redis: off unless named or BENCH_FLEET=1.
const DEFAULT_SCENARIOS = '1,2,3,4,5,6';
const scenarioList = parseScenarioList(process.env.BENCH_SCENARIOS || DEFAULT_SCENARIOS);
if (envNumber('BENCH_FLEET', 0) > 0) scenarioList.fleet = true;

const settings = {
  durationSec: envNumber('BENCH_DURATION', 10),
  connections: envNumber('BENCH_CONNECTIONS', 10),
  warmupRequests: envNumber('BENCH_WARMUP', 200),
  warmupSec: envNumber('BENCH_WARMUP_SEC', 2),
  rounds: Math.max(1, Math.floor(envNumber('BENCH_ROUNDS', 1))),
  scenarios: [...scenarioList.ids, ...(scenarioList.fleet ? ['fleet'] : [])] as string[],
  fleet: scenarioList.fleet,
  /** Fleet scenario: also one instance on PostgreSQL + Redis (what the state path costs, without a second process). */
  fleetSolo: envNumber('BENCH_FLEET_SOLO', 1) > 0,
  /** Where the fleet's throwaway database is created (and dropped); the instances get the same URL with its name. */
  databaseUrl: process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_DATABASE_URL,
  redisUrl: process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL,
  cluster: envNumber('BENCH_CLUSTER', 1) > 0,
  /** The record-size sweep (imatinib order, records of each size; service and baseline). */
  sweep: envNumber('BENCH_SWEEP', 1) > 0,
  sweepSizes: parseSweepSizes(process.env.BENCH_SWEEP_SIZES || DEFAULT_SWEEP_SIZES.join(',')),
  /** Short, so four sizes × two servers fit in about a minute; CPU/request needs few seconds to settle. */
  sweepDurationSec: envNumber('BENCH_SWEEP_DURATION', 5),
  /** The issue's RSS target is "over a 2-minute soak": the default is that soak. */
  soakSec: envNumber('BENCH_SOAK', 120),
  /**
   * Load before the soak's first RSS sample: a fresh process's heap grows to its working size over its first
   * ~20 s of load (+30 % in one run), which is start-up, not the growth the soak is after.
   */
  soakWarmupSec: envNumber('BENCH_SOAK_WARMUP', 20),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
  pin: envNumber('BENCH_PIN', 1) > 0,
  /** Pool = estimated requests × this. */
  poolFactor: 1.5,
};

const log = (msg: string) => process.stdout.write(`${msg}\n`);

interface Cpus {
  server?: string;
  load?: string;
  /** The servers' CPUs for the multi-core run. */
  all?: string;
  pinned: boolean;
}

/**
 * Servers on CPU 0, the load generator on the last CPU. The multi-core run gets every CPU but the load
 * generator's when there are at least 3, else all of them (shared with the load generator).
 */
function chooseCpus(cores: number): Cpus {
  if (!settings.pin || !taskset() || cores < 2) return { pinned: false };
  const load = cores - 1;
  const all = Array.from({ length: cores >= 3 ? cores - 1 : cores }, (_, i) => i).join(',');
  return { server: '0', load: String(load), all, pinned: true };
}

interface Target {
  name: string;
  server: ChildServer;
  /** CPUs the server may run on (for the "other load" reading). */
  cpus: number[];
  /** Pids whose CPU and memory count (primary + workers). */
  pids(): number[];
  /** Responses received from this server so far (warm-ups included). */
  served: number;
  /** 2xx responses among them. */
  ok: number;
}

function target(name: string, server: ChildServer, cpus: string | undefined): Target {
  const list = cpus ? parseCpuList(cpus) : Array.from({ length: os.availableParallelism() }, (_, i) => i);
  return { name, server, cpus: list, pids: () => processTree(server.pid), served: 0, ok: 0 };
}

/** The CPU the runner (load generator) is pinned to, when pinned. */
let loadCpu: number | undefined;

interface Run {
  load: LoadResult;
  cpuMs: number;
  /** Busy ms on the server's CPUs spent by anything but the server (and the runner, when it shares them). */
  otherMs: number;
  peakKb: number;
  rssKb: number;
  tokens?: { poolSize: number; fromPool: number; mintedOnDemand: number; mintMs: number };
  fhirCpuMs?: number;
  /** Fleet scenario: state servers' CPU, machine-wide other load, per instance. */
  spread?: SpreadStats;
}

interface SpreadStats {
  /** undefined when the process could not be found in /proc. */
  postgresBackendMs?: number;
  postgresAuxiliaryMs?: number;
  redisMs?: number;
  /** Busy ms of every CPU not spent by the instances, PostgreSQL, Redis or this runner. */
  machineOtherMs: number;
  perInstance: { name: string; completed: number; cpuMs: number; peakKb: number }[];
}

/** Minting threads, and the affinity the runner takes while they mint (undefined: mint on this thread). */
let minting: { minter: ParallelMinter; widen?: string; narrow?: string } | undefined;

/** Below this many tokens, mint on this thread: the threads' message passing would cost more than it saves. */
const PARALLEL_MINT_MIN = 1000;

/**
 * Fill a token pool before a measurement; returns the time it took, ms. RSA signing is most of the time between
 * measurements, so big pools are minted on every CPU: the runner's affinity (all its threads) is widened for the
 * minting threads — the servers are idle then, and no load is running — and narrowed again before any request.
 */
async function fillPool(pool: TokenPool, count: number): Promise<number> {
  if (!minting || count < PARALLEL_MINT_MIN) return pool.fill(count);
  const started = performance.now();
  if (minting.widen) pinProcess(process.pid, minting.widen);
  try {
    pool.replace(await minting.minter.mint(pool, count));
  } finally {
    if (minting.narrow) pinProcess(process.pid, minting.narrow);
  }
  return performance.now() - started;
}

const pools = new Map<string, TokenPool>();
function poolFor(key: SigningKey, aud: string): TokenPool {
  const id = `${key.alg} ${aud}`;
  let p = pools.get(id);
  if (!p) pools.set(id, (p = new TokenPool(key, aud)));
  return p;
}

/**
 * Expected requests per second of each (server, scenario) for sizing token pools: 1.5 × the larger of the
 * warm-up rate and the rate the server's CPUs could sustain at the warm-up's CPU/request (on a shared machine
 * the warm-up rate alone under-estimates whenever the neighbours go quiet); raised by each measured round.
 */
const rateSeen = new Map<string, number>();

interface MeasureOptions {
  durationSec?: number;
  amount?: number;
  /** Signing key: fresh tokens per request (service); none = one fixed token (baseline). */
  key?: SigningKey;
  fhir?: ChildServer;
  expectedRps?: number;
  /** Mint every token as it is sent instead of pre-minting a pool (the soak). */
  mintOnTheFly?: boolean;
}

async function measure(t: Target, sc: Scenario, opts: MeasureOptions): Promise<Run> {
  let tokens: TokenPool | undefined;
  let mintMs = 0;
  if (opts.key) {
    tokens = poolFor(opts.key, `${t.server.baseUrl}${SERVICE_PATH}`);
    const expected = opts.amount ?? Math.ceil((opts.expectedRps ?? 1000) * (opts.durationSec ?? 10));
    mintMs = await fillPool(tokens, opts.mintOnTheFly ? 0 : Math.min(expected + settings.connections * 2, 500_000));
  }
  const pids = t.pids();
  for (const pid of pids) resetPeakRss(pid);
  const cpuBefore = cpuMsByPid(pids);
  const statBefore = readProcStat();
  const fhirBefore = opts.fhir ? cpuMsByPid([opts.fhir.pid]) : undefined;
  const load = await runLoad({
    baseUrl: t.server.baseUrl,
    path: SERVICE_PATH,
    connections: settings.connections,
    durationSec: opts.durationSec,
    amount: opts.amount,
    body: sc.body,
    tokens,
    // The baseline gets the same header bytes; it does not verify them.
    staticToken: tokens ? undefined : STATIC_TOKEN,
  });
  const statAfter = readProcStat();
  t.served += load.completed;
  t.ok += load.ok;
  const pidsAfter = t.pids();
  const cpuMs = cpuDeltaMs(cpuBefore, cpuMsByPid(pidsAfter));
  const runnerShares = loadCpu !== undefined && t.cpus.includes(loadCpu);
  const otherMs = Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, t.cpus) - cpuMs - (runnerShares || loadCpu === undefined ? load.loadGenCpuMs : 0));
  const mem = readMemory(pidsAfter);
  const fhirCpuMs = opts.fhir && fhirBefore ? cpuDeltaMs(fhirBefore, cpuMsByPid([opts.fhir.pid])) : undefined;
  return {
    load,
    cpuMs,
    otherMs,
    peakKb: mem.peakKb,
    rssKb: mem.rssKb,
    tokens: tokens ? { poolSize: tokens.size, fromPool: load.tokensFromPool, mintedOnDemand: load.tokensMintedOnDemand, mintMs } : undefined,
    fhirCpuMs,
  };
}

let STATIC_TOKEN = '';

function toMeasurement(scenario: string, server: string, workers: number, t: Target, runs: Run[]): Measurement {
  const completed = runs.reduce((n, r) => n + r.load.completed, 0);
  const durationSec = runs.reduce((n, r) => n + r.load.durationSec, 0);
  const cpuMs = runs.reduce((n, r) => n + r.cpuMs, 0);
  const loadCpu = runs.reduce((n, r) => n + r.load.loadGenCpuMs, 0);
  const latencies = new Float64Array(completed);
  let at = 0;
  for (const r of runs) {
    latencies.set(r.load.latenciesMs, at);
    at += r.load.latenciesMs.length;
  }
  const statusCodes: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.load.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const withTokens = runs.filter((r) => r.tokens);
  const fhir = runs.filter((r) => r.fhirCpuMs !== undefined);
  return {
    scenario,
    server,
    workers,
    cpus: t.cpus.join(','),
    connections: settings.connections,
    durationSec: round(durationSec, 2),
    completed,
    ok: runs.reduce((n, r) => n + r.load.ok, 0),
    non2xx: runs.reduce((n, r) => n + r.load.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.load.errors, 0),
    statusCodes,
    rps: round(completed / durationSec, 1),
    latency: Object.fromEntries(Object.entries(summariseLatencies(latencies)).map(([k, v]) => [k, round(v, 3)])) as unknown as Measurement['latency'],
    serverCpuMs: round(cpuMs, 0),
    cpuMsPerRequest: round(completed ? cpuMs / completed : NaN, 4),
    serverCpuPct: round((cpuMs / (durationSec * 1000)) * 100, 1),
    otherLoadPct: round((runs.reduce((n, r) => n + r.otherMs, 0) / (durationSec * 1000 * t.cpus.length)) * 100, 1),
    peakRssMb: round(Math.max(...runs.map((r) => r.peakKb)) / 1024, 1),
    rssMb: round((runs[runs.length - 1]?.rssKb ?? 0) / 1024, 1),
    loadGenCpuPct: round((loadCpu / (durationSec * 1000)) * 100, 1),
    tokens: withTokens.length
      ? {
          poolSize: withTokens.reduce((n, r) => n + (r.tokens?.poolSize ?? 0), 0),
          fromPool: withTokens.reduce((n, r) => n + (r.tokens?.fromPool ?? 0), 0),
          mintedOnDemand: withTokens.reduce((n, r) => n + (r.tokens?.mintedOnDemand ?? 0), 0),
          mintMs: round(withTokens.reduce((n, r) => n + (r.tokens?.mintMs ?? 0), 0), 0),
        }
      : undefined,
    fhirServerCpuMsPerRequest: fhir.length ? round(fhir.reduce((n, r) => n + (r.fhirCpuMs ?? 0), 0) / completed, 4) : undefined,
  };
}

function oneLine(m: Measurement): string {
  const t = m.tokens ? ` tokens ${m.tokens.fromPool}/${m.tokens.poolSize}${m.tokens.mintedOnDemand ? ` +${m.tokens.mintedOnDemand} ON DEMAND` : ''}` : '';
  const err = m.non2xx + m.errors ? ` ERRORS ${m.non2xx + m.errors} ${JSON.stringify(m.statusCodes)}` : '';
  return `  ${m.server.padEnd(22)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.latency.p50.toFixed(2)} ms  p99 ${m.latency.p99.toFixed(2)} ms  CPU ${m.cpuMsPerRequest.toFixed(3)} ms/req (${m.serverCpuPct.toFixed(0)}%, others ${m.otherLoadPct.toFixed(0)}%)  peak RSS ${m.peakRssMb} MB  load gen ${m.loadGenCpuPct.toFixed(0)}%${t}${err}`;
}

/** Requests of a fixed-count warm-up (pre-warm, first part of `warmup`) for this scenario's body size. */
const warmupRequestsFor = (sc: Scenario) => warmupAmount(sc.bytes, Math.max(settings.warmupRequests, settings.connections * 10), settings.connections);

/**
 * Warm-up in two parts: a fixed number of requests (JIT, connection set-up), then — for a target that gets
 * tokens — `warmupSec` seconds whose rate sizes the token pool of the measurement that follows. The baseline has
 * no pool to size (one fixed token), so it gets the first part only.
 */
async function warmup(t: Target, sc: Scenario, key: SigningKey | undefined, fhir?: ChildServer, warmupSec = settings.warmupSec): Promise<void> {
  const workers = Math.max(1, t.pids().length - 1);
  const estimate = (r: Run) => {
    const rate = r.load.completed / r.load.durationSec;
    const cpuBound = r.load.completed && r.cpuMs > 0 ? (1000 * Math.min(workers, t.cpus.length)) / (r.cpuMs / r.load.completed) : 0;
    return Math.max(rate * settings.poolFactor, cpuBound * settings.poolFactor);
  };
  const first = await measure(t, sc, { amount: warmupRequestsFor(sc), key, fhir });
  const second = key ? await measure(t, sc, { durationSec: warmupSec, key, fhir, expectedRps: estimate(first) }) : undefined;
  rateSeen.set(`${t.name} ${sc.id}`, estimate(second ?? first));
  const runs = second ? [first, second] : [first];
  const bad = runs.reduce((n, r) => n + r.load.non2xx + r.load.errors, 0);
  if (bad) log(`  warm-up ${t.name}: ${bad} failed ${JSON.stringify(Object.assign({}, ...runs.map((r) => r.load.statusCodes)))}`);
}

/** Where the state servers' processes are looked up (fleet scenario). */
interface StateWatch {
  database: string;
  redisPort: number;
}

interface SpreadOptions {
  durationSec?: number;
  amount?: number;
  key: SigningKey;
  /** The `aud` of the tokens (one public URL for the whole fleet). */
  aud: string;
  expectedRps?: number;
  watch?: StateWatch;
}

const stateServers = (w: StateWatch | undefined): StateServerPids | undefined => (w ? findStateServers(listProcesses(), w.database, w.redisPort) : undefined);

/**
 * One load run spread over `members` (the instances of a fleet, or one instance): parallel autocannon runs in
 * this process, `settings.connections` split evenly between them, one token pool (tokens are single-use across
 * the fleet: the shared replay cache would refuse a token sent to a second instance). Also reads the CPU of
 * PostgreSQL (backends of the run's database; its auxiliary processes) and Redis from /proc.
 */
async function measureSpread(members: Target[], sc: Scenario, o: SpreadOptions): Promise<Run> {
  const connections = splitConnections(settings.connections, members.length);
  const run = (tokens: TokenPool, opts: { durationSec?: number; amount?: number }) =>
    Promise.all(
      members.map((m, i) =>
        runLoad({
          baseUrl: m.server.baseUrl,
          path: SERVICE_PATH,
          connections: connections[i] ?? 1,
          durationSec: opts.durationSec,
          // amount is per run: split like the connections.
          amount: opts.amount === undefined ? undefined : Math.max(connections[i] ?? 1, Math.round((opts.amount * (connections[i] ?? 1)) / settings.connections)),
          body: sc.body,
          tokens,
        }),
      ),
    );
  const tokens = poolFor(o.key, o.aud);
  const expected = o.amount ?? Math.ceil((o.expectedRps ?? 1000) * (o.durationSec ?? 10));
  const mintMs = await fillPool(tokens, Math.min(expected + settings.connections * 2, 500_000));
  if (o.amount === undefined) {
    // Minting a pool takes seconds; connections idle meanwhile (the PostgreSQL pool closes idle ones after
    // store.pool.idleTimeoutMs). A few requests first, so the measurement does not start cold.
    const touch = new TokenPool(o.key, o.aud);
    touch.fill(settings.connections * 5 + settings.connections * 2);
    const warm = await run(touch, { amount: settings.connections * 5 });
    members.forEach((m, i) => {
      m.served += warm[i]?.completed ?? 0;
      m.ok += warm[i]?.ok ?? 0;
    });
  }
  const memberPids = members.map((m) => m.pids());
  for (const pid of memberPids.flat()) resetPeakRss(pid);
  const stateBefore = stateServers(o.watch);
  const cpuBefore = cpuMsByPid(memberPids.flat());
  const pgBefore = stateBefore ? cpuMsByPid(stateBefore.backends) : undefined;
  const auxBefore = stateBefore ? cpuMsByPid(stateBefore.auxiliary) : undefined;
  const redisBefore = stateBefore ? cpuMsByPid(stateBefore.redis) : undefined;
  const statBefore = readProcStat();
  const runnerBefore = process.cpuUsage();
  const results = await run(tokens, { durationSec: o.durationSec, amount: o.amount });
  const runnerCpu = process.cpuUsage(runnerBefore);
  const statAfter = readProcStat();
  const stateAfter = stateServers(o.watch);
  const pidsAfter = members.map((m) => m.pids());
  const cpuAfter = cpuMsByPid(pidsAfter.flat());
  const loadGenCpuMs = (runnerCpu.user + runnerCpu.system) / 1000;
  const load = mergeLoadResults(results, loadGenCpuMs);
  const perInstance = members.map((m, i) => {
    const pids = pidsAfter[i] ?? [];
    const before = new Map([...cpuBefore].filter(([pid]) => pids.includes(pid)));
    const after = new Map([...cpuAfter].filter(([pid]) => pids.includes(pid)));
    m.served += results[i]?.completed ?? 0;
    m.ok += results[i]?.ok ?? 0;
    return { name: m.name, completed: results[i]?.completed ?? 0, cpuMs: cpuDeltaMs(before, after), peakKb: readMemory(pids).peakKb };
  });
  const cpuMs = perInstance.reduce((n, p) => n + p.cpuMs, 0);
  const delta = (before: Map<number, number> | undefined, pids: number[] | undefined, found: boolean) => (before && pids && found ? cpuDeltaMs(before, cpuMsByPid(pids)) : undefined);
  const pgFound = stateBefore?.postmaster !== undefined && stateAfter?.postmaster !== undefined;
  const postgresBackendMs = delta(pgBefore, stateAfter?.backends, pgFound);
  const postgresAuxiliaryMs = delta(auxBefore, stateAfter?.auxiliary, pgFound);
  const redisMs = delta(redisBefore, stateAfter?.redis, (stateAfter?.redis.length ?? 0) > 0);
  const allCpus = [...statAfter.keys()];
  const machineOtherMs = Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, allCpus) - cpuMs - (postgresBackendMs ?? 0) - (postgresAuxiliaryMs ?? 0) - (redisMs ?? 0) - loadGenCpuMs);
  const serverCpus = members[0]?.cpus ?? allCpus;
  const runnerShares = loadCpu === undefined || serverCpus.includes(loadCpu);
  const mem = readMemory(pidsAfter.flat());
  return {
    load,
    cpuMs,
    otherMs: Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, serverCpus) - cpuMs - (runnerShares ? loadGenCpuMs : 0)),
    peakKb: mem.peakKb,
    rssKb: mem.rssKb,
    tokens: { poolSize: tokens.size, fromPool: load.tokensFromPool, mintedOnDemand: load.tokensMintedOnDemand, mintMs },
    spread: { postgresBackendMs, postgresAuxiliaryMs, redisMs, machineOtherMs, perInstance },
  };
}

/** Warm-up of a spread target (as `warmup`): fixed requests, then `warmupSec` whose rate sizes the next pool. */
async function warmupSpread(name: string, members: Target[], sc: Scenario, o: Omit<SpreadOptions, 'durationSec' | 'amount' | 'expectedRps'>): Promise<void> {
  const serverCpus = members[0]?.cpus.length ?? 1;
  const estimate = (r: Run) => {
    const rate = r.load.completed / r.load.durationSec;
    const cpuBound = r.load.completed && r.cpuMs > 0 ? (1000 * Math.min(members.length, serverCpus)) / (r.cpuMs / r.load.completed) : 0;
    return Math.max(rate, cpuBound) * settings.poolFactor;
  };
  const first = await measureSpread(members, sc, { ...o, amount: Math.max(settings.warmupRequests, settings.connections * 10) });
  const second = await measureSpread(members, sc, { ...o, durationSec: settings.warmupSec, expectedRps: estimate(first) });
  rateSeen.set(`${name} fleet`, estimate(second));
  const bad = first.load.non2xx + first.load.errors + second.load.non2xx + second.load.errors;
  if (bad) log(`  warm-up ${name}: ${bad} failed ${JSON.stringify({ ...first.load.statusCodes, ...second.load.statusCodes })}`);
}

function toSpreadMeasurement(server: string, members: Target[], runs: Run[]): Measurement {
  const first = members[0] as Target;
  const m = toMeasurement('fleet', server, members.length, first, runs);
  const completed = m.completed;
  const sum = (f: (s: SpreadStats) => number | undefined) => {
    const values = runs.map((r) => (r.spread ? f(r.spread) : undefined));
    return values.some((v) => v === undefined) ? undefined : round(values.reduce((n: number, v) => n + (v ?? 0), 0) / completed, 4);
  };
  // Every CPU of the machine (os.availableParallelism() is this runner's affinity: 1 once pinned).
  const cores = readProcStat().size || os.cpus().length;
  return {
    ...m,
    state: {
      postgresBackendMsPerRequest: sum((s) => s.postgresBackendMs),
      postgresAuxiliaryMsPerRequest: sum((s) => s.postgresAuxiliaryMs),
      redisMsPerRequest: sum((s) => s.redisMs),
      machineOtherLoadPct: round((runs.reduce((n, r) => n + (r.spread?.machineOtherMs ?? 0), 0) / (m.durationSec * 1000 * cores)) * 100, 1),
      perInstance: members.map((t) => {
        const mine = runs.map((r) => r.spread?.perInstance.find((p) => p.name === t.name));
        const n = mine.reduce((a, p) => a + (p?.completed ?? 0), 0);
        return {
          name: t.name,
          completed: n,
          cpuMsPerRequest: round(n ? mine.reduce((a, p) => a + (p?.cpuMs ?? 0), 0) / n : NaN, 4),
          peakRssMb: round(Math.max(...mine.map((p) => p?.peakKb ?? 0)) / 1024, 1),
        };
      }),
    },
  };
}

/** The public URL every fleet instance is configured with (as behind a load balancer): the tokens' aud. */
const FLEET_PUBLIC_URL = 'http://imatinib-cds-fleet.invalid';

interface FleetReport {
  measurements: Measurement[];
  comparison?: string;
  /** What was checked before loading (each a sentence). */
  checks: string[];
  notes: string[];
  cleanup: CleanupReport;
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The fleet scenario: one instance on SQLite with the in-memory replay cache against two instances (two
 * processes, WEB_CONCURRENCY=1 each, own ports) sharing one PostgreSQL database and one Redis key prefix; the
 * request of scenario 1; with BENCH_FLEET_SOLO, also one instance on PostgreSQL + Redis. Every instance fresh,
 * pinned to the servers' CPU, warmed the same way, measured in turn.
 */
async function runFleet(ctx: { tmpDir: string; cpus: Cpus; key: SigningKey; sc: Scenario; state: FleetState; children: ChildServer[] }): Promise<FleetReport> {
  const { tmpDir, cpus, key, sc, state, children } = ctx;
  const checks: string[] = [];
  const notes: string[] = [];
  const fail = (msg: string): never => {
    throw new Error(`fleet scenario: ${msg}`);
  };
  const single = await startService({ tmpDir, name: 'single', keys: [key], workers: 1, logLevel: settings.logLevel, cpus: cpus.server });
  children.push(single);
  const fleetConfig = { publicBaseUrl: FLEET_PUBLIC_URL, redis: { keyPrefix: state.keyPrefix } };
  const started = await Promise.allSettled(
    ['fleet-a', 'fleet-b', ...(settings.fleetSolo ? ['solo'] : [])].map((name) =>
      startService({ tmpDir, name, keys: [key], workers: 1, logLevel: settings.logLevel, cpus: cpus.server, env: { DATABASE_URL: state.databaseUrl, REDIS_URL: state.redisUrl }, config: fleetConfig }),
    ),
  );
  for (const r of started) if (r.status === 'fulfilled') children.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [a, b, soloServer] = started.map((r) => (r as PromiseFulfilledResult<ChildServer>).value) as [ChildServer, ChildServer, ChildServer | undefined];
  const solo = soloServer ? target('solo', soloServer, cpus.server) : undefined;
  const fleet = [target('fleet-a', a, cpus.server), target('fleet-b', b, cpus.server)];
  const singleTarget = target('single', single, cpus.server);
  const watch: StateWatch = { database: state.database, redisPort: redisHostPort(state.redisUrl).port };
  const fleetAud = `${FLEET_PUBLIC_URL}${SERVICE_PATH}`;
  const singleAud = `${single.baseUrl}${SERVICE_PATH}`;
  const body = sc.body.join('4b0e7f0c-0f8e-4a3c-9d55-6a1c1f6f0b02');

  // Checked before loading: the fleet really uses PostgreSQL and Redis (a service that cannot reach PostgreSQL
  // at start-up still answers, from its outbox, and would measure the wrong thing).
  for (const s of [a, b, ...(soloServer ? [soloServer] : [])]) {
    const ready = await getStatus(`${s.baseUrl}/readyz`);
    if (ready !== 200) fail(`${s.name} /readyz answered ${ready} (Redis not reachable from the service?):\n${tail(s.logFile)}`);
  }
  const records = await state.records().catch((e: unknown) => fail(`the instances did not migrate ${state.database} (${(e as Error).message}): could they reach PostgreSQL?\n${tail(a.logFile)}`));
  if (records.schemaVersion < 1) fail(`the instances did not migrate ${state.database}`);
  const token = mintJwt(key, fleetAud);
  const first = await postOnce(a.baseUrl, SERVICE_PATH, body, token);
  if (first.status !== 200) fail(`fleet-a answered ${describeResponse(first)}`);
  const replay = await postOnce(b.baseUrl, SERVICE_PATH, body, token);
  if (replay.status !== 401) fail(`fleet-b accepted a token fleet-a had already accepted (HTTP ${replay.status}): the replay cache is not shared`);
  const second = await postOnce(b.baseUrl, SERVICE_PATH, body, mintJwt(key, fleetAud));
  if (second.status !== 200) fail(`fleet-b answered ${describeResponse(second)}`);
  const alone = await postOnce(single.baseUrl, SERVICE_PATH, body, mintJwt(key, singleAud));
  if (alone.status !== 200) fail(`the single instance answered ${describeResponse(alone)}`);
  for (const t of fleet) t.ok += 1;
  if (soloServer && solo) {
    const soloAnswer = await postOnce(soloServer.baseUrl, SERVICE_PATH, body, mintJwt(key, fleetAud));
    if (soloAnswer.status !== 200) fail(`the 1-instance PostgreSQL + Redis row answered ${describeResponse(soloAnswer)}`);
    solo.ok += 1;
  }
  checks.push(
    `${soloServer ? 'every PostgreSQL + Redis instance' : 'both fleet instances'} /readyz 200 (Redis reachable), ${state.database} migrated to schema version ${records.schemaVersion}`,
    `fleet-a → ${describeResponse(first)}; the same token then sent to fleet-b → HTTP ${replay.status} (replay refused across instances: the jti cache is shared); fleet-b with a fresh token → HTTP ${second.status}`,
    `single instance → ${describeResponse(alone)}`,
  );
  for (const c of checks) log(`  check: ${c}`);

  const setups = [
    { name: 'single', label: 'single instance (SQLite, in-memory jti cache)', members: [singleTarget], o: { key, aud: singleAud, watch } },
    ...(solo ? [{ name: 'solo', label: '1 instance (PostgreSQL + Redis)', members: [solo], o: { key, aud: fleetAud, watch } }] : []),
    { name: 'fleet', label: '2 instances (PostgreSQL + Redis)', members: fleet, o: { key, aud: fleetAud, watch } },
  ];
  log('  pre-warm and warm-up: single instance, fleet');
  for (let pass = 0; pass < 2; pass++) {
    for (const s of setups) await measureSpread(s.members, sc, { ...s.o, amount: Math.max(settings.warmupRequests, settings.connections * 10) });
  }
  for (const s of setups) await warmupSpread(s.name, s.members, sc, s.o);
  const runs: Record<string, Run[]> = { single: [], solo: [], fleet: [] };
  const per = settings.durationSec / settings.rounds;
  for (let r = 0; r < settings.rounds; r++) {
    for (const s of r % 2 === 0 ? setups : [...setups].reverse()) {
      const key = `${s.name} fleet`;
      const run = await measureSpread(s.members, sc, { ...s.o, durationSec: per, expectedRps: rateSeen.get(key) });
      runs[s.name]?.push(run);
      rateSeen.set(key, Math.max(rateSeen.get(key) ?? 0, (run.load.completed / run.load.durationSec) * settings.poolFactor));
    }
  }
  const measurements = setups.map((s) => toSpreadMeasurement(s.label, s.members, runs[s.name] ?? []));
  for (const m of measurements) {
    log(oneLine(m));
    const st = m.state;
    if (st) log(`  ${''.padEnd(22)} PostgreSQL ${st.postgresBackendMsPerRequest?.toFixed(3) ?? '?'} + aux ${st.postgresAuxiliaryMsPerRequest?.toFixed(3) ?? '?'} ms/req, Redis ${st.redisMsPerRequest?.toFixed(3) ?? '?'} ms/req, total ${totalCpuMsPerRequest(m).toFixed(3)} ms/req; ${st.perInstance.map((p) => `${p.name} ${p.completed}`).join(', ')}`);
    if (m.tokens?.mintedOnDemand) notes.push(`${m.server}: the token pool ran dry; ${m.tokens.mintedOnDemand} tokens were minted on the load generator during the measurement.`);
  }

  // What the fleet left in PostgreSQL and Redis: every 2xx answer is one evaluation, durable before the answer.
  const after = await state.records();
  const keys = await state.countKeys();
  const stateful = [...fleet, ...(solo ? [solo] : [])];
  const okServed = stateful.reduce((n, t) => n + t.ok, 0);
  const logs = (await Promise.all(stateful.map((t) => readText(t.server.logFile)))).join('\n');
  const outboxUsed = /local outbox|PostgreSQL write failed|Redis unavailable/.test(logs);
  // Each 2xx is one evaluation, durable before the answer left; a few more are normal: requests in flight when a
  // load run stopped were answered (and recorded) after the load generator stopped counting.
  const inFlightBound = settings.connections * 64;
  const recordsOk = after.evaluations >= okServed && after.evaluations <= okServed + inFlightBound && !outboxUsed;
  checks.push(
    `after the run: PostgreSQL holds ${after.evaluations} evaluations and ${after.issuedCards} issued cards for the ${okServed} 2xx answers the load generator counted from the PostgreSQL-backed instances` +
      (recordsOk
        ? ` (every counted answer recorded; the ${after.evaluations - okServed} extra are requests answered after a load run had stopped counting), no instance logged a PostgreSQL or Redis failure`
        : ' — MISMATCH or a logged PostgreSQL/Redis failure') +
      `; Redis holds ${keys} keys under the run's prefix (one per accepted jti + the replay-floor marker)`,
  );
  if (!recordsOk) notes.push(`Fleet: PostgreSQL holds ${after.evaluations} evaluations for ${okServed} counted 2xx answers${outboxUsed ? ' and an instance logged a PostgreSQL or Redis failure (see its log)' : ''}: some records may have gone to the outbox, so the fleet numbers may not measure PostgreSQL.`);
  log(`  check: ${checks[checks.length - 1]}`);

  const servers = [single, a, b, ...(soloServer ? [soloServer] : [])];
  for (const s of servers) {
    await s.stop();
    children.splice(children.indexOf(s), 1);
  }
  const leftover = servers.filter((s) => fs.existsSync(`/proc/${s.pid}`));
  const cleanup = await state.cleanup();
  const stray = findStateServers(listProcesses(), state.database, watch.redisPort).backends;
  if (leftover.length) cleanup.problems.push(`instances still running: ${leftover.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}`);
  if (stray.length) cleanup.problems.push(`PostgreSQL backends of ${state.database} still running: ${stray.join(', ')}`);
  log(
    `  cleanup: ${cleanup.problems.length ? `PROBLEMS: ${cleanup.problems.join('; ')}` : `instances stopped, database ${cleanup.database} dropped, ${cleanup.keysDeleted} Redis keys deleted (${cleanup.keysLeft} left)`}`,
  );
  const row = (name: string) => measurements[setups.findIndex((x) => x.name === name)];
  return { measurements, comparison: fleetComparison(row('single'), row('fleet'), row('solo')), checks, notes, cleanup };
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

/** A scenario as checked before loading: what the service answered and whether that is the golden answer. */
interface ScenarioInfo {
  id: string;
  title: string;
  description: string;
  bodyBytes: number;
  resources: number;
  serviceAnswer: string;
  baselineAnswer: string;
  golden: GoldenCheck;
}

interface Report {
  startedAt: string;
  machine: MachineInfo & { clkTck: number; uptimeLoad?: string };
  settings: typeof settings & { pinned: boolean; serverCpus?: string; loadCpus?: string };
  /** The issue's five paths, judged (bench/targets.ts). */
  paths: PathResult[];
  /** p99, errors, soak RSS, sweep scaling, clinical answers … */
  checks: Check[];
  /** Why the run exits 1 (empty: exit 0). */
  failures: string[];
  scenarios: ScenarioInfo[];
  crypto: CryptoCost;
  measurements: Measurement[];
  sweep?: { durationSec: number; points: SweepPoint[]; scenarios: ScenarioInfo[] };
  cluster?: { measurements: Measurement[]; gain?: number; note: string };
  fleet?: FleetReport & { database: string; keyPrefix: string; postgresVersion: string; redisVersion: string; note: string };
  soak?: SoakResult;
  serviceLogBytesPerRequest?: number;
  notes: string[];
  /** Wall time of each part of the run, s. */
  phases: { name: string; sec: number }[];
  totalSec: number;
}

/** The targets summary: at the top of the report, and printed again as the run's last lines. */
function targetsMarkdown(r: Pick<Report, 'paths' | 'checks' | 'failures' | 'crypto'>): string {
  const out = [pathsTable(r.paths), ''];
  out.push(
    `Service and floor = server CPU ms per request (utime + stime ÷ responses) measured in this run; floor = the baseline (Express 5 + express.json(), a fixed card) on the same body. ` +
      `Beyond signature = service − one RS384 verification (${fmtNum(r.crypto.rs384VerifyUs, 1)} µs, node:crypto in this runner): paths 1 and 2 are judged on it, paths 4 and 5 on raw CPU (the signature is under 1 % of a 644 kB request), path 3 on raw CPU in ms. ` +
      'Above a few percent of other load, distrust the row and re-run.',
    '',
  );
  out.push(checksTable(r.checks), '');
  if (r.failures.length) out.push(`**The run fails (exit 1):** ${r.failures.join('; ')}.`, '');
  return out.join('\n');
}

function scenariosTable(list: ScenarioInfo[]): string {
  return markdownTable(
    ['Scenario', 'Body bytes', 'Resources', 'Service answer (checked before loading)', 'vs golden', 'What'],
    list.map((s) => [s.title, String(s.bodyBytes), String(s.resources), s.serviceAnswer, `${mark(s.golden.same)} ${s.golden.detail}`, s.description]),
  );
}

function soakMarkdown(soak: SoakResult): string[] {
  const cacheFull = soak.servedBefore + soak.rps * soak.durationSec >= soak.replayCacheSize;
  const fillSec = soak.rps > 0 ? Math.max(0, (soak.replayCacheSize - soak.servedBefore) / soak.rps) : NaN;
  return [
    `A fresh service process (same config, pinned like the others), warmed up with ${soak.servedBefore} requests (a fixed count, then ${soak.warmupSec} s of load), then ${soak.durationSec.toFixed(0)} s of scenario 1 at ${soak.rps.toFixed(0)} req/s: ` +
      `RSS ${soak.rssStartMb.toFixed(1)} MB after warm-up → ${soak.rssEndMb.toFixed(1)} MB at the end (${soak.growthPct >= 0 ? '+' : ''}${soak.growthPct.toFixed(1)}%; each the lower quartile of ${soak.windowSec.toFixed(0)} s of samples: between collections RSS swings up to +15 %); range ${soak.minMb.toFixed(1)}–${soak.maxMb.toFixed(1)} MB, least-squares trend ${soak.slopeMbPerMin >= 0 ? '+' : ''}${soak.slopeMbPerMin.toFixed(1)} MB/min; ${soak.errors} errors. Tokens minted as sent (load generator CPU ${soak.loadGenCpuPct.toFixed(0)}%).`,
    '',
    markdownTable(['Seconds into the soak (single sample)', 'RSS MB', 'vs start'], soak.checkpoints.map(([sec, mb]) => [sec.toFixed(0), mb.toFixed(1), `${growthPct(soak.rssStartMb, mb) >= 0 ? '+' : ''}${growthPct(soak.rssStartMb, mb).toFixed(1)}%`])),
    '',
    `The service had answered ${soak.servedBefore} requests before the soak and ${soak.servedAfter} after it. Its jti replay cache keeps every token until exp + clock skew (10 min here) up to auth.replayCacheSize = ${soak.replayCacheSize} entries${soak.defaultReplayCache ? ' (the default)' : ' (not the default: BENCH_SERVICE_CONFIG)'}, so RSS grows by design while the cache fills` +
      (cacheFull ? ` — full after about ${fillSec.toFixed(0)} s of this soak; growth after that is not the cache.` : ' — not full by the end of this soak: the growth includes the cache filling.'),
    `All samples (s: MB): ${soak.samples.map(([sec, mb]) => `${sec.toFixed(0)}: ${mb}`).join(', ')}`,
    '',
  ];
}

function sweepMarkdown(sweep: NonNullable<Report['sweep']>): string[] {
  return [
    sweepTable(sweep.points),
    '',
    `${perResourceCheck(sweep.points).target}: ${perResourceCheck(sweep.points).measured} → **${mark(perResourceCheck(sweep.points).met)}**.`,
    '',
    `The imatinib order of scenario 1 with patientRecord(now, size) as the prefetch (bench/records.ts: serial labs, medication orders, statements, conditions, older disease status), RS384 tokens; each size is its own body and token pool, ${sweep.durationSec} s per server after a warm-up (fewer fixed requests for large bodies, then 1 s). ` +
      'CPU µs/resource = CPU ms/req ÷ resources in the prefetch; service − floor = what the service adds per resource beyond parsing the same body. Size 10 gives the bench patient\'s own record (13 resources: a record is never smaller). Peak RSS = VmHWM during that point.',
    '',
  ];
}

function toMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# imatinib-cds benchmark — ${r.startedAt}`, '');
  out.push(
    `Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores${r.machine.memTotalMb ? `, ${r.machine.memTotalMb} MB RAM` : ''}; Node ${r.machine.node} (${r.machine.platform}); CLK_TCK ${r.machine.clkTck}${r.machine.uptimeLoad ? `; load average at start ${r.machine.uptimeLoad}` : ''}.`,
    `Settings: ${r.settings.durationSec} s per measurement × ${r.settings.rounds} round(s), ${r.settings.connections} connections, warm-up ${r.settings.warmupRequests} requests + ${r.settings.warmupSec} s, service log level "${r.settings.logLevel}"; ` +
      (r.settings.pinned ? `servers pinned to CPU ${r.settings.serverCpus}, load generator (this runner, autocannon in-process) to CPU ${r.settings.loadCpus}.` : 'no CPU pinning.'),
    '',
  );
  out.push('## Targets (issue #12; goals, not assertions)', '', targetsMarkdown(r));
  if (r.measurements.length) {
    out.push('## Scenarios', '');
    out.push(scenariosTable(r.scenarios), '');
    out.push(
      `"vs golden": the answer's cards (count, order, rule code, indicator, summary with dates masked) against ${GOLDEN_FILE}, the answers of the code before the performance work. The golden file was written at another date, so cards are not compared byte for byte here; \`npx jest test/integration/hot-path-golden\` replays the same requests at its date and compares them exactly.`,
      '',
    );
    out.push('## Results (1 worker)', '');
    out.push(resultsTable(r.measurements), '');
    out.push(
      'CPU ms/req = server utime+stime (/proc/<pid>/stat, summed over cluster workers) over the measurement ÷ responses. Peak RSS = VmHWM, reset before each measurement. Errors = non-2xx + socket errors. ' +
        'Server CPU % = server CPU time ÷ wall time (100 = one core saturated). Other load % = busy time of the server\'s CPUs not spent by the server or this runner (neighbouring processes; /proc/stat): above a few percent, req/s and latency understate the service. ' +
        '"Load gen CPU %" near 100 means the load generator, not the server, limited req/s.',
      '',
    );
  }
  if (r.sweep) out.push('## Record-size sweep (imatinib order, service and floor)', '', ...sweepMarkdown(r.sweep));
  if (r.cluster) {
    out.push('## Multi-core (scenario 1)', '');
    out.push(resultsTable(r.cluster.measurements), '');
    if (r.cluster.gain !== undefined) out.push(`Throughput gain, 2 workers vs 1 worker on the same CPUs: **${r.cluster.gain.toFixed(2)}×**.`, '');
    out.push(r.cluster.note, '');
  }
  if (r.fleet) out.push(...fleetMarkdown(r.fleet));
  out.push('## Signature verification cost (in-process, this runner)', '');
  out.push(
    markdownTable(
      ['', 'node:crypto verify µs', 'jsonwebtoken.verify µs'],
      [
        ['RS384 (RSA 2048)', r.crypto.rs384VerifyUs.toFixed(1), (r.crypto.rs384JwtVerifyUs ?? NaN).toFixed(1)],
        ['ES384 (P-384)', r.crypto.es384VerifyUs.toFixed(1), (r.crypto.es384JwtVerifyUs ?? NaN).toFixed(1)],
      ],
    ),
    '',
  );
  if (r.soak) out.push('## Soak (scenario 1, fresh service, 1 worker)', '', ...soakMarkdown(r.soak));
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push(`Total bench time ${r.totalSec.toFixed(0)} s (${r.phases.map((p) => `${p.name} ${p.sec.toFixed(0)} s`).join(', ')}).`, '');
  return out.join('\n');
}

function fleetMarkdown(fleet: NonNullable<Report['fleet']>): string[] {
  const out = ['## Fleet (scenario 1 on two instances sharing PostgreSQL and Redis)', ''];
  out.push(fleetTable(fleet.measurements), '');
  if (fleet.comparison) out.push(fleet.comparison, '');
  out.push(fleet.note, '');
  out.push(
    `Per instance: ${fleet.measurements
      .map((m) => `${m.server}: ${(m.state?.perInstance ?? []).map((p) => `${p.name} ${p.completed} responses, ${fmtNum(p.cpuMsPerRequest, 3)} ms CPU/req, peak RSS ${fmtNum(p.peakRssMb, 0)} MB`).join('; ')}`)
      .join('. ')}.`,
    '',
  );
  out.push('Checked:', '', ...fleet.checks.map((c) => `- ${c}`), '');
  const c = fleet.cleanup;
  out.push(
    c.problems.length
      ? `Cleanup PROBLEMS: ${c.problems.join('; ')}.`
      : `Cleanup: every instance stopped, database \`${c.database}\` dropped, ${c.keysDeleted} Redis keys under \`${c.keyPrefix}\` deleted (${c.keysLeft} left).`,
    '',
  );
  return out;
}

const fmtNum = (n: number | undefined, digits: number) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

/** What the parts of a run share. */
interface RunContext {
  tmpDir: string;
  cpus: Cpus;
  keys: Record<BenchAlg, SigningKey>;
  /** Every child process started, for cleanup. */
  children: ChildServer[];
  notes: string[];
  /** The long-running baseline and 1-worker service. */
  targets: { baseline: Target; service: Target };
  fhir?: ChildServer;
  golden: GoldenFile | undefined;
}

/** The hookInstance of the single request that checks a scenario before loading. */
const CHECK_HOOK_INSTANCE = '4b0e7f0c-0f8e-4a3c-9d55-6a1c1f6f0b01';

/** One request of `sc` to each server before any load: the service's answer, and whether it is the golden one. */
async function checkAnswer(ctx: RunContext, sc: Scenario, title: string): Promise<ScenarioInfo> {
  const { service, baseline } = ctx.targets;
  const body = sc.body.join(CHECK_HOOK_INSTANCE);
  const svc = await postOnce(service.server.baseUrl, SERVICE_PATH, body, mintJwt(ctx.keys[sc.alg], `${service.server.baseUrl}${SERVICE_PATH}`));
  const base = await postOnce(baseline.server.baseUrl, SERVICE_PATH, body, STATIC_TOKEN);
  const answer = describeResponse(svc);
  const golden = compareWithGolden(ctx.golden, sc.golden, svc.status, svc.body);
  log(`scenario ${sc.id} (${sc.bytes} bytes, ${sc.resources} resources): service → ${answer}; golden: ${golden.same === false ? 'DIFFERS: ' : ''}${golden.detail}`);
  if (svc.status !== 200) ctx.notes.push(`Scenario ${sc.id}: the service answered HTTP ${svc.status} before the run; its numbers measure the error path.`);
  if (base.status !== 200) ctx.notes.push(`Scenario ${sc.id}: the baseline answered HTTP ${base.status} before the run (body limit?); the floor is not a floor.`);
  if (golden.same === false) ctx.notes.push(`Scenario ${sc.id}: the clinical answer differs from ${GOLDEN_FILE} ("${sc.golden}"): ${golden.detail}.`);
  return { id: sc.id, title, description: sc.description, bodyBytes: sc.bytes, resources: sc.resources, serviceAnswer: answer, baselineAnswer: describeResponse(base), golden };
}

/**
 * Pre-warm every code path of both servers, so the first scenario does not carry the JIT and heap-growth cost of
 * a cold process that later scenarios escape.
 */
async function prewarm(ctx: RunContext, scenarios: Scenario[]): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    for (const sc of scenarios) {
      const amount = warmupRequestsFor(sc);
      await measure(ctx.targets.baseline, sc, { amount });
      await measure(ctx.targets.service, sc, { amount, key: ctx.keys[sc.alg], fhir: sc.id === 's4' ? ctx.fhir : undefined });
    }
  }
}

/**
 * Warm both servers up on `sc`, then measure baseline and service in turn for `durationSec` (with BENCH_ROUNDS > 1
 * split into rounds, alternating which goes first): the scenario's two rows.
 */
async function measurePair(ctx: RunContext, sc: Scenario, durationSec: number, warmupSec = settings.warmupSec): Promise<{ base: Measurement; svc: Measurement }> {
  const fhir = sc.id === 's4' ? ctx.fhir : undefined;
  const key = ctx.keys[sc.alg];
  await warmup(ctx.targets.baseline, sc, undefined, undefined, warmupSec);
  await warmup(ctx.targets.service, sc, key, fhir, warmupSec);
  const runs: Record<'baseline' | 'service', Run[]> = { baseline: [], service: [] };
  const per = durationSec / settings.rounds;
  for (let r = 0; r < settings.rounds; r++) {
    const order: ('baseline' | 'service')[] = r % 2 === 0 ? ['baseline', 'service'] : ['service', 'baseline'];
    for (const which of order) {
      const t = ctx.targets[which];
      const isService = which === 'service';
      const rateKey = `${t.name} ${sc.id}`;
      const run = await measure(t, sc, { durationSec: per, key: isService ? key : undefined, fhir: isService ? fhir : undefined, expectedRps: rateSeen.get(rateKey) });
      runs[which].push(run);
      rateSeen.set(rateKey, Math.max(rateSeen.get(rateKey) ?? 0, (run.load.completed / run.load.durationSec) * settings.poolFactor));
    }
  }
  const base = toMeasurement(sc.id, 'baseline', 1, ctx.targets.baseline, runs.baseline);
  const svc = toMeasurement(sc.id, 'service', 1, ctx.targets.service, runs.service);
  log(oneLine(base));
  log(oneLine(svc));
  if (svc.tokens?.mintedOnDemand) ctx.notes.push(`Scenario ${sc.id}: the token pool ran dry; ${svc.tokens.mintedOnDemand} tokens were minted on the load generator during the measurement.`);
  return { base, svc };
}

async function runScenarios(ctx: RunContext, scenarios: Scenario[]): Promise<{ measurements: Measurement[]; serviceRequests: number }> {
  const measurements: Measurement[] = [];
  let serviceRequests = 0;
  for (const sc of scenarios) {
    log(`\n${SCENARIO_TITLES[sc.id]} — warm-up`);
    const { base, svc } = await measurePair(ctx, sc, settings.durationSec);
    serviceRequests += svc.completed;
    measurements.push(base, svc);
    if (svc.fhirServerCpuMsPerRequest !== undefined) log(`  FHIR server CPU ${svc.fhirServerCpuMsPerRequest.toFixed(3)} ms per service request`);
  }
  return { measurements, serviceRequests };
}

/**
 * The record-size sweep on the long-running servers: per size its own body (and so its own token pool and rate
 * estimate, keyed by the point's id), checked against the golden file, warmed up, measured briefly. A body over
 * the body limit is skipped with a note rather than measured as 413s.
 */
async function runSweep(ctx: RunContext, now: Date): Promise<NonNullable<Report['sweep']>> {
  const points: SweepPoint[] = [];
  const infos: ScenarioInfo[] = [];
  const limit = serviceBodyLimitBytes();
  for (const size of settings.sweepSizes) {
    const sc = buildSweepPoint(now, size);
    if (sc.bytes > limit) {
      ctx.notes.push(`Sweep: size ${size} skipped: its body (${sc.bytes} bytes) is over the body limit (${limit} bytes; server.bodyLimitBytes).`);
      continue;
    }
    log(`\nsweep: ${sc.resources}-resource record (${(sc.bytes / 1000).toFixed(0)} kB)`);
    infos.push(await checkAnswer(ctx, sc, `sweep ${size} → ${sc.resources} resources`));
    const { base, svc } = await measurePair(ctx, sc, settings.sweepDurationSec, Math.min(settings.warmupSec, 1));
    points.push({ size, resources: sc.resources, bodyBytes: sc.bytes, floor: base, service: svc });
  }
  return { durationSec: settings.sweepDurationSec, points, scenarios: infos };
}

/**
 * Multi-core: the 1-worker service re-pinned to every CPU vs a 2-worker service on every CPU. On a 2-core machine
 * both then share CPU 1 with the load generator, so the gain is a lower bound; the comparison is fair because
 * both runs have the same CPUs.
 */
async function runCluster(ctx: RunContext, s1: Scenario, baseRow: Measurement | undefined): Promise<NonNullable<Report['cluster']>> {
  const { cpus, keys, targets } = ctx;
  const service = targets.service.server;
  const wideCpus = cpus.pinned ? cpus.all : undefined;
  const oneTarget = target('service-wide', service, wideCpus);
  if (cpus.pinned) pinProcess(service.pid, cpus.all as string);
  await warmup(oneTarget, s1, keys.RS384);
  const one = toMeasurement('s1', 'service, 1 worker', 1, oneTarget, [await measure(oneTarget, s1, { durationSec: settings.durationSec, key: keys.RS384, expectedRps: rateSeen.get('service-wide s1') })]);
  if (cpus.pinned) pinProcess(service.pid, cpus.server as string);
  log(oneLine(one));
  const two = await startService({ tmpDir: ctx.tmpDir, name: 'service-2w', keys: [keys.RS384], workers: 2, logLevel: settings.logLevel, cpus: wideCpus });
  ctx.children.push(two);
  // /healthz answers as soon as the first worker listens; wait for the second.
  for (let i = 0; i < 100 && processTree(two.pid).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  const twoTarget = target('service-2w', two, wideCpus);
  await warmup(twoTarget, s1, keys.RS384);
  const twoM = toMeasurement('s1', 'service, 2 workers', 2, twoTarget, [await measure(twoTarget, s1, { durationSec: settings.durationSec, key: keys.RS384, expectedRps: rateSeen.get('service-2w s1') })]);
  log(oneLine(twoM));
  log(`  workers seen: ${processTree(two.pid).length - 1}`);
  await two.stop();
  ctx.children.splice(ctx.children.indexOf(two), 1);
  return {
    measurements: [...(baseRow ? [baseRow] : []), one, twoM],
    gain: one.rps > 0 ? twoM.rps / one.rps : undefined,
    note: cpus.pinned
      ? `Both service runs may use CPUs ${cpus.all}` +
        (cpus.all?.split(',').includes(cpus.load as string) ? `, which the load generator (CPU ${cpus.load}) shares: with only 2 CPUs the 2-worker gain is a lower bound.` : ` (the load generator has CPU ${cpus.load} to itself).`) +
        ` CPU ms/req includes the cluster primary; with more than one worker the jti replay cache moves to SQLite (one INSERT per request, in its own file beside the card store). The baseline row (CPU ${cpus.server} only) is for reference.`
      : 'No pinning: servers and load generator share all CPUs.',
  };
}

/** RSS sample interval of the soak: 20 samples in each 20-s window the start and end readings come from. */
const SOAK_SAMPLE_MS = 1000;

/**
 * The soak: scenario 1 for BENCH_SOAK seconds on a fresh service process, RSS sampled throughout. Fresh, because
 * by now the long-running service has parsed 1.9 MB bodies (a heap grown for them shrinks during a soak and would
 * hide growth) and filled its replay cache with an uneven history; a fresh one starts where a deployment does
 * after warm-up. Tokens are minted as they are sent: a pool for minutes would take a minute to mint, and the
 * load generator's CPU % shows whether minting held the rate back.
 */
async function runSoak(ctx: RunContext, s1: Scenario): Promise<SoakResult> {
  const key = ctx.keys.RS384;
  const server = await startService({ tmpDir: ctx.tmpDir, name: 'soak', keys: [key], workers: 1, logLevel: settings.logLevel, cpus: ctx.cpus.server });
  ctx.children.push(server);
  const t = target('soak', server, ctx.cpus.server);
  // Fixed requests (JIT, connections), then BENCH_SOAK_WARMUP seconds of load so the first sample is taken once the
  // heap has grown to its working size (tokens minted as sent here too: no pool to mint for half a minute).
  await measure(t, s1, { amount: warmupRequestsFor(s1), key });
  if (settings.soakWarmupSec > 0) await measure(t, s1, { durationSec: settings.soakWarmupSec, key, mintOnTheFly: true });
  const servedBefore = t.served;
  const t0 = Date.now();
  const samples: [number, number][] = [];
  let nextLogSec = 30;
  const sample = () => {
    const sec = round((Date.now() - t0) / 1000, 1);
    samples.push([sec, round(readMemory(t.pids()).rssKb / 1024, 1)]);
    if (sec >= nextLogSec - 0.5) {
      log(`  ${sec.toFixed(0)} s: RSS ${samples[samples.length - 1]?.[1]} MB`);
      nextLogSec += 30;
    }
  };
  sample();
  log(`  after warm-up: RSS ${samples[0]?.[1]} MB`);
  const sampler = setInterval(sample, SOAK_SAMPLE_MS);
  const run = await measure(t, s1, { durationSec: settings.soakSec, key, mintOnTheFly: true });
  clearInterval(sampler);
  sample();
  await server.stop();
  ctx.children.splice(ctx.children.indexOf(server), 1);
  const rss = summariseRss(samples, 30);
  const cacheSize = replayCacheSize();
  return {
    durationSec: run.load.durationSec,
    rps: round(run.load.completed / run.load.durationSec, 1),
    rssStartMb: rss.startMb,
    rssEndMb: rss.endMb,
    growthPct: rss.growthPct,
    windowSec: rss.windowSec,
    minMb: rss.minMb,
    maxMb: rss.maxMb,
    slopeMbPerMin: rss.slopeMbPerMin,
    checkpoints: rss.checkpoints,
    peakRssMb: round(run.peakKb / 1024, 1),
    errors: run.load.non2xx + run.load.errors,
    loadGenCpuPct: round((run.load.loadGenCpuMs / (run.load.durationSec * 1000)) * 100, 1),
    servedBefore,
    servedAfter: t.served,
    warmupSec: settings.soakWarmupSec,
    replayCacheSize: cacheSize,
    defaultReplayCache: cacheSize === defaultConfig().auth.replayCacheSize,
    samples,
  };
}

/** Wall time per part of the run, for the report (the default run should stay within ~6–7 minutes). */
class Phases {
  readonly list: { name: string; sec: number }[] = [];
  private at = Date.now();
  done(name: string): void {
    const now = Date.now();
    this.list.push({ name, sec: round((now - this.at) / 1000, 1) });
    this.at = now;
  }
}

function loadAverage(): string | undefined {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const phases = new Phases();
  const cores = os.availableParallelism();
  const cpus = chooseCpus(cores);
  if (cpus.pinned && !pinProcess(process.pid, cpus.load as string)) {
    cpus.pinned = false;
    delete cpus.server;
    delete cpus.load;
  }
  if (cpus.load !== undefined) loadCpu = Number(cpus.load);
  // Every CPU of the machine (os.availableParallelism() is this runner's affinity: 1 once pinned).
  const everyCpu = [...readProcStat().keys()].join(',') || Array.from({ length: cores }, (_, i) => i).join(',');
  if (everyCpu.includes(',')) minting = { minter: new ParallelMinter(everyCpu.split(',').length), ...(cpus.pinned ? { widen: everyCpu, narrow: cpus.load } : {}) };
  const machine = { ...machineInfo(cores), clkTck: clkTck(), uptimeLoad: loadAverage() };
  log(`imatinib-cds bench: ${machine.cpuModel}, ${cores} cores, Node ${machine.node}; ${cpus.pinned ? `servers on CPU ${cpus.server}, load generator on CPU ${cpus.load}` : 'not pinned'}; load average ${machine.uptimeLoad ?? '?'}`);

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-bench-'));
  const notes: string[] = [];
  const children: ChildServer[] = [];
  let fleetState: FleetState | undefined;
  const cleanup = async () => {
    await minting?.minter.close();
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    // After the instances: nothing is connected to the database any more (FORCE ends stragglers anyway).
    const report = await fleetState?.cleanup();
    if (report?.problems.length) log(`fleet cleanup PROBLEMS: ${report.problems.join('; ')}`);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void cleanup().then(() => {
        fs.rmSync(tmpDir, { recursive: true, force: true });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }

  try {
    if (settings.fleet) {
      // First, so an unreachable PostgreSQL or Redis fails the run at once (not after the other scenarios).
      log(`fleet: PostgreSQL ${redactUrl(settings.databaseUrl)}, Redis ${redactUrl(settings.redisUrl)} …`);
      fleetState = await provisionFleetState(settings.databaseUrl, settings.redisUrl);
      log(`  PostgreSQL ${fleetState.postgresVersion}: database ${fleetState.database} created; Redis ${fleetState.redisVersion}: key prefix ${fleetState.keyPrefix}`);
      if (fleetState.foreignBenchDatabases.length) {
        const list = fleetState.foreignBenchDatabases.join(', ');
        log(`  note: ${fleetState.foreignBenchDatabases.length} other imatinib_bench_* database(s) exist (another bench running now, or a killed one): ${list}`);
        notes.push(`PostgreSQL already held bench databases this run did not create (another bench running, or a killed run; drop them by hand if none is running): ${list}.`);
      }
    }
    const keys: Record<BenchAlg, SigningKey> = { RS384: generateSigningKey('RS384'), ES384: generateSigningKey('ES384') };
    log('measuring signature verification cost in-process …');
    const crypto = measureCryptoCost(keys.RS384, keys.ES384);
    log(`  RS384 verify ${crypto.rs384VerifyUs.toFixed(1)} µs (jsonwebtoken ${crypto.rs384JwtVerifyUs?.toFixed(1)} µs), ES384 verify ${crypto.es384VerifyUs.toFixed(1)} µs (jsonwebtoken ${crypto.es384JwtVerifyUs?.toFixed(1)} µs)`);

    const now = new Date();
    const wantFhir = settings.scenarios.includes('s4');
    // The FHIR server shares the load generator's CPU so the service's CPU stays its own.
    const fhir = wantFhir ? await startFhir(tmpDir, cpus.load, now) : undefined;
    if (fhir) children.push(fhir);
    const baseline = await startBaseline(tmpDir, cpus.server);
    children.push(baseline);
    const service = await startService({ tmpDir, name: 'service', keys: [keys.RS384, keys.ES384], workers: 1, logLevel: settings.logLevel, cpus: cpus.server });
    children.push(service);
    STATIC_TOKEN = mintJwt(keys.RS384, `${baseline.baseUrl}${SERVICE_PATH}`);
    const ctx: RunContext = {
      tmpDir,
      cpus,
      keys,
      children,
      notes,
      targets: { baseline: target('baseline', baseline, cpus.server), service: target('service', service, cpus.server) },
      fhir,
      golden: loadGolden(ROOT),
    };
    if (!ctx.golden) notes.push(`${GOLDEN_FILE} not found: the clinical answers were not compared with the golden answers.`);

    const scenarios = buildScenarios(now, fhir?.baseUrl).filter((s) => settings.scenarios.includes(s.id));
    const scenarioInfo: ScenarioInfo[] = [];
    for (const sc of scenarios) scenarioInfo.push(await checkAnswer(ctx, sc, SCENARIO_TITLES[sc.id] ?? sc.id));
    phases.done('start-up and checks');

    log('\npre-warm: every scenario, both servers');
    await prewarm(ctx, scenarios);
    phases.done('pre-warm');

    const logBefore = await fileSize(service.logFile);
    const { measurements, serviceRequests } = await runScenarios(ctx, scenarios);
    const logAfter = await fileSize(service.logFile);
    const serviceLogBytesPerRequest = serviceRequests ? round((logAfter - logBefore) / serviceRequests, 0) : undefined;
    phases.done('scenarios');

    const sweep = settings.sweep ? await runSweep(ctx, now) : undefined;
    if (sweep) {
      const check = perResourceCheck(sweep.points);
      log(`  ${check.target}: ${check.measured} → ${mark(check.met)}`);
      phases.done('sweep');
    }

    let fleetReport: Report['fleet'];
    const fleetScenario = buildScenarios(now, undefined).find((s) => s.id === 's1');
    if (settings.fleet && fleetState && fleetScenario) {
      log('\nfleet (scenario 1): 1 instance on SQLite vs 2 instances on PostgreSQL + Redis');
      const fr = await runFleet({ tmpDir, cpus, key: keys.RS384, sc: fleetScenario, state: fleetState, children });
      notes.push(...fr.notes);
      fleetReport = {
        ...fr,
        database: fleetState.database,
        keyPrefix: fleetState.keyPrefix,
        postgresVersion: fleetState.postgresVersion,
        redisVersion: fleetState.redisVersion,
        note:
          (cpus.pinned
            ? `Every service process (the single instance, both fleet instances${settings.fleetSolo ? ' and the 1-instance PostgreSQL + Redis row' : ''}; \`WEB_CONCURRENCY=1\` each, own ports) pinned to CPU ${cpus.server}, the load generator (this runner: two autocannon runs in parallel, ${splitConnections(settings.connections, 2).join(' + ')} connections, one per fleet instance; ${settings.connections} connections to a single instance) to CPU ${cpus.load}. `
            : 'No CPU pinning. ') +
          `PostgreSQL ${fleetState.postgresVersion} and Redis ${fleetState.redisVersion} are the machine's own servers on 127.0.0.1, not pinned: the kernel runs them on either CPU, so they compete with the service or the load generator. ` +
          'Service CPU ms/req = utime+stime of the instances ÷ responses; PostgreSQL backends = the client backends connected to the run\'s database (children of the postmaster, identified by their process title), PostgreSQL aux = the postmaster\'s own processes (checkpointer, walwriter …), Redis = the redis-server process — all from /proc, ÷ the same responses. ' +
          'PostgreSQL aux and Redis are shared with anything else using those servers (the single-instance row, which uses neither, shows that background level). ' +
          `Other load % = busy time of all ${readProcStat().size || os.cpus().length} CPUs not spent by the instances, PostgreSQL, Redis or the load generator. Peak RSS = sum of the instances' VmHWM (PostgreSQL and Redis not included). ` +
          (settings.fleetSolo
            ? 'The "1 instance (PostgreSQL + Redis)" row is the fleet\'s configuration with one process: it minus the single-instance row is what the state path (PostgreSQL record, Redis jti check) costs; the fleet row minus it is what a second process on the same CPU costs. '
            : '') +
          `Both fleet instances have publicBaseUrl ${FLEET_PUBLIC_URL} (one public URL, as behind a load balancer) and draw fresh RS384 tokens from one pool: a token is never sent twice. Rate limiting is off (the default), as in the other scenarios.`,
      };
      phases.done('fleet');
    }

    const s1 = scenarios.find((s) => s.id === 's1');
    let cluster: Report['cluster'];
    if (settings.cluster && s1) {
      log('\nmulti-core (scenario 1): 1 worker vs 2 workers on the same CPUs');
      cluster = await runCluster(ctx, s1, measurements.find((m) => m.scenario === 's1' && m.server === 'baseline'));
      phases.done('multi-core');
    }

    let soak: SoakResult | undefined;
    if (settings.soakSec > 0 && s1) {
      log(`\nsoak: scenario 1 for ${settings.soakSec} s on a fresh service`);
      soak = await runSoak(ctx, s1);
      log(`  RSS ${soak.rssStartMb} → ${soak.rssEndMb} MB (${soak.growthPct}%), ${soak.rps} req/s, ${soak.errors} errors`);
      phases.done('soak');
    }

    if (serviceLogBytesPerRequest !== undefined) notes.push(`Service log level "${settings.logLevel}": ${serviceLogBytesPerRequest} bytes of log per request (written to a file, as stdout redirected by a process manager would be).`);
    notes.push(
      `Token pools: ${settings.poolFactor} × duration × the larger of the warm-up rate and the rate the server's CPU could sustain at the warm-up's CPU/request, minted before each measurement (not timed); exhaustion is counted and listed above. The baseline receives one fixed token of the same size (it does not verify it).`,
    );
    const s4 = measurements.find((m) => m.scenario === 's4' && m.server === 'service');
    if (s4?.fhirServerCpuMsPerRequest !== undefined) notes.push(`Scenario 4: the local FHIR server (its own process on the load generator's CPU, answering repeated URLs from a response cache) used ${s4.fhirServerCpuMsPerRequest.toFixed(3)} ms CPU per service request; the baseline does not fetch, so the ratio only shows what fetching adds.`);

    const roundedCrypto = Object.fromEntries(Object.entries(crypto).map(([k, v]) => [k, round(v, 2)])) as unknown as CryptoCost;
    const checks = otherChecks({
      measurements,
      sweep: sweep?.points ?? [],
      soak,
      crypto: roundedCrypto,
      golden: [...scenarioInfo, ...(sweep?.scenarios ?? [])].map((s) => ({ scenario: s.id, check: s.golden })),
      extraServiceRuns: [...(cluster?.measurements.filter((m) => m.server !== 'baseline') ?? []), ...(fleetReport?.measurements ?? [])],
    });
    const report: Report = {
      startedAt: new Date(started).toISOString(),
      machine,
      settings: { ...settings, databaseUrl: redactUrl(settings.databaseUrl), redisUrl: redactUrl(settings.redisUrl), pinned: cpus.pinned, serverCpus: cpus.server, loadCpus: cpus.load },
      paths: evaluatePaths(measurements, crypto.rs384VerifyUs),
      checks,
      failures: failures(checks),
      scenarios: scenarioInfo,
      crypto: roundedCrypto,
      measurements,
      sweep,
      cluster,
      fleet: fleetReport,
      soak,
      serviceLogBytesPerRequest,
      notes,
      phases: phases.list,
      totalSec: (Date.now() - started) / 1000,
    };
    writeReport(report);
    if (report.failures.length) {
      process.exitCode = 1;
      log(`bench: FAILED (exit 1): ${report.failures.join('; ')}`);
    }
  } catch (e) {
    for (const c of children) {
      const t = tail(c.logFile, 10);
      if (t.trim()) log(`--- last lines of ${c.name} log ---\n${t}`);
    }
    throw e;
  } finally {
    await cleanup();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** Markdown and JSON to bench/results/ (timestamped and latest), the Markdown printed, then the targets again last. */
function writeReport(report: Report): void {
  const md = toMarkdown(report);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  for (const name of [stamp, 'latest']) {
    fs.writeFileSync(path.join(RESULTS_DIR, `${name}.md`), md);
    fs.writeFileSync(path.join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  log(`\n${md}`);
  log(`written: bench/results/${stamp}.{md,json} and bench/results/latest.{md,json}`);
  // The report is long; the answer to "which targets are met" comes last, where a terminal leaves it.
  log(`\n## Targets (issue #12), repeated\n\n${targetsMarkdown(report)}`);
  if (report.sweep) log(`${sweepTable(report.sweep.points)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
